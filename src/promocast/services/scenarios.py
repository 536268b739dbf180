"""Scenario files: planned promotions in the promotions table's columns (DESIGN §2), read and
checked for ``promo simulate --scenario`` and ``forecast --scenario``. A scenario is never
stored: a refusal says what was not done, not that the store is unchanged."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from promocast.data.readers import read_table
from promocast.data.schema import PROMOTIONS
from promocast.data.validate import validate_table
from promocast.promotions.scenario import InvalidScenario


def read_scenario(path: Path, *, used_for: str = "simulated") -> pd.DataFrame:
    """A scenario: planned promotions in the promotions table's columns (DESIGN §2), optionally
    with a planned ``price`` per row (applied over the promotion's dates). ``used_for``: what
    a refusal says was not done ("nothing was simulated"; "forecast" for a forecast)."""
    raw = read_table(path)
    return scenario_frame(raw.frame, str(path), first_row=raw.first_row, used_for=used_for,
                          percent_cells=raw.percent_cells)


def scenario_frame(frame: pd.DataFrame, source: str, *, first_row: int = 2,
                   used_for: str = "simulated",
                   percent_cells: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
    """Scenario rows (promotions-table columns, optional ``price``) checked against the
    promotions schema; ``first_row`` numbers the rows in errors as the user sees them (2 for a
    CSV under its header, 1 for the items of a JSON list). A scenario is never stored: a
    refusal says "nothing was {used_for}", not that the store is unchanged. Its discounts
    are read as the promotions table's (``data.percentages``: Excel percent cells given in
    ``percent_cells``, 折 notation, fractions); how, ``attrs["notes"]`` says."""
    frame = _named(frame.copy(), first_row)
    planned_price = pd.to_numeric(frame.pop("price"), errors="coerce") if "price" in frame else None
    table, log = validate_table(frame, PROMOTIONS, source, first_row=first_row, stored=False,
                                percent_cells=percent_cells)
    if table is None:
        raise InvalidScenario(log.first(), total=log.total, outcome=f"nothing was {used_for}")
    out = table.frame
    out["planned_price"] = planned_price.to_numpy() if planned_price is not None else np.nan
    out.attrs["first_row"] = first_row
    out.attrs["notes"] = [reading.note(source) for reading in table.readings]
    return out


def _named(frame: pd.DataFrame, first_row: int) -> pd.DataFrame:
    """A planned promotion needs no id of its own: rows without one (no ``promo_id`` column,
    or an empty cell) are named ``row<N>`` after their row, as the scenario's errors name
    them. The promotions table needs ids to join sales to promotions; a plan does not."""
    rows = [f"row{first_row + i}" for i in range(len(frame))]
    column = next((c for c in frame.columns if str(c).strip().lower() == "promo_id"), None)
    if column is None:
        return frame.assign(promo_id=rows)
    given = frame[column].astype("string").str.strip()
    frame[column] = given.where(given.notna() & (given != ""), pd.Series(rows, index=frame.index))
    return frame
