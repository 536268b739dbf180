"""Promotion responsiveness (discounts and the promotions table) and target lists."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from promocast.customers.recommend import ItemToItem, interaction_matrix
from promocast.customers.response import (
    customer_responsiveness,
    on_promotion,
    segment_responsiveness,
)
from promocast.customers.targets import (
    category_affinity,
    item_affinity,
    promo_factor,
    target_list,
)

ITEMS = pd.DataFrame({"item_id": ["x", "y", "z"], "category": ["tea", "tea", "cups"]})
PROMOTIONS = pd.DataFrame({
    "promo_id": ["P1", "P2", "P3"], "promo_type": ["gift", "threshold", "percent_off"],
    "start_date": pd.to_datetime(["2024-01-10", "2024-02-01", "2024-03-01"]),
    "end_date": pd.to_datetime(["2024-01-12", "2024-02-03", "2024-03-05"]),
    "item_id": ["x", None, "z"], "category": [None, "tea", None],
    "store_id": [None, None, "s2"]})


def _lines() -> pd.DataFrame:
    return pd.DataFrame({
        "customer_id": ["a", "a", "a", "b", "b", "b", "c"],
        "item_id": ["x", "x", "y", "y", "z", "z", "z"],
        "timestamp": pd.to_datetime(["2024-01-12 23:00", "2024-01-13 01:00", "2024-02-02 10:00",
                                     "2024-01-05 10:00", "2024-03-02 10:00", "2024-03-02 11:00",
                                     "2024-04-01 10:00"]),
        "store_id": ["s1", "s1", "s1", "s1", "s1", "s2", "s1"],
        "quantity": [1.0, 1.0, 2.0, 1.0, 1.0, 1.0, 3.0],
        "unit_price": [5.0, 5.0, 4.0, 4.0, 2.0, 2.0, 2.0],
        "discount": [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.5]})


def test_lines_on_promotion_by_item_category_store_date_or_discount() -> None:
    flags = on_promotion(_lines(), PROMOTIONS, ITEMS)
    # x in P1 on its last day; x the day after: no; y in the tea category promotion P2;
    # y before it: no; z in store s1 while P3 is for s2 only: no; z in s2: yes; discounted: yes
    assert flags.tolist() == [True, False, True, False, False, True, True]
    assert on_promotion(_lines()).tolist() == [False] * 6 + [True]  # no promotions table


def test_customer_and_segment_shares() -> None:
    per_customer = customer_responsiveness(_lines(), PROMOTIONS, ITEMS).set_index("customer_id")
    assert per_customer.loc["a", "promo_share"] == pytest.approx(2 / 3)
    assert per_customer.loc["a", "promo_revenue_share"] == pytest.approx(13 / 18)
    assert per_customer.loc["b", "promo_share"] == pytest.approx(1 / 3)
    assert bool(per_customer.loc["c", "deal_seeker"]) and not per_customer.loc["b", "deal_seeker"]
    segments = pd.DataFrame({"customer_id": ["a", "b", "c"],
                             "segment": ["champions", "champions", "new"]})
    report = segment_responsiveness(per_customer.reset_index(), segments).set_index("segment")
    assert report.loc["champions", "promo_share"] == pytest.approx(3 / 6)
    assert report.loc["new", "promo_share"] == pytest.approx(1.0)
    assert report.loc["new", "index"] == pytest.approx(1.0 / (4 / 7))


def test_target_list_ranks_by_probability_affinity_and_responsiveness() -> None:
    scores = pd.DataFrame({"customer_id": ["a", "b", "c", "d"],
                           "probability": [0.9, 0.9, 0.5, 0.0]})
    responsiveness = pd.DataFrame({"customer_id": ["a", "b", "c", "d"],
                                   "lines": [10.0, 10.0, 10.0, 10.0],
                                   "promo_lines": [8.0, 0.0, 2.0, 5.0]})
    factor = promo_factor(responsiveness)
    assert factor["a"] > 1 > factor["b"]
    affinity = pd.Series({"a": 1.0, "b": 1.0, "c": 0.5})
    targets = target_list(scores, affinity=affinity, factor=factor, top=10)
    assert targets["customer_id"].tolist() == ["a", "b", "c"]  # d: probability 0 -> left out
    assert targets["rank"].tolist() == [1, 2, 3]
    assert targets.loc[0, "response_score"] == pytest.approx(0.9 * factor["a"])
    no_promotions = promo_factor(responsiveness.assign(promo_lines=0.0))
    assert (no_promotions == 1.0).all()


def test_affinities() -> None:
    items = pd.DataFrame({"item_id": ["t1", "t2", "c1"], "category": ["tea", "tea", "cups"]})
    days = pd.DataFrame({"customer_id": ["tea_lover"] * 6 + ["cup_lover"] * 6 + ["mixed"] * 2,
                         "item_id": ["t1", "t2"] * 3 + ["c1"] * 6 + ["t1", "c1"],
                         "day": pd.date_range("2024-01-01", periods=14)})
    tea = category_affinity(days, items, "tea")
    assert tea["tea_lover"] == pytest.approx(1.0)
    assert tea["tea_lover"] > tea["mixed"] > tea["cup_lover"] > 0
    with pytest.raises(ValueError, match="no item of category"):
        category_affinity(days, items, "wine")
    rng = np.random.default_rng(0)
    pairs = [(f"u{u}", f"i{(u % 2) * 5 + k}") for u in range(60) for k in rng.choice(5, 3)]
    many = pd.DataFrame(pairs, columns=["customer_id", "item_id"]).assign(day=pd.Timestamp(
        "2024-01-01")).drop_duplicates()
    interactions = interaction_matrix(many)
    model = ItemToItem().fit(interactions)
    affinity = item_affinity(model, interactions, "i0")
    even = affinity[[f"u{u}" for u in range(0, 60, 2)]]
    odd = affinity[[f"u{u}" for u in range(1, 60, 2)]]
    assert even.mean() > odd.mean() + 0.3
