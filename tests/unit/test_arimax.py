"""``autoarima_x``: AutoARIMA with the horizon's known prices and promotions as regressors."""

from __future__ import annotations

import numpy as np
import pandas as pd

from promocast.forecasting.arimax import independent_columns
from promocast.forecasting.engine import ForecastSpec, fit_predict


def test_independent_columns_drop_constant_and_repeated_ones() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=50), rng.normal(size=50)
    x = np.column_stack([a, np.zeros(50), 2 * a + 1, b, np.ones(50)])
    keep = independent_columns(x)
    assert keep.sum() == 2 and keep[3] and keep[0] != keep[2]  # a or its copy, and b
    assert not keep[1] and not keep[4]
    assert not independent_columns(np.ones((10, 2))).any()


def _shop(weeks: int = 100, h: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Four weekly series selling exp(5) units at price 2 and 2.5 x more at price 1.4 (elasticity
    about -2.5). s0 never had a promotion, s1's promotions were always featured (the two flags
    repeat each other); the last week of the horizon cuts the price of every series."""
    rng = np.random.default_rng(1)
    frames = []
    ds = pd.date_range("2021-01-07", periods=weeks + h, freq="W-THU")
    for k in range(4):
        promo = (rng.random(weeks + h) < 0.2).astype(float)
        promo[:weeks] *= k > 0
        promo[weeks:] = [0, 0, 1]
        feature = promo.copy() if k == 1 else (rng.random(weeks + h) < 0.1) * promo
        price = np.where(promo > 0, 1.4, 2.0)
        units = np.exp(5 - 2.5 * np.log(price / 2.0) + rng.normal(0, 0.1, weeks + h))
        frames.append(pd.DataFrame({"unique_id": f"s{k}", "ds": ds, "y": units.round(),
                                    "price": price, "promo": promo,
                                    "promo_feature_display": feature}))
    frame = pd.concat(frames, ignore_index=True)
    cutoff = ds[weeks - 1]
    return frame[frame["ds"] <= cutoff], frame[frame["ds"] > cutoff].drop(columns="y")


def test_the_forecast_follows_the_planned_price_cut() -> None:
    train, future = _shop()
    spec = ForecastSpec(freq="W-THU", horizon=3, models=["autoarima", "autoarima_x"],
                        season_length=52, known=["price", "promo", "promo_feature_display"])
    out = fit_predict(train, future, spec).sort_values(["unique_id", "ds"])
    for uid, got in out.groupby("unique_id"):
        x = got["autoarima_x"].to_numpy()
        plain = got["autoarima"].to_numpy()
        assert 0.8 < plain[2] / plain[:2].mean() < 1.25, uid  # univariate: blind to the cut
        if uid == "s0":  # no promotion in its history: nothing to learn the cut from
            assert 0.8 < x[2] / x[:2].mean() < 1.25, (uid, x)
        else:  # exp(5) = 148 at the regular price, 2.3 x at the cut
            assert 120 < x[:2].mean() < 180, (uid, x)
            assert 1.8 < x[2] / x[:2].mean() < 3.0, (uid, x)
        q = got[[c for c in got.columns if c.startswith("autoarima_x-q")]].to_numpy()
        assert (np.diff(q, axis=1) >= 0).all()


def test_inputs_take_the_series_last_known_value_and_the_log_of_price() -> None:
    from promocast.forecasting.arimax import arima_inputs

    frame = pd.DataFrame({
        "unique_id": ["a", "a", "a", "b", "b"],
        "ds": pd.to_datetime(["2024-01-01", "2024-01-08", "2024-01-15", "2024-01-01",
                              "2024-01-08"]),
        "price": [np.nan, 2.0, np.nan, 3.0, np.nan], "promo": [0, 1, np.nan, np.nan, np.nan]})
    got, cols = arima_inputs(frame, ["price", "promo", "rel_price"])
    assert cols == ["log_price", "promo"]  # only inputs the frame has; price as its log
    assert np.allclose(got["log_price"], np.log([2, 2, 2, 3, 3]))  # within the series only
    assert got["promo"].tolist() == [0, 1, 1, 0, 0]  # b never said: no promotion
