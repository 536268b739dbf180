"""Results kept in the store, read back for the dashboard, the API and exports.

Effects, evaluations, plans and what-ifs are kept as JSON in ``promo_results``; backtests and
forecasts in ``forecast_runs``. A kept result says whether it was computed on the data now in
the store (``current``), so a page can show it and offer a refresh instead of hiding it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from promocast.data.storage import Store
from promocast.exceptions import UsageError
from promocast.services.tables import csv_bytes, xlsx_bytes

EXPORT_FORMATS = ("csv", "xlsx")
EXCEL_ROWS = 1_048_576
"""Rows of an Excel sheet, its header included."""


def data_version(db: Path) -> str | None:
    """The order-free hash of the sales now in the store (None when there are none)."""
    from promocast.services.forecasting import sales_hash

    with Store(db, read_only=True) as store:
        return sales_hash(store) if store.count("sales") else None


def latest_result(db: Path, kind: str) -> dict | None:
    """The newest kept promotion result of ``kind`` (effects, evaluate, plan, simulate, advice)
    with ``result_id``, ``created_at`` and ``current``; None when none was kept."""
    with Store(db, read_only=True) as store:
        frame = store.query(
            "SELECT result_id, created_at, data_hash, document FROM promo_results "
            "WHERE kind = ? ORDER BY created_at DESC LIMIT 1", [kind])
    if frame.empty:
        return None
    row = frame.iloc[0]
    document = json.loads(row["document"])
    document.pop("params", None)
    return {**document, "result_id": row["result_id"], "created_at": str(row["created_at"]),
            "current": row["data_hash"] == data_version(db)}


def effect_flags(effects: dict | None) -> dict[str, list[dict]]:
    """A kept effects result's flags split as ``promo effects`` says them: ``borrowed`` (not
    identified, the category's value is used) and ``implausible`` (to check before planning)."""
    from promocast.promotions.flags import split_flags

    borrowed, implausible = split_flags((effects or {}).get("flags") or [])
    return {"borrowed": borrowed, "implausible": implausible}


def export_frame(db: Path, name: str) -> pd.DataFrame:
    """A named result table, as the pages show it: ``evaluation``, ``plan``, ``effects``,
    ``advice``, ``backtest`` (the newest leaderboard), ``series``, ``segments``."""
    if name == "series":
        from promocast.services.series import find_series

        return pd.DataFrame(find_series(db, limit=1_000_000)["series"])
    if name == "segments":
        from promocast.services.customers import run_segments

        return pd.DataFrame(run_segments(db)["segments"])
    if name == "backtest":
        from promocast.services.series import kept_backtests

        runs = kept_backtests(db, limit=1)
        if not runs:
            raise UsageError("no backtest kept yet: run one first")
        return pd.DataFrame([{"model": m, **{k: v for k, v in s.items() if k not in ("members", "weights", "spread")}}
                             for m, s in runs[0]["models"].items()])
    kinds = {"evaluation": ("evaluate", "promotions"), "plan": ("plan", "promotions"),
             "effects": ("effects", "items"), "advice": ("advice", "advice")}
    if name not in kinds:
        raise UsageError(f"unknown table {name!r}: one of series, backtest, segments, "
                         + ", ".join(kinds))
    kind, key = kinds[name]
    document = latest_result(db, kind)
    if document is None:
        raise UsageError(f"no {kind} result kept yet: run it first")
    rows = document.get(key) or []
    frame = pd.json_normalize(rows) if rows else pd.DataFrame()
    for col in frame.columns:
        if frame[col].map(lambda v: isinstance(v, list | dict)).any():
            frame[col] = frame[col].map(lambda v: json.dumps(v) if isinstance(v, list | dict)
                                        else v)
    return frame


def reorder_frame(document: dict) -> pd.DataFrame:
    """The download of a stock plan (``run_inventory``'s document): the reorder list, most
    urgent first, or every series' levels when no stock on hand is loaded (as ``--out``)."""
    from promocast.services.inventory import reorder_table

    levels = pd.DataFrame(document["items"])
    reorder = pd.DataFrame(document["reorder_list"], columns=["urgency_rank", *levels.columns])
    return reorder_table(levels, reorder)[0]


def table_bytes(frame: pd.DataFrame, fmt: str) -> bytes:
    """A table as CSV (UTF-8 with BOM, so Excel reads Chinese text) or an Excel workbook."""
    if fmt == "csv":
        return csv_bytes(frame)
    if fmt == "xlsx":
        if len(frame) >= EXCEL_ROWS:
            raise UsageError(f"{len(frame):,} rows do not fit an Excel sheet ({EXCEL_ROWS - 1:,} "
                             "at most): download them as CSV")
        return xlsx_bytes(frame)
    raise UsageError(f"format must be one of {', '.join(EXPORT_FORMATS)}, got {fmt!r}")
