"""Medians of intermittent series under-sum demand: the forecast says so."""

from __future__ import annotations

import pandas as pd
import pytest
from scipy import stats

from promocast.forecasting.metrics import quantile_column
from promocast.forecasting.totals import medians_under_means

QUANTILES = (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95)


def _forecast(rates: dict[str, float], days: int = 14) -> pd.DataFrame:
    """Poisson quantiles of each series' daily rate; the median as the point."""
    rows = []
    for uid, rate in rates.items():
        for d in range(days):
            row = {"unique_id": uid, "ds": pd.Timestamp("2026-01-01") + pd.Timedelta(days=d)}
            for q in QUANTILES:
                row[quantile_column("m", q)] = float(stats.poisson.ppf(q, rate))
            row["m"] = row[quantile_column("m", 0.5)]
            rows.append(row)
    return pd.DataFrame(rows)


def test_slow_sellers_medians_are_said_to_under_sum() -> None:
    slow = _forecast({f"s{k}": 0.4 for k in range(30)})  # Poisson(0.4): median 0
    found = medians_under_means(slow, "m", QUANTILES)
    assert found is not None and found["series"] == 30 and found["median_total"] == 0
    # the means come back from the quantiles (a slight underestimate of 0.4 x 14 x 30 = 168)
    assert found["mean_total"] == pytest.approx(168, rel=0.35)
    assert "add up to 0%" in found["message"] and "--levels" in found["message"]


def test_steady_sellers_pass() -> None:
    assert medians_under_means(_forecast({"a": 40.0, "b": 25.0}), "m", QUANTILES) is None
    assert medians_under_means(_forecast({"a": 40.0}), "nope", QUANTILES) is None


def test_a_few_slow_series_in_a_busy_shop_pass() -> None:
    rates = {**{f"s{k}": 0.4 for k in range(3)}, "big": 50.0}
    assert medians_under_means(_forecast(rates), "m", QUANTILES) is None
