"""Time series diagnostics on series whose answer is known (forecasting.diagnostics)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from promocast.forecasting.diagnostics import (
    acf_lags,
    diagnose_panel,
    diagnose_series,
    ljung_box,
)

N = 240


def rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def test_random_walk_keeps_its_unit_root_and_asks_for_one_difference() -> None:
    walk = 50 + np.cumsum(rng(1).normal(size=N))
    s = diagnose_series(walk, season_length=7, unique_id="walk").to_dict()
    assert s["adf"]["p_value"] > 0.10  # unit root not rejected
    assert s["kpss"]["p_value"] == pytest.approx(0.01)  # level stationarity rejected (table floor)
    assert s["suggested_d"] == 1 and s["ndiffs"] == {"kpss": 1, "adf": 1}
    assert s["suggested_D"] == 0
    assert s["acf"][0] == 1.0 and s["acf"][1] > 0.9
    assert s["arima"]["order"][1] == 1
    assert s["stl"]["trend_strength"] > 0.9


def test_white_noise_needs_no_difference_and_leaves_white_residuals() -> None:
    noise = 10 + rng(2).normal(size=N)
    s = diagnose_series(noise, season_length=7).to_dict()
    assert s["adf"]["p_value"] < 0.01 and s["kpss"]["p_value"] >= 0.05
    assert (s["suggested_d"], s["suggested_D"]) == (0, 0)
    assert s["arima"]["order"][1] == 0
    assert all(lb["p_value"] > 0.3 for lb in s["arima"]["ljung_box"])
    assert [lb["lag"] for lb in s["arima"]["ljung_box"]] == [10, 14]  # 10 and two weeks
    assert s["ljung_box_p"] > 0.3
    assert s["stl"]["seasonal_strength"] < 0.5
    bound = 1.959964 / np.sqrt(N)
    assert s["pacf_bound"] == pytest.approx(bound)
    assert np.mean(np.abs(s["acf"][1:]) < np.asarray(s["acf_bound"][1:])) > 0.85


def test_strong_weekly_season_is_found_and_seasonally_differenced() -> None:
    weekday = np.tile([0.0, 0.0, 1.0, 2.0, 3.0, 8.0, 6.0], N // 7 + 1)[:N]
    daily = 20 + 3 * weekday + rng(3).normal(size=N)
    s = diagnose_series(daily, season_length=7).to_dict()
    assert s["stl"]["method"] == "STL" and s["stl"]["period"] == 7
    assert s["stl"]["seasonal_strength"] > 0.9
    assert s["stl"]["seasonal_amplitude"] == pytest.approx(24, abs=3)
    assert s["suggested_D"] == 1
    p_, big_d, q_, period = s["arima"]["seasonal_order"]
    assert (big_d, period) == (1, 7) and p_ + q_ <= 2
    assert s["acf"][7] > 0.5  # a week apart: same weekday
    assert s["ets"]["label"].endswith(",A)")  # additive seasonal ETS


def test_ar1_autocorrelation_matches_phi() -> None:
    shocks = rng(4).normal(size=2000)
    ar = np.zeros_like(shocks)
    for t in range(1, len(ar)):
        ar[t] = 0.7 * ar[t - 1] + shocks[t]
    s = diagnose_series(ar, season_length=1, fit_models=False).to_dict()
    assert s["acf"][1] == pytest.approx(0.7, abs=0.05)
    assert s["acf"][2] == pytest.approx(0.49, abs=0.06)
    assert s["pacf"][1] == pytest.approx(0.7, abs=0.05)
    assert abs(s["pacf"][2]) < 0.06
    assert s["suggested_d"] == 0
    assert s["stl"]["seasonal_strength"] is None  # no season to decompose


def test_ets_and_arima_aic_share_the_gaussian_likelihood_scale() -> None:
    noise = 5 + rng(11).normal(size=N)
    s = diagnose_series(noise, season_length=1).to_dict()
    gaussian = -N / 2 * (np.log(2 * np.pi * np.var(noise)) + 1)  # i.i.d. around the mean
    assert s["arima"]["label"] == "ARIMA(0,0,0) with mean"
    assert s["arima"]["loglik"] == pytest.approx(gaussian, abs=1e-6)
    assert s["ets"]["label"] == "ETS(A,N,N)"
    assert s["ets"]["loglik"] == pytest.approx(gaussian, abs=0.1)  # alpha ~ 0: the mean
    assert s["aic_comparable"] is True
    assert s["ets"]["aic"] - s["arima"]["aic"] == pytest.approx(2, abs=0.2)  # one more parameter
    assert s["best_by_aic"] == "arima"


def test_too_short_constant_and_empty_series_get_a_note() -> None:
    short = diagnose_series([1.0, 3.0, 2.0, 5.0, 4.0], season_length=7).to_dict()
    assert short["n"] == 5 and short["adf"] is None and short["arima"] is None
    assert "too short" in short["notes"][0]
    flat = diagnose_series(np.full(40, 3.0), season_length=7).to_dict()
    assert flat["suggested_d"] == 0 and "constant" in flat["notes"][0]
    empty = diagnose_series([np.nan] * 10, season_length=7).to_dict()
    assert empty["n"] == 0 and "no observed value" in empty["notes"][0]
    json.dumps([short, flat, empty], allow_nan=False)


def test_weekly_series_shorter_than_three_years_gets_trend_only() -> None:
    weeks = 100 + np.cumsum(rng(6).normal(size=121)) * 0.2 + rng(7).normal(size=121)
    result = diagnose_series(weeks, season_length=52)
    s = result.to_dict()
    assert s["stl"]["method"].startswith("LOWESS") and s["stl"]["seasonal_strength"] is None
    assert s["suggested_D"] == 0
    assert any("fewer than 3" in note for note in s["notes"])
    assert (result.components["seasonal"] == 0).all()
    assert acf_lags(121, 52) == 53  # one season and a lag


def test_missing_periods_are_interpolated_and_counted() -> None:
    days = pd.date_range("2024-01-01", periods=N, freq="D")
    y = 20 + rng(8).normal(size=N)
    frame = pd.DataFrame({"unique_id": "A1/s1", "ds": days, "y": y, "observed": 1})
    frame.loc[[0, 1], "y"] = np.nan  # leading: dropped
    frame.loc[[50, 51, 52], "observed"] = 0  # stock-out days: treated as missing
    frame = frame.drop(index=[100, 101])  # gap: rows absent from the frame
    frame = pd.concat([frame, frame.assign(unique_id="B2/s1", y=np.nan)])
    first, empty = diagnose_panel(frame, freq="D")
    s = first.to_dict()
    assert s["n"] == N - 2 and s["missing"] == 5
    assert s["start"] == "2024-01-03"
    assert any("5 of 238 periods missing" in note for note in s["notes"])
    assert first.components["observed"].sum() == N - 2 - 5
    assert not first.components["y"].isna().any()
    assert empty.to_dict()["n"] == 0


def test_ljung_box_flags_autocorrelated_residuals() -> None:
    shocks = rng(9).normal(size=300)
    ma = shocks[1:] + 0.8 * shocks[:-1]
    assert ljung_box(ma, 7)[0]["p_value"] < 1e-6
    assert ljung_box(shocks, 7)[0]["p_value"] > 0.05
    assert ljung_box(shocks, 7, model_df=12)[0]["p_value"] is None  # lag 10 <= model df
