"""Forecast reconciliation: coherent point forecasts and quantiles of a hierarchy's series from
base forecasts, through hierarchicalforecast's ``HierarchicalReconciliation``.

Methods: ``bottom_up``, ``wls_struct`` (MinT with structural weights, the default: it needs only
the structure), ``ols`` and ``mint_shrink`` (MinT with the Schäfer-Strimmer shrunk covariance of
base errors, which the caller computes on a holdout). Quantiles: hierarchicalforecast's
``normality`` method gives every node's reconciled standard deviation; each node keeps its own
base shape (see ``reconcile``). ``bootstrap`` and ``permbu`` use the library's quantiles.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from hierarchicalforecast.core import HierarchicalReconciliation
from hierarchicalforecast.methods import BottomUp, MinTrace
from scipy.stats import norm

from promocast.forecasting.engine import quantile_column

if TYPE_CHECKING:
    from promocast.forecasting.hierarchy import Hierarchy

RECONCILERS = ("bottom_up", "wls_struct", "ols", "mint_shrink")
INTERVAL_METHODS = ("normality", "bootstrap", "permbu")
POINTS = ("median", "mean")
DEFAULT_RECONCILER = "wls_struct"


def check_method(method: str, intervals: str = "normality", point: str = "median") -> None:
    """Refuse an unknown reconciliation method, interval method or point with the known ones."""
    if method not in RECONCILERS:
        raise ValueError(f"unknown reconciliation method {method!r}: choose from "
                         f"{', '.join(RECONCILERS)}")
    if intervals not in INTERVAL_METHODS:
        raise ValueError(f"unknown interval method {intervals!r}: choose from "
                         f"{', '.join(INTERVAL_METHODS)}")
    if point not in POINTS:
        raise ValueError(f"unknown --point {point!r}: choose from {', '.join(POINTS)}")


def _interval_name(model: str, q: float) -> tuple[int, str]:
    level = int(round(100 * abs(2 * q - 1)))
    return level, f"{model}-{'lo' if q < 0.5 else 'hi'}-{level}"


def mean_from_quantiles(frame: pd.DataFrame, model: str, quantiles: Sequence[float]) -> np.ndarray:
    """Each row's mean from its quantiles: the integral of the quantile function, linear
    between the given levels and flat beyond the outermost ones (so a long right tail past
    the highest quantile is not counted: a slight underestimate)."""
    levels = np.array(sorted(quantiles), dtype=float)
    if len(levels) < 2:
        return frame[model].to_numpy(dtype=float)
    weights = np.zeros(len(levels))
    weights[0] += levels[0]
    weights[-1] += 1 - levels[-1]
    gaps = np.diff(levels) / 2
    weights[:-1] += gaps
    weights[1:] += gaps
    values = np.column_stack([frame[quantile_column(model, q)].to_numpy(dtype=float)
                              for q in levels])
    return values @ weights


def _spread(frame: pd.DataFrame, model: str, levels: set[int]) -> np.ndarray:
    """Standard deviation implied by a model's central intervals, averaged over levels (as
    hierarchicalforecast estimates it)."""
    sigmas = [(frame[f"{model}-hi-{lv}"].to_numpy(dtype=float)
               - frame[f"{model}-lo-{lv}"].to_numpy(dtype=float)) / (2 * norm.ppf(0.5 + lv / 200))
              for lv in sorted(levels)]
    return np.maximum(np.mean(sigmas, axis=0), 0)


def _reconciler(method: str):
    if method == "bottom_up":
        return BottomUp()
    return MinTrace(method=method)


def reconcile(base: pd.DataFrame, hierarchy: Hierarchy, models: Sequence[str],
              quantiles: Sequence[float], *, method: str = DEFAULT_RECONCILER,
              errors: pd.DataFrame | None = None, intervals: str = "normality",
              point: str = "median") -> pd.DataFrame:
    """Coherent forecasts of every series of the hierarchy from base forecasts.

    ``base`` has unique_id, ds and, per model, the point column and ``<model>-q<q>`` columns
    for every series of ``hierarchy``; ``errors`` (unique_id, ds, y and the models' forecasts
    over past windows) is needed by ``mint_shrink`` and by the bootstrap / permbu intervals.
    Returns unique_id, ds and, per model, the reconciled point forecast and its quantiles.

    ``point="median"`` reconciles the base medians (the ``<model>`` column, which stays the
    median). ``point="mean"`` reconciles each series' mean, estimated from its quantiles:
    means add up where medians of skewed, low-count series do not (their sum falls short of
    the total); ``<model>`` is then the coherent mean and ``<model>-q0.5`` the median.
    """
    check_method(method, intervals, point)
    quantiles = sorted(quantiles)
    ids = pd.Index(hierarchy.S.row_labels)
    missing = ids.difference(pd.Index(base["unique_id"].unique()))
    if len(missing):
        raise ValueError(f"no base forecasts for {len(missing)} series of the hierarchy, e.g. "
                         f"{missing[0]!r}")
    base = base[base["unique_id"].isin(ids)]
    base = base.assign(_order=ids.get_indexer(base["unique_id"])).sort_values(["_order", "ds"])
    horizon = len(base) // len(ids)
    frame = base[["unique_id", "ds"]].reset_index(drop=True)
    levels: set[int] = set()
    for model in models:
        values = base[model].to_numpy(dtype=float)
        if np.isnan(values).any():
            bad = base.loc[np.isnan(values), "unique_id"].iloc[0]
            raise ValueError(f"model {model} has no forecast for series {bad!r}")
        frame[f"{model}-median"] = values  # kept aside: hierarchicalforecast skips "-median"
        frame[model] = mean_from_quantiles(base, model, quantiles) if point == "mean" else values
        for q in quantiles:
            if q == 0.5:
                continue
            level, name = _interval_name(model, q)
            frame[name] = base[quantile_column(model, q)].to_numpy(dtype=float)
            levels.add(level)
        for level in levels:  # an unpaired quantile: mirror it around the point forecast
            lo, hi = f"{model}-lo-{level}", f"{model}-hi-{level}"
            if lo not in frame:
                frame[lo] = 2 * frame[model] - frame[hi]
            if hi not in frame:
                frame[hi] = 2 * frame[model] - frame[lo]
    if errors is not None:
        grid = pd.MultiIndex.from_product([ids, np.sort(errors["ds"].unique())],
                                          names=["unique_id", "ds"])
        errors = (errors.set_index(["unique_id", "ds"])[["y", *models]].reindex(grid)
                  .reset_index())
    result = frame[["unique_id", "ds"]].copy()
    point_is_median = point == "median"
    S = hierarchy.S.to_csr()
    library_quantiles = intervals != "normality" and bool(levels)
    for model in models:
        # One model at a time: mint_shrink's P depends on the model's own errors.
        cols = ["unique_id", "ds", model,
                *[c for c in frame if c.startswith((f"{model}-lo-", f"{model}-hi-"))]]
        engine = HierarchicalReconciliation([_reconciler(method)])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = engine.reconcile(
                Y_hat_df=frame[cols], tags=hierarchy.tags, S_df=hierarchy.S,
                Y_df=None if errors is None else errors[["unique_id", "ds", "y", model]],
                level=sorted(levels) if library_quantiles else None, intervals_method=intervals)
        out = out.assign(_order=ids.get_indexer(out["unique_id"])).sort_values(["_order", "ds"])
        name = min((c for c in out.columns if c.startswith(f"{model}/")), key=len)
        mean = out[name].to_numpy(dtype=float).reshape(len(ids), horizon)
        bottom = np.clip(mean[-hierarchy.n_bottom:], 0, None)
        point = np.asarray(S @ bottom)  # upper levels summed again: exactly coherent, >= 0
        shift = (point - mean).ravel()
        point = point.ravel()
        if levels and not library_quantiles:
            # hierarchicalforecast's normality spread, each node keeping its own base shape:
            # base quantiles' distances from the base median scaled by reconciled / base
            # standard deviation (the normal quantiles when the base is symmetric).
            fitted = engine.reconcilers[0]
            base_spread = _spread(frame, model, levels)
            reconciled = normality_spread(S, fitted.P, fitted.W,
                                          base_spread.reshape(len(ids), horizon)).ravel()
            ratio = np.divide(reconciled, base_spread, out=np.ones_like(base_spread),
                              where=base_spread > 1e-9)
        columns = []
        for q in quantiles:
            if q == 0.5 and point_is_median:
                values = point
            elif library_quantiles and q != 0.5:
                values = out[_interval_name(name, q)[1]].to_numpy(dtype=float) + shift
            else:  # the base quantile's distance from the base point, rescaled
                source = frame[f"{model}-median"] if q == 0.5 else base[quantile_column(model, q)]
                distance = source.to_numpy(dtype=float) - frame[model].to_numpy(dtype=float)
                values = point + distance * (1.0 if library_quantiles else ratio)
            if not point_is_median:
                values = np.clip(values, 0, None)
            elif q != 0.5:
                values = np.clip(values, 0, point) if q < 0.5 else np.maximum(values, point)
            columns.append(values)
        if columns:
            values = np.sort(np.column_stack(columns), axis=1)
            for q, col in zip(quantiles, values.T, strict=True):
                result[quantile_column(model, q)] = col
        result[model] = point
    return result


def normality_spread(S, P: np.ndarray, W: np.ndarray | None, sigma: np.ndarray) -> np.ndarray:
    """Reconciled standard deviations (n_series, horizon) of hierarchicalforecast's
    ``Normality`` (diagonal covariance type): diag(S P D R D P' S') with D = diag(sigma_h) and
    R the correlation of W, computed without the full n x n covariance of every step when R is
    the identity (bottom_up, ols, wls_struct): then it is (SP)^2 sigma_h^2."""
    A = np.asarray(S @ P)
    if W is None:  # bottom_up fitted for point forecasts only: its W is the identity
        W = np.eye(A.shape[0])
    W = W.toarray() if hasattr(W, "toarray") else np.asarray(W)
    diag = np.diagonal(W)
    if np.count_nonzero(W - np.diag(diag)) == 0:
        return np.sqrt(np.maximum((A * A) @ (sigma * sigma), 0))
    std = np.sqrt(diag)
    R = W / np.outer(std, std)
    out = np.empty_like(sigma)
    for h in range(sigma.shape[1]):
        B = A * sigma[:, h]
        out[:, h] = np.sqrt(np.maximum(np.einsum("ij,ij->i", B @ R, B), 0))
    return out
