"""The hold-out factor on LightGBM's MAPE-loss forecasts: the multiple of the forecasts with
the least hold-out MAPE, from the steps a backtest scores."""

from __future__ import annotations

import numpy as np
import pandas as pd

from promocast.forecasting.conformal import hold_out_mape_factor, mape_factor
from promocast.forecasting.engine import _ml_quantiles
from promocast.forecasting.spec import ForecastSpec


def _mape(c: float, f: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(np.abs(c * f - y) / y))


def test_the_factor_has_the_least_mape_of_any_multiple() -> None:
    rng = np.random.default_rng(3)
    y = rng.poisson(20, 400).astype(float) + 1
    f = y * np.exp(rng.normal(0.1, 0.4, 400))  # forecasts about 10 % high, noisy
    c = mape_factor(f, y)
    grid = np.linspace(0.5, 1.5, 1001)
    assert _mape(c, f, y) <= min(_mape(g, f, y) for g in grid) + 1e-12
    # below the 1 / 1.1 that undoes the bias alone: MAPE punishes over-forecasts more
    assert 0.6 < c < 0.9
    # forecasts exactly twice the actuals: halve them
    assert mape_factor(2 * y, y) == 0.5


def test_no_factor_without_enough_actuals() -> None:
    y = np.r_[np.zeros(50), np.ones(10)]
    assert mape_factor(3 * np.ones(60), y) == 1.0  # 10 usable pairs: actual 0 says nothing
    assert mape_factor(np.ones(100), np.full(100, 10.0)) == 2.0  # clipped


def test_the_factor_comes_from_the_scored_steps() -> None:
    ids = np.repeat([f"s{k}" for k in range(40)], 3)
    step = np.tile([1, 2, 3], 40)
    y = np.full(120, 10.0)
    residuals = pd.DataFrame({"unique_id": ids, "step": step, "y": y,
                              "lgbm": np.where(step == 1, 20.0, 12.5)})
    assert hold_out_mape_factor(residuals, "lgbm", gap=1) == 0.8  # step 1 is not scored
    assert hold_out_mape_factor(residuals, "lgbm", gap=0) == 0.8  # 80 of 120 rows at 12.5
    assert hold_out_mape_factor(residuals.assign(lgbm=20.0), "lgbm", gap=1) == 0.5


def test_mape_loss_forecasts_are_scaled_and_other_losses_are_not() -> None:
    ids = np.repeat([f"s{k}" for k in range(40)], 2)
    residuals = pd.DataFrame({"unique_id": ids, "step": np.tile([1, 2], 40), "y": 10.0,
                              "lgbm": 20.0})
    points = pd.DataFrame({"unique_id": ["a", "a"], "ds": pd.date_range("2024-01-01", periods=2),
                           "lgbm": [8.0, 6.0]})
    mape = ForecastSpec(freq="D", horizon=2, models=["lgbm"], season_length=7,
                        lgbm_loss="mape", quantiles=(0.1, 0.5, 0.9))
    out = _ml_quantiles(points, residuals, mape)
    assert np.allclose(out["lgbm"], [4.0, 3.0])
    logged = ForecastSpec(freq="D", horizon=2, models=["lgbm"], season_length=7,
                          quantiles=(0.1, 0.5, 0.9))
    out = _ml_quantiles(points, residuals, logged)
    assert np.allclose(out["lgbm"], out["lgbm-q0.5"])  # the calibrated median, not rescaled
