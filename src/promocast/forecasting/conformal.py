"""Quantiles of global-model forecasts from hold-out residuals pooled over series (split
conformal prediction in log1p units), and the MAPE-optimal point under the same residuals."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from promocast.forecasting.metrics import quantile_column

if TYPE_CHECKING:
    from promocast.forecasting.spec import ForecastSpec

MIN_POOL = 30
"""Fewest residuals a pool (a step, a forecast-size bin) needs before it is used on its own."""


def mape_shift(r: np.ndarray) -> float:
    """The log shift c minimising mean |exp(c - r) - 1|: the MAPE-optimal forecast
    ``exp(log point + c)`` when log errors are distributed as the residuals ``r``."""
    grid = np.quantile(r, np.linspace(0.02, 0.98, 49))
    losses = np.abs(np.exp(grid[:, None] - r[None, :]) - 1.0).mean(axis=1)
    return float(grid[int(np.argmin(losses))])


def mape_factor(forecast: np.ndarray, actual: np.ndarray) -> float:
    """The factor c minimising the hold-out MAPE of ``c x forecast``: sum |c f - y| / y over
    the actuals y > 0 is sum (f / y) |c - y / f|, least at the median of y / f weighted by
    f / y. 1 without ``MIN_POOL`` usable pairs; clipped to [0.5, 2].

    LightGBM's MAPE loss starts from the labels' weighted median and takes a hundred small
    steps: its forecasts stop short of the level that loss wants (Dominick's OJ: 0.95 x them
    scores 33.7 % instead of 34.15 %), and by how much changes with the data."""
    forecast = np.asarray(forecast, dtype=float)
    actual = np.asarray(actual, dtype=float)
    keep = (actual > 0) & (forecast > 0) & np.isfinite(forecast)
    if keep.sum() < MIN_POOL:
        return 1.0
    ratio = actual[keep] / forecast[keep]
    order = np.argsort(ratio)
    weight = np.cumsum(1.0 / ratio[order])
    factor = float(ratio[order][np.searchsorted(weight, 0.5 * weight[-1])])
    return float(np.clip(factor, 0.5, 2.0))


def hold_out_mape_factor(residuals: pd.DataFrame, model: str, gap: int = 0) -> float:
    """``mape_factor`` of the hold-out forecasts of ``model`` (``residuals``: step, y and the
    forecast per model), on the steps after ``gap`` (those a backtest scores) when they are
    enough, else on all steps."""
    res = residuals.dropna(subset=[model])
    scored = res[res["step"] > gap]
    if len(scored) >= MIN_POOL:
        res = scored
    return mape_factor(res[model].to_numpy(dtype=float), res["y"].to_numpy(dtype=float))


def conformal_quantiles(points: pd.DataFrame, residuals: pd.DataFrame, model: str,
                         quantiles: tuple[float, ...], point: str = "median",
                         ) -> tuple[np.ndarray, np.ndarray]:
    """Quantiles of each forecast from hold-out residuals pooled over all series.

    Residuals are taken in log1p units (scale-free across slow and fast series) and pooled by
    forecast step and by the size of the forecast (quartile bins), where each pool holds
    enough residuals (else by size alone, else by step alone); quantile q of y is then ``expm1(log1p(point) + r_q)``, the point itself
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
                # the size of the forecast tells the spread of log errors more than the step
                # does (a slow seller's 0-vs-2 units is a wide log error): other steps of the
                # same size before other sizes of the same step (a small shop's 15 Poisson(80)
                # items took the slow ones' spread: a 95 % quantile 3 x the median)
                pool = bins_r == b
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


def spread_scale(actual: np.ndarray, median: np.ndarray, bound: np.ndarray, q: float) -> float:
    """The factor s for which ``median + s (bound - median)`` is exceeded by the actuals a
    share ``1 - q`` of the time: the fix of a quantile that is right in shape but too wide or
    too narrow (an ensemble's averaged quantiles are too wide: averaging cuts the error of
    the median, not the members' spreads). Rows whose bound sits on the median carry no
    information about the spread and are left out."""
    d = bound - median
    upper = q > 0.5
    keep = np.isfinite(actual) & np.isfinite(d) & ((d > 1e-12) if upper else (d < -1e-12))
    if keep.sum() < MIN_POOL:
        return 1.0
    # actual <= median + s d  <=>  r <= s above the median (d > 0), r >= s below it (d < 0)
    r = (actual[keep] - median[keep]) / d[keep]
    scale = float(np.quantile(r, q if upper else 1.0 - q))
    return float(np.clip(scale, 0.1, 10.0))


def calibrate_spread(frame: pd.DataFrame, name: str, quantiles: tuple[float, ...]
                     ) -> pd.DataFrame:
    """Rescale ``name``'s quantiles around its median, fold by fold of a backtest (``cutoff``,
    ``actual``), each fold by factors learnt on the *other* folds (cross-fitting: no fold is
    calibrated on its own actuals). With one fold nothing is rescaled."""
    cutoffs = frame["cutoff"].unique() if "cutoff" in frame else []
    if len(cutoffs) < 2 or "actual" not in frame:
        return frame
    out = frame.copy()
    centre = quantile_column(name, 0.5)
    median = frame[centre if centre in frame else name].to_numpy(dtype=float)
    actual = frame["actual"].to_numpy(dtype=float)
    fold = frame["cutoff"].to_numpy()
    for q in quantiles:
        if abs(q - 0.5) < 1e-9:
            continue
        col = quantile_column(name, q)
        bound = frame[col].to_numpy(dtype=float)
        fixed = bound.copy()
        for c in cutoffs:
            inside = fold == c
            s = spread_scale(actual[~inside], median[~inside], bound[~inside], q)
            fixed[inside] = median[inside] + s * (bound[inside] - median[inside])
        out[col] = np.maximum(fixed, 0.0)
    return out


def calibration_groups(ids: np.ndarray, spec: ForecastSpec) -> list[np.ndarray | None]:
    """The series each hold-out window refits (``None``: all of them), one entry per window.

    Without ``ml_calibration_split`` every window refits the same series: all of them, or a
    seeded sample of ``ml_calibration_series`` when there are more. With it the (sampled)
    series are dealt into one disjoint group per window: W windows then cost one refit of the
    series, and the pooled residuals come from W different moments instead of one (errors
    drift over time: a single window under-covers, 74 % for the 80 % interval on
    Dominick's OJ)."""
    windows = spec.ml_calibration_windows
    if windows < 1:
        return []
    rng = np.random.default_rng(spec.seed)
    chosen = np.sort(ids)
    sampled = len(chosen) > spec.ml_calibration_series
    if sampled:
        chosen = rng.choice(chosen, spec.ml_calibration_series, replace=False)
    if not spec.ml_calibration_split or windows == 1 or len(chosen) < 2 * windows:
        return [chosen if sampled else None] * windows
    return [np.sort(part) for part in np.array_split(rng.permutation(chosen), windows)]
