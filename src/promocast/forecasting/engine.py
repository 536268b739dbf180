"""Fit the zoo on a panel and forecast quantiles; backtest over rolling origins.

Statistical models run through one ``StatsForecast`` (one fit per series), machine-learning
models through one ``MLForecast`` (one global fit with lags, prices, promotions and calendar
inputs, taken as known over the horizon). Quantiles come from each model's own intervals or,
where it has none, from conformal calibration (statsforecast ``ConformalIntervals``, mlforecast
``PredictionIntervals``). Forecasts are never negative and quantiles never cross.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from mlforecast import MLForecast
from mlforecast.lag_transforms import RollingMean
from mlforecast.target_transforms import GlobalSklearnTransformer
from mlforecast.utils import PredictionIntervals
from sklearn.preprocessing import FunctionTransformer
from statsforecast import StatsForecast
from statsforecast.utils import ConformalIntervals

from promocast.forecasting.panel import future_grid, split_at
from promocast.forecasting.zoo import (
    ML_MODELS,
    NO_INTERVALS,
    STAT_MODELS,
    ZooConfig,
    ml_model,
    stat_model,
)

DEFAULT_QUANTILES = (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95)
Progress = Callable[[str], None]


def quantile_column(model: str, q: float) -> str:
    """``lgbm-q0.1``: the column of model ``lgbm``'s 10 % quantile (DESIGN §3)."""
    return f"{model}-q{q:g}"


def _levels(quantiles: tuple[float, ...]) -> list[int]:
    return sorted({int(round(100 * abs(2 * q - 1))) for q in quantiles if q != 0.5})


def _interval_column(model: str, q: float) -> str:
    level = int(round(100 * abs(2 * q - 1)))
    return f"{model}-{'lo' if q < 0.5 else 'hi'}-{level}"


@dataclass
class ForecastSpec:
    """What to fit and how: frequency, horizon, models, quantiles and the panel's inputs.

    ``known`` are dynamic inputs known over the horizon (prices, promotion flags, calendar);
    ``static`` are per-series constants (category, store) used by the global models.
    """

    freq: str
    horizon: int
    models: list[str]
    season_length: int
    quantiles: tuple[float, ...] = DEFAULT_QUANTILES
    known: list[str] = field(default_factory=list)
    static: list[str] = field(default_factory=list)
    seed: int = 0
    num_threads: int = 2
    calibration_windows: int = 2
    lgbm_params: dict | None = None
    target_transform: str = "log1p"
    """Statistical models: ``log1p`` (default: relative errors, suits counts spanning
    magnitudes) or ``none``."""
    ml_target_transform: str = "log1p"
    """Global models: ``log1p`` or ``none`` (e.g. with LightGBM's own MAPE objective)."""

    @property
    def stat_models(self) -> list[str]:
        return [m for m in self.models if m in STAT_MODELS]

    @property
    def ml_models(self) -> list[str]:
        return [m for m in self.models if m in ML_MODELS]


def _lags(spec: ForecastSpec) -> tuple[list[int], dict, list[str]]:
    """Lags, rolling means and date features that suit the frequency (M5 winners' habits
    scaled to the data: weekly and yearly memory for daily data)."""
    if spec.freq == "D":
        return [1, 7, 14, 28], {1: [RollingMean(7), RollingMean(28)], 7: [RollingMean(7)]}, \
            ["dayofweek", "month", "dayofyear"]
    if spec.freq.startswith("W"):
        return [1, 2, 3, 4], {1: [RollingMean(4), RollingMean(12)]}, ["month", "week"]
    return [1, 2, 3, 12], {1: [RollingMean(3), RollingMean(12)]}, ["month"]


INTERMITTENT = ("croston", "tsb", "adida")
"""Models of demand sizes and intervals: they see the raw units, never a log scale."""


def _fit_predict_stats(train: pd.DataFrame, spec: ForecastSpec) -> pd.DataFrame:
    """Statistical models; with ``target_transform="log1p"`` the continuous ones are fitted on
    log1p(units) and their quantiles mapped back (a monotone map keeps them quantiles), which
    tames promotion spikes the way the published ETS / ARIMA baselines on log sales do."""
    cfg = ZooConfig(season_length=spec.season_length, seed=spec.seed)
    groups = {
        True: [m for m in spec.stat_models if m not in INTERMITTENT],
        False: [m for m in spec.stat_models if m in INTERMITTENT],
    }
    parts = []
    for logged, names in groups.items():
        if not names:
            continue
        models = []
        for name in names:
            model = stat_model(name, cfg)
            if name in NO_INTERVALS:
                model.prediction_intervals = ConformalIntervals(h=spec.horizon,
                                                                n_windows=spec.calibration_windows)
            models.append(model)
        data = train[["unique_id", "ds", "y"]]
        use_log = logged and spec.target_transform == "log1p"
        if use_log:
            data = data.assign(y=np.log1p(data["y"].clip(lower=0)))
        sf = StatsForecast(models=models, freq=spec.freq, n_jobs=1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = sf.forecast(df=data, h=spec.horizon, level=_levels(spec.quantiles))
        out = out.reset_index() if "unique_id" not in out.columns else out
        if use_log:
            value_cols = [c for c in out.columns if c not in ("unique_id", "ds")]
            out[value_cols] = np.expm1(out[value_cols].clip(upper=50))
        parts.append(out.set_index(["unique_id", "ds"]))
    return pd.concat(parts, axis=1).reset_index()


def _fit_predict_ml(train: pd.DataFrame, future: pd.DataFrame, spec: ForecastSpec) -> pd.DataFrame:
    cfg = ZooConfig(season_length=spec.season_length, seed=spec.seed,
                    num_threads=spec.num_threads, lgbm_params=spec.lgbm_params)
    lags, transforms, date_features = _lags(spec)
    transforms_y = ([GlobalSklearnTransformer(FunctionTransformer(np.log1p, np.expm1))]
                    if spec.ml_target_transform == "log1p" else None)
    mlf = MLForecast(models={m: ml_model(m, cfg) for m in spec.ml_models}, freq=spec.freq,
                     lags=lags, lag_transforms=transforms, date_features=date_features,
                     target_transforms=transforms_y, num_threads=1)
    cols = ["unique_id", "ds", "y", "weight", *spec.known, *spec.static]
    intervals = PredictionIntervals(n_windows=spec.calibration_windows, h=spec.horizon)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mlf.fit(train[cols], static_features=spec.static, weight_col="weight",
                prediction_intervals=intervals)
        return mlf.predict(h=spec.horizon, X_df=future[["unique_id", "ds", *spec.known]],
                           level=_levels(spec.quantiles))


def _tidy(raw: pd.DataFrame, models: list[str], quantiles: tuple[float, ...]) -> pd.DataFrame:
    """Rename interval columns to quantile columns, clip at 0, and sort each model's quantiles
    so they never cross (the median included)."""
    out = raw[["unique_id", "ds"]].copy()
    for model in models:
        if model not in raw:
            continue
        cols = []
        for q in quantiles:
            name = quantile_column(model, q)
            source = model if q == 0.5 else _interval_column(model, q)
            out[name] = raw[source].to_numpy() if source in raw else raw[model].to_numpy()
            cols.append(name)
        values = np.sort(np.clip(out[cols].to_numpy(dtype=float), 0, None), axis=1)
        out[cols] = values
        out[model] = out[quantile_column(model, 0.5)] if 0.5 in quantiles else np.clip(raw[model], 0, None)
    return out


def fit_predict(train: pd.DataFrame, future: pd.DataFrame, spec: ForecastSpec) -> pd.DataFrame:
    """Forecast every series of ``train`` over ``spec.horizon`` periods.

    ``future`` holds the known inputs (``spec.known``) of the horizon for every series: planned
    or, in a backtest, actual prices, promotions and calendar. Returns unique_id, ds, one column
    per model (median) and ``<model>-q<q>`` quantile columns.
    """
    parts: list[pd.DataFrame] = []
    logging.getLogger("statsforecast").setLevel(logging.ERROR)
    if spec.stat_models:
        parts.append(_tidy(_fit_predict_stats(train, spec), spec.stat_models, spec.quantiles))
    if spec.ml_models:
        parts.append(_tidy(_fit_predict_ml(train, future, spec), spec.ml_models, spec.quantiles))
    result = future_grid(train, spec.freq, spec.horizon)
    for part in parts:
        part["ds"] = pd.to_datetime(part["ds"])
        result = result.merge(part, on=["unique_id", "ds"], how="left")
    return result


def ensemble_columns(frame: pd.DataFrame, members: list[str], quantiles: tuple[float, ...],
                     name: str = "ensemble") -> pd.DataFrame:
    """The ensemble: the mean of the members' medians and of each of their quantiles."""
    out = frame.copy()
    for q in quantiles:
        out[quantile_column(name, q)] = out[[quantile_column(m, q) for m in members]].mean(axis=1)
    qcols = [quantile_column(name, q) for q in quantiles]
    out[qcols] = np.sort(out[qcols].to_numpy(), axis=1)
    out[name] = out[[m for m in members]].mean(axis=1)
    return out


def backtest(panel: pd.DataFrame, cutoffs: list[pd.Timestamp], spec: ForecastSpec, gap: int = 0,
             progress: Progress | None = None) -> pd.DataFrame:
    """Rolling-origin backtest: for each cutoff, train on data up to and including it, forecast
    ``spec.horizon`` periods with the actual known inputs of that window, and keep steps
    ``gap + 1 .. horizon`` where an actual was observed (not a gap, not a stock-out).

    Returns the predictions frame of DESIGN §3: unique_id, cutoff, ds, actual, one column per
    model (median) and the quantile columns.
    """
    frames = []
    for k, cutoff in enumerate(cutoffs, start=1):
        if progress:
            progress(f"backtest fold {k}/{len(cutoffs)} (cutoff {pd.Timestamp(cutoff).date()})")
        train, after = split_at(panel, cutoff)
        train = train[train.groupby("unique_id")["ds"].transform("size") > 2 * spec.horizon]
        grid = future_grid(train, spec.freq, spec.horizon)
        future = grid.merge(after, on=["unique_id", "ds"], how="left")
        missing_inputs = future[spec.known].isna().any(axis=1) if spec.known else None
        if missing_inputs is not None and missing_inputs.any():
            # Series ending before the window: carry the last known inputs (scored rows only
            # exist where the data have them anyway).
            last = train.groupby("unique_id").tail(1).set_index("unique_id")[spec.known]
            filler = last.reindex(future["unique_id"]).reset_index(drop=True)
            future[spec.known] = future[spec.known].fillna(filler)
        predicted = fit_predict(train, future, spec)
        step = predicted.groupby("unique_id").cumcount() + 1
        predicted = predicted[step > gap]
        scored = predicted.merge(after[["unique_id", "ds", "y", "observed"]],
                                 on=["unique_id", "ds"], how="inner")
        scored = scored[scored["observed"] == 1].drop(columns="observed")
        scored.insert(1, "cutoff", pd.Timestamp(cutoff))
        frames.append(scored.rename(columns={"y": "actual"}))
    out = pd.concat(frames, ignore_index=True)
    first = ["unique_id", "cutoff", "ds", "actual"]
    return out[first + [c for c in out.columns if c not in first]]
