"""Series that stopped selling: a tail of zero-sale rows too long to be chance.

A shop that keeps writing rows for a delisted item (0 units a day) is telling us the item is
gone as surely as one that stops writing rows. Forecast with the others, such a series harms
them: a global model's pooled hold-out residuals take its zeros (forecast at its old level)
as errors of everyone, and a two-item shop's steady seller got intervals from 0.3 to 130 a
day around a median of 20 (QA round 5, finding 6).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

CHANCE = 1e-3
"""A zero run counts as stopped when it would happen by chance less often than this, with
the series' share of zero periods before it as the chance of a zero."""

MIN_BEFORE = 28
"""Observed periods before the run a series needs for its zero share to be judged."""


def stopped_selling(frame: pd.DataFrame, min_run: int) -> pd.DataFrame:
    """The series whose last observed periods are all zero, at least ``min_run`` of them and
    more than chance allows given how often they sold before (``CHANCE``), with the run's
    length (periods) and first date: ``unique_id, zero_periods, since``.

    Only observed rows count (``observed == 1`` when the column is there): a stock-out
    period is censored demand, not a zero sale, and neither starts nor breaks a run."""
    cols = ["unique_id", "zero_periods", "since"]
    rows = frame if "observed" not in frame else frame[frame["observed"] == 1]
    if rows.empty:
        return pd.DataFrame(columns=cols)
    rows = rows.sort_values(["unique_id", "ds"])
    uid = rows["unique_id"].to_numpy()
    sold = rows["y"].to_numpy(dtype=float) > 0
    # a row's "block" counts the sales at or after it in its series: the trailing zero run
    # is the rows whose block is 0
    after = pd.Series(sold[::-1].astype(int)).groupby(uid[::-1]).cumsum().to_numpy()[::-1]
    tail = after == 0
    stats = pd.DataFrame({"unique_id": uid, "tail": tail, "zero": ~sold, "ds": rows["ds"].to_numpy()})
    per = stats.groupby("unique_id", sort=False).agg(
        run=("tail", "sum"), zeros=("zero", "sum"), periods=("tail", "size"))
    since = stats[stats["tail"]].groupby("unique_id", sort=False)["ds"].min()
    before = per["periods"] - per["run"]
    share = (per["zeros"] - per["run"]) / before.where(before > 0)
    with np.errstate(divide="ignore"):
        chance = per["run"] * np.log(share.clip(lower=1e-12))
    hit = per[(per["run"] >= min_run) & (before >= MIN_BEFORE) & (chance < np.log(CHANCE))]
    if hit.empty:
        return pd.DataFrame(columns=cols)
    out = hit[["run"]].rename(columns={"run": "zero_periods"})
    out["since"] = since.reindex(out.index)
    return out.reset_index()[cols].sort_values("unique_id", ignore_index=True)
