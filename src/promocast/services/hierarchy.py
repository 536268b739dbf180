"""Hierarchical forecasts in the forecast use case (levels and reconciliation options, the
coherent frame for the output file, the long rows the store keeps) and the accuracy of every
level before and after reconciliation over a rolling-origin backtest."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from promocast.exceptions import UsageError
from promocast.forecasting.engine import DEFAULT_QUANTILES, ForecastSpec, quantile_column
from promocast.forecasting.hierarchy import (
    DEFAULT_RECONCILER,
    RECONCILERS,
    REQUESTABLE,
    aggregate_frame,
    check_method,
    forecast_hierarchy,
    parse_levels,
)
from promocast.forecasting.panel import future_grid, split_at

__all__ = ["DEFAULT_RECONCILER", "RECONCILERS", "REQUESTABLE", "LevelForecast", "forecast_levels",
           "parse_level_option", "run_level_backtest"]

Progress = Callable[[str], None]


def parse_level_option(levels: str | list[str], reconcile: str = DEFAULT_RECONCILER,
                       point: str = "median") -> list[str]:
    """``--levels``, ``--reconcile`` and ``--point`` checked together; bad values are usage
    errors (exit 2)."""
    try:
        check_method(reconcile, point=point)
        return parse_levels(levels)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


@dataclass
class LevelForecast:
    """What ``run_forecast`` keeps of a hierarchical forecast."""

    frame: pd.DataFrame
    """level, unique_id, item_id, store_id, category, ds, per model the point and quantiles."""
    long: pd.DataFrame
    """The store's forecasts rows: the level stays readable in unique_id ("store=S1")."""
    summary: dict


def forecast_levels(train: pd.DataFrame, future: pd.DataFrame, spec: ForecastSpec,
                    levels: list[str], *, reconcile: str = DEFAULT_RECONCILER,
                    point: str = "median", progress: Progress | None = None) -> LevelForecast:
    """Forecast and reconcile every level; a level or method the data cannot serve is a usage
    error with the reason."""
    levels = parse_level_option(levels, reconcile, point)
    try:
        result = forecast_hierarchy(train, future, spec, levels, method=reconcile,
                                    point=point, progress=progress)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    frame = result.forecasts
    models = [m for m in spec.models if m in frame]
    long = pd.concat([
        pd.DataFrame({"unique_id": frame["unique_id"], "item_id": frame["item_id"],
                      "store_id": frame["store_id"], "ds": frame["ds"], "model": m,
                      "quantile": q, "value": frame[quantile_column(m, q)]})
        for m in models for q in spec.quantiles if quantile_column(m, q) in frame],
        ignore_index=True)
    counts = frame.drop_duplicates("unique_id")["level"].value_counts()
    summary = {"levels": {level: int(counts.get(level, 0)) for level in result.hierarchy.shown},
               "reconcile": reconcile, "point": point, "fit_seconds": result.seconds["fit"],
               "reconcile_seconds": result.seconds["reconcile"],
               "series_left_out": len(result.left_out), "fallback_series": result.fallback,
               "series": int(result.hierarchy.n_bottom)}
    return LevelForecast(frame, long, summary)


def run_level_backtest(db: Path, *, horizon: int, levels: list[str] | str, models: list[str],
                       reconcile: str = DEFAULT_RECONCILER, folds: int = 2,
                       step: int | None = None, gap: int = 0,
                       quantiles: tuple[float, ...] = DEFAULT_QUANTILES, country: str = "CN",
                       progress: Progress | None = None) -> tuple[dict, pd.DataFrame]:
    """WAPE (%) of every level and model, base forecasts against reconciled ones, over rolling
    origins (the origins of ``backtest``: ``folds`` origins ``step`` apart, the last one
    ``horizon`` before the end; steps ``gap + 1 .. horizon`` scored).

    A bottom row is scored where it was observed; an upper node where any of its bottom rows
    was (its actual then includes the panel's placeholders for the unobserved ones). Returns
    the document ``{"levels": {level: {model: {"base": wape, "reconciled": wape}}}, ...}`` and
    the scored points (level, unique_id, cutoff, ds, actual, ``<model>`` and
    ``<model>-base``)."""
    from promocast.services.forecasting import load_panel, rolling_cutoffs

    levels = parse_level_option(levels, reconcile)
    if gap >= horizon:
        raise UsageError(f"--gap {gap} leaves nothing to score with --horizon {horizon}")
    started = time.perf_counter()
    panel = load_panel(db, country=country, progress=progress)
    cutoffs = rolling_cutoffs(panel, horizon, folds, step or horizon)
    base_models = [m for m in models if m != "ensemble"]
    spec = ForecastSpec(freq=panel.freq, horizon=horizon, models=base_models,
                        season_length=panel.season_length, quantiles=quantiles,
                        known=panel.known, static=panel.static)
    frames = []
    reconcile_seconds = 0.0
    for k, cutoff in enumerate(cutoffs, start=1):
        if progress:
            progress(f"levels backtest fold {k}/{len(cutoffs)} (cutoff {cutoff.date()})")
        train, after = split_at(panel.frame, cutoff)
        train = train[train.groupby("unique_id")["ds"].transform("size") > 2 * horizon]
        future = future_grid(train, panel.freq, horizon).merge(after, on=["unique_id", "ds"],
                                                              how="left")
        last = train.groupby("unique_id").tail(1).set_index("unique_id")
        for col in ("item_id", "store_id", "category", *spec.known):
            carried = last[col].reindex(future["unique_id"]).reset_index(drop=True)
            future[col] = future[col].fillna(carried)
        try:
            result = forecast_hierarchy(train, future, spec, levels, method=reconcile)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        reconcile_seconds += result.seconds["reconcile"]
        hierarchy = result.hierarchy
        window = after[after["unique_id"].isin(hierarchy.members.index)
                       & after["ds"].isin(future["ds"])]
        actual = aggregate_frame(window, hierarchy, sums=["y"], means=["observed"])
        actual = actual[actual["observed"] > 0].rename(columns={"y": "actual"})
        actual = actual[["unique_id", "ds", "actual"]]
        base = result.base.set_index(["unique_id", "ds"])[base_models]
        scored = result.forecasts[["level", "unique_id", "ds", *base_models]].join(
            base.add_suffix("-base"), on=["unique_id", "ds"]).merge(actual, on=["unique_id", "ds"])
        offset = pd.tseries.frequencies.to_offset(panel.freq)
        steps = {cutoff + n * offset: n for n in range(1, horizon + 1)}
        scored = scored[scored["ds"].map(steps) > gap]
        scored.insert(2, "cutoff", cutoff)
        frames.append(scored)
    points = pd.concat(frames, ignore_index=True)
    document = {"horizon": horizon, "gap": gap, "folds": len(cutoffs),
                "cutoffs": [str(c.date()) for c in cutoffs], "reconcile": reconcile,
                "reconcile_seconds": round(reconcile_seconds, 3),
                "seconds": round(time.perf_counter() - started, 1), "levels": {}}
    for level, rows in points.groupby("level", sort=False):
        document["levels"][level] = {m: {"base": _wape(rows["actual"], rows[f"{m}-base"]),
                                         "reconciled": _wape(rows["actual"], rows[m])}
                                     for m in base_models}
    return document, points


def _wape(actual: pd.Series, forecast: pd.Series) -> float | None:
    """Sum of absolute errors over the sum of actuals, in percent (None without actuals)."""
    total = float(np.abs(actual).sum())
    if total <= 0:
        return None
    return round(100 * float(np.abs(actual - forecast).sum()) / total, 3)
