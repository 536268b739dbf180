"""The statistical models of the zoo, fitted one series at a time through ``StatsForecast``,
locally or on the distributed engine (statsforecast spreads the series through Fugue), and
their output tidied into the quantile columns of the forecasting core."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from statsforecast import StatsForecast
from statsforecast.utils import ConformalIntervals

from promocast.forecasting.arimax import arima_inputs
from promocast.forecasting.spec import ForecastSpec, _interval_column, _levels, quantile_column
from promocast.forecasting.zoo import NO_INTERVALS, WITH_INPUTS, ZooConfig, stat_model

INTERMITTENT = ("croston", "tsb", "adida")
"""Models of demand sizes and intervals: they see the raw units, never a log scale."""


def run_statsforecast(data: pd.DataFrame, models: list, spec: ForecastSpec, log: bool,
                      x_future: pd.DataFrame | None = None) -> pd.DataFrame:
    """``models`` on every series of ``data`` (unique_id, ds, y and any regressors) over
    ``spec.horizon``; with ``log``, fitted on log1p(units) and mapped back (a monotone map
    keeps quantiles quantiles). ``x_future``: the regressors over the horizon (``X_df``).
    Returns statsforecast's layout (unique_id, ds, each model, its ``-lo-`` / ``-hi-``
    columns) in units."""
    if log:
        data = data.assign(y=np.log1p(data["y"].clip(lower=0)))
    sf = StatsForecast(models=models, freq=spec.freq, n_jobs=1)
    level = _levels(spec.quantiles)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if spec.engine is not None:
            out = spec.engine.collect(sf.forecast(
                df=spec.engine.frame(data), h=spec.horizon, level=level,
                X_df=spec.engine.frame(x_future) if x_future is not None else None))
        else:
            out = sf.forecast(df=data, h=spec.horizon, X_df=x_future, level=level)
    out = out.reset_index() if "unique_id" not in out.columns else out
    if log:
        values = [c for c in out.columns if c not in ("unique_id", "ds")]
        out[values] = np.expm1(out[values].clip(upper=50))
    return out


def fit_predict_stats(train: pd.DataFrame, spec: ForecastSpec) -> pd.DataFrame:
    """The univariate statistical models of ``spec``; with ``target_transform="log1p"`` the
    continuous ones are fitted on log1p(units), which tames promotion spikes the way the
    published ETS / ARIMA baselines on log sales do, the intermittent ones on raw units."""
    cfg = ZooConfig(season_length=spec.season_length, seed=spec.seed)
    groups = {
        True: [m for m in spec.stat_models if m not in (*INTERMITTENT, *WITH_INPUTS)],
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
        out = run_statsforecast(train[["unique_id", "ds", "y"]], models, spec,
                                log=logged and spec.target_transform == "log1p")
        parts.append(out.set_index(["unique_id", "ds"]))
    return pd.concat(parts, axis=1).reset_index()


def fit_predict_with_inputs(train: pd.DataFrame, future: pd.DataFrame, spec: ForecastSpec,
                            name: str) -> pd.DataFrame:
    """The statistical model ``name`` of ``WITH_INPUTS`` (``autoarima_x``) on every series of
    ``train`` with the regressors of ``arima_inputs``, forecast over ``future``'s known
    inputs; statsforecast's layout, in units."""
    model = stat_model(name, ZooConfig(season_length=spec.season_length, seed=spec.seed))
    inputs, cols = arima_inputs(pd.concat([train, future], ignore_index=True)
                                .drop_duplicates(["unique_id", "ds"], keep="first"),
                                spec.known)
    data = train[["unique_id", "ds", "y"]].merge(inputs, on=["unique_id", "ds"], how="left")
    x_future = None
    if cols:
        x_future = future[["unique_id", "ds"]].drop_duplicates().merge(
            inputs, on=["unique_id", "ds"], how="left")
        x_future[cols] = x_future[cols].fillna(0.0)
    return run_statsforecast(data, [model], spec, log=spec.target_transform == "log1p",
                             x_future=x_future)


def tidy(raw: pd.DataFrame, models: list[str], quantiles: tuple[float, ...]) -> pd.DataFrame:
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
