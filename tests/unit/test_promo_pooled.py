"""Pooled evidence of a rare mechanism: the rows items could not fit alone, added up per
category, recover the category's effect; stock-outs are demand, not sales; shrinkage uses it."""

from __future__ import annotations

import numpy as np
import pandas as pd

from promocast.promotions.pooled import pooled_effect, pooled_effects
from promocast.promotions.shrinkage import shrink


def _flash_rows(lift: float, items: int, seed: int, stock: float | None = None) -> pd.DataFrame:
    """Two one-day flash sales per item: units ~ Poisson(mu x (1 + lift)), mu the item's
    predicted no-promotion demand; ``stock`` caps the units sold (a stock-out is censored)."""
    rng = np.random.default_rng(seed)
    mu = np.repeat(rng.uniform(2, 12, items), 2)
    demand = rng.poisson(mu * (1 + lift)).astype(float)
    sold = demand if stock is None else np.minimum(demand, stock)
    return pd.DataFrame({
        "item_id": np.repeat([f"i{k}" for k in range(items)], 2),
        "category": "c",
        "treatment": "lift_flash_sale",
        "exposure": 1.0,
        "y": sold,
        "log_mu": np.log(mu),
        "censored": demand > sold if stock is not None else False,
        "alpha": 0.0,
    })


def test_pooled_rows_recover_the_category_lift_within_its_standard_error() -> None:
    hits = 0
    for seed in range(40):
        b, se, concentration = pooled_effect(_flash_rows(0.6, items=25, seed=seed))
        hits += abs(b - np.log(1.6)) <= 1.645 * se
        assert 1 / 25 <= concentration < 0.15
    assert hits >= 30  # a 90 % interval covers the truth about 36 times in 40


def test_stock_outs_enter_as_censored_demand_not_as_low_sales() -> None:
    rows = _flash_rows(0.8, items=40, seed=3, stock=12.0)
    assert rows["censored"].mean() > 0.1
    b, se, _ = pooled_effect(rows)
    naive, _, _ = pooled_effect(rows.assign(censored=False))
    assert abs(b - np.log(1.8)) < 2 * se
    assert naive < b - 0.05  # reading sold units as demand pulls the lift down


def test_one_item_is_no_category_evidence_and_categories_are_kept_apart() -> None:
    assert pooled_effect(_flash_rows(0.6, items=1, seed=0)) is None
    both = pd.concat([_flash_rows(0.3, items=30, seed=1),
                      _flash_rows(1.0, items=30, seed=2).assign(category="d")])
    table = pooled_effects(both, "lift_flash_sale")
    assert list(table.index) == ["c", "d"]
    assert np.allclose(np.expm1(table["estimate"]), [0.3, 1.0], atol=0.15)
    assert pooled_effects(both, "lift_gift").empty


def test_shrinkage_takes_the_pooled_evidence_as_one_more_look_at_the_category() -> None:
    """Two categories whose few own estimates say nothing: without the pooled rows both sit at
    the shop's mean; with them each moves to its own level."""
    est = pd.Series([0.5, 0.4, 0.45, 0.5], index=list("abcd"))
    se = pd.Series(0.6, index=est.index)
    cats = pd.Series(["c", "c", "d", "d"], index=est.index)
    without = shrink(est, se, cats)
    pooled = pd.DataFrame({"estimate": [0.2, 0.8], "se": [0.05, 0.05],
                           "concentration": [0.05, 0.05]}, index=["c", "d"])
    with_rows = shrink(est, se, cats, pooled=pooled)
    assert abs(without.categories.loc["c", "mu"] - without.categories.loc["d", "mu"]) < 0.05
    assert with_rows.categories.loc["c", "mu"] < 0.3 < 0.7 < with_rows.categories.loc["d", "mu"]
    assert with_rows.categories.loc["c", "se_own"] < without.categories.loc["c", "se_own"]
