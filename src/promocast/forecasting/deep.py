"""Deep global models (``lstm``, ``nhits``) through neuralforecast: the optional ``[deep]`` extra.

One ``NeuralForecast`` fits both models over all series on the CPU, with the panel's known
inputs (prices, promotion flags, calendar) as future exogenous inputs and its statics (category,
store, item codes) as static inputs. Quantiles come from a multi-quantile loss (``MQLoss``): each
model is trained on the pinball loss of every quantile asked for.

Scales. Like the engine's ML models the target is log1p(units) (relative errors; a promotion
spike does not dominate the loss), centred on each series' mean over its observed rows;
forecasts get the level back and go through expm1, a monotone map that keeps quantiles
quantiles. Inputs are standardised once with the training rows' pooled mean and deviation.
neuralforecast's own per-window scaler stays off (``scaler_type="identity"``): it scaled each
input by its spread inside the input window, so a price constant over the window and cut in
the horizon was divided by ~1e-6, and one demo-shop forecast blew up to 3.5e8 units.

Unobserved rows (gaps, stock-out days: ``observed == 0`` or ``y`` missing) get
``available_mask = 0``: neuralforecast leaves them out of the loss; their placeholder target
(linear interpolation) only fills the input windows.

torch and neuralforecast are imported inside :func:`fit_predict_deep` so the core package never
needs them (``make deep`` installs them).
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Iterator

import numpy as np
import pandas as pd
from utilsforecast.preprocessing import fill_gaps

from promocast.exceptions import UsageError
from promocast.forecasting.engine import ForecastSpec, quantile_column
from promocast.forecasting.panel import future_grid
from promocast.forecasting.zoo import DEEP_MODELS

MAX_STEPS = 500
"""Optimiser steps per model (batches of 32 series x 256 windows). On the demo shop (400 daily
series, one fold) NHITS reached 59.7 % WAPE after 300 steps and 58.3 % after 600; a step costs
about 25 ms (NHITS) to 50 ms (LSTM) on one core, whatever the number of series."""
_QUIET_LOGGERS = ("pytorch_lightning", "lightning", "lightning.pytorch", "lightning_fabric",
                  "lightning.fabric", "neuralforecast", "ray", "torch")


def _require_deep():
    """Import torch and neuralforecast, or say how to install them."""
    try:
        import torch
        from neuralforecast import NeuralForecast
        from neuralforecast.losses.pytorch import MQLoss
        from neuralforecast.models import LSTM, NHITS
    except ImportError as error:
        raise UsageError(f"the deep models need the [deep] extra: make deep ({error})") from error
    return torch, NeuralForecast, MQLoss, LSTM, NHITS


def input_size(season_length: int, horizon: int) -> int:
    """History each forecast looks back on: about 4 seasons (a week of days: 28 days; at most two
    years of weeks), never less than two horizons."""
    return max(2 * horizon, min(4 * season_length, 104))


@contextlib.contextmanager
def _quiet(torch) -> Iterator[None]:
    """Silence lightning's banners and warnings and run torch on one thread while fitting.

    One thread on purpose: these networks are small, and with two OpenMP threads torch ran a
    small dense layer 47x slower as soon as another process competed for the 2 cores (spin-waiting
    threads preempted; measured here: 2,000 steps 1.4 s on one thread, 64 s on two)."""
    levels = {name: logging.getLogger(name).level for name in _QUIET_LOGGERS}
    previous_threads = torch.get_num_threads()
    try:
        for name in _QUIET_LOGGERS:
            logging.getLogger(name).setLevel(logging.ERROR)
        torch.set_num_threads(1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        torch.set_num_threads(previous_threads)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def _training_frame(train: pd.DataFrame, freq: str, known: list[str]) -> pd.DataFrame:
    """A regular series per id with a log1p target and ``available_mask`` (1 = a real actual)."""
    cols = ["unique_id", "ds", "y", *(["observed"] if "observed" in train else []), *known]
    data = fill_gaps(train[cols], freq=freq, start="per_serie", end="per_serie",
                     id_col="unique_id", time_col="ds").sort_values(["unique_id", "ds"])
    available = data["y"].notna().to_numpy()
    if "observed" in data:
        available &= data["observed"].fillna(0).to_numpy() > 0
        data = data.drop(columns="observed")
    y = np.log1p(data["y"].clip(lower=0))
    data["y"] = y.groupby(data["unique_id"], sort=False).transform(
        lambda s: s.interpolate(limit_direction="both")).fillna(0.0)
    for col in known:
        data[col] = data.groupby("unique_id", sort=False)[col].ffill()
        data[col] = data.groupby("unique_id", sort=False)[col].bfill().fillna(0.0)
    data["available_mask"] = available.astype("float32")
    return data.reset_index(drop=True)


def _series_level(data: pd.DataFrame) -> pd.Series:
    """Each series' mean log1p units over its observed rows (0 when it has none)."""
    observed = data["y"].where(data["available_mask"] > 0)
    return observed.groupby(data["unique_id"], sort=False).mean().fillna(0.0)


def _standardise(columns: list[str], fitted_on: pd.DataFrame, *frames: pd.DataFrame) -> None:
    """Centre and scale inputs in place with the mean and standard deviation of ``fitted_on``
    (pooled over series), clipped to +-10: one scale for every window and series."""
    moments = {}
    for col in columns:
        values = fitted_on[col].astype(float)
        std = values.std()
        moments[col] = values.mean(), (std if np.isfinite(std) and std > 1e-6 else 1.0)
    for frame in frames:
        for col, (mean, std) in moments.items():
            frame[col] = ((frame[col].astype(float) - mean) / std).clip(-10, 10)


def _future_frame(train: pd.DataFrame, future: pd.DataFrame, spec: ForecastSpec) -> pd.DataFrame:
    """The horizon's known inputs for every series; a missing value carries the last known one."""
    grid = future_grid(train, spec.freq, spec.horizon)
    if not spec.known:
        return grid
    futr = grid.merge(future[["unique_id", "ds", *spec.known]], on=["unique_id", "ds"], how="left")
    last = train.sort_values("ds").groupby("unique_id").tail(1).set_index("unique_id")[spec.known]
    filler = last.reindex(futr["unique_id"]).reset_index(drop=True)
    futr[spec.known] = futr[spec.known].fillna(filler).fillna(0.0)
    return futr


def fit_predict_deep(train: pd.DataFrame, future: pd.DataFrame,
                     spec: ForecastSpec) -> pd.DataFrame:
    """Fit the deep models of ``spec.models`` on ``train`` and forecast ``spec.horizon`` periods.

    ``spec`` is the engine's ``ForecastSpec`` (freq, horizon, models, season_length, quantiles,
    known, static, seed). Returns unique_id, ds, ``<model>`` (median) and
    ``<model>-q<q>`` for each quantile: non-negative units, quantiles sorted so they never cross.
    Deterministic for a given ``spec.seed`` (CPU, fixed thread count).
    """
    names = [m for m in spec.models if m in DEEP_MODELS]
    if not names:
        return future_grid(train, spec.freq, spec.horizon)
    torch, NeuralForecast, MQLoss, LSTM, NHITS = _require_deep()
    quantiles = sorted({*spec.quantiles, 0.5})
    window = input_size(spec.season_length, spec.horizon)
    common = {
        "h": spec.horizon, "input_size": window, "futr_exog_list": list(spec.known) or None,
        "stat_exog_list": list(spec.static) or None, "scaler_type": "identity",
        "max_steps": MAX_STEPS, "learning_rate": 1e-3, "batch_size": 32,
        "windows_batch_size": 256, "start_padding_enabled": True, "random_seed": spec.seed,
        "accelerator": "cpu", "devices": 1, "enable_progress_bar": False,
        "enable_model_summary": False, "logger": False, "enable_checkpointing": False,
    }
    factories = {
        "lstm": lambda: LSTM(loss=MQLoss(quantiles=quantiles), alias="lstm",
                             encoder_hidden_size=64, encoder_n_layers=1, decoder_hidden_size=64,
                             **common),
        "nhits": lambda: NHITS(loss=MQLoss(quantiles=quantiles), alias="nhits",
                               mlp_units=3 * [[128, 128]], n_pool_kernel_size=[2, 2, 1],
                               n_freq_downsample=[4, 2, 1], **common),
    }
    known, static = list(spec.known), list(spec.static)
    data = _training_frame(train, spec.freq, known)
    level = _series_level(data)
    data["y"] -= level.reindex(data["unique_id"]).to_numpy()
    futr = _future_frame(train, future, spec)
    _standardise(known, data, data, futr)
    static_df = None
    if static:
        static_df = train.groupby("unique_id", sort=True)[static].first().fillna(0.0).reset_index()
        _standardise(static, static_df, static_df)
    with _quiet(torch):
        nf = NeuralForecast(models=[factories[m]() for m in names], freq=spec.freq)
        nf.fit(df=data, static_df=static_df, val_size=0)
        raw = nf.predict(futr_df=futr)
    raw = raw.reset_index() if "unique_id" not in raw.columns else raw
    return _tidy_deep(raw, names, quantiles, spec.quantiles,
                      level.reindex(raw["unique_id"]).to_numpy())


def _output_column(model: str, q: float) -> str:
    """neuralforecast's name for quantile ``q`` of an ``MQLoss`` model (``nhits-lo-80.0``)."""
    if q == 0.5:
        return f"{model}-median"
    level = np.round(100 - 200 * q, 2) if q < 0.5 else np.round(100 - 200 * (1 - q), 2)
    return f"{model}-{'lo' if q < 0.5 else 'hi'}-{level}"


def _tidy_deep(raw: pd.DataFrame, models: list[str], fitted: list[float],
               wanted: tuple[float, ...], level: np.ndarray) -> pd.DataFrame:
    """Add each series' level back, map log1p to units, clip at 0, sort each model's quantiles
    and name them as the engine does."""
    out = raw[["unique_id", "ds"]].copy()
    out["ds"] = pd.to_datetime(out["ds"])
    for model in models:
        values = level[:, None] + np.column_stack(
            [raw[_output_column(model, q)].to_numpy(dtype=float) for q in fitted])
        values = np.sort(np.clip(np.expm1(np.clip(values, None, 50)), 0, None), axis=1)
        by_q = dict(zip(fitted, values.T, strict=True))
        for q in wanted:
            out[quantile_column(model, q)] = by_q[q]
        out[model] = by_q[0.5]
    return out
