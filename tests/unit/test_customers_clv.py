"""Lifetime value: lifetimes reproduces the published CDNOW parameters, and our summary of
purchases is the models' (frequency, recency, T, monetary value)."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

from promocast.customers.clv import clv_summary, fit_clv

lifetimes_datasets = pytest.importorskip("lifetimes.datasets")


def test_bgnbd_and_gamma_gamma_reproduce_cdnow() -> None:
    """Fader, Hardie & Lee (2005): r 0.243, alpha 4.414, a 0.793, b 2.426 (weeks); Fader &
    Hardie's Gamma-Gamma note: p 6.25, q 3.74, v 15.44."""
    data = lifetimes_datasets.load_cdnow_summary_data_with_monetary_value()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = fit_clv(data, penalizer=0.0, horizon_days=52)
    bg, gg = result.bgnbd_params, result.gamma_gamma_params
    assert bg["r"] == pytest.approx(0.243, abs=0.002)
    assert bg["alpha"] == pytest.approx(4.414, abs=0.01)
    assert bg["a"] == pytest.approx(0.793, abs=0.005)
    assert bg["b"] == pytest.approx(2.426, abs=0.01)
    assert gg["p"] == pytest.approx(6.25, abs=0.02)
    assert gg["q"] == pytest.approx(3.74, abs=0.02)
    assert gg["v"] == pytest.approx(15.44, abs=0.05)
    customers = result.customers
    assert customers["prob_alive"].between(0, 1).all()
    assert (customers["clv"] >= 0).all()
    # a customer who bought often and recently is worth more than a one-off buyer
    regular = customers[(customers["frequency"] >= 5) & (customers["recency"] > 35)]
    one_off = customers[customers["frequency"] == 0]
    assert regular["clv"].mean() > 5 * one_off["clv"].mean()


def test_summary_follows_the_models_conventions() -> None:
    ts = pd.to_datetime(format="ISO8601", arg=["2024-01-01 09:00", "2024-01-01 15:00", "2024-01-11", "2024-01-21",
                         "2024-01-05", "2024-03-01"])
    purchases = pd.DataFrame({"customer_id": ["a", "a", "a", "a", "b", "c"], "order_id":
                              list("123456"), "timestamp": ts,
                              "revenue": [10.0, 5.0, 20.0, 30.0, 7.0, 99.0]})
    summary = clv_summary(purchases, pd.Timestamp("2024-01-31")).set_index("customer_id")
    assert "c" not in summary.index  # first purchase after the reference date
    assert summary.loc["a", "frequency"] == 2  # three purchase days: two repeats
    assert summary.loc["a", "recency"] == 20
    assert summary.loc["a", "T"] == 30
    assert summary.loc["a", "monetary_value"] == pytest.approx(25.0)  # repeats only
    assert summary.loc["b", "frequency"] == 0


def test_clv_matches_lifetimes_own_formula() -> None:
    from lifetimes import BetaGeoFitter, GammaGammaFitter

    data = lifetimes_datasets.load_cdnow_summary_data_with_monetary_value()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = fit_clv(data, penalizer=0.0, horizon_days=360, monthly_discount_rate=0.01)
        bgf = BetaGeoFitter().fit(data["frequency"], data["recency"], data["T"])
        repeat = data[data["frequency"] > 0]
        ggf = GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"])
        expected = ggf.customer_lifetime_value(bgf, data["frequency"], data["recency"],
                                               data["T"], data["monetary_value"], time=12,
                                               discount_rate=0.01, freq="D")
    assert result.customers["clv"].to_numpy() == pytest.approx(expected.to_numpy(), rel=1e-3)
