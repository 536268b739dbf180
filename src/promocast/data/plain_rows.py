"""The direct path for rows that are plainly valid: a what-if form sends a handful of typed
rows per keystroke, and the generic parser (``validate.validate_table``) spends ~15 ms of
per-column pandas work on them. Anything not plain goes back to the parser, which names each
problem."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from promocast.data.promo_types import canonical, implied_depth
from promocast.data.schema import PROMO_TYPES, TableSpec
from promocast.data.validate import STR

_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def plain_promotions(rows: list[dict], spec: TableSpec) -> pd.DataFrame | None:
    """``validate_table(pd.DataFrame(rows), spec)``'s frame, built directly, for rows that are
    plainly valid: canonical column names only, ISO dates, numbers within bounds, known
    promotion types, distinct ids, an item or a category on each. None as soon as anything is
    not plain: the caller then runs ``validate_table``, which names each problem. A what-if
    form sends a handful of such rows per keystroke; the generic parser spends ~15 ms of
    per-column pandas work on them."""
    if spec.name != "promotions" or not rows:
        return None
    columns = {c.name: c for c in spec.columns}
    out: dict[str, list] = {name: [] for name in columns}
    for row in rows:
        if not set(row) <= columns.keys():
            return None
        for name, column in columns.items():
            value = row.get(name)
            if column.dtype == "str":
                text = None if value is None else str(value).strip() or None
                if name == "promo_type" and text is not None:
                    kind = re.sub(r"[\s\-]+", "_", text.lower())
                    if row.get("discount_pct") is None and implied_depth(kind) is not None:
                        return None  # its words state the depth: the parser fills it in
                    text = canonical(kind)
                    if text not in PROMO_TYPES:
                        return None
                out[name].append(text)
            elif column.dtype == "date":
                if not isinstance(value, str) or not _ISO_DAY.fullmatch(value):
                    return None
                out[name].append(value)
            elif column.dtype == "flag":
                if value is None:
                    value = column.default
                if value not in (0, 1) or isinstance(value, str):
                    return None
                out[name].append(float(value))
            else:
                if value is None:
                    out[name].append(np.nan)
                    continue
                if isinstance(value, bool | str) or not isinstance(value, int | float):
                    return None
                number = float(value)
                if not np.isfinite(number) or (
                        column.min_value is not None and number < column.min_value) or (
                        column.max_value is not None and number > column.max_value):
                    return None
                if column.percent and 0 < number < 1:
                    return None  # a fraction: the parser reads the column (data.percentages)
                out[name].append(number)
            if out[name][-1] is None and not column.nullable:
                return None
    ids = out["promo_id"]
    if None in ids or len(set(ids)) != len(ids):
        return None
    if any(i is None and c is None for i, c in zip(out["item_id"], out["category"], strict=True)):
        return None
    try:
        dates = {name: pd.to_datetime(out[name], format="%Y-%m-%d").astype("datetime64[ns]")
                 for name in ("start_date", "end_date")}
    except (ValueError, OverflowError):
        return None
    if (dates["end_date"] < dates["start_date"]).any():
        return None
    frame = {}
    for name, column in columns.items():
        if column.dtype == "str":
            frame[name] = pd.array(out[name], dtype=STR)
        elif column.dtype == "date":
            frame[name] = dates[name]
        else:
            frame[name] = np.asarray(out[name], dtype="float64")
    return pd.DataFrame(frame)
