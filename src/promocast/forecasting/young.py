"""Forecasts of series too young for the models: new items (a launch weeks ago) get a forecast.

A series with no more than twice the horizon of history cannot be backtested, and the global
models' lags and rolling means barely reach it; it used to be left out and only named. But a
shop launches items every week, and a planner has to order stock for them first.

``young_forecasts``: the young series' own level, shaped by what the models forecast for their
peers. The level is the mean of its observed periods (those off promotion when it had at least
``MIN_CLEAN`` of them: launch deals inflate it); the peers are the forecast series of the same
category in the same store (else the same store, else every series). Each model's median and
quantiles over the horizon are the peers' mean quantile for the period divided by the peers'
mean median over the horizon, times the young level: the weekday and festival shape and the
relative spread of comparable items. A young series knows its level less well than an old one
does, so its quantiles are never narrower than a Poisson count of the same mean.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from promocast.forecasting.metrics import quantile_column

MIN_CLEAN = 3
"""Periods off promotion a young series needs before its level leaves its promoted periods out."""
PROMO_FLAGS = ("promo", "on_promo")


def young_level(history: pd.DataFrame) -> pd.Series:
    """Mean units per period of each series' observed rows (off promotion when it has at least
    ``MIN_CLEAN`` such rows), indexed by unique_id; series with no observed row are left out."""
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
    return chosen.groupby("unique_id")["y"].mean()


def _peer_profile(predicted: pd.DataFrame, keys: list[str], columns: list[str],
                  point: str) -> pd.DataFrame:
    """Per group of ``keys`` and period: the peers' mean of ``columns`` divided by their mean
    ``point`` forecast over the horizon (NaN where that is 0)."""
    mean = predicted.groupby([*keys, "ds"], observed=True)[columns].mean()
    scale = mean[point].groupby(level=list(range(len(keys)))).transform("mean")
    return mean.div(scale.where(scale > 0), axis=0).reset_index()


def young_forecasts(history: pd.DataFrame, grid: pd.DataFrame, predicted: pd.DataFrame,
                    models: Sequence[str], quantiles: Sequence[float]) -> pd.DataFrame:
    """Rows shaped like ``predicted`` (unique_id, ds, item_id, store_id, one median column per
    model and its quantile columns) for the young series.

    ``history``: the young series' rows (unique_id, ds, y [, observed, promo flags]);
    ``grid``: their horizon (unique_id, ds, store_id [, category]); ``predicted``: the
    forecasts of the other series with store_id [, category]. Series with no observed row,
    or no peer with a forecast, are left out."""
    level = young_level(history)
    grid = grid[grid["unique_id"].isin(level.index)].copy()
    if grid.empty or predicted.empty:
        return pd.DataFrame(columns=predicted.columns)
    if "category" not in grid or "category" not in predicted:
        grid["category"], predicted = "all", predicted.assign(category="all")
    grid["category"] = grid["category"].astype(str)
    predicted = predicted.assign(category=predicted["category"].astype(str), every="all")
    grid["every"] = "all"
    grid["level"] = grid["unique_id"].map(level).to_numpy(float)
    out = grid[["unique_id", "ds", "item_id", "store_id"]].reset_index(drop=True)
    for model in models:
        if model not in predicted:
            continue
        qcols = [quantile_column(model, q) for q in quantiles
                 if quantile_column(model, q) in predicted]
        columns = [model, *qcols]
        shape = pd.DataFrame(np.nan, index=out.index, columns=columns)
        for keys in (["category", "store_id"], ["store_id"], ["every"]):
            missing = shape[model].isna().to_numpy()
            if not missing.any():
                break
            profile = _peer_profile(predicted, keys, columns, model)
            found = grid.reset_index(drop=True).loc[missing, [*keys, "ds"]].merge(
                profile, on=[*keys, "ds"], how="left")
            shape.loc[missing, columns] = found[columns].to_numpy()
        values = shape.to_numpy() * grid["level"].to_numpy()[:, None]
        mean = values[:, 0]
        for j, q in enumerate([q for q in quantiles if quantile_column(model, q) in predicted]):
            poisson = stats.poisson.ppf(q, np.nan_to_num(mean))
            col = values[:, j + 1]
            values[:, j + 1] = (np.fmin(col, poisson) if q < 0.5 else
                                np.fmax(col, poisson) if q > 0.5 else col)
        out[columns] = np.clip(values, 0, None)
    point = [m for m in models if m in out]
    return out.dropna(subset=point, how="all") if point else out.iloc[0:0]
