"""Plain-language advice: depths and break-even lifts from effects (numbers by hand), ROI
advice from past promotions, careful money claims, zh translations, JSON."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from promocast.promotions.advice import (
    advise,
    best_depth,
    usual_depths,
    usual_giveaways,
    week_margin,
)
from promocast.promotions.advice_text import advice_table, missing_inputs


def params(rows: list[dict]) -> pd.DataFrame:
    base = {
        "store_id": "all",
        "category": "juice",
        "price_elasticity": -3.0,
        "price_elasticity_lo": -3.0,
        "price_elasticity_hi": -3.0,
        "lift_threshold": 0.5,
        "lift_gift": 0.5,
        "lift_flash_sale": 0.5,
        "lift_bundle": 0.1,
        "lift_feature_display": 0.3,
        "post_promo_dip": 0.0,
        "cannibalisation_rate": 0.0,
    }
    return pd.DataFrame([{**base, **r} for r in rows])


def items(ids: list[str], cost: float = 5.0, price: float = 10.0, category="juice") -> pd.DataFrame:
    return pd.DataFrame(
        {"item_id": ids, "category": category, "unit_cost": cost, "base_price": price}
    )


def by(advice, subject: str, kind: str):
    found = [a for a in advice if a.subject == subject and a.kind == kind]
    assert len(found) == 1, [(a.subject, a.kind) for a in advice]
    return found[0]


def test_best_depth_is_the_constant_elasticity_optimum_on_the_grid():
    # price* = cost x e / (1 + e) = 5 x 3 / 2 = 7.5 -> 25 % off a price of 10
    assert best_depth(-3.0, 5.0, 10.0, max_depth=50, step=5) == 25.0
    assert best_depth(-1.5, 6.0, 10.0, max_depth=50, step=5) == 0.0  # price* = 18 > 10
    assert best_depth(-0.8, 1.0, 10.0, max_depth=50, step=5) == 0.0  # inelastic
    gain = week_margin("percent_off", 25, -3.0, 0.0, 5.0, 10.0, 100.0)
    assert float(gain) == pytest.approx(100 * (2.5 * 0.75**-3 - 5))


def test_raise_the_discount_from_the_usual_depth_with_the_margin_per_week():
    advice = advise(
        params([{"item_id": "A"}]),
        items(["A"]),
        weekly_units=pd.Series({"A": 100.0}),
        usual=pd.Series({"A": 10.0}),
    )
    a = by(advice, "A", "discount_depth")
    expected = 100 * ((2.5 * 0.75**-3 - 5) - (4 * 0.9**-3 - 5))
    assert a.expected_gain == pytest.approx(expected)
    assert a.action == "Raise the discount on A from 10 % to 25 %"
    assert a.action_zh == "将A的折扣从10%提高到25%"
    assert a.confident and "+44 margin per promotion week" in a.reason
    assert "每个促销周毛利+44" in a.reason_zh


def test_uncertain_elasticity_makes_the_advice_say_so():
    advice = advise(
        params([{"item_id": "A", "price_elasticity_lo": -6.0, "price_elasticity_hi": -1.2}]),
        items(["A"]),
        weekly_units=pd.Series({"A": 100.0}),
        usual=pd.Series({"A": 10.0}),
    )
    a = by(advice, "A", "discount_depth")
    low, high = a.gain_range
    assert low < 0 < high and not a.confident
    assert "too uncertain to promise a gain" in a.reason and "区间跨越零" in a.reason_zh


def test_stop_price_discounts_when_no_depth_pays_only_for_discounted_items():
    p = params(
        [
            {
                "item_id": "B",
                "price_elasticity": -1.5,
                "price_elasticity_lo": -1.8,
                "price_elasticity_hi": -1.2,
            },
            {"item_id": "C", "price_elasticity": -1.5},
        ]
    )
    advice = advise(
        p,
        items(["B", "C"], cost=6.0),
        weekly_units=pd.Series({"B": 50.0, "C": 50.0}),
        usual=pd.Series({"B": 20.0}),
    )
    b = by(advice, "B", "stop_price_discounts")
    # the loss of the smallest step (5 % off) at the point elasticity: what stopping saves
    assert b.expected_gain == pytest.approx(-50 * (3.5 * 0.95**-1.5 - 4))
    assert b.confident and b.action_zh == "停止对B的价格折扣"
    # C gets no discounts: nothing to stop
    assert not [a for a in advice if a.subject == "C" and a.kind == "stop_price_discounts"]


def test_dip_and_cannibalisation_can_make_the_best_depth_lose_money():
    p = params(
        [
            {"item_id": "A", "post_promo_dip": 0.5, "cannibalisation_rate": 0.2},
            {"item_id": "R", "cannibalisation_rate": 0.2},
        ]
    )
    advice = advise(p, items(["A", "R"]), weekly_units=pd.Series({"A": 100.0, "R": 200.0}))
    a = by(advice, "A", "stop_price_discounts")
    promo = 100 * (2.5 * 0.75**-3 - 5)  # best depth 25 %
    overhead = 0.5 * 100 * 5 + 0.2 * 200 * 5  # next week's dip + what R loses
    assert a.expected_gain == pytest.approx(-(promo - overhead))
    assert "25 %" in a.reason


def test_gifts_below_break_even_lift_are_stopped_and_weak_cases_marked_indicative():
    p = params(
        [
            {"item_id": "A", "lift_gift": 0.05},
            {"item_id": "B", "lift_gift": 0.3},
            {"item_id": "C", "lift_gift": 0.6},
        ]
    )
    advice = advise(p, items(["A", "B", "C"]), weekly_units=pd.Series(100.0, index=list("ABC")))
    a = by(advice, "A", "stop_gift")
    # gift = 15 % of 10 = 1.5; room 10 - 1.5 - 5 = 3.5; break-even lift 1.5 / 3.5 = 43 %
    assert "a sales lift of 43 %" in a.reason and "+5 %" in a.reason
    assert a.expected_gain == pytest.approx(-100 * (3.5 * 1.05 - 5))
    assert a.confident and a.action_zh == "停止对A使用赠品"
    b = by(advice, "B", "stop_gift")
    assert not b.confident and "indicative" in b.reason and "仅供参考" in b.reason_zh
    assert not [x for x in advice if x.subject == "C" and x.kind == "stop_gift"]
    cat = by(advice, "juice", "stop_gift")
    assert cat.subject_kind == "category" and "2 of 3 items" in cat.action
    assert cat.expected_gain == pytest.approx(a.expected_gain + b.expected_gain)
    assert not cat.confident and "indicative" in cat.reason and "crosses zero" not in cat.reason


def test_past_promotions_stop_losing_mechanisms_and_keep_paying_ones():
    ev = pd.DataFrame(
        {
            "promo_id": [f"P{k}" for k in range(9)],
            "promo_type": ["gift"] * 4 + ["flash_sale"] * 3 + ["threshold"] * 2,
            "item_id": ["A", "B", "A", "B", "A", "A", "A", "A", "A"],
            "category": "juice",
            "discount_pct": np.nan,
            "incremental_margin": [-50, -30, -40, -40, 120, 140, 100, -10, 5],
            "roi": [-0.5, -0.3, -0.4, -0.4, 1.0, 1.4, 1.2, -0.1, 0.05],
        }
    )
    advice = advise(params([{"item_id": "A"}, {"item_id": "B"}]), items(["A", "B"]), evaluation=ev)
    stop = by(advice, "juice", "stop_gift")
    assert stop.action == "Stop gifts on juice: ROI -40 %"
    assert stop.action_zh == "停止对juice的赠品促销：投资回报率-40%"
    assert stop.expected_gain == pytest.approx(40.0) and stop.gain_unit == "per promotion"
    assert stop.confident and "4 of 4 lost money" in stop.reason
    keep = by(advice, "A", "keep_flash_sale")
    assert keep.expected_gain == pytest.approx(120.0) and keep.confident
    # the dashboard's name for flash_sale (mechanism.flash_sale), not a second one (限时秒杀)
    assert "秒杀" in keep.action_zh and "限时秒杀" not in keep.action_zh
    assert not [a for a in advice if a.kind.endswith("threshold")]  # 2 promotions: too few
    # gift advice from effects only for items that ran gifts (both did); lift 0.5 pays here
    assert not [
        a
        for a in advice
        if a.kind == "stop_gift" and a.subject_kind == "item" and "ROI" not in a.action
    ]


def test_usual_depths_and_json_and_table_are_bilingual_and_safe():
    promos = pd.DataFrame(
        {
            "promo_type": ["percent_off", "percent_off", "gift", "percent_off"],
            "item_id": ["A", "A", "A", None],
            "discount_pct": [10, 20, 15, 30],
        }
    )
    assert usual_depths(promos).to_dict() == {"A": 15.0}
    advice = advise(params([{"item_id": "A"}]), items(["A"]), usual=usual_depths(promos))
    a = by(advice, "A", "discount_depth")
    assert a.expected_gain is None  # no weekly volume: no money claim
    doc = json.loads(json.dumps([x.to_json() for x in advice], allow_nan=False))
    assert doc[0]["language"] == "en" and doc[0]["zh"]["action"] == "将A的折扣从15%提高到25%"
    table = advice_table(advice)
    assert {"action", "action_zh", "reason_zh", "gain_low", "gain_high"} <= set(table.columns)


def test_missing_costs_and_promotions_are_said_not_silent() -> None:
    """A shop without unit costs or past promotions (Stallion) gets no advice: the notes say
    why, in both languages; a shop with either loses the note on it."""
    items = pd.DataFrame({"item_id": ["a", "b"], "unit_cost": [None, None]})
    none = pd.DataFrame(columns=["promo_id", "item_id"])
    notes = missing_inputs(items, none)
    assert [n["en"].split(":")[0] for n in notes] == [
        "no item has a unit_cost", "the store holds no past promotions"]
    assert all(n["zh"] for n in notes)
    assert missing_inputs(items.drop(columns="unit_cost"), none)[0] == notes[0]
    priced = items.assign(unit_cost=[1.0, None])
    past = pd.DataFrame({"promo_id": ["P1"], "item_id": ["a"]})
    assert missing_inputs(priced, none) == notes[1:]
    assert missing_inputs(priced, past) == []


def test_gift_and_threshold_advice_judge_the_depth_the_item_ran():
    """A gift of 3 on a spend of 20 costs each unit 3/20 of its price (15 %), a gift of 3 per
    unit on a 10 item 30 %, and a category-wide 10-off-50 deal 20 %: advice judges those, not
    the planner's default depths."""
    promos = pd.DataFrame({
        "promo_type": ["gift", "gift", "threshold", "percent_off"],
        "item_id": ["A", "B", None, "A"],
        "category": [None, None, "juice", None],
        "threshold_amount": [20.0, None, 50.0, None],
        "amount_off": [None, None, 10.0, None],
        "gift_value": [3.0, 3.0, None, None],
        "discount_pct": [None, None, None, 10.0],
    })
    ran = usual_giveaways(promos, items(["A", "B"]))
    assert ran == pytest.approx({("A", "gift"): 15.0, ("B", "gift"): 30.0,
                                 ("A", "threshold"): 20.0, ("B", "threshold"): 20.0})
    p = params([{"item_id": "A", "lift_gift": 0.05}, {"item_id": "B", "lift_gift": 0.05}])
    advice = advise(p, items(["A", "B"]), weekly_units=pd.Series(100.0, index=["A", "B"]),
                    ran=ran)
    b = by(advice, "B", "stop_gift")
    # gift 3 of 10; room 10 - 3 - 5 = 2; break-even lift 3 / 2 = 150 %
    assert "worth 30 % of the price" in b.reason and "a sales lift of 150 %" in b.reason
    assert "worth 15 % of the price" in by(advice, "A", "stop_gift").reason


def test_a_threshold_giving_a_share_back_is_judged_at_that_share():
    promos = pd.DataFrame({"promo_type": ["threshold"], "item_id": ["A"], "category": [None],
                           "threshold_amount": [200.0], "amount_off": [None],
                           "gift_value": [None], "discount_pct": [12.0]})
    assert usual_giveaways(promos, items(["A"])) == {("A", "threshold"): 12.0}


def test_no_stop_advice_whose_expected_gain_is_a_loss():
    """QA: 'Stop price discounts on Z08: expected -42 margin' (uncertain, 'range crosses zero'
    though it ran -43 to -41): an inelastic item whose rivals gain from its deals, and a
    negative dip, made a 5 % week pay; stopping it would lose money."""
    p = params([{"item_id": "A", "price_elasticity": -0.5, "price_elasticity_lo": -0.6,
                 "price_elasticity_hi": -0.4, "cannibalisation_rate": -0.2,
                 "post_promo_dip": -0.02},
                {"item_id": "B", "price_elasticity": -0.5, "price_elasticity_lo": -0.6,
                 "price_elasticity_hi": -0.4}])
    advice = advise(p, items(["A", "B"]), weekly_units=pd.Series(100.0, index=["A", "B"]),
                    usual=pd.Series(10.0, index=["A", "B"]))
    stops = [a for a in advice if a.kind == "stop_price_discounts" and a.subject_kind == "item"]
    assert stops and all(a.expected_gain > 0 for a in stops)


def test_no_stop_gifts_whose_rivals_gain_more_than_the_gift_costs():
    """QA5: 'Stop gifts on PC04: ... expected -445 margin per promotion week' (confident), next
    to 'Stop gifts on PC04: ROI -84 %' from its past promotions. A gift below break-even on
    the item alone that pays through its category's halo is not a 'stop'; and the shop's own
    record of a mechanism replaces the model's advice on it. Here A's sales rise when B is
    promoted (A's cannibalisation rate -0.5): B's gift week is -132.5 on B, +250 on A."""
    p = params([{"item_id": "A", "lift_gift": 0.05, "cannibalisation_rate": -0.5},
                {"item_id": "B", "lift_gift": 0.05}])
    weekly = pd.Series(100.0, index=["A", "B"])
    advice = advise(p, items(["A", "B"]), weekly_units=weekly)
    stops = [a for a in advice if a.kind == "stop_gift" and a.subject_kind == "item"]
    # A: (10 - 1.5 - 5) x 105 - 5 x 100 = -132.5 a week, nothing earned elsewhere
    assert [a.subject for a in stops] == ["A"]
    assert stops[0].expected_gain == pytest.approx(132.5)
    ev = pd.DataFrame({"promo_id": ["P1", "P2", "P3"], "promo_type": "gift", "item_id": "A",
                       "category": "juice", "discount_pct": np.nan,
                       "incremental_margin": [-50.0, -30.0, -40.0], "roi": [-0.5, -0.3, -0.4]})
    both = advise(p, items(["A", "B"]), weekly_units=weekly, evaluation=ev)
    on_a = [a for a in both if a.subject == "A" and a.kind == "stop_gift"]
    assert len(on_a) == 1 and "ROI" in on_a[0].action


def test_advice_names_items_by_their_name_and_says_what_stopping_saves():
    """Dominick's OJ: "Stop money-off deals on 1: ROI -41 % ... together -19,663,484 margin;
    expected +10,459 margin per promotion". Item 1 is Tropicana Premium 64 oz, and the
    +10,459 is what stopping saves, not what a deal earns."""
    ev = pd.DataFrame(
        {
            "promo_id": ["P1", "P2", "P3", "P4"],
            "promo_type": "gift",
            "item_id": ["1", "1", "1", "2"],
            "category": "juice",
            "discount_pct": np.nan,
            "incremental_margin": [-50.0, -30.0, -40.0, -40.0],
            "roi": [-0.5, -0.3, -0.4, -0.4],
        }
    )
    named = items(["1", "2"]).assign(name=["Tropicana Premium 64 oz", None])
    advice = advise(params([{"item_id": "1"}, {"item_id": "2"}]), named, evaluation=ev)
    stop = by(advice, "1", "stop_gift")
    assert stop.action == "Stop gifts on Tropicana Premium 64 oz (1): ROI -40 %"
    assert stop.action_zh.startswith("停止对Tropicana Premium 64 oz（1）的")
    assert stop.expected_gain == pytest.approx(40.0)
    assert "stopping saves +40 margin per promotion" in stop.reason
    assert "expected" not in stop.reason and "停止后每次促销少损失毛利+40" in stop.reason_zh
    # an item without a name keeps its id, and the lookup key stays the id
    assert {a.subject for a in advice if a.subject_kind == "item"} <= {"1", "2"}
