"""SHAP drivers of the LightGBM forecast (promocast.explain.drivers) on a synthetic panel whose
demand is known: promotions double units, price cuts raise them with elasticity -2."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from promocast.explain.drivers import DRIVERS, driver_of, explain_forecast, to_units, top_features
from promocast.forecasting.engine import ForecastSpec, fit_predict

HORIZON = 14
PROMO_DAY, CUT_DAY = 3, 9  # forecast steps (0-based) with a promotion / a 30 % price cut
SMALL_LGBM = {"n_estimators": 100, "num_leaves": 15, "min_child_samples": 10}


def synthetic_panel(seed: int = 3, n_series: int = 6, days: int = 240):
    """units ~ Poisson(level x weekday x (price / base)^-2 x (1 + promo)); the horizon plans a
    promotion on one day and a price cut on another (regular price, no promotion elsewhere)."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2024-01-01", periods=days + HORIZON, freq="D")
    frames = []
    for k in range(n_series):
        base_price = float(rng.uniform(5, 20))
        promo = (rng.random(len(dates)) < 0.12).astype(float)
        cut = np.where(rng.random(len(dates)) < 0.15, rng.choice([0.2, 0.3, 0.4], len(dates)), 0.0)
        promo[-HORIZON:], cut[-HORIZON:] = 0.0, 0.0
        promo[days + PROMO_DAY] = 1.0
        cut[days + CUT_DAY] = 0.3
        price = base_price * (1 - cut)
        weekday = 1 + 0.2 * (dates.dayofweek >= 5)
        mean = (4 + 2 * k) * weekday * (price / base_price) ** -2.0 * (1 + promo)
        frames.append(pd.DataFrame({
            "unique_id": f"S{k}", "ds": dates, "y": rng.poisson(mean).astype(float),
            "weight": 1.0, "price": price.astype("float32"),
            "rel_price": (price / base_price).astype("float32"), "promo": promo.astype("float32"),
            "item_code": np.float32(k)}))
    panel = pd.concat(frames, ignore_index=True)
    train = panel[panel["ds"] < dates[days]].reset_index(drop=True)
    future = panel[panel["ds"] >= dates[days]].drop(columns=["y"]).reset_index(drop=True)
    return train, future, dates[days:]


def spec() -> ForecastSpec:
    return ForecastSpec(freq="D", horizon=HORIZON, models=["lgbm"], season_length=7,
                        known=["price", "rel_price", "promo"], static=["item_code"],
                        num_threads=1, lgbm_params=SMALL_LGBM, seed=0)


@pytest.fixture(scope="module")
def explained():
    train, future, horizon_dates = synthetic_panel()
    return train, future, horizon_dates, explain_forecast(train, future, spec(), ids=["S2", "S4"])


def test_drivers_sum_to_the_forecast_in_log_space_and_in_units(explained) -> None:
    *_, ex = explained
    assert ex.days["unique_id"].unique().tolist() == ["S2", "S4"]
    assert len(ex.days) == 2 * HORIZON
    drivers = ex.drivers.set_index(["unique_id", "ds", "driver"])
    assert set(ex.drivers["driver"]) == set(DRIVERS)
    per_day = ex.days.set_index(["unique_id", "ds"])
    units = drivers["contribution"].groupby(level=[0, 1]).sum()
    logs = drivers["contribution_log"].groupby(level=[0, 1]).sum()
    np.testing.assert_allclose(per_day["base"] + units, per_day["forecast"], atol=1e-9)
    np.testing.assert_allclose(per_day["base_log"] + logs, per_day["forecast_log"], atol=1e-9)
    np.testing.assert_allclose(np.expm1(per_day["forecast_log"]).clip(lower=0),
                               per_day["forecast"], rtol=1e-9)
    # per-feature SHAP values add up to the same drivers
    by_feature = ex.features.groupby(["unique_id", "ds", "driver"])["shap_units"].sum()
    np.testing.assert_allclose(by_feature.sort_index(), drivers["contribution"]
                               .loc[by_feature.sort_index().index], atol=1e-12)


def test_explained_forecast_is_the_forecast_of_fit_predict(explained) -> None:
    train, future, _, ex = explained
    predicted = fit_predict(train, future, spec())
    median = predicted.set_index(["unique_id", "ds"])["lgbm"]
    ours = ex.days.set_index(["unique_id", "ds"])["forecast"]
    np.testing.assert_allclose(ours, median.loc[ours.index], rtol=1e-9, atol=1e-9)


def test_promotion_and_price_cut_days_get_positive_drivers(explained) -> None:
    _, _, dates, ex = explained
    wide = ex.drivers.pivot_table(index=["unique_id", "ds"], columns="driver",
                                  values="contribution")
    for uid in ("S2", "S4"):
        days = wide.loc[uid]
        promo_day, cut_day = dates[PROMO_DAY], dates[CUT_DAY]
        quiet = days.drop(index=[promo_day, cut_day])
        assert days.at[promo_day, "promotion"] > 0
        assert days.at[promo_day, "promotion"] > quiet["promotion"].max() + 0.5
        assert days.at[cut_day, "price"] > 0
        assert days.at[cut_day, "price"] > quiet["price"].max() + 0.5
    # the features the model saw are the planned ones
    seen = ex.features[(ex.features["unique_id"] == "S2") & (ex.features["feature"] == "promo")]
    assert seen.set_index("ds")["value"].to_dict()[dates[PROMO_DAY]] == 1.0
    top = top_features(ex.features, n=20)
    assert "promo" in set(top["feature"])
    assert any(f.startswith("lag") for f in top["feature"])


def test_deterministic_by_seed(explained) -> None:
    train, future, _, ex = explained
    again = explain_forecast(train, future, spec(), ids=["S2", "S4"])
    pd.testing.assert_frame_equal(ex.drivers, again.drivers)
    pd.testing.assert_frame_equal(ex.features, again.features)


@pytest.mark.parametrize(("feature", "driver"), [
    ("lag7", "level_trend"), ("rolling_mean_lag1_window_size28", "level_trend"),
    ("item_code", "level_trend"), ("store_code", "level_trend"), ("category_code", "level_trend"),
    ("dayofweek", "seasonality"), ("month", "seasonality"), ("week", "seasonality"),
    ("dayofyear", "seasonality"), ("days_to_double_11", "events"),
    ("days_from_spring_festival", "events"), ("is_holiday", "events"),
    ("is_workday_override", "events"), ("price", "price"), ("base_price", "price"),
    ("rel_price", "price"), ("discount_depth", "price"), ("log_price", "price"),
    ("price_momentum_4", "price"), ("price_3", "price"), ("promo", "promotion"),
    ("promo_feature_display", "promotion"), ("promo_threshold", "promotion"),
    ("feat", "promotion"), ("markdown_2", "promotion"), ("fuel_price", "other"),
    ("temperature", "other"),
])
def test_feature_classification(feature: str, driver: str) -> None:
    assert driver_of(feature) == driver


def test_units_translation_is_additive_exact_and_keeps_signs() -> None:
    rng = np.random.default_rng(0)
    contrib = rng.normal(0, 0.5, (50, 6))
    contrib[0] = 0.0  # nothing moves: the forecast is the base
    contrib[1] = [-3, -2, 0, 0, 0, 0]  # a forecast below zero is clipped to 0 and stays additive
    base_log = rng.uniform(0.5, 3, 50)
    units, base, forecast = to_units(contrib, base_log)
    np.testing.assert_allclose(base + units.sum(axis=1), forecast, atol=1e-12)
    np.testing.assert_allclose(forecast, np.expm1(base_log + contrib.sum(axis=1)).clip(0, None),
                               atol=1e-12)
    assert forecast[1] == 0.0 and forecast[0] == pytest.approx(base[0])
    moving = np.abs(contrib) > 1e-6
    assert (np.sign(units[moving]) == np.sign(contrib[moving])).all()
