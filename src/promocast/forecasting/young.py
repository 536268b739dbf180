"""Forecasts of series too young for the models: new items (a launch weeks ago) get a forecast.

A series with no more than twice the horizon of history cannot be backtested, and the global
models' lags and rolling means barely reach it; it used to be left out and only named. But a
shop launches items every week, and a planner has to order stock for them first.

``young_forecasts``: the young series' own level, shaped by what the models forecast for their
peers. The level is the mean of its observed periods (those off promotion when it had at least
``MIN_CLEAN`` of them: launch deals inflate it); the peers are the forecast series of the same
category in the same store (else the same store, else every series), and their forecast over
the horizon divided by its mean is the shape (weekdays, festivals). The spread is the young
series' own: a negative binomial count with the period's expected units as mean, its variance
the Poisson part, the overdispersion its own periods show and the uncertainty of a level
measured over a few periods. (The peers' relative spread does not carry over: a slow seller's
95 % quantile is many times its median, a new best seller's is not.)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from promocast.forecasting.metrics import quantile_column

MIN_CLEAN = 3
MIN_PEER_UNITS = 20.0
"""Units a period the peers of a group must forecast together for their shape to be used: a
category whose only peer in the store sells one a day has a shape of noise (a new item's
what-if baseline came out 60 % above its level from such a peer); the store's, then the
shop's, is used instead."""
"""Periods off promotion a young series needs before its level leaves its promoted periods out."""
PROMO_FLAGS = ("promo", "on_promo")


def _own_stats(history: pd.DataFrame) -> pd.DataFrame:
    """Per young series (unique_id index): ``level`` (mean units of its chosen periods: off
    promotion when it has at least ``MIN_CLEAN`` of them), their ``variance`` and count ``n``;
    series with no observed row are left out."""
    rows = history[history["y"].notna()]
    if "observed" in rows:
        rows = rows[rows["observed"] > 0]
    flags = [c for c in PROMO_FLAGS if c in rows]
    promoted = (rows[flags].fillna(0).to_numpy(float) > 0).any(axis=1) if flags else np.zeros(
        len(rows), dtype=bool)
    clean = rows.loc[~promoted]
    enough = clean.groupby("unique_id")["y"].size()
    enough = enough[enough >= MIN_CLEAN].index
    chosen = pd.concat([clean[clean["unique_id"].isin(enough)],
                        rows[~rows["unique_id"].isin(enough)]])
    stats_ = chosen.groupby("unique_id")["y"].agg(level="mean", variance="var", n="size")
    return stats_.fillna({"variance": 0.0})


def young_level(history: pd.DataFrame) -> pd.Series:
    """Mean units per period of each series' observed rows (off promotion when it has at least
    ``MIN_CLEAN`` such rows), indexed by unique_id; series with no observed row are left out."""
    return _own_stats(history)["level"]


def _peer_shape(predicted: pd.DataFrame, keys: list[str], point: str,
                min_units: float = 0.0) -> pd.DataFrame:
    """Per group of ``keys`` and period: the peers' mean ``point`` forecast divided by its
    mean over the horizon (NaN where that is 0). Groups whose peers together forecast fewer
    than ``min_units`` a period are left out (their shape is mostly noise)."""
    group = predicted.groupby([*keys, "ds"], observed=True)[point]
    mean, total = group.mean(), group.sum()
    by_group = list(range(len(keys)))
    scale = mean.groupby(level=by_group).transform("mean")
    enough = total.groupby(level=by_group).transform("mean") >= min_units
    shape = (mean / scale.where(scale > 0))[enough]
    return shape.rename("shape").reset_index()


def count_quantiles(mean: np.ndarray, variance: np.ndarray, q: float) -> np.ndarray:
    """The ``q`` quantile of a count with this mean and variance: Poisson when the variance
    does not exceed the mean, else the negative binomial of that mean and variance."""
    mean = np.nan_to_num(np.asarray(mean, float))
    variance = np.maximum(np.nan_to_num(np.asarray(variance, float)), mean)
    over = variance > mean * (1 + 1e-9)
    out = stats.poisson.ppf(q, mean).astype(float)
    if over.any():
        m, v = mean[over], variance[over]
        out[over] = stats.nbinom.ppf(q, m * m / (v - m), m / v)
    return out


def young_forecasts(history: pd.DataFrame, grid: pd.DataFrame, predicted: pd.DataFrame,
                    models: Sequence[str], quantiles: Sequence[float]) -> pd.DataFrame:
    """Rows shaped like ``predicted`` (unique_id, ds, item_id, store_id, one median column per
    model and its quantile columns) for the young series.

    ``history``: the young series' rows (unique_id, ds, y [, observed, promo flags]);
    ``grid``: their horizon (unique_id, ds, store_id [, category]); ``predicted``: the
    forecasts of the other series with store_id [, category]. Series with no observed row,
    or no peer with a forecast, are left out."""
    own = _own_stats(history)
    grid = grid[grid["unique_id"].isin(own.index)].copy()
    if grid.empty or predicted.empty:
        return pd.DataFrame(columns=predicted.columns)
    if "category" not in grid or "category" not in predicted:
        grid["category"], predicted = "all", predicted.assign(category="all")
    grid["category"] = grid["category"].astype(str)
    predicted = predicted.assign(category=predicted["category"].astype(str), every="all")
    grid["every"] = "all"
    grid = grid.reset_index(drop=True)
    level = grid["unique_id"].map(own["level"]).to_numpy(float)
    spread = grid["unique_id"].map(own["variance"]).to_numpy(float)
    n = grid["unique_id"].map(own["n"]).to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        # relative variance beyond Poisson (overdispersion) plus that of the level's estimate
        extra = (np.maximum(spread - level, 0.0) + spread / n) / level**2
    extra = np.nan_to_num(extra)
    out = grid[["unique_id", "ds", "item_id", "store_id"]].copy()
    for model in models:
        if model not in predicted:
            continue
        shape = np.full(len(grid), np.nan)
        for keys in (["category", "store_id"], ["store_id"], ["every"]):
            missing = np.isnan(shape)
            if not missing.any():
                break
            floor = 0.0 if keys == ["every"] else MIN_PEER_UNITS
            found = grid.loc[missing, [*keys, "ds"]].merge(
                _peer_shape(predicted, keys, model, floor), on=[*keys, "ds"], how="left")
            shape[missing] = found["shape"].to_numpy()
        mean = level * shape
        variance = mean + mean**2 * extra
        out[model] = mean
        for q in quantiles:
            column = quantile_column(model, q)
            if column in predicted:
                out[column] = mean if q == 0.5 else count_quantiles(mean, variance, q)
        qcols = [quantile_column(model, q) for q in sorted(quantiles)
                 if quantile_column(model, q) in out]
        if qcols:  # never crossing, the median column included
            out[qcols] = np.maximum.accumulate(np.nan_to_num(out[qcols].to_numpy(float)),
                                               axis=1)
            out.loc[np.isnan(mean), qcols] = np.nan
    point = [m for m in models if m in out]
    return out.dropna(subset=point, how="all") if point else out.iloc[0:0]
