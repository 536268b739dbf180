"""Every model of the zoo passes the forecaster contract (testing/checks.py)."""

from __future__ import annotations

import pytest

from promocast.forecasting.zoo import ML_MODELS, STAT_MODELS
from promocast.testing.checks import check_forecaster


@pytest.mark.parametrize("model", [*STAT_MODELS, *ML_MODELS])
def test_model_passes_check_forecaster(model: str) -> None:
    check_forecaster(model)
