"""The global models' accuracy options: level weights, the yearly growth features, the split
hold-out calibration and categorical statics (forecasting.scaling, lags, conformal)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def _weekly_panel(n_series: int = 3, weeks: int = 130, seed: int = 0) -> pd.DataFrame:
    """Weekly series of very different size sharing a yearly pattern that grows 20 % a year."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2020-01-04", periods=weeks, freq="W-SAT")
    t = np.arange(weeks)
    rows = []
    for k in range(n_series):
        level = 10.0 ** (1 + 2 * k)
        y = level * 1.2 ** (t / 52) * (1 + 0.5 * np.sin(2 * np.pi * t / 52)) * rng.lognormal(0, 0.05, weeks)
        rows.append(pd.DataFrame({"unique_id": f"s{k}", "ds": dates, "y": y, "observed": 1,
                                  "weight": 1.0, "store_code": float(k % 2)}))
    return pd.concat(rows, ignore_index=True)


def test_level_weights_follow_the_series_size_and_keep_the_total() -> None:
    from promocast.forecasting.scaling import level_weights

    frame = pd.DataFrame({"unique_id": ["a", "a", "b", "b", "b"],
                          "y": [10.0, 30.0, 1000.0, 3000.0, 0.0],
                          "weight": [1.0, 1.0, 1.0, 1.0, 0.0]})  # b's last row unobserved
    w = level_weights(frame, 1.0).to_numpy()
    assert w[4] == 0.0  # an unobserved row stays out of training
    assert np.isclose(w[2] / w[0], 100.0)  # level 2000 against 20
    assert np.isclose(w.sum(), frame["weight"].sum())
    half = level_weights(frame, 0.5).to_numpy()
    assert np.isclose(half[2] / half[0], 10.0)
    assert level_weights(frame, 0.0).equals(frame["weight"])


def test_spec_level_weight_is_off_unless_asked() -> None:
    from promocast.forecasting.spec import ForecastSpec

    spec = ForecastSpec(freq="W-SAT", horizon=4, models=["lgbm"], season_length=52)
    asked = ForecastSpec(freq="W-SAT", horizon=4, models=["lgbm"], season_length=52,
                         level_weight=0.5)
    assert spec.training_level_weight == 0.0 and asked.training_level_weight == 0.5


def test_yearly_growth_features_and_the_history_they_need() -> None:
    """Weekly data with seasonal lags: the level's year-on-year change and last year's value
    moved by it; a fitted model keeps enough of each series to compute them (a rolling
    quarter a year before the first lag), and predicts the growing pattern closely."""
    from promocast.forecasting.engine import ForecastSpec, _forecaster, fit_predict
    from promocast.forecasting.lags import _lags, keep_last, reach

    spec = ForecastSpec(freq="W-SAT", horizon=4, models=["lgbm"], season_length=52,
                        seasonal_lags=True, yearly_growth=True, direct_models=1,
                        ml_calibration_windows=0,
                        lgbm_params={"n_estimators": 60, "min_child_samples": 5})
    _, transforms, _ = _lags(spec, 4, seasonal=True)
    assert [reach(t) for t in transforms[4]][-2:] == [52 + 13, 52 + 13]
    assert keep_last(_forecaster(spec, ["lgbm"], True, 4)) >= 4 + 52 + 13
    panel = _weekly_panel()
    train = panel[panel["ds"] <= panel["ds"].max() - pd.Timedelta(weeks=4)]
    future = panel[panel["ds"] > train["ds"].max()][["unique_id", "ds"]]
    out = fit_predict(train, future, spec).merge(panel, on=["unique_id", "ds"])
    wape = (out["lgbm"] - out["y"]).abs().sum() / out["y"].sum()
    assert out["lgbm"].notna().all() and wape < 0.3  # 3 toy series; no garbage from a short history


def test_split_calibration_deals_the_series_into_one_group_per_window() -> None:
    from promocast.forecasting.conformal import calibration_groups
    from promocast.forecasting.spec import ForecastSpec

    ids = np.array([f"s{k:02d}" for k in range(20)])
    spec = ForecastSpec(freq="D", horizon=7, models=["lgbm"], season_length=7,
                        ml_calibration_windows=2, ml_calibration_split=True)
    groups = calibration_groups(ids, spec)
    assert len(groups) == 2 and sorted(np.concatenate(groups).tolist()) == ids.tolist()
    assert not set(groups[0]) & set(groups[1])
    assert all(np.array_equal(a, b) for a, b in zip(groups, calibration_groups(ids, spec), strict=True))
    same = ForecastSpec(freq="D", horizon=7, models=["lgbm"], season_length=7,
                        ml_calibration_windows=2, ml_calibration_split=False)
    assert calibration_groups(ids, same) == [None, None]  # every window refits every series
    sampled = ForecastSpec(freq="D", horizon=7, models=["lgbm"], season_length=7,
                           ml_calibration_windows=2, ml_calibration_split=True,
                           ml_calibration_series=10)
    assert sum(len(g) for g in calibration_groups(ids, sampled)) == 10


def test_categorical_statics_only_for_lightgbm_alone() -> None:
    from promocast.forecasting.scaling import categorical_statics
    from promocast.forecasting.spec import ForecastSpec

    data = _weekly_panel()
    spec = ForecastSpec(freq="W-SAT", horizon=4, models=["lgbm"], season_length=52,
                        static=["store_code"], categorical_statics=True)
    assert isinstance(categorical_statics(data, spec, ["lgbm"])["store_code"].dtype,
                      pd.CategoricalDtype)
    assert categorical_statics(data, spec, ["lgbm", "ridge"])["store_code"].dtype == float
    assert data["store_code"].dtype == float  # the caller's frame is left as it is
    # LightGBM's MAPE loss: the codes stay numeric (as categoricals LightGBM can abort on
    # "Check failed: (best_split_info.left_count) > (0)" under its 1 / |y| hessians)
    mape = ForecastSpec(freq="W-SAT", horizon=4, models=["lgbm"], season_length=52,
                        static=["store_code"], categorical_statics=True, lgbm_loss="mape")
    assert categorical_statics(data, mape, ["lgbm"])["store_code"].dtype == float
    assert isinstance(categorical_statics(data, mape, ["lgbm_tweedie"])["store_code"].dtype,
                      pd.CategoricalDtype)
