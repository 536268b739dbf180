"""The regular panel: gaps filled, censored rows flagged, placeholder targets interpolated."""

from __future__ import annotations

import numpy as np
import pandas as pd

from promocast.forecasting.panel import _interpolate_within, regular_panel


def test_interpolation_is_pandas_series_interpolate_per_series() -> None:
    rng = np.random.default_rng(0)
    parts = []
    for k in range(200):
        n = int(rng.integers(1, 30))
        y = rng.gamma(2, 3, n)
        y[rng.random(n) < rng.uniform(0, 0.9)] = np.nan
        parts.append(pd.DataFrame({"unique_id": f"s{k:03d}", "y": y}))
    frame = pd.concat(parts, ignore_index=True)
    expected = frame.groupby("unique_id", sort=False)["y"].transform(
        lambda y: y.interpolate(limit_direction="both"))
    got = _interpolate_within(frame, "y")
    assert got.isna().equals(expected.isna())  # all-NaN series stay NaN
    assert np.array_equal(got.to_numpy(), expected.to_numpy(), equal_nan=True)  # bit for bit


def test_gaps_and_stockouts_are_unobserved_with_weight_zero() -> None:
    frame = pd.DataFrame({
        "unique_id": ["a"] * 4 + ["b"] * 2,
        "ds": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-04", "2024-01-05",
                              "2024-01-01", "2024-01-03"]),
        "y": [2.0, np.nan, 8.0, 5.0, 1.0, 3.0],
        "stockout": [0, 1, 0, 0, 0, 0],
        "price": [1.0, 1.0, 1.5, 1.5, 2.0, 2.0],
    })
    panel = regular_panel(frame, "D", known=["price"])
    a = panel[panel["unique_id"] == "a"]
    assert a["ds"].dt.day.tolist() == [1, 2, 3, 4, 5]
    assert a["observed"].tolist() == [1, 0, 0, 1, 1]
    assert a["y"].tolist() == [2.0, 4.0, 6.0, 8.0, 5.0]  # placeholders for lags only
    assert a["weight"].tolist() == [1.0, 0.0, 0.0, 1.0, 1.0]
    assert a["price"].tolist() == [1.0, 1.0, 1.0, 1.5, 1.5]  # carried forward
    b = panel[panel["unique_id"] == "b"]
    assert b["y"].tolist() == [1.0, 2.0, 3.0] and b["observed"].tolist() == [1, 0, 1]
