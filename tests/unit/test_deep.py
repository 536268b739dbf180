"""LSTM and NHITS (the optional [deep] extra, neuralforecast on CPU torch).

The tests that train a network are marked ``deep`` and skip with the reason when torch or
neuralforecast is missing (`make deep` installs them; `make test-deep` runs only these).
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

from promocast.exceptions import UsageError
from promocast.forecasting.engine import ForecastSpec, fit_predict, quantile_column
from promocast.forecasting.panel import future_grid, split_at
from promocast.forecasting.zoo import DEEP_MODELS
from promocast.testing.checks import check_forecaster, small_panel

HORIZON = 14


@pytest.fixture
def deep_extra() -> None:
    """Skip unless the [deep] extra is installed."""
    reason = "the [deep] extra is not installed (make deep)"
    pytest.importorskip("torch", reason=reason)
    pytest.importorskip("neuralforecast", reason=reason)


def seasonal_panel(n_series: int = 8, n_days: int = 182, seed: int = 3) -> pd.DataFrame:
    """Daily series with a strong weekly profile (weekends 2.5x) and a few stock-out days."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2024-01-01", periods=n_days, freq="D")
    profile = np.array([1.0, 0.9, 1.0, 1.1, 1.4, 2.5, 2.8])[dates.weekday]
    frames = []
    for k in range(n_series):
        y = rng.poisson((4 + 3 * k) * profile).astype(float)
        observed = np.ones(n_days, dtype="int8")
        observed[rng.choice(n_days - 2 * HORIZON, size=6, replace=False)] = 0
        y[observed == 0] = np.nan  # censored: no actual, the model must not learn from it
        frames.append(pd.DataFrame({"unique_id": f"S{k}", "ds": dates, "y": y,
                                    "observed": observed, "weight": observed.astype(float),
                                    "price": 10.0, "category_code": float(k % 2)}))
    return pd.concat(frames, ignore_index=True)


def forecast_last_weeks(panel: pd.DataFrame, models: list[str]) -> tuple[pd.DataFrame, ForecastSpec]:
    cutoff = panel["ds"].max() - pd.Timedelta(days=HORIZON)
    train, after = split_at(panel, cutoff)
    future = future_grid(train, "D", HORIZON).merge(after, on=["unique_id", "ds"], how="left")
    spec = ForecastSpec(freq="D", horizon=HORIZON, models=models, season_length=7,
                        known=["price"], static=["category_code"], seed=0)
    predicted = fit_predict(train, future, spec)
    return predicted.merge(after[["unique_id", "ds", "y"]], on=["unique_id", "ds"]), spec


@pytest.mark.deep
@pytest.mark.parametrize("model", DEEP_MODELS)
def test_deep_model_passes_check_forecaster(deep_extra: None, model: str,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    # Shapes, non-negative ordered quantiles, no look-ahead, same seed -> same numbers: none of
    # them depends on how long the network trains, so 100 steps instead of MAX_STEPS (3 fits).
    from promocast.forecasting import deep

    monkeypatch.setattr(deep, "MAX_STEPS", 100)
    check_forecaster(model)


@pytest.mark.deep
def test_nhits_beats_naive_on_a_seasonal_panel_with_stockouts(deep_extra: None) -> None:
    scored, spec = forecast_last_weeks(seasonal_panel(), ["naive", "nhits"])
    assert len(scored) == 8 * HORIZON
    mae = {m: float((scored[m] - scored["y"]).abs().mean()) for m in ("naive", "nhits")}
    assert mae["nhits"] < 0.5 * mae["naive"], mae
    qcols = [quantile_column("nhits", q) for q in spec.quantiles]
    assert np.isfinite(scored[qcols].to_numpy()).all()
    # Weekends are forecast higher than weekdays: the weekly profile was learned.
    weekend = scored["ds"].dt.weekday >= 5
    assert scored.loc[weekend, "nhits"].mean() > 1.8 * scored.loc[~weekend, "nhits"].mean()
    # Deterministic under the seed.
    again, _ = forecast_last_weeks(seasonal_panel(), ["nhits"])
    np.testing.assert_allclose(again[qcols].to_numpy(), scored[qcols].to_numpy())


def test_deep_models_without_the_extra_say_how_to_install_it(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "neuralforecast", None)  # import fails as if absent
    panel = small_panel(n_series=2, n_days=40)
    cutoff = panel["ds"].max() - pd.Timedelta(days=7)
    train, after = split_at(panel, cutoff)
    future = future_grid(train, "D", 7).merge(after, on=["unique_id", "ds"], how="left")
    spec = ForecastSpec(freq="D", horizon=7, models=["nhits"], season_length=7)
    with pytest.raises(UsageError, match=r"\[deep\] extra: make deep"):
        fit_predict(train, future, spec)
