"""Every model of the zoo passes the forecaster contract (testing/checks.py)."""

from __future__ import annotations

import pytest

from promocast.forecasting.zoo import ML_MODELS, STAT_MODELS
from promocast.testing.checks import check_forecaster


@pytest.mark.parametrize("model", [*STAT_MODELS, *ML_MODELS])
def test_model_passes_check_forecaster(model: str) -> None:
    check_forecaster(model)


@pytest.mark.parametrize("horizon", [1, 7, 14, 28])
def test_direct_daily_features_keep_rolling_means_at_every_horizon(horizon: int) -> None:
    """Direct lags start at the horizon; the rolling means (a week, a month, a quarter, a year)
    must survive for long horizons too, and the long ones need no more history than the
    month's mean (28 days), so they drop no training row it keeps."""
    from promocast.forecasting.engine import ForecastSpec, _lags

    spec = ForecastSpec(freq="D", horizon=horizon, models=["lgbm"], season_length=7)
    lags, transforms, _ = _lags(spec)
    assert min(lags) == horizon
    assert [t.window_size for t in transforms[horizon]] == [7, 28, 91, 364]
    assert [t.min_samples or t.window_size for t in transforms[horizon]] == [7, 28, 28, 28]


@pytest.mark.parametrize(("horizon", "gap", "n", "expected"), [
    (3, 1, 3, [(1, 2), (3, 3)]),          # OJ protocol: the gap week rides with step 2
    (3, 0, 3, [(1, 1), (2, 2), (3, 3)]),
    (28, 0, 3, [(1, 3), (4, 9), (10, 28)]),
    (13, 0, 3, [(1, 2), (3, 6), (7, 13)]),
    (14, 0, 1, [(1, 14)]),
    (1, 0, 3, [(1, 1)]),
])
def test_direct_buckets_split_the_horizon_geometrically(horizon, gap, n, expected) -> None:
    from promocast.forecasting.engine import ForecastSpec, direct_buckets

    spec = ForecastSpec(freq="D", horizon=horizon, models=["lgbm"], season_length=7,
                        direct_models=n, gap=gap)
    assert direct_buckets(spec) == expected


def test_near_steps_see_the_latest_actuals() -> None:
    """Random walks: with one model per step bucket, step 1 is forecast from the last actual;
    a single direct model (lags from the horizon) cannot see it and errs far more."""
    import numpy as np
    import pandas as pd

    from promocast.forecasting.engine import ForecastSpec, fit_predict
    from promocast.forecasting.panel import future_grid

    rng = np.random.default_rng(3)
    n_series, n_weeks, h = 60, 120, 8
    dates = pd.date_range("2022-01-03", periods=n_weeks, freq="W-MON")
    level = 200 * np.exp(np.cumsum(rng.normal(0, 0.15, (n_series, n_weeks)), axis=1))
    frame = pd.DataFrame({"unique_id": np.repeat([f"S{k}" for k in range(n_series)], n_weeks),
                          "ds": np.tile(dates, n_series), "y": level.ravel().round(),
                          "observed": 1, "weight": 1.0})
    cutoff = dates[-h - 1]
    train, test = frame[frame["ds"] <= cutoff], frame[frame["ds"] > cutoff]
    future = future_grid(train, "W-MON", h)
    errors = {}
    for n in (1, 3):
        spec = ForecastSpec(freq="W-MON", horizon=h, models=["lgbm"], season_length=52,
                            direct_models=n, num_threads=1)
        got = fit_predict(train, future, spec).merge(test, on=["unique_id", "ds"])
        first = got[got["ds"] == got["ds"].min()]
        errors[n] = float((np.abs(first["lgbm"] - first["y"]) / first["y"]).mean())
    assert errors[3] < 0.75 * errors[1], errors


def _weekly_panel(n_series: int, weeks: int, yearly: bool, seed: int = 0):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    ds = pd.date_range("2020-01-05", periods=weeks, freq="W-SUN")
    frames = []
    for k in range(n_series):
        season = 3.0 * np.sin(2 * np.pi * np.arange(weeks) / 52) if yearly else 0.0
        level = 20 + season + (0 if yearly else np.cumsum(rng.normal(0, 2, weeks)))
        y = np.clip(level + rng.normal(0, 0.3, weeks), 0, None)
        frames.append(pd.DataFrame({"unique_id": f"s{k}", "ds": ds, "y": y, "observed": 1}))
    return pd.concat(frames, ignore_index=True)


def test_seasonal_lags_switch_on_for_yearly_patterns_only() -> None:
    from promocast.forecasting.engine import ForecastSpec, _lags, resolve_seasonal_lags

    spec = ForecastSpec(freq="W-SUN", horizon=13, models=["lgbm"], season_length=52)
    yearly = resolve_seasonal_lags(spec, _weekly_panel(4, 156, yearly=True))
    assert yearly.seasonal_lags is True
    assert {51, 52, 53} <= set(_lags(yearly, seasonal=True)[0])
    walk = resolve_seasonal_lags(spec, _weekly_panel(4, 156, yearly=False))
    assert walk.seasonal_lags is False  # last year says less than the last weeks
    short = resolve_seasonal_lags(spec, _weekly_panel(4, 80, yearly=True))
    assert short.seasonal_lags is False  # under two seasons per series: rows are too dear
    assert not {51, 52, 53} & set(_lags(short, seasonal=True)[0])


def test_window_inputs_give_every_series_a_full_window() -> None:
    import pandas as pd

    from promocast.forecasting.engine import ForecastSpec, window_inputs

    train = _weekly_panel(2, 30, yearly=False).assign(price=1.0)
    train = train[~((train["unique_id"] == "s1") & (train["ds"] > train["ds"].iloc[25]))]
    end = train["ds"].max()
    after = pd.DataFrame({"unique_id": "s0", "ds": [end + pd.Timedelta(weeks=1)], "y": [5.0],
                          "price": [0.8]})
    spec = ForecastSpec(freq="W-SUN", horizon=3, models=["lgbm"], season_length=52,
                        known=["price"])
    window = window_inputs(train, after, spec)
    assert window.groupby("unique_id").size().to_dict() == {"s0": 3, "s1": 3}
    s0 = window[window["unique_id"] == "s0"].reset_index(drop=True)
    assert s0.loc[0, "price"] == 0.8 and s0.loc[0, "y"] == 5.0  # the actual inputs where known
    assert s0["price"].iloc[1:].tolist() == [1.0, 1.0]  # else the last known, never NaN
    assert s0["y"].iloc[1:].isna().all()  # and no actual: never scored


def test_calibration_refits_a_sample_of_series_when_there_are_many() -> None:
    """Hold-out residuals are pooled across series: above ``ml_calibration_series`` a seeded
    sample is refitted, the same one every time, and the quantiles still hold in order."""
    from dataclasses import replace

    import numpy as np
    import pandas as pd

    from promocast.forecasting.engine import (
        ForecastSpec,
        _holdout_residuals,
        fit_predict,
        window_inputs,
    )
    from promocast.testing.checks import small_panel

    panel = small_panel(n_series=10, n_days=120)
    spec = ForecastSpec(freq="D", horizon=7, models=["lgbm"], season_length=7,
                        known=["price", "promo"], static=["category_code"],
                        ml_calibration_series=4)
    first = _holdout_residuals(panel, spec)
    again = _holdout_residuals(panel, spec)
    assert first["unique_id"].nunique() == 4 and first.equals(again)
    every = _holdout_residuals(panel, replace(spec, ml_calibration_series=3000))
    assert every["unique_id"].nunique() == 10
    future = window_inputs(panel[panel["ds"] < panel["ds"].max() - pd.Timedelta(days=6)],
                           panel, spec)
    out = fit_predict(panel[panel["ds"] < panel["ds"].max() - pd.Timedelta(days=6)], future, spec)
    q = out[[f"lgbm-q{q:g}" for q in spec.quantiles]].to_numpy()
    assert out["unique_id"].nunique() == 10 and (np.diff(q, axis=1) >= 0).all()


def test_folds_side_by_side_give_the_folds_run_one_by_one(monkeypatch) -> None:
    """``fold_workers``: whole folds in worker processes; each fold is the same computation
    (one LightGBM thread either way here), so the predictions are identical."""
    import pandas as pd

    from promocast.forecasting.engine import ForecastSpec, backtest
    from promocast.services.forecasting import FOLD_ROWS, fold_workers

    panel = _weekly_panel(6, 120, yearly=False).assign(weight=1.0)
    spec = ForecastSpec(freq="W-SUN", horizon=4, models=["seasonal_naive", "lgbm"],
                        season_length=52, num_threads=1)
    cutoffs = list(panel["ds"].drop_duplicates().sort_values().iloc[[-13, -9, -5]])
    said: list[str] = []
    one = backtest(panel, cutoffs, spec, gap=1)
    two = backtest(panel, cutoffs, spec, gap=1, progress=said.append, fold_workers=2)
    pd.testing.assert_frame_equal(one, two)
    assert said[0] == "backtest: 3 folds, 2 at a time" and said[-1] == "backtest fold 3/3 done"

    monkeypatch.delenv("PROMOCAST_FOLD_WORKERS", raising=False)
    monkeypatch.setattr("os.cpu_count", lambda: 8)
    assert fold_workers(10_000, 12) == 4 and fold_workers(10_000, 3) == 3
    assert fold_workers(FOLD_ROWS + 1, 12) == 1  # a copy per worker: large panels go one by one
    assert fold_workers(10_000, 12, engine="dask") == 1
    assert fold_workers(10_000, 12, models=["lgbm", "nhits"]) == 1
    monkeypatch.setenv("PROMOCAST_FOLD_WORKERS", "2")
    assert fold_workers(FOLD_ROWS + 1, 12) == 2


@pytest.mark.parametrize("staggered", [False, True])
def test_too_little_history_for_the_features_is_the_callers_fault(staggered: bool) -> None:
    """Daily series of 40 days forecast 20 ahead (direct: lags from day 20, then 28-day
    means) leave LightGBM no training row: a UsageError saying how much the features need,
    not LightGBM's "Input data must be 2 dimensional and non empty". Staggered series (each
    short, their dates together long) reach the fit and fail there: the same error."""
    import numpy as np
    import pandas as pd

    from promocast.exceptions import UsageError
    from promocast.forecasting.engine import ForecastSpec, fit_predict
    from promocast.forecasting.panel import future_grid

    frames = []
    for k in range(4):
        start = pd.Timestamp("2024-01-01") + pd.Timedelta(days=60 * k if staggered else 0)
        frames.append(pd.DataFrame({"unique_id": f"s{k}", "y": np.arange(40, dtype=float),
                                    "ds": pd.date_range(start, periods=40, freq="D"),
                                    "observed": 1, "weight": 1.0}))
    train = pd.concat(frames, ignore_index=True)
    spec = ForecastSpec(freq="D", horizon=20, models=["lgbm"], season_length=7,
                        strategy="direct", direct_models=1, num_threads=1)
    with pytest.raises(UsageError, match=r"features need (\d+).*forecast a shorter horizon"):
        fit_predict(train, future_grid(train, "D", 20), spec)


def test_linear_models_take_missing_features_as_the_training_median() -> None:
    """Ridge and linear regression refuse NaN; the zoo's take a missing feature (a young
    series' lag, an empty known input) as its training median, and keep the sample weights
    mlforecast passes (Walmart's backtest with ridge crashed on 'Input X contains NaN')."""
    import numpy as np

    from promocast.forecasting.zoo import ZooConfig, ml_model

    x = np.array([[1.0, 10.0], [2.0, 20.0], [3.0, 30.0], [4.0, 40.0], [100.0, 0.0]])
    y = np.array([1.0, 2.0, 3.0, 4.0, 50.0])
    for name in ("linear", "ridge"):
        model = ml_model(name, ZooConfig(season_length=7)).fit(x, y, sample_weight=np.array([1, 1, 1, 1, 0.0]))
        assert model.imputer_.statistics_.tolist() == [3.0, 20.0]
        got = model.predict(np.array([[np.nan, 20.0], [2.0, 20.0], [3.0, 20.0]]))
        assert np.isfinite(got).all() and got[0] == pytest.approx(got[2])
        # the zero-weight row does not pull the fit: y = x / 1 on the weighted rows
        assert got[1] == pytest.approx(2.0, abs=0.05 if name == "ridge" else 1e-9)
