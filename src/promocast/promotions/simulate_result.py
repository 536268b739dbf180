"""A priced what-if (``Simulation``) and its JSON form.

The JSON form rounds every number to 4 decimals and turns NaN / infinity into null. A what-if
of a few items over two weeks has ~40,000 values (the per-day table carries quantiles of
every measure), so values are converted a column at a time with numpy, not one by one; the
result is exactly what Python's ``round(value, 4)`` gives for each value (ties at the fifth
decimal, where numpy's multiply-and-round can differ, are rounded by Python).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from promocast.promotions.simulate_draws import METHOD

DEFAULT_QUANTILES: tuple[float, ...] = (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95)
_EXACT_ABOVE = 1e11
"""Magnitudes from which a value is rounded by Python (x 1e4 nears the end of exact doubles)."""


@dataclass
class Simulation:
    """A priced scenario. ``rows``: per item x store x period of every series the scenario
    touches; ``series``: the same summed over the horizon, ``role`` promoted / other;
    ``totals``: {name: {"expected", "q<level>"...}} for units / revenue / margin, their
    ``baseline_`` and ``incremental_`` versions and the promoted / other items' incremental
    split; ``warnings``: stock that cannot cover the forecast, missing effects or costs."""

    rows: pd.DataFrame
    series: pd.DataFrame
    totals: dict[str, dict[str, float | None]]
    warnings: list[dict[str, Any]] = field(default_factory=list)
    quantiles: tuple[float, ...] = DEFAULT_QUANTILES
    n_samples: int = 0
    method: str = METHOD

    @property
    def other_items(self) -> pd.DataFrame:
        """Series not promoted themselves: what the category's rivals lose."""
        return self.series[self.series["role"] == "other"].reset_index(drop=True)

    def to_json(self, days: str = "all") -> dict[str, Any]:
        """JSON-safe: NaN -> null, dates as ISO strings, numbers to 4 decimals. ``days``: the
        day rows of every touched item (``all``), of the promoted days only (``promoted``: rows
        with a promo_id) or none (``none``); converting only those is most of the saving."""
        rows = self.rows
        if days == "promoted" and "promo_id" in rows:
            rows = rows[rows["promo_id"].notna()]
        elif days == "none":
            rows = rows.iloc[:0]
        return {
            "quantiles": list(self.quantiles),
            "samples": self.n_samples,
            "totals": {k: {q: _num(v) for q, v in d.items()} for k, d in self.totals.items()},
            "items": records(self.series),
            "days": records(rows),
            "warnings": [{k: _jsonable(v) for k, v in w.items()} for w in self.warnings],
            "method": self.method,
        }


def _num(value: object) -> float | None:
    if value is None:
        return None
    out = float(value)  # type: ignore[arg-type]
    return round(out, 4) + 0.0 if np.isfinite(out) else None  # + 0.0: no "-0.0" in JSON


def _jsonable(value: object) -> object:
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return _num(value)
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def rounded(values: np.ndarray) -> np.ndarray:
    """``_num`` of every value of a float array (any shape), as an object array of Python
    floats and None, computed on the whole array.

    ``np.round(x, 4)`` is ``rint(x * 1e4) / 1e4``: the same double as Python's correctly
    rounded ``round(x, 4)`` unless ``x * 1e4`` lies within a few ulps of a half (or x is
    huge); those few values go through Python. Zero is +0.0 (a sort may leave -0.0 where
    a partition left +0.0: the same number, printed differently)."""
    x = np.asarray(values, dtype=float)
    finite = np.isfinite(x)
    with np.errstate(invalid="ignore", over="ignore"):
        scaled = x * 1e4
        half = np.abs(np.abs(scaled - np.trunc(scaled)) - 0.5) <= 4 * np.abs(np.spacing(scaled))
        out = (np.round(x, 4) + 0.0).astype(object)
    exact = finite & (half | (np.abs(x) >= _EXACT_ABOVE))
    out[exact] = [round(float(v), 4) + 0.0 for v in x[exact]]
    out[~finite] = None
    return out


def _column(values: pd.Series) -> np.ndarray:
    """One column as JSON values (as ``_jsonable`` would give them one by one)."""
    dtype = values.dtype
    if isinstance(dtype, np.dtype):
        if dtype.kind == "f":
            return rounded(values.to_numpy())
        if dtype.kind in "iub":
            return values.to_numpy().astype(object)
        if dtype.kind == "M":
            days = np.datetime_as_string(values.to_numpy(), unit="D").astype(object)
            days[days == "NaT"] = None
            return days
        if dtype.kind == "O":
            raw = values.to_numpy()
            out = raw.copy()
            missing = pd.isna(raw)
            out[missing] = None
            odd = np.flatnonzero(~missing)
            odd = odd[[type(v) is not str for v in raw[odd]]]  # numbers, dates, lists
            out[odd] = np.fromiter((_jsonable(v) for v in raw[odd]), dtype=object, count=len(odd))
            return out
    return np.fromiter(
        (_jsonable(v) for v in values.astype(object)), dtype=object, count=len(values)
    )


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """``frame`` as a list of JSON-safe row dicts: the float columns rounded as one block,
    the others a column at a time, the dicts built from one object table."""
    n, m = frame.shape
    table = np.empty((n, m), dtype=object)
    floats = [k for k, t in enumerate(frame.dtypes) if isinstance(t, np.dtype) and t.kind == "f"]
    if floats:
        table[:, floats] = rounded(frame.iloc[:, floats].to_numpy(dtype=float))
    for k in sorted(set(range(m)) - set(floats)):
        table[:, k] = _column(frame.iloc[:, k])
    names = list(frame.columns)
    return [dict(zip(names, row, strict=True)) for row in table.tolist()]
