"""The plan's money as a planner reads it: rows that add up to the headline, the gap it
kept, fixed costs from past promotions, and the lifts it may rest on."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_promo_plan import WEEKS, cands

from promocast.exceptions import InvalidRules
from promocast.promotions.plan import build_candidates, optimise_plan
from promocast.promotions.rules import PlanRules, make_rules


def _three_rivals() -> pd.DataFrame:
    """A, B, C of one category and store, one week, 100 units at 10 (cost 6) each; feature /
    display lifts units by 50 %, each promotion takes 10 % of every rival's units."""
    baseline = pd.DataFrame({"item_id": ["A", "B", "C"], "store_id": "all",
                             "period_start": WEEKS[0], "baseline_units": 100.0})
    params = pd.DataFrame({"item_id": ["A", "B", "C"], "store_id": "all", "category": "x",
                           "price_elasticity": -2.0, "lift_feature_display": 0.5,
                           "post_promo_dip": 0.0, "cannibalisation_rate": 0.1})
    prices = pd.DataFrame({"item_id": ["A", "B", "C"], "regular_price": 10.0, "unit_cost": 6.0})
    return build_candidates(baseline, params, prices, grid={"feature_display": [0]})


def test_headline_margin_is_the_sum_of_the_plans_rows() -> None:
    """A and B promoted together, C not (excluded). Exactly: A keeps 0.9 of its 150 units,
    600 x 0.9 - 400 = 140; C loses 400 x (1 - 0.9 ** 2) = 76, half on each promotion: A and B
    are worth 102 each and the plan 204 (1404 - 1200). The rows used to show the marginal
    values, 84 each (each charging the pair's interaction), summing to 168 under a headline
    of 204."""
    rules = PlanRules(budget=1000, min_gap_periods=0, excluded_items=["C"])
    plan = optimise_plan(_three_rivals(), rules)
    assert sorted(plan.chosen["item_id"]) == ["A", "B"]
    assert plan.chosen["incremental_margin"].tolist() == pytest.approx([102.0, 102.0])
    assert plan.expected_incremental_margin == pytest.approx(204.0)
    document = plan.to_json()
    rows = [p["expected_incremental_margin"] for p in document["promotions"]]
    assert round(sum(rows), 2) == document["expected_incremental_margin"]
    revenue = [p["expected_incremental_revenue"] for p in document["promotions"]]
    assert round(sum(revenue), 2) == document["expected_incremental_revenue"]
    # revenue: A keeps 1500 x 0.9 = 1350 of 1000 baseline; C loses 1000 x 0.19 = 190
    assert document["expected_incremental_revenue"] == pytest.approx(2 * (350 - 95))
    # each row's explanation adds up: margin - baseline - dip - cannibalisation - fixed
    for p in document["promotions"]:
        why = p["explanation"]
        assert why["cannibalisation_loss"] == pytest.approx(60 + 38)
        assert (why["expected_margin"] - why["baseline_margin"] - why["dip_loss"]
                - why["cannibalisation_loss"] - why["fixed_cost"]) == pytest.approx(
            p["expected_incremental_margin"], abs=0.01)


@pytest.mark.parametrize(("gap", "period", "expected"), [
    (1, "W", "min_gap_periods: 2 other week(s) (the rules keep at least 1 quiet week between "
             "two promotions of an item x store)"),
    (2, "W", "min_gap_periods: 3 other week(s) (the rules keep at least 2 quiet weeks between "
             "two promotions of an item x store)"),
    (2, "M", "min_gap_periods: 3 other month(s) (the rules keep at least 2 quiet months "
             "between two promotions of an item x store)"),
])
def test_why_not_more_often_states_the_gap_the_milp_kept(gap: int, period: str,
                                                         expected: str) -> None:
    """QA (shop2, default gap 1): 'min_gap_periods: 3 period(s)' read as a gap of 3, in no
    unit. The text now gives the rule's gap in the plan's periods, apart from the count of
    periods it blocks (gap 1: weeks 0 and 2 chosen, 1 and 3 blocked; gap 2: week 1 alone)."""
    c = cands([{"item": "A", "period": p, "value": v} for p, v in enumerate([10, 12, 10, 1])])
    plan = optimise_plan(c, make_rules({"min_gap_periods": gap, "period": period}))
    assert len(plan.chosen) == (2 if gap == 1 else 1)
    why = plan.explanations[0]
    assert why["why_not_more_often"] == expected
    assert why["min_gap_periods"] == gap and why["period"] == period


def test_past_promotions_fixed_costs_are_the_default_and_the_rules_override() -> None:
    """QA shop2: every past promotion cost 100 (promotions.fixed_cost) but the plan charged 0
    (only rules.fixed_cost was read): 90 promotions, budget used 0.00 of 300. Now the median
    per mechanism is the default, the rules' own value wins, and the budget binds."""
    from promocast.promotions.rules import historical_fixed_costs
    from promocast.services.promotions import _fixed_costs

    past = pd.DataFrame({
        "promo_id": ["p1", "p2", "p3", "p4", "p5", "p6"],
        "promo_type": ["feature_display", "feature_display", "feature_display", "gift",
                       "percent_off", "bundle"],
        "fixed_cost": [100.0, 300.0, np.nan, 40.0, np.nan, 500.0],
    })
    assert historical_fixed_costs(past) == {"feature_display": (200.0, 2), "gift": (40.0, 1)}
    assert historical_fixed_costs(past.drop(columns="fixed_cost")) == {}
    rules = make_rules({"fixed_cost": {"gift": 10}, "min_gap_periods": 0,
                        "grid": {"feature_display": [0], "gift": [15], "percent_off": [10]}})
    rules, costs, note = _fixed_costs(rules, past)
    assert rules.fixed_cost == {"feature_display": 200.0, "gift": 10.0}
    assert costs == {
        "feature_display": {"fixed_cost": 200.0, "source": "promotions table (median of 2)"},
        "gift": {"fixed_cost": 10.0, "source": "rules"},
        "percent_off": {"fixed_cost": 0.0, "source": "none"},
    }
    assert note is not None and "feature_display 200.00 (2 promotions)" in note.en
    assert "首页推荐/陈列 200.00（2 次促销）" in note.zh
    # the plan charges it: two feature weeks worth 250 each before a fixed cost of 200
    c = cands([{"item": "A", "period": p, "value": 250, "type": "feature_display", "depth": 0}
               for p in (0, 2)])
    assert rules.with_budget(1000).fixed_cost == rules.fixed_cost
    plan = optimise_plan(c, rules.with_budget(1000))
    assert plan.expected_incremental_margin == pytest.approx(2 * (250 - 200))
    assert plan.budget_used == pytest.approx(400)
    assert optimise_plan(c, rules.with_budget(300)).budget_used == pytest.approx(200)


def test_past_fixed_costs_are_split_over_the_items_and_periods_they_covered() -> None:
    """A planned promotion is one item in one period: a past category campaign of 4 items
    over 2 weeks that cost 800 is 100 per item-week; an item's own 3-day flash sale that cost
    60 is 60 in a weekly plan and 20 a day in a daily one."""
    from promocast.promotions.rules import historical_fixed_costs

    past = pd.DataFrame({
        "promo_id": ["c1", "f1"], "promo_type": ["feature_display", "flash_sale"],
        "item_id": [None, "A"], "category": ["snacks", None],
        "start_date": ["2024-03-04", "2024-03-04"], "end_date": ["2024-03-17", "2024-03-06"],
        "fixed_cost": [800.0, 60.0]})
    items = pd.DataFrame({"item_id": ["A", "B", "C", "D", "E"],
                          "category": ["snacks"] * 4 + ["drinks"]})
    assert historical_fixed_costs(past, items, 7) == {"feature_display": (100.0, 1),
                                                      "flash_sale": (60.0, 1)}
    assert historical_fixed_costs(past, items, 1) == {"feature_display": (800 / 56, 1),
                                                      "flash_sale": (20.0, 1)}
    assert historical_fixed_costs(past) == {"feature_display": (800.0, 1),
                                            "flash_sale": (60.0, 1)}
    # in every one of 2 stores (an empty store_id) the campaign cost 50 per item, store, week
    two = past.assign(store_id=[None, "s1"])
    assert historical_fixed_costs(two, items, 7, stores=2) == {"feature_display": (50.0, 1),
                                                               "flash_sale": (60.0, 1)}


def test_plan_offers_only_lifts_the_data_estimated_and_says_which_it_left_out() -> None:
    """A's feature lift is its own (0.5, interval 0.3 .. 0.7); B's is its category's (0.4);
    C's shop never ran it (null); D's interval holds 0 (0.2, -0.1 .. 0.5). C is left out
    (QA shop5: 25 of 28 planned promotions were feature_display on a null lift, priced as no
    lift, 0.00 margin each); the uncertain B and D stay at their expected lifts (leaving them
    out cost the demo's ground-truth plan 64.6 % -> -14.7 % of the best margin). The rules'
    lift stands in where none was estimated."""
    from promocast.promotions.plan_lifts import (
        identified_lifts,
        left_out_note,
        left_out_summary,
    )

    items = ["A", "B", "C", "D"]
    params = pd.DataFrame({
        "item_id": items, "store_id": "all", "category": "x", "price_elasticity": -2.0,
        "lift_feature_display": [0.5, 0.4, np.nan, 0.2],
        "lift_feature_display_lo": [0.3, 0.2, np.nan, -0.1],
        "lift_feature_display_hi": [0.7, 0.6, np.nan, 0.5],
        "post_promo_dip": 0.0, "cannibalisation_rate": 0.0})
    usable, left_out = identified_lifts(params, mechanisms=("feature_display",))
    assert usable["lift_feature_display"].isna().tolist() == [False, False, True, False]
    assert left_out[["item_id", "reason"]].values.tolist() == [["C", "not_estimated"]]
    summary = left_out_summary(left_out)
    assert [(s["reason"], s["series"], s["items"]) for s in summary] == [
        ("not_estimated", 1, ["C"])]
    note = left_out_note(summary)
    assert note.startswith("mechanisms left out where their lift is not estimated: "
                           "feature_display for 1 item(s) (not estimated: neither the item")

    baseline = pd.DataFrame({"item_id": items, "store_id": "all", "period_start": WEEKS[0],
                             "baseline_units": 100.0})
    prices = pd.DataFrame({"item_id": items, "regular_price": 10.0, "unit_cost": 6.0})
    rules = PlanRules(budget=1000, grid={"feature_display": [0]}, max_per_category_period=10)
    plan = optimise_plan(build_candidates(baseline, usable, prices, grid=rules.grid), rules)
    # 100 units x lift x 4 margin a unit: A 200, B 160, D 80; C never (its null lift)
    assert sorted(plan.chosen["item_id"]) == ["A", "B", "D"]
    assert plan.expected_incremental_margin == pytest.approx(200.0 + 160.0 + 80.0)
    before = build_candidates(baseline, params, prices, grid=rules.grid)
    assert before["lift_missing"].tolist() == [False, False, True, False]

    # the rules vouch for a lift of 0.25: C is featured at it (100 x 0.25 x 4 = 100)
    usable, left_out = identified_lifts(params, mechanisms=("feature_display",),
                                        rule_lifts={"feature_display": 0.25})
    assert usable["lift_feature_display"].tolist() == [0.5, 0.4, 0.25, 0.2]
    assert left_out["rules_lift"].tolist() == [0.25]
    plan = optimise_plan(build_candidates(baseline, usable, prices, grid=rules.grid), rules)
    assert sorted(plan.chosen["item_id"]) == items
    assert plan.expected_incremental_margin == pytest.approx(440.0 + 100.0)
    assert "the rules' lift used" in left_out_note(left_out_summary(left_out))
    assert make_rules({"lifts": {"feature_display": 0.25}}).lifts == {"feature_display": 0.25}
    with pytest.raises(InvalidRules, match="percent_off"):
        make_rules({"lifts": {"percent_off": 0.1}})


def test_a_plan_of_free_displays_says_they_were_costed_at_zero() -> None:
    from promocast.services.promotions import costless_mechanism_note

    placed = [{"promo_type": "feature_display"}] * 3 + [{"promo_type": "percent_off"}]
    free = {"feature_display": {"fixed_cost": 0.0, "source": "none"}}
    note = costless_mechanism_note(placed, free)
    assert note is not None and note.en.startswith("3 of 4 planned promotions are feature / "
                                                   "display")
    assert "fixed_cost: {feature_display: ...}" in note.en
    assert note.zh.startswith("3 / 4 个计划促销为首页推荐/陈列")
    paid = {"feature_display": {"fixed_cost": 150.0, "source": "rules"}}
    assert costless_mechanism_note(placed, paid) is None
    assert costless_mechanism_note(placed[3:], free) is None
