"""Turning weekly promotion flags into promotion rows: one per contiguous run."""

from __future__ import annotations

import pandas as pd


def flag_runs(frame: pd.DataFrame, flag: str, *, period_days: int, prefix: str,
              promo_type: str, extra: dict | None = None) -> pd.DataFrame:
    """One promotion per run of consecutive flagged periods of an item in a store.

    ``frame`` has date, item_id, store_id and the 0/1 ``flag`` column. A missing period breaks
    a run. Returns canonical promotion rows (promo_id, promo_type, start_date, end_date,
    item_id, store_id plus ``extra`` constant columns) and, as column ``_run``, nothing else.
    """
    flagged = frame.loc[frame[flag] > 0, ["date", "item_id", "store_id"]].sort_values(
        ["item_id", "store_id", "date"])
    if flagged.empty:
        return pd.DataFrame(columns=["promo_id", "promo_type", "start_date", "end_date",
                                     "item_id", "store_id"])
    step = flagged.groupby(["item_id", "store_id"])["date"].diff().dt.days
    new_run = step.isna() | (step != period_days)
    flagged["run"] = new_run.cumsum()
    runs = flagged.groupby("run").agg(item_id=("item_id", "first"), store_id=("store_id", "first"),
                                      start_date=("date", "min"), last=("date", "max"))
    runs["end_date"] = runs["last"] + pd.Timedelta(days=period_days - 1)
    runs["promo_id"] = (prefix + "-" + runs["store_id"].astype(str) + "-" + runs["item_id"].astype(str)
                        + "-" + runs["start_date"].dt.strftime("%Y%m%d"))
    runs["promo_type"] = promo_type
    for key, value in (extra or {}).items():
        runs[key] = value
    return runs.drop(columns="last").reset_index(drop=True)


def promo_id_per_row(frame: pd.DataFrame, promotions: pd.DataFrame, flag: str,
                     period_days: int) -> pd.Series:
    """The promo_id of the run each flagged row belongs to (None elsewhere)."""
    flagged = frame[frame[flag] > 0].sort_values(["item_id", "store_id", "date"])
    step = flagged.groupby(["item_id", "store_id"])["date"].diff().dt.days
    start = flagged["date"].where(step.isna() | (step != period_days))
    start = start.groupby([flagged["item_id"], flagged["store_id"]]).ffill()
    ids = pd.Series(None, index=frame.index, dtype="object")
    ids.loc[flagged.index] = (promotions["promo_id"].iloc[0].split("-")[0] + "-"
                              + flagged["store_id"].astype(str) + "-" + flagged["item_id"].astype(str)
                              + "-" + start.dt.strftime("%Y%m%d"))
    return ids
