"""Stock-outs in the item model: what a censored row still tells, and effects moved with the
shrunk elasticity they were estimated together with."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from promocast.promotions.effects import estimate_effects
from promocast.promotions.item_model import (
    censored_mean,
    censored_variance,
    covariance,
    fit_item,
)
from promocast.promotions.shrinkage import given_elasticity


@pytest.mark.parametrize(("alpha", "mu", "sold"), [(0.0, 5.0, 3), (0.3, 5.0, 3), (0.3, 5.0, 0),
                                                   (0.5, 2.0, 6), (0.0, 0.5, 1)])
def test_censored_moments_match_a_simulation(alpha: float, mu: float, sold: int) -> None:
    rng = np.random.default_rng(0)
    if alpha == 0:
        demand = rng.poisson(mu, 400_000)
    else:
        n = 1 / alpha
        demand = rng.negative_binomial(n, n / (n + mu), 400_000)
    tail = demand[demand >= sold]
    c, m = np.array([sold]), np.array([mu])
    assert censored_mean(c, m, alpha)[0] == pytest.approx(tail.mean(), rel=0.01)
    assert censored_variance(c, m, alpha)[0] == pytest.approx(tail.var(), rel=0.03)


def test_a_row_that_sold_nothing_before_the_stock_out_tells_nothing() -> None:
    """Shelf empty from the opening (0 sold, censored): demand is anything, so the row adds
    no information, and the standard error is that of the other rows alone. Counted as
    observed demand (the imputation's value), it would halve the variance here."""
    rng = np.random.default_rng(1)
    n = 400
    x = np.column_stack([np.ones(n), rng.standard_normal(n)])
    mu = np.exp(1.5 + 0.3 * x[:, 1])
    y = rng.poisson(mu).astype(float)
    censored = np.arange(n) >= n // 2
    y[censored] = mu[censored]  # the EM's imputed demand for a row with nothing sold
    sold = np.where(censored, 0.0, y)
    cluster = np.arange(n)
    honest = covariance(x, y, mu, cluster, censored=censored, sold=sold)
    complete = covariance(x, y, mu, cluster)
    alone = covariance(x[~censored], y[~censored], mu[~censored], cluster[~censored])
    assert np.allclose(np.diag(honest), np.diag(alone), rtol=0.05)
    assert np.all(np.diag(honest) > 1.7 * np.diag(complete))


def test_a_stock_out_far_above_the_mean_loses_almost_nothing() -> None:
    rng = np.random.default_rng(2)
    n = 300
    x = np.ones((n, 1))
    mu = np.full(n, 4.0)
    y = rng.poisson(mu).astype(float)
    censored = np.arange(n) < 30
    sold = y.copy()
    sold[censored] = 12.0  # sold out at 12 when 4 were expected: demand was 12, or a bit more
    y[censored] = censored_mean(sold[censored], mu[censored], 0.0)
    honest = covariance(x, y, mu, np.arange(n), censored=censored, sold=sold)
    complete = covariance(x, y, mu, np.arange(n))
    assert honest[0, 0] == pytest.approx(complete[0, 0], rel=0.02)


def test_effects_follow_the_shrunk_elasticity_they_were_fitted_with() -> None:
    """Each item's (elasticity, lift) estimates are correlated draws (a flash sale is also a
    deep price cut). Given a better elasticity (here the truth, as a perfect shrinkage would
    give), the lift moved by the regression on it is closer to its truth, and its standard
    error says by how much."""
    rng = np.random.default_rng(3)
    n = 4000
    se_e, se_b, rho = 0.3, 0.35, 0.7
    cov = rho * se_e * se_b
    draws = rng.multivariate_normal([0, 0], [[se_e**2, cov], [cov, se_b**2]], size=n)
    index = pd.Index([f"i{k}" for k in range(n)], name="item_id")
    true_e, true_b = -2.5, 0.6
    own = pd.DataFrame({"estimate": true_e + draws[:, 0], "se": se_e}, index=index)
    lift = pd.Series(true_b + draws[:, 1], index=index)
    moved, se = given_elasticity(lift, pd.Series(se_b, index=index), pd.Series(cov, index=index),
                                  (own, pd.Series(true_e, index=index),
                                   pd.Series(0.0, index=index)))
    assert np.std(moved - true_b) == pytest.approx(se_b * np.sqrt(1 - rho**2), rel=0.05)
    assert se.iloc[0] == pytest.approx(se_b * np.sqrt(1 - rho**2), rel=1e-9)
    assert abs(np.mean(moved - true_b)) < 0.01
    # an item without an elasticity of its own keeps its estimate
    own.loc["i0", "estimate"] = np.nan
    kept, kept_se = given_elasticity(lift, pd.Series(se_b, index=index),
                                      pd.Series(cov, index=index),
                                      (own, pd.Series(true_e, index=index),
                                       pd.Series(0.0, index=index)))
    assert kept.iloc[0] == lift.iloc[0] and kept_se.iloc[0] == se_b


def _flash_item(item: str, seed: int, stock: float | None, sold_out: int = 6
                ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One item, 400 days: 25 % off for 4 days every 30 days (elasticity -2) and six one-day
    flash sales at 40 % off that triple sales on top of the price (about 167 units wanted);
    ``stock`` caps the units the first ``sold_out`` flash days can sell (a stock-out: the panel
    blanks y, ``sold`` keeps the units)."""
    rng = np.random.default_rng(seed)
    days = pd.date_range("2024-01-01", periods=400, freq="D")
    price, flash, promos = np.full(400, 10.0), np.zeros(400, bool), []
    for start in range(15, 380, 30):
        price[start:start + 4] = 7.5
        promos.append((f"{item}p{start}", "percent_off", start, start + 3, 25.0))
    flash_days = (40, 100, 160, 220, 280, 340)
    for day in flash_days:
        price[day], flash[day] = 6.0, True
        promos.append((f"{item}f{day}", "flash_sale", day, day, 40.0))
    demand = rng.poisson(20 * (price / 10) ** -2.0 * np.where(flash, 3.0, 1.0)).astype(float)
    sold = demand.copy()
    if stock is not None:
        capped = list(flash_days[:sold_out])
        sold[capped] = np.minimum(demand[capped], stock)
    stockout = (sold < demand).astype(int)
    frame = pd.DataFrame({
        "unique_id": f"{item}/s", "item_id": item, "store_id": "s", "category": "c",
        "ds": days, "y": np.where(stockout > 0, np.nan, sold), "price": price,
        "on_promo": (price < 10).astype(int), "observed": 1 - stockout,
        "stockout": stockout, "sold": sold})
    promotions = pd.DataFrame(
        [(pid, kind, item, days[a], days[b], pct) for pid, kind, a, b, pct in promos],
        columns=["promo_id", "promo_type", "item_id", "start_date", "end_date", "discount_pct"])
    return frame, promotions


def _effects(*shops: tuple[pd.DataFrame, pd.DataFrame]):
    return estimate_effects(pd.concat([f for f, _ in shops], ignore_index=True),
                            pd.concat([p for _, p in shops], ignore_index=True), None, freq="D")


def test_a_lift_whose_promotions_mostly_sold_out_is_flagged_and_stays_near_the_truth() -> None:
    """Half of A's flash days sell out at 100 units against about 167 wanted; B's never do.
    A's lift is flagged (the plan then carries the caveat), B's is not; the censored fit
    still finds A's lift near the truth (x3, +2.0), with a wider standard error than if the
    imputed demand had been observed."""
    effects = _effects(_flash_item("A", 0, stock=100.0, sold_out=3), _flash_item("B", 1, None))
    raw = effects.item_estimates.set_index(["item_id", "parameter"])
    assert raw.loc[("A", "lift_flash_sale"), "periods_sold_out"] == 3
    assert raw.loc[("B", "lift_flash_sale"), "periods_sold_out"] == 0
    assert raw.loc[("A", "lift_flash_sale"), "se"] > 1.1 * raw.loc[("A", "lift_flash_sale"),
                                                                    "se_pool"]
    assert np.expm1(raw.loc[("A", "lift_flash_sale"), "estimate"]) == pytest.approx(2.0, abs=0.4)
    flagged = effects.flags[effects.flags["parameter"] == "lift_flash_sale"]
    assert list(flagged["item_id"]) == ["A"]
    assert flagged["reason"].iat[0].startswith("3 of 6 promotion periods sold out")


def test_a_lift_whose_every_promotion_sold_out_is_not_identified() -> None:
    """Every flash day of A sold out at 60 units: the censored likelihood rises with the lift
    without end, so A has no flash-sale estimate of its own (it gets the category's, from B)
    and is flagged both ways; the EM's stopping point (about +0.3) is never reported."""
    effects = _effects(_flash_item("A", 0, stock=60.0), _flash_item("B", 1, None))
    raw = effects.item_estimates.set_index(["item_id", "parameter"])
    assert ("A", "lift_flash_sale") not in raw.index
    reasons = effects.flags[(effects.flags["item_id"] == "A")
                            & (effects.flags["parameter"] == "lift_flash_sale")]["reason"]
    assert any(r.startswith("not identified") for r in reasons)
    assert any(r.startswith("6 of 6 promotion periods sold out") for r in reasons)
    assert effects.params.set_index("item_id").loc["A", "lift_flash_sale"] > 1.4


def test_a_lift_the_data_hold_nothing_on_has_no_standard_error_of_zero() -> None:
    """A long-tail item that sold nothing on its four flash-sale days: the log lift's maximum
    likelihood is minus infinity, so the item gets no flash-sale estimate of its own. On the
    demo shop (seed 0) such a fit stopped near -2 with (numerically) no information, which the
    pseudo-inverse reported as a standard error of 1e-16, and that one item set the spread of
    every category's flash-sale lifts (1.48 against truths 0.35-0.88). This small fit drifts
    out of the stable range by itself; the covariance below is the part the fix guards: a
    column with no weight has an infinite variance, not 0."""
    rng = np.random.default_rng(5)
    n = 1100
    ds = pd.date_range("2023-01-01", periods=n, freq="D")
    flash = np.zeros(n)
    flash[[300, 301, 900, 901]] = 1.0
    rows = pd.DataFrame({
        "ds": ds, "store_id": "online", "price": 40.0,
        "y": np.where(flash > 0, 0.0, rng.poisson(0.04, n)).astype(float),
        "period": np.arange(n),
        "lift_flash_sale": flash,
        "lift_threshold": 0.0, "lift_gift": 0.0, "lift_bundle": 0.0,
        "lift_feature_display": 0.0, "after_promotion": 0.0, "rivals_on_promotion": 0.0,
    })
    fit = fit_item("X", rows, np.zeros(n), ds[0], harmonics=2, min_exposed=3)
    assert "lift_flash_sale" not in fit.estimates
    # the covariance itself: a column with no weight has an infinite variance, the others not
    x = np.column_stack([np.ones(n), flash])
    mu = np.where(flash > 0, 1e-300, 0.05)
    cov = covariance(x, rows["y"].to_numpy(), mu, np.arange(n))
    assert np.isinf(cov[1, 1]) and np.isfinite(cov[0, 0]) and cov[0, 0] > 0
