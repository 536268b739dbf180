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
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from mlforecast import MLForecast
from mlforecast.lag_transforms import RollingMean
from mlforecast.target_transforms import GlobalSklearnTransformer
from sklearn.preprocessing import FunctionTransformer
from statsforecast import StatsForecast
from statsforecast.utils import ConformalIntervals

from promocast.forecasting.conformal import conformal_quantiles
from promocast.forecasting.distributed import DISTRIBUTED_ML, DaskEngine, fit_predict_distributed
from promocast.forecasting.panel import future_grid, split_at
from promocast.forecasting.zoo import (
    DEEP_MODELS,
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
    """Statistical models without intervals: conformal windows per series (statsforecast)."""
    ml_calibration_windows: int = 1
    """Global models: hold-out windows whose residuals, pooled over all series, calibrate the
    quantiles (one refit per window)."""
    lgbm_params: dict | None = None
    target_transform: str = "log1p"
    """Statistical models: ``log1p`` (default: relative errors, suits counts spanning
    magnitudes) or ``none``."""
    lgbm_loss: str = "log_l2"
    """LightGBM's training loss: ``log_l2`` (squared error on log1p units), ``tweedie`` (raw
    units, log link, the M5 winners' choice) or ``mape`` (raw units, LightGBM's MAPE objective:
    the point forecast is then the MAPE-optimal one, below the median)."""
    point: str = "median"
    """Global models' point forecast (the ``<model>`` column): ``median``, or ``mape``, the
    forecast that minimises the expected absolute percentage error under the calibrated
    predictive distribution (below the median: MAPE punishes over-forecasts of small actuals
    more than under-forecasts)."""
    strategy: str = "direct"
    """Global models: ``direct`` (every lag at least the step forecast, so each step is
    forecast from actuals only, with that step's known inputs) or ``recursive`` (lags from 1,
    forecasts fed back step by step)."""
    direct_models: int = 3
    """Direct strategy: how many models split the horizon (steps 1..a, a+1..b, ..., growing
    geometrically), each with lags from its last step, so near steps see the latest actuals
    (one model with lags from the horizon would blind step 1 to the last ``horizon - 1``
    periods). 1 = a single model for all steps."""
    seasonal_lags: bool | None = None
    """LightGBM: also the lags one season back (season - 1, season, season + 1) when the
    season is longer than the recent lags (weekly data: last year's weeks, which carry the
    yearly pattern no recent lag sees). ``None`` = when the training series are long enough
    (median length at least two seasons: rows without these lags are dropped from training, so
    at least a season of rows per series remains) and a season ago predicts them better than
    ``horizon`` periods ago does."""
    gap: int = 0
    """Leading steps nobody needs (a backtest's gap): no model is fitted for them alone; the
    next model forecasts them too."""
    engine: DaskEngine | None = field(default=None, repr=False, compare=False)
    """Where fits run: ``None`` here, or a Dask cluster (``forecasting.distributed``)."""

    @property
    def stat_models(self) -> list[str]:
        return [m for m in self.models if m in STAT_MODELS]

    @property
    def ml_models(self) -> list[str]:
        return [m for m in self.models if m in ML_MODELS]

    @property
    def ml_target_transform(self) -> str:
        """How LightGBM's raw score maps to units: ``log1p`` (log_l2 loss), ``log`` (the
        Tweedie log link) or ``none`` (MAPE on units)."""
        return {"log_l2": "log1p", "tweedie": "log", "mape": "none"}[self.lgbm_loss]


def direct_buckets(spec: ForecastSpec) -> list[tuple[int, int]]:
    """(first step, last step) of each global model; the model's lags start at its last step.

    Boundaries grow geometrically (horizon 28, three models: steps 1-3, 4-9, 10-28): recent
    actuals matter most for the nearest steps. Buckets holding only gap steps are merged into
    the next one."""
    h = spec.horizon
    if spec.strategy != "direct":
        return [(1, h)]
    n = max(1, min(spec.direct_models, h))
    ends = sorted({max(1, round(h ** (k / n))) for k in range(1, n)} | {h})
    ends = [e for e in ends if e > spec.gap] or [h]
    buckets, start = [], 1
    for end in ends:
        buckets.append((start, end))
        start = end + 1
    return buckets


def _lags(spec: ForecastSpec, first: int | None = None, seasonal: bool = False,
          ) -> tuple[list[int], dict, list[str]]:
    """Lags, rolling means and date features that suit the frequency (the M5 winners' habits
    scaled to the data: weekly and yearly memory for daily data).

    With the ``direct`` strategy every lag is at least the horizon: the features of step h are
    then actuals at the cutoff or before, so one model forecasts all steps without feeding its
    own forecasts back (errors do not compound; the known inputs of the target period still
    enter as they are)."""
    if first is None:
        first = spec.horizon if spec.strategy == "direct" else 1
    if spec.freq == "D":
        lags = sorted({*range(first, first + 7), *(k for k in (7, 14, 21, 28) if k >= first)})
        transforms = {first: [RollingMean(7), RollingMean(28)]}
        if first < 7:  # last week's level, a week back (the same weekday mix as the target)
            transforms[7] = [RollingMean(7, min_samples=1)]
        dates = ["dayofweek", "month", "dayofyear"]
    elif spec.freq.startswith("W"):
        lags = list(range(first, first + 8))
        transforms = {first: [RollingMean(4), RollingMean(13), RollingMean(40, min_samples=4)]}
        dates = ["month", "week"]
    else:
        lags = sorted({first, first + 1, first + 2, *(k for k in (12,) if k >= first)})
        transforms = {first: [RollingMean(3), RollingMean(12, min_samples=3)]}
        dates = ["month"]
    s = spec.season_length
    if seasonal and spec.seasonal_lags and s - 1 > max(lags):
        lags = [*lags, s - 1, s, s + 1]
    return lags, transforms, dates


def resolve_seasonal_lags(spec: ForecastSpec, train: pd.DataFrame) -> ForecastSpec:
    """``spec`` with ``seasonal_lags`` decided from the training data when left to ``None``."""
    if spec.seasonal_lags is not None:
        return spec
    length = train.groupby("unique_id")["ds"].size().median() if len(train) else 0
    on = bool(length >= 2 * spec.season_length) and _seasonal_beats_recent(
        train, spec.season_length, spec.horizon)
    return replace(spec, seasonal_lags=on)


def _seasonal_beats_recent(train: pd.DataFrame, season: int, horizon: int) -> bool:
    """Whether the value a season ago predicts the training data better than the value
    ``horizon`` periods ago (the latest a forecast of the last step sees), by the pooled mean
    absolute change in log1p units over observed rows: the seasonal lags then carry signal
    (Walmart departments: 0.27 against 0.40 at 13 weeks); where promotions and noise dominate
    (Dominick's OJ: 0.80 against 0.76 at 3 weeks) they would only cost training rows."""
    frame = train.sort_values(["unique_id", "ds"])
    log_y = np.log1p(frame["y"].clip(lower=0).astype(float))
    if "observed" in frame:
        log_y = log_y.where(frame["observed"] == 1)
    by = log_y.groupby(frame["unique_id"].to_numpy(), sort=False)
    seasonal = (log_y - by.shift(season)).abs().mean()
    recent = (log_y - by.shift(horizon)).abs().mean()
    return bool(np.isfinite(seasonal) and seasonal < recent)


NAN_TOLERANT = ("lgbm",)
"""Global models that accept missing features (seasonal lags of series younger than a season)."""
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
            if spec.engine is not None:  # statsforecast distributes per series through Fugue
                out = spec.engine.collect(sf.forecast(df=spec.engine.frame(data), h=spec.horizon,
                                                      level=_levels(spec.quantiles)))
            else:
                out = sf.forecast(df=data, h=spec.horizon, level=_levels(spec.quantiles))
        out = out.reset_index() if "unique_id" not in out.columns else out
        if use_log:
            value_cols = [c for c in out.columns if c not in ("unique_id", "ds")]
            out[value_cols] = np.expm1(out[value_cols].clip(upper=50))
        parts.append(out.set_index(["unique_id", "ds"]))
    return pd.concat(parts, axis=1).reset_index()


def _forecaster_args(spec: ForecastSpec, models: list[str], log_target: bool,
                     lags_from: int | None = None) -> dict:
    """What an MLForecast of ``models`` is built from: lags (from ``lags_from``), rolling
    means, date features; a log1p target when the models' loss works on log units."""
    cfg = ZooConfig(season_length=spec.season_length, seed=spec.seed,
                    num_threads=spec.num_threads, lgbm_params=spec.lgbm_params,
                    lgbm_loss=spec.lgbm_loss)
    lags, transforms, date_features = _lags(spec, lags_from,
                                            seasonal=set(models) <= set(NAN_TOLERANT))
    transforms_y = ([GlobalSklearnTransformer(FunctionTransformer(np.log1p, np.expm1))]
                    if log_target else None)
    return dict(models={m: ml_model(m, cfg) for m in models}, freq=spec.freq, lags=lags,
                lag_transforms=transforms, date_features=date_features,
                target_transforms=transforms_y)


def _forecaster(spec: ForecastSpec, models: list[str], log_target: bool,
                lags_from: int | None = None) -> MLForecast:
    """The local MLForecast of ``models`` (see ``_forecaster_args``)."""
    return MLForecast(**_forecaster_args(spec, models, log_target, lags_from), num_threads=1)


def _ml_groups(spec: ForecastSpec) -> list[tuple[list[str], bool]]:
    """Models sharing one target space: scikit-learn models (and LightGBM under ``log_l2``)
    learn log1p units; LightGBM under ``tweedie`` / ``mape`` learns raw units."""
    raw = ["lgbm"] if "lgbm" in spec.ml_models and spec.lgbm_loss != "log_l2" else []
    logged = [m for m in spec.ml_models if m not in raw]
    groups = [(logged, True), (raw, False)]
    if spec.seasonal_lags and "lgbm" in logged and len(logged) > 1:
        # seasonal lags are missing for series younger than a season: only LightGBM takes NaN
        groups = [([m for m in logged if m != "lgbm"], True), (["lgbm"], True), (raw, False)]
    return [(names, log) for names, log in groups if names]


def _fit_points(train: pd.DataFrame, future: pd.DataFrame, spec: ForecastSpec) -> pd.DataFrame:
    """Point forecasts of the global models (unique_id, ds, one column per model)."""
    cols = ["unique_id", "ds", "y", "weight", *spec.known, *spec.static]
    x_df = future[["unique_id", "ds", *spec.known]].sort_values(["unique_id", "ds"])
    x_step = x_df.groupby("unique_id").cumcount().to_numpy() + 1
    out = None
    for names, log_target in _ml_groups(spec):
        pieces = []
        on_dask = spec.engine is not None and set(names) <= set(DISTRIBUTED_ML)
        if spec.engine is not None and not on_dask:
            logging.getLogger("promocast.distributed").info(
                "%s: no distributed trainer in mlforecast, fitted locally", ", ".join(names))
        for first, last in direct_buckets(spec):
            x_last = x_df[x_step <= last] if spec.known else None
            if on_dask:
                piece = fit_predict_distributed(
                    spec.engine, _forecaster_args(spec, names, log_target, lags_from=last),
                    train[cols], spec.static, last, x_last)
            else:
                mlf = _forecaster(spec, names, log_target, lags_from=last)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    mlf.fit(train[cols], static_features=spec.static, weight_col="weight")
                    piece = mlf.predict(h=last, X_df=x_last)
            step = piece.groupby("unique_id").cumcount().to_numpy() + 1
            pieces.append(piece[step >= first])
        part = pd.concat(pieces, ignore_index=True)
        out = part if out is None else out.merge(part, on=["unique_id", "ds"], how="outer")
    out[spec.ml_models] = out[spec.ml_models].clip(lower=0)
    return out.sort_values(["unique_id", "ds"], ignore_index=True)


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
    forecast per model. Only observed actuals count."""
    offset = pd.tseries.frequencies.to_offset(spec.freq)
    end = train["ds"].max()
    frames: list[pd.DataFrame] = []
    for w in range(1, spec.ml_calibration_windows + 1):
        cutoff = end - w * spec.horizon * offset
        fit, after = split_at(train, cutoff)
        fit = fit[fit.groupby("unique_id")["ds"].transform("size") > 2 * spec.horizon]
        if fit.empty:
            break
        grid = window_inputs(fit, after, spec)
        grid["step"] = grid.groupby("unique_id").cumcount() + 1
        if grid["y"].isna().all():
            break
        points = _fit_points(fit, grid, spec)
        keep = [c for c in ("unique_id", "ds", "step", "y", "observed") if c in grid]
        scored = points.merge(grid[keep], on=["unique_id", "ds"]).dropna(subset=["y"])
        if "observed" in scored:
            scored = scored[scored["observed"] == 1]
        frames.append(scored)
    if not frames:
        return pd.DataFrame(columns=["unique_id", "step", "y", *spec.ml_models])
    return pd.concat(frames, ignore_index=True)


def _fit_predict_ml(train: pd.DataFrame, future: pd.DataFrame, spec: ForecastSpec) -> pd.DataFrame:
    """Global models: point forecasts, and quantiles from pooled hold-out residuals.

    The ``<model>`` column is the calibrated median (or the MAPE-optimal point, ``point="mape"``),
    except under LightGBM's ``mape`` loss where it is the model's own forecast."""
    spec = resolve_seasonal_lags(spec, train)
    points = _fit_points(train, future, spec)
    residuals = _holdout_residuals(train, spec)
    out = points[["unique_id", "ds"]].copy()
    for model in spec.ml_models:
        own_point = model == "lgbm" and spec.lgbm_loss == "mape"
        values, best = conformal_quantiles(points, residuals, model, spec.quantiles,
                                            "mape" if own_point else spec.point)
        values = np.sort(np.clip(values, 0, None), axis=1)
        for k, q in enumerate(spec.quantiles):
            out[quantile_column(model, q)] = values[:, k]
        if own_point:
            out[model] = points[model].to_numpy()
        elif spec.point == "median" and 0.5 in spec.quantiles:
            out[model] = out[quantile_column(model, 0.5)]
        else:
            out[model] = best
    return out


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
        parts.append(_fit_predict_ml(train, future, spec))
    deep = [m for m in spec.models if m in DEEP_MODELS]
    if deep:  # the optional [deep] extra: torch and neuralforecast are imported only here
        from promocast.forecasting.deep import fit_predict_deep

        parts.append(fit_predict_deep(train, future, spec))
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
    spec = replace(spec, gap=gap)
    frames = []
    for k, cutoff in enumerate(cutoffs, start=1):
        if progress:
            progress(f"backtest fold {k}/{len(cutoffs)} (cutoff {pd.Timestamp(cutoff).date()})")
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
        frames.append(scored.rename(columns={"y": "actual"}))
    out = pd.concat(frames, ignore_index=True)
    first = ["unique_id", "cutoff", "ds", "actual"]
    return out[first + [c for c in out.columns if c not in first]]


def fit_ml_forecaster(train: pd.DataFrame, spec: ForecastSpec, model: str = "lgbm",
                      lags_from: int | None = None) -> MLForecast:
    """One global model of ``fit_predict`` fitted on ``train`` the same way (lags from
    ``lags_from``, the last step of one of ``direct_buckets``; rolling means, date features,
    target space, statics, weights) and returned: for callers that need the fitted model and
    its features (explanations), not only its forecasts."""
    log_target = model != "lgbm" or spec.lgbm_loss == "log_l2"
    spec = resolve_seasonal_lags(spec, train)
    mlf = _forecaster(spec, [model], log_target, lags_from=lags_from)
    cols = ["unique_id", "ds", "y", "weight", *spec.known, *spec.static]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mlf.fit(train[cols], static_features=spec.static, weight_col="weight")
    return mlf
