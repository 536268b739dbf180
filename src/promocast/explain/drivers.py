"""SHAP drivers of the global LightGBM forecast: why each forecast day is what it is.

The model is fitted exactly as ``forecasting.engine`` fits it for ``fit_predict`` (same lags,
rolling means, date features, log1p target, statics and weights; the same seed gives the same
trees, hence the same forecasts). ``MLForecast.predict`` is recursive: at each step it builds one
feature row per series (lags of the already forecast days, known prices, promotions, calendar);
a ``before_predict_callback`` keeps those rows, so every forecast day is explained with the very
features the model saw for it.

SHAP values come from LightGBM's own ``pred_contrib=True``: it is the exact (path-dependent)
TreeSHAP algorithm of Lundberg et al., the one ``shap.TreeExplainer`` runs on tree models by
default, computed in LightGBM's C++ code over the booster in memory: no model conversion, one
call for all rows, and the contributions plus the expected value sum to the raw prediction to
float precision by construction.

Units. The model predicts log1p(units), so SHAP values are additive in log1p space:
``base_log + sum(contribution_log) = forecast_log``. A unit forecast is
``F = max(expm1(forecast_log), 0)`` and the base in units is ``B = expm1(base_log)``. In units the
difference ``F - B`` is shared among the features in proportion to their log contributions:
``contribution_units = contribution_log * (F - B) / sum(contribution_log)`` (the ratio tends to
``exp(base_log)``, the slope of expm1, when the sum tends to 0). This keeps each feature's sign
and relative weight, is additive and sums exactly to the forecast: ``B + sum = F``. It is a
presentation choice: interaction effects of the log scale are spread proportionally, not
attributed to any one feature.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from promocast.forecasting.engine import ForecastSpec, direct_buckets, fit_ml_forecaster

DRIVERS = ("level_trend", "seasonality", "events", "price", "promotion", "other")
"""The drivers a forecast day is split into, in the order reports show them."""

FEATURE_DRIVERS: tuple[tuple[str, str], ...] = (
    # the series' own recent level: lags and window statistics of the (log1p) target, and the
    # identity of the item, store and category (their typical level)
    (r"lag\d+|(rolling|expanding|seasonal_rolling|exponentially_weighted)_.*|ewm.*", "level_trend"),
    (r"(item|store|category|brand|dept|department)(_code|_id)?|year", "level_trend"),
    # position in the week / month / year
    (r"dayofweek|day|weekday|week|weekofyear|month|quarter|dayofyear|dayofmonth", "seasonality"),
    # holidays and shopping festivals: run-up, hangover, flags
    (r"(days_to_|days_from_|is_).*|holiday.*|event.*|festival.*", "events"),
    # what the shopper pays (price_1 .. price_k: rival brands' prices, as in Dominick's; cat_*:
    # against the rest of the category)
    (r"price|base_price|rel_price|discount_depth|log_price|price_momentum_\d+|price_\d+|sell_price"
     r"|cat_rel_price|cat_price_rank|cat_rel_discount", "price"),
    # promotion mechanisms and merchandising (Walmart's markdown_1..5, Dominick's deal / feat)
    (r"promo|promo_.*|on_promo|cat_promo_share|deal|feat|feature|display|markdown_?\d*", "promotion"),
)
"""Feature name (full match, case-insensitive) -> driver; the first matching row wins, anything
else is ``other`` (e.g. a shop's own exogenous columns such as temperature)."""

_COMPILED = [(re.compile(pattern, re.I), driver) for pattern, driver in FEATURE_DRIVERS]


def driver_of(feature: str) -> str:
    """The driver a model feature belongs to (see ``FEATURE_DRIVERS``)."""
    for pattern, driver in _COMPILED:
        if pattern.fullmatch(feature):
            return driver
    return "other"


@dataclass
class Explanation:
    """SHAP drivers of a forecast.

    ``days``: unique_id, ds, base, forecast (units) and base_log, forecast_log (log1p units);
    ``base + sum of drivers = forecast`` in units, ``base_log + sum of drivers_log =
    forecast_log`` in model space.
    ``drivers``: long frame unique_id, ds, driver, contribution (units), contribution_log.
    ``features``: unique_id, ds, feature, driver, value (the feature the model saw),
    shap_log, shap_units.
    """

    days: pd.DataFrame
    drivers: pd.DataFrame
    features: pd.DataFrame


def shap_contributions(booster, features: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Exact TreeSHAP values of a LightGBM booster: (n_rows x n_features, expected values).

    ``booster`` is an ``lgb.Booster`` (or anything with its ``predict(..., pred_contrib=True)``);
    the last column LightGBM returns is the expected value (the base)."""
    contrib = np.asarray(booster.predict(features, pred_contrib=True), dtype=float)
    return contrib[:, :-1], contrib[:, -1]


def to_units(contrib_log: np.ndarray, base_log: np.ndarray, inverse: str = "log1p",
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Translate model-space contributions (rows x features) to units, additively.

    Returns (contributions in units, base in units, forecast in units) with
    ``base + contributions.sum(axis=1) == forecast`` (float precision) and the forecast clipped
    at 0 as the forecasters do. ``inverse`` is the model space: ``log1p``, ``log`` (Tweedie link) or ``none``."""
    total = contrib_log.sum(axis=1)
    raw = base_log + total
    if inverse == "log1p":
        base = np.expm1(base_log)
        forecast = np.clip(np.expm1(np.minimum(raw, 50.0)), 0.0, None)
        slope = np.exp(base_log)
    elif inverse == "log":  # the Tweedie objective's log link
        base = np.exp(np.minimum(base_log, 50.0))
        forecast = np.exp(np.minimum(raw, 50.0))
        slope = base.copy()
    else:
        base = base_log.astype(float)
        forecast = np.clip(raw, 0.0, None)
        slope = np.ones_like(base)
    small = np.abs(total) < 1e-12
    ratio = np.where(small, slope, (forecast - base) / np.where(small, 1.0, total))
    units = contrib_log * ratio[:, None]
    # Tiny rounding left by the ratio goes to the largest contribution so the sum is exact.
    residual = forecast - base - units.sum(axis=1)
    if units.shape[1]:
        largest = np.abs(units).argmax(axis=1)
        units[np.arange(len(units)), largest] += residual
    return units, base, forecast


def explain_forecast(train: pd.DataFrame, future: pd.DataFrame, spec: ForecastSpec,
                     ids: list[str] | None = None) -> Explanation:
    """Fit the global LightGBM models of ``fit_predict`` on ``train`` (all series: the models
    are global; one per step bucket of the direct strategy) and explain their forecasts of the
    series ``ids`` (default: all) over ``spec.horizon`` periods, with the known inputs of
    ``future``."""
    wanted = list(dict.fromkeys(ids)) if ids is not None else None
    x_df = future[["unique_id", "ds", *spec.known]].sort_values(["unique_id", "ds"])
    if wanted is not None:
        x_df = x_df[x_df["unique_id"].isin(wanted)]
    x_step = x_df.groupby("unique_id").cumcount().to_numpy() + 1
    days_parts, feature_parts = [], []
    for first, last in direct_buckets(spec):
        days, features = _explain_bucket(train, x_df[x_step <= last], spec, wanted, first, last)
        days_parts.append(days)
        feature_parts.append(features)
    days = pd.concat(days_parts, ignore_index=True).sort_values(["unique_id", "ds"],
                                                                ignore_index=True)
    features = pd.concat(feature_parts, ignore_index=True)
    return Explanation(days=days, drivers=group_drivers(features), features=features)


def _explain_bucket(train: pd.DataFrame, x_df: pd.DataFrame, spec: ForecastSpec,
                    wanted: list[str] | None, first: int, last: int,
                    ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Days and per-feature SHAP values of steps ``first..last`` from the model whose lags
    start at ``last``."""
    mlf = fit_ml_forecaster(train, spec, model="lgbm", lags_from=last)
    steps: list[pd.DataFrame] = []

    def keep(features: pd.DataFrame) -> pd.DataFrame:
        step = features.copy()
        step.index = pd.Index(np.asarray(mlf.ts.uids), name="unique_id")
        steps.append(step)
        return features

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        predicted = mlf.predict(h=last, X_df=x_df, ids=wanted, before_predict_callback=keep)
    predicted["step"] = predicted.groupby("unique_id").cumcount()
    seen = pd.concat([s.assign(step=k) for k, s in enumerate(steps)]).reset_index()
    seen = seen.merge(predicted[["unique_id", "step", "ds"]], on=["unique_id", "step"])
    seen = seen[seen["step"] >= first - 1]
    seen = seen.sort_values(["unique_id", "ds"], ignore_index=True)
    names = list(mlf.models_["lgbm"].booster_.feature_name())
    matrix = seen[names]
    contrib_log, base_log = shap_contributions(mlf.models_["lgbm"].booster_, matrix)
    units, base, forecast = to_units(contrib_log, base_log, spec.ml_target_transform)
    keys = seen[["unique_id", "ds"]]
    days = keys.assign(base=base, forecast=forecast, base_log=base_log,
                       forecast_log=base_log + contrib_log.sum(axis=1))
    n, k = contrib_log.shape
    drivers_of = np.array([driver_of(f) for f in names])
    features = pd.DataFrame({
        "unique_id": np.repeat(keys["unique_id"].to_numpy(), k),
        "ds": np.repeat(keys["ds"].to_numpy(), k),
        "feature": np.tile(names, n),
        "driver": np.tile(drivers_of, n),
        "value": matrix.to_numpy(dtype=float).ravel(),
        "shap_log": contrib_log.ravel(),
        "shap_units": units.ravel(),
    })
    return days, features


def group_drivers(features: pd.DataFrame) -> pd.DataFrame:
    """Sum per-feature SHAP values into drivers: unique_id, ds, driver, contribution (units),
    contribution_log; every driver of ``DRIVERS`` appears on every day (0 when no feature)."""
    summed = features.groupby(["unique_id", "ds", "driver"], sort=False)[
        ["shap_units", "shap_log"]].sum()
    grid = pd.MultiIndex.from_product(
        [features[["unique_id", "ds"]].drop_duplicates().itertuples(index=False), DRIVERS])
    index = pd.MultiIndex.from_tuples([(u, d, driver) for (u, d), driver in grid],
                                      names=["unique_id", "ds", "driver"])
    out = summed.reindex(index, fill_value=0.0).reset_index()
    return out.rename(columns={"shap_units": "contribution", "shap_log": "contribution_log"})


def top_features(features: pd.DataFrame, n: int = 10) -> pd.DataFrame:
    """The features that move the forecast most over the horizon: feature, driver, units
    (signed sum), abs_units (sum of absolute values), mean_log (mean log1p contribution),
    mean_value; sorted by abs_units."""
    grouped = features.assign(abs_units=features["shap_units"].abs()).groupby(
        ["feature", "driver"], sort=False).agg(units=("shap_units", "sum"),
                                               abs_units=("abs_units", "sum"),
                                               mean_log=("shap_log", "mean"),
                                               mean_value=("value", "mean"))
    return grouped.sort_values("abs_units", ascending=False).head(n).reset_index()
