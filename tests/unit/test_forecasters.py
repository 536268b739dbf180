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
    """Direct lags start at the horizon; the rolling means must survive for long horizons too."""
    from promocast.forecasting.engine import ForecastSpec, _lags

    spec = ForecastSpec(freq="D", horizon=horizon, models=["lgbm"], season_length=7)
    lags, transforms, _ = _lags(spec)
    assert min(lags) == horizon
    assert [t.window_size for t in transforms[horizon]] == [7, 28]
