"""Accuracy of point and quantile forecasts over a predictions frame (DESIGN §3).

The frame has ``unique_id, cutoff, ds, actual``, one column per model (median) and optional
``<model>-q<q>`` quantile columns, so anyone can recompute these numbers from the file.
``mape``, ``smape``, ``wape`` and ``coverage_80`` are percentages. A metric that cannot be
computed is ``None``, never absent, never NaN.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd

_QCOL = re.compile(r"^(?P<model>.+)-q(?P<q>0?\.\d+|1|0)$")


def quantile_column(model: str, q: float) -> str:
    return f"{model}-q{q:g}"


def parse_quantile_column(name: str) -> tuple[str, float] | None:
    match = _QCOL.match(name)
    return (match["model"], float(match["q"])) if match else None


def _clean(value: float) -> float | None:
    return None if value is None or not math.isfinite(value) else round(float(value), 6)


def _scales(train: pd.DataFrame | None, season_length: int) -> tuple[pd.Series, pd.Series] | None:
    """Per series in-sample seasonal-naive MAE and MSE (the MASE / RMSSE denominators),
    computed on the training data before the first cutoff."""
    if train is None or train.empty:
        return None
    ordered = train.sort_values(["unique_id", "ds"])
    diff = ordered.groupby("unique_id")["y"].diff(season_length)
    return diff.abs().groupby(ordered["unique_id"]).mean(), (diff ** 2).groupby(ordered["unique_id"]).mean()


def _model_metrics(frame: pd.DataFrame, model: str, scales: tuple[pd.Series, pd.Series] | None,
                   ) -> dict[str, float | None]:
    actual = frame["actual"].to_numpy(float)
    forecast = frame[model].to_numpy(float)
    error = actual - forecast
    abs_error = np.abs(error)
    positive = actual > 0
    denom = np.abs(actual) + np.abs(forecast)
    out: dict[str, float | None] = {
        "mae": _clean(abs_error.mean()) if len(actual) else None,
        "rmse": _clean(math.sqrt((error ** 2).mean())) if len(actual) else None,
        "mape": _clean(100 * (abs_error[positive] / actual[positive]).mean()) if positive.any() else None,
        "smape": _clean(100 * (2 * abs_error[denom > 0] / denom[denom > 0]).mean()) if (denom > 0).any() else None,
        "wape": _clean(100 * abs_error.sum() / np.abs(actual).sum()) if np.abs(actual).sum() > 0 else None,
        "mase": None, "rmsse": None, "pinball": None, "coverage_80": None,
    }
    if scales is not None:
        mae_scale, mse_scale = scales
        per_series = pd.DataFrame({"uid": frame["unique_id"].to_numpy(), "ae": abs_error, "se": error ** 2})
        grouped = per_series.groupby("uid")[["ae", "se"]].mean()
        mase = grouped["ae"] / mae_scale.reindex(grouped.index)
        rmsse = np.sqrt(grouped["se"] / mse_scale.reindex(grouped.index))
        mase = mase[np.isfinite(mase)]
        rmsse = rmsse[np.isfinite(rmsse)]
        out["mase"] = _clean(mase.mean()) if len(mase) else None
        out["rmsse"] = _clean(rmsse.mean()) if len(rmsse) else None
    quantiles = sorted(q for col in frame.columns if (p := parse_quantile_column(col)) and p[0] == model
                       for q in [p[1]])
    if quantiles:
        losses = []
        for q in quantiles:
            diff = actual - frame[quantile_column(model, q)].to_numpy(float)
            losses.append(np.maximum(q * diff, (q - 1) * diff).mean())
        out["pinball"] = _clean(float(np.mean(losses)))
        if 0.1 in quantiles and 0.9 in quantiles:
            lo = frame[quantile_column(model, 0.1)].to_numpy(float)
            hi = frame[quantile_column(model, 0.9)].to_numpy(float)
            out["coverage_80"] = _clean(100 * ((actual >= lo) & (actual <= hi)).mean())
    return out


def evaluate(predictions: pd.DataFrame, models: list[str], train: pd.DataFrame | None = None,
             season_length: int = 1) -> dict[str, dict[str, float | None]]:
    """Every DESIGN §3 metric per model. MASE / RMSSE scale each series by its in-sample
    seasonal-naive error on ``train`` (``unique_id, ds, y``) up to the first cutoff."""
    scales = None
    if train is not None and "cutoff" in predictions and len(predictions):
        scales = _scales(train[train["ds"] <= predictions["cutoff"].min()], season_length)
    frame = predictions.dropna(subset=["actual"])
    return {m: _model_metrics(frame.dropna(subset=[m]), m, scales) for m in models if m in frame}


def per_series_winner(predictions: pd.DataFrame, models: list[str], metric: str = "mae") -> pd.DataFrame:
    """The model with the lowest mean absolute error on each series."""
    present = [m for m in models if m in predictions]
    errors = predictions[present].sub(predictions["actual"], axis=0).abs()
    errors["unique_id"] = predictions["unique_id"].to_numpy()
    mean = errors.groupby("unique_id")[present].mean()
    return pd.DataFrame({"unique_id": mean.index, "best_model": mean.idxmin(axis=1).to_numpy(),
                         "score": mean.min(axis=1).to_numpy()})
