"""Conformance checks every forecaster passes (STYLE.md: ``check_forecaster``).

Run on a small generated panel: shapes, no look-ahead (changing the actuals after the cutoff
changes nothing), quantiles ordered, demand never negative, same seed same numbers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from promocast.forecasting.engine import ForecastSpec, fit_predict, quantile_column
from promocast.forecasting.panel import future_grid, split_at


def small_panel(n_series: int = 6, n_days: int = 120, seed: int = 0) -> pd.DataFrame:
    """A daily panel with weekly seasonality, a price input and promotions."""
    rng = np.random.default_rng(seed)
    rows = []
    dates = pd.date_range("2024-01-01", periods=n_days, freq="D")
    for k in range(n_series):
        promo = (rng.random(n_days) < 0.1).astype(float)
        price = 10 * (1 - 0.2 * promo)
        mean = (5 + k) * (1 + 0.3 * (dates.weekday >= 5)) * (price / 10) ** -2
        rows.append(pd.DataFrame({"unique_id": f"S{k}", "ds": dates, "y": rng.poisson(mean).astype(float),
                                  "price": price, "promo": promo, "observed": 1, "weight": 1.0,
                                  "category_code": float(k % 2)}))
    return pd.concat(rows, ignore_index=True)


def check_forecaster(model: str, horizon: int = 7, seed: int = 0) -> None:
    """Raise AssertionError when ``model`` breaks the forecaster contract."""
    panel = small_panel(seed=seed)
    cutoff = panel["ds"].max() - pd.Timedelta(days=horizon)
    spec = ForecastSpec(freq="D", horizon=horizon, models=[model], season_length=7,
                        known=["price", "promo"], static=["category_code"], seed=seed)
    train, after = split_at(panel, cutoff)
    future = future_grid(train, "D", horizon).merge(after, on=["unique_id", "ds"], how="left")
    first = fit_predict(train, future, spec)
    assert len(first) == panel["unique_id"].nunique() * horizon, "one row per series and step"
    qcols = [quantile_column(model, q) for q in spec.quantiles]
    values = first[qcols].to_numpy()
    assert np.isfinite(values).all(), "quantiles must be finite"
    assert (values >= 0).all(), "demand forecasts must never be negative"
    assert (np.diff(values, axis=1) >= -1e-9).all(), "quantiles must not cross"
    assert np.allclose(first[model], first[quantile_column(model, 0.5)]), "median column"
    # No look-ahead: the actuals after the cutoff must not matter (inputs stay the same).
    shuffled = future.copy()
    shuffled["y"] = 1e6
    again = fit_predict(train, shuffled, spec)
    assert np.allclose(again[qcols].to_numpy(), values), "forecast used actuals after the cutoff"
    assert np.allclose(fit_predict(train, future, spec)[qcols].to_numpy(), values), "not deterministic"
