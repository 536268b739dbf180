"""Fit the zoo on a panel and forecast quantiles; backtest over rolling origins.

Statistical models run through one ``StatsForecast`` (``stat_fit``, one fit per series), machine-learning
models through one ``MLForecast`` (one global fit with lags, prices, promotions and calendar
inputs, taken as known over the horizon). Quantiles come from each model's own intervals or,
where it has none, from conformal calibration (statsforecast ``ConformalIntervals``, mlforecast
``PredictionIntervals``). Forecasts are never negative and quantiles never cross.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from lightgbm.basic import LightGBMError
from mlforecast import MLForecast

from promocast.forecasting.conformal import (
    calibration_groups,
    conformal_quantiles,
    hold_out_mape_factor,
)
from promocast.forecasting.distributed import DISTRIBUTED_ML, fit_predict_distributed
from promocast.forecasting.lags import (
    _lags,
    direct_buckets,
    first_row,
    keep_last,
    resolve_seasonal_lags,
)
from promocast.forecasting.panel import future_grid, split_at
from promocast.forecasting.scaling import categorical_statics, level_weights, target_transforms
from promocast.forecasting.short_history import GlobalModelsTooShort, series_spread, with_spread
from promocast.forecasting.spec import DEFAULT_QUANTILES as DEFAULT_QUANTILES  # re-exported
from promocast.forecasting.spec import (
    ForecastSpec,
    Progress,
    quantile_column,
)
from promocast.forecasting.stat_fit import fit_predict_stats, fit_predict_with_inputs, tidy
from promocast.forecasting.zoo import (
    DEEP_MODELS,
    LIGHTGBM,
    WITH_INPUTS,
    ZooConfig,
    ml_model,
)

NAN_TOLERANT = LIGHTGBM
"""Global models that accept missing features (seasonal lags of series younger than a season)."""


def _forecaster_args(spec: ForecastSpec, models: list[str], log_target: bool,
                     lags_from: int | None = None) -> dict:
    """What an MLForecast of ``models`` is built from: lags (from ``lags_from``), rolling
    means, date features; a log1p target when the models' loss works on log units."""
    cfg = ZooConfig(season_length=spec.season_length, seed=spec.seed,
                    num_threads=spec.num_threads, lgbm_params=spec.lgbm_params,
                    lgbm_loss=spec.lgbm_loss, events_apart=spec.events_apart)
    lags, transforms, date_features = _lags(spec, lags_from,
                                            seasonal=set(models) <= set(NAN_TOLERANT))
    transforms_y = target_transforms(log_target)
    return dict(models={m: ml_model(m, cfg) for m in models}, freq=spec.freq, lags=lags,
                lag_transforms=transforms, date_features=date_features,
                target_transforms=transforms_y)


def _forecaster(spec: ForecastSpec, models: list[str], log_target: bool,
                lags_from: int | None = None) -> MLForecast:
    """The local MLForecast of ``models`` (see ``_forecaster_args``)."""
    return MLForecast(**_forecaster_args(spec, models, log_target, lags_from), num_threads=1)


def _ml_groups(spec: ForecastSpec) -> list[tuple[list[str], bool]]:
    """Models sharing one target space: scikit-learn models (and LightGBM under ``log_l2``)
    learn log1p units; LightGBM under ``tweedie`` / ``mape`` learns raw units. LightGBM fits
    on its own where it sees features the others cannot (seasonal lags with NaN, categorical
    statics), so its forecasts do not depend on which other models were asked for."""
    raw = [m for m in spec.ml_models
           if m == "lgbm_tweedie" or (m == "lgbm" and spec.lgbm_loss != "log_l2")]
    logged = [m for m in spec.ml_models if m not in raw]
    groups = [(logged, True), (raw, False)]
    if (spec.seasonal_lags or spec.categorical_statics) and "lgbm" in logged and len(logged) > 1:
        # seasonal lags are missing for series younger than a season: only LightGBM takes NaN;
        # categorical statics are LightGBM's alone: it must not lose them to its companions
        groups = [([m for m in logged if m != "lgbm"], True), (["lgbm"], True), (raw, False)]
    return [(names, log) for names, log in groups if names]


@dataclass
class FittedBucket:
    """One fitted global model of the direct strategy: ``models`` forecasting steps
    ``first..last`` with lags from ``last``, in log1p units when ``log_target``."""

    models: list[str]
    log_target: bool
    first: int
    last: int
    forecaster: MLForecast


def _fit_one(train: pd.DataFrame, spec: ForecastSpec, models: list[str], log_target: bool,
             last: int) -> MLForecast:
    mlf = _forecaster(spec, models, log_target, lags_from=last)
    need = first_row(mlf) + 1
    # no series is longer than the dates' span (the exact count is left to the fit below)
    longest = len(pd.date_range(train["ds"].min(), train["ds"].max(), freq=spec.freq)
                  ) if len(train) else 0
    too_short = GlobalModelsTooShort.of(longest, need, last)
    if longest < need:
        raise too_short
    data = categorical_statics(training_frame(train, spec), spec, models)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            mlf.fit(data, static_features=spec.static, weight_col="weight",
                    keep_last_n=keep_last(mlf))
        except (ValueError, LightGBMError) as exc:  # no training row: every series too short
            if "non empty" not in str(exc) and "num_data" not in str(exc):
                raise
            raise too_short from None
    return mlf


def training_frame(train: pd.DataFrame, spec: ForecastSpec) -> pd.DataFrame:
    """The columns a global model learns from, all in float32 (the target too: mlforecast's
    lags then come out float32, and LightGBM takes the whole matrix without an upcast to
    float64 that would double the largest copy of an M5-size fit)."""
    cols = ["unique_id", "ds", "y", "weight", *spec.known, *spec.static]
    weigh = spec.training_level_weight
    if list(train.columns) == cols and train["y"].dtype == np.float32 and not weigh:
        return train  # already one: no second copy
    data = train[cols]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data["y"] = data["y"].astype("float32")
        if weigh:
            data["weight"] = level_weights(data, weigh)
    return data


def fit_buckets(train: pd.DataFrame, spec: ForecastSpec) -> list[FittedBucket]:
    """The global models of ``spec`` fitted on ``train`` on this machine, one per group of
    models sharing a target space and per direct bucket; each keeps only the history its
    features need, so it can be saved, updated with new periods and asked again."""
    return [FittedBucket(names, log_target, first, last,
                         _fit_one(train, spec, names, log_target, last))
            for names, log_target in _ml_groups(spec) for first, last in direct_buckets(spec)]


def _x_frame(future: pd.DataFrame, spec: ForecastSpec) -> tuple[pd.DataFrame, np.ndarray]:
    x_df = future[["unique_id", "ds", *spec.known]].sort_values(["unique_id", "ds"])
    return x_df, x_df.groupby("unique_id").cumcount().to_numpy() + 1


def _join_pieces(pieces: list[tuple[list[str], pd.DataFrame]], spec: ForecastSpec) -> pd.DataFrame:
    """Bucket forecasts (each piece keeps only its own steps) -> one frame, a column per model."""
    out = None
    for names in dict.fromkeys(tuple(n) for n, _ in pieces):
        part = pd.concat([p for n, p in pieces if tuple(n) == names], ignore_index=True)
        out = part if out is None else out.merge(part, on=["unique_id", "ds"], how="outer")
    models = [m for m in spec.ml_models if m in out]
    out[models] = out[models].clip(lower=0)
    return out.sort_values(["unique_id", "ds"], ignore_index=True)


def _own_steps(piece: pd.DataFrame, first: int) -> pd.DataFrame:
    piece = piece.sort_values(["unique_id", "ds"], ignore_index=True)
    step = piece.groupby("unique_id").cumcount().to_numpy() + 1
    return piece[step >= first]


def predict_buckets(fitted: list[FittedBucket], future: pd.DataFrame, spec: ForecastSpec,
                    ids: list[str] | None = None) -> pd.DataFrame:
    """Point forecasts of fitted global models from the end of their series (``ids``: only
    these series; ``future`` must hold their known inputs)."""
    x_df, x_step = _x_frame(future, spec)
    pieces = []
    for bucket in fitted:
        x_last = x_df[x_step <= bucket.last] if spec.known else None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            piece = bucket.forecaster.predict(h=bucket.last, X_df=x_last, ids=ids)
        pieces.append((bucket.models, _own_steps(piece, bucket.first)))
    return _join_pieces(pieces, spec)


def _fit_points(train: pd.DataFrame, future: pd.DataFrame, spec: ForecastSpec) -> pd.DataFrame:
    """Point forecasts of the global models (unique_id, ds, one column per model)."""
    if spec.engine is None:
        return predict_buckets(fit_buckets(train, spec), future, spec)
    cols = ["unique_id", "ds", "y", "weight", *spec.known, *spec.static]
    x_df, x_step = _x_frame(future, spec)
    pieces = []
    for names, log_target in _ml_groups(spec):
        on_dask = set(names) <= set(DISTRIBUTED_ML)
        for first, last in direct_buckets(spec):
            x_last = x_df[x_step <= last] if spec.known else None
            if on_dask:
                piece = fit_predict_distributed(
                    spec.engine, _forecaster_args(spec, names, log_target, lags_from=last),
                    train[cols], spec.static, last, x_last)
            else:  # no distributed trainer in mlforecast for scikit-learn models
                logging.getLogger("promocast.distributed").info(
                    "%s fitted locally (mlforecast trains only LightGBM on Dask)", ", ".join(names))
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    piece = _fit_one(train, spec, names, log_target, last).predict(h=last,
                                                                                  X_df=x_last)
            pieces.append((names, _own_steps(piece, first)))
    return _join_pieces(pieces, spec)


def window_inputs(train: pd.DataFrame, after: pd.DataFrame, spec: ForecastSpec) -> pd.DataFrame:
    """The ``spec.horizon`` periods after the end of every series of ``train``, with the rows
    of ``after`` that fall in them (actuals and known inputs; NaN where the data have none).

    Every fitted series must get a full window: mlforecast predicts all its series at once. A
    series ending before the window (or with a gap in it) carries its last known inputs over
    the missing periods; those periods have no actual, so they are never scored."""
    future = future_grid(train, spec.freq, spec.horizon).merge(after, on=["unique_id", "ds"],
                                                                how="left")
    if spec.known and future[spec.known].isna().any(axis=None):
        last = train.groupby("unique_id").tail(1).set_index("unique_id")[spec.known]
        filler = last.reindex(future["unique_id"]).reset_index(drop=True)
        future[spec.known] = future[spec.known].fillna(filler)
    return future


def _holdout_residuals(train: pd.DataFrame, spec: ForecastSpec) -> pd.DataFrame:
    """Out-of-sample residuals of the global models on the last ``ml_calibration_windows``
    windows of ``horizon`` periods before the cutoff, in log1p units: unique_id, step, the
    forecast per model. Only observed actuals count. Above ``ml_calibration_series`` series,
    a seeded sample of them stands for all (``ml_calibration_split``: each window its own)."""
    offset = pd.tseries.frequencies.to_offset(spec.freq)
    end = train["ds"].max()
    groups = calibration_groups(train["unique_id"].unique(), spec)
    frames: list[pd.DataFrame] = []
    for w, group in enumerate(groups, start=1):
        cutoff = end - w * spec.horizon * offset
        fit, after = split_at(train if group is None else train[train["unique_id"].isin(group)],
                              cutoff)
        fit = fit[fit.groupby("unique_id")["ds"].transform("size") > 2 * spec.horizon]
        if fit.empty:
            break
        grid = window_inputs(fit, after, spec)
        grid["step"] = grid.groupby("unique_id").cumcount() + 1
        if grid["y"].isna().all():
            break
        try:  # a window too far back for the features: calibrate on the nearer ones
            points = _fit_points(fit, grid, spec)
        except GlobalModelsTooShort:
            break
        keep = [c for c in ("unique_id", "ds", "step", "y", "observed", "weight") if c in grid]
        scored = points.merge(grid[keep], on=["unique_id", "ds"]).dropna(subset=["y"])
        if "observed" in scored:  # a training frame has only the weight (observed as 1 / 0)
            scored = scored[scored["observed"] == 1]
        elif "weight" in scored:
            scored = scored[scored["weight"] > 0]
        scored = scored.drop(columns=["weight"], errors="ignore")
        frames.append(scored)
    if not frames:
        return pd.DataFrame(columns=["unique_id", "step", "y", *spec.ml_models])
    return pd.concat(frames, ignore_index=True)


def _ml_quantiles(points: pd.DataFrame, residuals: pd.DataFrame, spec: ForecastSpec,
                  spread: pd.DataFrame | None = None) -> pd.DataFrame:
    """Global models' points -> quantiles from pooled hold-out residuals (without any: from
    the series' own ``spread``, see ``short_history``; never all equal to the median).

    The ``<model>`` column is the calibrated median (or the MAPE-optimal point, ``point="mape"``),
    except under LightGBM's ``mape`` loss where it is the model's own forecast times the
    factor that minimises its hold-out MAPE (``conformal.hold_out_mape_factor``; Dominick's OJ, 12
    rounds: 34.15 -> 33.94 %)."""
    out = points[["unique_id", "ds"]].copy()
    for model in spec.ml_models:
        own_point = model == "lgbm" and spec.lgbm_loss == "mape"
        values, best = conformal_quantiles(points, residuals, model, spec.quantiles,
                                           "mape" if own_point else spec.point)
        values = with_spread(values, points, residuals, spread, model, spec.quantiles)
        values = np.sort(np.clip(values, 0, None), axis=1)
        for k, q in enumerate(spec.quantiles):
            out[quantile_column(model, q)] = values[:, k]
        if own_point:
            out[model] = points[model].to_numpy() * hold_out_mape_factor(residuals, model, spec.gap)
        elif spec.point == "median" and 0.5 in spec.quantiles:
            out[model] = out[quantile_column(model, 0.5)]
        else:
            out[model] = best
    return out


def _fit_predict_ml(train: pd.DataFrame, future: pd.DataFrame, spec: ForecastSpec) -> pd.DataFrame:
    """Global models: point forecasts, and quantiles from pooled hold-out residuals."""
    spec = resolve_seasonal_lags(spec, train)
    return _ml_quantiles(_fit_points(train, future, spec), _holdout_residuals(train, spec), spec,
                         series_spread(train))


@dataclass
class GlobalState:
    """Fitted global models and the hold-out residuals that turn their points into quantiles:
    kept after a forecast so that new periods update it without retraining (``refresh``)."""

    spec: ForecastSpec
    buckets: list[FittedBucket]
    residuals: pd.DataFrame
    spread: pd.DataFrame | None = None  # the series' own spread, for want of residuals

    @property
    def last_dates(self) -> pd.Series:
        """Last period of each series the models have seen (unique_id -> date)."""
        ts = self.buckets[0].forecaster.ts
        return pd.Series(pd.DatetimeIndex(ts.last_dates), index=pd.Index(ts.uids, name="unique_id"))

    def update(self, new: pd.DataFrame) -> None:
        """Append new periods of known series (unique_id, ds, y; in order, without gaps) to
        every model's stored history: the next forecast starts after them."""
        rows = new[["unique_id", "ds", "y"]].astype({"y": "float32"})  # as trained
        for bucket in self.buckets:
            bucket.forecaster.update(rows)

    def forecast(self, future: pd.DataFrame, ids: list[str] | None = None) -> pd.DataFrame:
        """Quantile forecasts from the end of each series, with the known inputs ``future``."""
        points = predict_buckets(self.buckets, future, self.spec, ids)
        return _ml_quantiles(points, self.residuals, self.spec, getattr(self, "spread", None))


def fit_global(train: pd.DataFrame, spec: ForecastSpec) -> GlobalState:
    """Fit the global models of ``spec`` on this machine and keep them (see GlobalState)."""
    spec = resolve_seasonal_lags(replace(spec, engine=None), train)
    return GlobalState(spec, fit_buckets(train, spec), _holdout_residuals(train, spec),
                       series_spread(train))


def fit_predict(train: pd.DataFrame, future: pd.DataFrame, spec: ForecastSpec,
                fitted: GlobalState | None = None) -> pd.DataFrame:
    """Forecast every series of ``train`` over ``spec.horizon`` periods.

    ``future`` holds the known inputs (``spec.known``) of the horizon for every series: planned
    or, in a backtest, actual prices, promotions and calendar. Returns unique_id, ds, one column
    per model (median) and ``<model>-q<q>`` quantile columns. ``fitted``: the global models
    already fitted on ``train`` (``fit_global``), asked instead of fitting them again.
    """
    parts: list[pd.DataFrame] = []
    logging.getLogger("statsforecast").setLevel(logging.ERROR)
    plain = [m for m in spec.stat_models if m not in WITH_INPUTS]
    if plain:
        parts.append(tidy(fit_predict_stats(train, spec), plain, spec.quantiles))
    for name in (m for m in spec.stat_models if m in WITH_INPUTS):
        parts.append(tidy(fit_predict_with_inputs(train, future, spec, name), [name],
                          spec.quantiles))
    if spec.ml_models:
        parts.append(fitted.forecast(future) if fitted is not None
                     else _fit_predict_ml(train, future, spec))
    deep = [m for m in spec.models if m in DEEP_MODELS]
    if deep:  # the optional [deep] extra: torch and neuralforecast are imported only here
        from promocast.forecasting.deep import fit_predict_deep

        parts.append(fit_predict_deep(train, future, spec))
    result = future_grid(train, spec.freq, spec.horizon)
    for part in parts:
        part["ds"] = pd.to_datetime(part["ds"])
        result = result.merge(part, on=["unique_id", "ds"], how="left")
    return result


def backtest(panel: pd.DataFrame, cutoffs: list[pd.Timestamp], spec: ForecastSpec, gap: int = 0,
             progress: Progress | None = None, fold_workers: int = 1) -> pd.DataFrame:
    """Rolling-origin backtest: for each cutoff, train on data up to and including it, forecast
    ``spec.horizon`` periods with the actual known inputs of that window, and keep steps
    ``gap + 1 .. horizon`` where an actual was observed (not a gap, not a stock-out).

    ``fold_workers`` > 1 fits that many folds at once in worker processes (joblib), each
    LightGBM on ``spec.num_threads // fold_workers`` threads: on a small panel one fold's
    pandas, feature building and statistical fits use one core, so whole folds side by side
    keep every core busy where threads inside one fit cannot. Folds are independent, so the
    predictions are those of the folds run one by one (up to LightGBM's thread-count
    rounding).

    Returns the predictions frame of DESIGN §3: unique_id, cutoff, ds, actual, one column per
    model (median) and the quantile columns.
    """
    spec = replace(spec, gap=gap)
    total = len(cutoffs)
    if fold_workers > 1 and total > 1 and spec.engine is None:
        from joblib import Parallel, delayed

        workers = min(fold_workers, total)
        sub = replace(spec, num_threads=max(1, spec.num_threads // workers))
        if progress:
            progress(f"backtest: {total} folds, {workers} at a time")
        runs = Parallel(n_jobs=workers, return_as="generator")(
            delayed(_backtest_fold)(panel, cutoff, sub, gap) for cutoff in cutoffs)
        frames = []
        for k, frame in enumerate(runs, start=1):
            frames.append(frame)
            if progress:
                progress(f"backtest fold {k}/{total} done")
    else:
        frames = []
        for k, cutoff in enumerate(cutoffs, start=1):
            if progress:
                progress(f"backtest fold {k}/{total} (cutoff {pd.Timestamp(cutoff).date()})")
            frames.append(_backtest_fold(panel, cutoff, spec, gap))
    out = pd.concat(frames, ignore_index=True)
    first = ["unique_id", "cutoff", "ds", "actual"]
    return out[first + [c for c in out.columns if c not in first]]


def _backtest_fold(panel: pd.DataFrame, cutoff: pd.Timestamp, spec: ForecastSpec,
                   gap: int) -> pd.DataFrame:
    """One fold of ``backtest``: the scored predictions of the window after ``cutoff``."""
    train, after = split_at(panel, cutoff)
    train = train[train.groupby("unique_id")["ds"].transform("size") > 2 * spec.horizon]
    future = window_inputs(train, after, spec)
    predicted = fit_predict(train, future, spec)
    step = predicted.groupby("unique_id").cumcount() + 1
    predicted = predicted[step > gap]
    scored = predicted.merge(after[["unique_id", "ds", "y", "observed"]],
                             on=["unique_id", "ds"], how="inner")
    scored = scored[scored["observed"] == 1].drop(columns="observed")
    scored.insert(1, "cutoff", pd.Timestamp(cutoff))
    return scored.rename(columns={"y": "actual"})


def fit_ml_forecaster(train: pd.DataFrame, spec: ForecastSpec, model: str = "lgbm",
                      lags_from: int | None = None) -> MLForecast:
    """One global model of ``fit_predict`` fitted on ``train`` the same way (lags from
    ``lags_from``, the last step of one of ``direct_buckets``; rolling means, date features,
    target space, statics, weights) and returned: for callers that need the fitted model and
    its features (explanations), not only its forecasts."""
    log_target = model != "lgbm" or spec.lgbm_loss == "log_l2"
    spec = resolve_seasonal_lags(spec, train)
    mlf = _forecaster(spec, [model], log_target, lags_from=lags_from)
    data = categorical_statics(training_frame(train, spec), spec, [model])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mlf.fit(data, static_features=spec.static, weight_col="weight")
    return mlf
