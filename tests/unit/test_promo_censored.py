"""Stock-outs in the item model: what a censored row still tells, and effects moved with the
shrunk elasticity they were estimated together with."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from promocast.promotions.effects import _given_elasticity
from promocast.promotions.item_model import censored_mean, censored_variance, covariance


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
    moved, se = _given_elasticity(lift, pd.Series(se_b, index=index), pd.Series(cov, index=index),
                                  (own, pd.Series(true_e, index=index),
                                   pd.Series(0.0, index=index)))
    assert np.std(moved - true_b) == pytest.approx(se_b * np.sqrt(1 - rho**2), rel=0.05)
    assert se.iloc[0] == pytest.approx(se_b * np.sqrt(1 - rho**2), rel=1e-9)
    assert abs(np.mean(moved - true_b)) < 0.01
    # an item without an elasticity of its own keeps its estimate
    own.loc["i0", "estimate"] = np.nan
    kept, kept_se = _given_elasticity(lift, pd.Series(se_b, index=index),
                                      pd.Series(cov, index=index),
                                      (own, pd.Series(true_e, index=index),
                                       pd.Series(0.0, index=index)))
    assert kept.iloc[0] == lift.iloc[0] and kept_se.iloc[0] == se_b
