"""Empirical Bayes over two levels: items toward their category, categories toward the shop."""

from __future__ import annotations

import numpy as np
import pandas as pd

from promocast.promotions.shrinkage import paule_mandel, shrink


def _items(category_means: list[float], per: int, item_sd: float, se: float, seed: int
           ) -> tuple[pd.Series, pd.Series, pd.Series, np.ndarray]:
    rng = np.random.default_rng(seed)
    cats = np.repeat([f"c{k}" for k in range(len(category_means))], per)
    truth = np.repeat(category_means, per) + item_sd * rng.standard_normal(len(cats))
    est = truth + se * rng.standard_normal(len(cats))
    index = pd.Index([f"i{k}" for k in range(len(cats))])
    return (pd.Series(est, index), pd.Series(se, index=index), pd.Series(cats, index), truth)


def test_noisy_categories_borrow_from_the_shop() -> None:
    """Categories that truly share one mean, each seen through a few noisy items (one-day
    flash sales): the category means are pulled to the shop's, which is closer to the truth
    than each category's own average."""
    errors_own, errors_shrunk = [], []
    for seed in range(20):
        est, se, cats, _truth = _items([0.5] * 8, per=4, item_sd=0.1, se=0.6, seed=seed)
        result = shrink(est, se, cats)
        errors_own.append(np.abs(result.categories["mu_own"] - 0.5).mean())
        errors_shrunk.append(np.abs(result.categories["mu"] - 0.5).mean())
    assert np.mean(errors_shrunk) < 0.6 * np.mean(errors_own)


def test_categories_that_truly_differ_keep_their_means() -> None:
    est, se, cats, _truth = _items([-3.0, -2.0, -1.0, 0.0], per=30, item_sd=0.1, se=0.2, seed=0)
    result = shrink(est, se, cats)
    assert result.omega2 > 0.5
    assert np.allclose(result.categories["mu"], result.categories["mu_own"], atol=0.01)
    assert np.allclose(result.categories["mu"], [-3, -2, -1, 0], atol=0.1)


def test_items_without_an_estimate_get_the_shrunk_category_and_a_wider_interval() -> None:
    est, se, cats, _truth = _items([0.2, 0.4], per=10, item_sd=0.05, se=0.1, seed=1)
    est.iloc[0] = np.nan
    result = shrink(est, se, cats)
    assert not result.own.iloc[0]
    assert result.mean.iloc[0] == result.categories.loc["c0", "mu"]
    assert result.sd.iloc[0] > result.sd.iloc[1:10].max()
    # a category with no estimate at all falls back on the shop
    alone = shrink(pd.Series([0.3, 0.5, np.nan], index=list("abc")),
                   pd.Series([0.1, 0.1, 0.1], index=list("abc")),
                   pd.Series(["x", "y", "z"], index=list("abc")))
    assert 0.3 <= alone.mean["c"] <= 0.5 and alone.sd["c"] > 0.05


def test_paule_mandel_is_zero_without_excess_spread_and_solves_its_equation() -> None:
    assert paule_mandel(np.array([0.0, 0.01, -0.01]), np.array([1.0, 1.0, 1.0])) == 0.0
    estimate, se = np.array([0.0, 1.0, 2.0, 5.0]), np.array([0.3, 0.5, 0.4, 0.6])
    spread = paule_mandel(estimate, se)
    w = 1 / (se**2 + spread)
    mean = np.sum(w * estimate) / np.sum(w)
    assert abs(np.sum(w * (estimate - mean) ** 2) - (len(estimate) - 1)) < 1e-6


def test_given_elasticity_takes_all_missing_object_columns() -> None:
    """Prices that never moved leave every estimate missing, as objects: no sqrt crash."""
    from promocast.promotions.shrinkage import given_elasticity

    idx = pd.Index(["a", "b"], name="item_id")
    missing = pd.Series([None, None], index=idx, dtype=object)
    table = pd.DataFrame({"estimate": missing, "se": missing})
    moved, se = given_elasticity(missing, missing, missing, (table, missing, missing))
    assert moved.dtype == float and se.dtype == float and se.isna().all()


def test_given_spreads_are_used_instead_of_estimated() -> None:
    """A benchmark runs the shrinkage with the true spreads (what better estimates of them
    could win): omega^2 = 0 puts every category at the shop's mean, a large one leaves each
    category at its own; the given tau^2 sets each item's pull."""
    est, se, cats, _truth = _items([-3.0, -2.0, -1.0, 0.0], per=30, item_sd=0.1, se=0.2, seed=0)
    alike = shrink(est, se, cats, tau2=0.01, omega2=0.0)
    assert (alike.tau2, alike.omega2) == (0.01, 0.0)
    assert np.ptp(alike.categories["mu"]) < 1e-9
    apart = shrink(est, se, cats, tau2=0.01, omega2=100.0)
    assert np.allclose(apart.categories["mu"], apart.categories["mu_own"], atol=1e-3)
    factor = 0.2**2 / (0.2**2 + 0.01)
    expected = (1 - factor) * est + factor * apart.categories["mu"].reindex(cats).to_numpy()
    assert np.allclose(apart.mean, expected)
