"""Quantiles of global models the hold-out could not calibrate (a short history): a count
with the series' own spread around the forecast, never all equal to the median (QA round 5,
finding 4)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from promocast.forecasting.short_history import own_spread_quantiles, series_spread, with_spread

QUANTILES = (0.1, 0.5, 0.9)


def _poisson_history(mean: float, days: int = 56, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"unique_id": "A1",
                         "ds": pd.date_range("2026-01-05", periods=days, freq="D"),
                         "y": rng.poisson(mean, days).astype(float)})


def test_poisson_series_gets_a_poisson_interval() -> None:
    spread = series_spread(_poisson_history(20))
    points = pd.DataFrame({"unique_id": ["A1"] * 3, "lgbm": [20.0, 20.0, 20.0]})
    values = own_spread_quantiles(points, spread, "lgbm", QUANTILES)
    assert np.allclose(values[:, 1], 20.0)  # the median stays the model's forecast
    # Poisson(20): 14 and 26 (a little wider for the level measured over 56 days)
    assert 12 <= values[0, 0] <= 15 and 25 <= values[0, 2] <= 28


def test_a_rising_level_is_not_taken_for_noise() -> None:
    history = _poisson_history(20)
    history["y"] += np.arange(len(history)) * 1.0  # 20 -> 75 a day over 8 weeks
    spread = series_spread(history)
    # half the variance of day-to-day changes: that of the Poisson noise, not of the trend
    assert spread.loc["A1", "variance"] < 40


def test_calibrated_models_keep_their_conformal_quantiles() -> None:
    spread = series_spread(_poisson_history(20))
    points = pd.DataFrame({"unique_id": ["A1"], "lgbm": [20.0]})
    conformal = np.array([[15.0, 20.0, 25.0]])
    residuals = pd.DataFrame({"unique_id": ["A1"], "step": [1], "y": [19.0], "lgbm": [20.0]})
    assert with_spread(conformal, points, residuals, spread, "lgbm", QUANTILES) is conformal
    empty = residuals.iloc[0:0]
    widened = with_spread(np.full((1, 3), 20.0), points, empty, spread, "lgbm", QUANTILES)
    assert widened[0, 0] < 20 < widened[0, 2]
