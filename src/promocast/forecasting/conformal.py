"""Quantiles of global-model forecasts from hold-out residuals pooled over series (split
conformal prediction in log1p units), and the MAPE-optimal point under the same residuals."""

from __future__ import annotations

import numpy as np
import pandas as pd

MIN_POOL = 30
"""Fewest residuals a pool (a step, a forecast-size bin) needs before it is used on its own."""


def mape_shift(r: np.ndarray) -> float:
    """The log shift c minimising mean |exp(c - r) - 1|: the MAPE-optimal forecast
    ``exp(log point + c)`` when log errors are distributed as the residuals ``r``."""
    grid = np.quantile(r, np.linspace(0.02, 0.98, 49))
    losses = np.abs(np.exp(grid[:, None] - r[None, :]) - 1.0).mean(axis=1)
    return float(grid[int(np.argmin(losses))])


def conformal_quantiles(points: pd.DataFrame, residuals: pd.DataFrame, model: str,
                         quantiles: tuple[float, ...], point: str = "median",
                         ) -> tuple[np.ndarray, np.ndarray]:
    """Quantiles of each forecast from hold-out residuals pooled over all series.

    Residuals are taken in log1p units (scale-free across slow and fast series) and pooled by
    forecast step and by the size of the forecast (quartile bins), where each pool holds
    enough residuals; quantile q of y is then ``expm1(log1p(point) + r_q)``, the point itself
    being the median (the model's forecast, or the LightGBM MAPE loss's). Pooling across
    series is what makes one or two hold-out windows enough (mlforecast's per-series conformal
    intervals need many windows to cover)."""
    log_point = np.log1p(points[model].to_numpy(dtype=float))
    out = np.repeat(log_point[:, None], len(quantiles), axis=1)
    best = log_point.copy()
    res = residuals.dropna(subset=[model])
    if res.empty:
        return np.expm1(out), np.expm1(best)
    r_log_pred = np.log1p(res[model].to_numpy(dtype=float))
    r = np.log1p(res["y"].to_numpy(dtype=float)) - r_log_pred
    r_step = res["step"].to_numpy()
    qs = np.asarray(quantiles)
    step = points.groupby("unique_id").cumcount().to_numpy() + 1
    edges = np.quantile(r_log_pred, [0.25, 0.5, 0.75]) if len(r) >= 4 * MIN_POOL else np.array([])
    bins_r = np.searchsorted(edges, r_log_pred)
    bins_p = np.searchsorted(edges, log_point)
    for s in np.unique(step):
        in_step = r_step == s
        if in_step.sum() < MIN_POOL:
            in_step = np.ones_like(in_step)
        for b in np.unique(bins_p):
            pool = in_step & (bins_r == b)
            if pool.sum() < MIN_POOL:
                pool = in_step
            rows = (step == s) & (bins_p == b)
            n = pool.sum()
            # finite-sample conformal levels, as split conformal prediction uses
            levels = np.clip(np.where(qs >= 0.5, np.ceil((n + 1) * qs) / n, np.floor((n + 1) * qs) / n),
                             0, 1)
            offsets = np.quantile(r[pool], levels)
            if point == "median":
                offsets[qs == 0.5] = 0.0  # the model's own forecast is the median
            out[rows] = log_point[rows, None] + offsets[None, :]
            if point == "mape":
                best[rows] = log_point[rows] + mape_shift(r[pool])
    return np.expm1(np.clip(out, None, 50)), np.clip(np.expm1(np.clip(best, None, 50)), 0, None)
