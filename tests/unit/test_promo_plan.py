"""Promotion plan optimisation: candidates priced by hand, MILP optima known by hand, rules."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from promocast.exceptions import InfeasiblePlan, InvalidRules
from promocast.promotions.plan import build_candidates, optimise_plan
from promocast.promotions.rules import PlanRules, load_rules, make_rules

WEEKS = pd.date_range("2026-06-01", periods=4, freq="7D")


def cands(rows: list[dict]) -> pd.DataFrame:
    """Hand-made candidates: each row gives item, period (index into WEEKS), value
    (incremental margin before fixed costs) and optionally cost, category, depth, extra units."""
    out = []
    for r in rows:
        start = WEEKS[r.get("period", 0)]
        base = r.get("baseline", 100.0)
        out.append(
            {
                "item_id": r["item"],
                "store_id": r.get("store", "all"),
                "category": r.get("category", "x"),
                "period_start": start,
                "period_end": start + pd.Timedelta(days=6),
                "promo_type": r.get("type", "percent_off"),
                "depth": float(r.get("depth", 10)),
                "regular_price": 10.0,
                "shelf_price": 9.0,
                "unit_cost": 5.0,
                "baseline_units": base,
                "expected_units": base + r.get("extra", 10.0),
                "lift": r.get("extra", 10.0) / base,
                "margin": 0.0,
                "baseline_margin": 0.0,
                "dip_loss": 0.0,
                "cannibalisation_loss": 0.0,
                "giveaway": float(r.get("cost", 0.0)),
                "gross_incremental_margin": float(r["value"]),
                "incremental_revenue": float(r.get("revenue", r["value"])),
                "horizon_baseline_units": base * len(WEEKS),
                "stock_units": r.get("stock", np.nan),
            }
        )
    return pd.DataFrame(out)


def chosen(plan) -> set[tuple]:
    c = plan.chosen
    return {(r.item_id, int(WEEKS.get_loc(r.period_start)), r.depth) for r in c.itertuples()}


# --- candidates --------------------------------------------------------------------------


def test_build_candidates_prices_every_option_by_hand() -> None:
    baseline = pd.DataFrame(
        {
            "item_id": ["A", "A", "B", "B"],
            "store_id": "all",
            "period_start": [WEEKS[0], WEEKS[1]] * 2,
            "baseline_units": [100.0, 80.0, 50.0, 50.0],
        }
    )
    params = pd.DataFrame(
        {
            "item_id": ["A", "B"],
            "store_id": "all",
            "category": "x",
            "price_elasticity": [-2.0, -1.0],
            "lift_threshold": [0.2, 0.0],
            "lift_gift": [np.nan, 0.0],
            "lift_flash_sale": 0.5,
            "lift_feature_display": 0.5,
            "post_promo_dip": [0.1, 0.0],
            "cannibalisation_rate": [0.0, 0.05],
        }
    )
    prices = pd.DataFrame({"item_id": ["A", "B"], "regular_price": 10.0, "unit_cost": 6.0})
    grid = {"percent_off": [20], "threshold": [10], "gift": [15], "feature_display": [0]}
    cand = build_candidates(baseline, params, prices, grid=grid)
    assert len(cand) == 4 * 4
    a = cand[(cand["item_id"] == "A") & (cand["period_start"] == WEEKS[0])].set_index("promo_type")
    # 20 % off: 100 x 0.8 ** -2 units, the shop gives 2.00 a unit away
    pct = a.loc["percent_off"]
    assert pct["shelf_price"] == 8.0
    assert pct["expected_units"] == pytest.approx(156.25)
    assert pct["giveaway"] == pytest.approx(312.5)
    # margin (8 - 6) x 156.25 - baseline 400 - dip 0.1 x 80 next week x 4 - B's 0.05 x 200
    assert pct["incremental_margin"] == pytest.approx(312.5 - 400 - 32 - 10)
    thr = a.loc["threshold"]  # lift 0.2, 1.00 back per unit, price unchanged
    assert thr["expected_units"] == pytest.approx(120)
    assert thr["incremental_margin"] == pytest.approx((10 - 1 - 6) * 120 - 400 - 32 - 10)
    gift = a.loc["gift"]  # lift not identified: no lift, flagged; gift worth 1.50 a unit
    assert gift["lift_missing"] and gift["expected_units"] == pytest.approx(100)
    assert gift["giveaway"] == pytest.approx(150)
    feat = a.loc["feature_display"]
    assert feat["incremental_margin"] == pytest.approx(4 * 150 - 400 - 32 - 10)
    # the last week's dip is charged on its own baseline (the next week is past the horizon)
    last = cand[
        (cand["item_id"] == "A")
        & (cand["period_start"] == WEEKS[1])
        & (cand["promo_type"] == "feature_display")
    ].iloc[0]
    assert last["dip_loss"] == pytest.approx(0.1 * 80 * 4)


def test_store_specific_effects_override_pooled_ones() -> None:
    baseline = pd.DataFrame(
        {"item_id": "A", "store_id": ["s1", "s2"], "period_start": WEEKS[0], "baseline_units": 10.0}
    )
    params = pd.DataFrame(
        {
            "item_id": "A",
            "store_id": ["all", "s2"],
            "category": "x",
            "price_elasticity": [-1.0, -3.0],
        }
    )
    prices = pd.DataFrame({"item_id": ["A"], "base_price": [10.0], "unit_cost": [5.0]})
    cand = build_candidates(baseline, params, prices, grid={"percent_off": [50]})
    units = cand.set_index("store_id")["expected_units"]
    assert units["s1"] == pytest.approx(20) and units["s2"] == pytest.approx(80)


# --- the optimum under each rule ---------------------------------------------------------


def test_budget_binds() -> None:
    c = cands(
        [
            {"item": "A", "value": 100, "cost": 60},
            {"item": "B", "value": 80, "cost": 50},
            {"item": "C", "value": 70, "cost": 40},
        ]
    )
    plan = optimise_plan(c, make_rules({"budget": 100}))
    assert {k[0] for k in chosen(plan)} == {"A", "C"}
    assert plan.budget_used == pytest.approx(100)
    assert plan.expected_incremental_margin == pytest.approx(170)
    assert plan.status == "optimal" and plan.mip_gap == pytest.approx(0, abs=1e-4)


def test_category_cap_binds() -> None:
    c = cands(
        [{"item": i, "value": v} for i, v in (("A", 30), ("B", 20), ("C", 10))]
        + [{"item": "D", "value": 5, "category": "y"}]
    )
    plan = optimise_plan(c, make_rules({"max_per_category_period": 2}))
    assert {k[0] for k in chosen(plan)} == {"A", "B", "D"}
    plan = optimise_plan(c, make_rules({"max_per_category_period": {"x": 1, "default": 0}}))
    assert {k[0] for k in chosen(plan)} == {"A"}


def test_min_gap_binds_and_is_explained() -> None:
    c = cands([{"item": "A", "period": p, "value": v} for p, v in enumerate([10, 12, 10, 1])])
    plan = optimise_plan(c, make_rules({"min_gap_periods": 1}))
    assert chosen(plan) == {("A", 0, 10.0), ("A", 2, 10.0)}
    why = plan.explanations[0]
    assert [p["reason"] for p in why["other_periods"]] == ["min_gap_periods"] * 2
    assert "min_gap_periods" in why["why_not_more_often"]
    assert optimise_plan(c, make_rules({"min_gap_periods": 0})).expected_incremental_margin == 33
    # a gap of 2 leaves one week of the first three
    assert chosen(optimise_plan(c, make_rules({"min_gap_periods": 2}))) == {("A", 1, 10.0)}


def test_required_festival_forces_the_least_bad_promotion() -> None:
    c = cands(
        [
            {"item": i, "period": p, "value": -p - v}
            for i, v in (("A", 5), ("B", 1))
            for p in range(4)
        ]
    )
    events = pd.DataFrame(
        {"date": pd.to_datetime(["2026-06-18", "2025-06-18"]), "event": "festival_618"}
    )
    assert optimise_plan(c, make_rules()).chosen.empty
    rules = make_rules({"required": [{"event": "festival_618", "min_promotions": 1}]})
    plan = optimise_plan(c, rules, events=events)
    assert chosen(plan) == {("B", 2, 10.0)}  # 2026-06-18 falls in the third week
    # QA5: the forced loss was captioned 'close to break-even: 1 % chance it pays', and
    # nothing named the rule that keeps it
    label = "required[0] 'festival_618' (>= 1 promotions)"
    assert plan.explanations[0]["required_by"] == [label]
    from promocast.services.promotions import caveats

    document = {**plan.to_json(), "notes": []}
    caveats(document, [])
    caveat = document["promotions"][0]["caveat"]
    assert caveat == f"kept to meet {label}: expected -3.00, a loss the rule asks for"
    assert "only to meet the rules' required promotions" in document["notes"][0]
    ranged = make_rules(
        {"required": [{"start": "2026-06-03", "end": "2026-06-09", "min_promotions": 2}]}
    )
    assert {k[1] for k in chosen(optimise_plan(c, ranged))} <= {0, 1}
    assert len(optimise_plan(c, ranged).chosen) == 2


def test_excluded_item_is_never_chosen() -> None:
    c = cands([{"item": "A", "value": 100}, {"item": "B", "value": 1}])
    plan = optimise_plan(c, make_rules({"excluded_items": ["A"], "max_per_category_period": 1}))
    assert {k[0] for k in chosen(plan)} == {"B"}


def test_stock_caps_the_depth() -> None:
    c = cands(
        [
            {"item": "A", "depth": 10, "value": 60, "extra": 20, "stock": 430},
            {"item": "A", "depth": 20, "value": 100, "extra": 50, "stock": 430},
        ]
    )
    plan = optimise_plan(c, make_rules({"respect_stock": True}))
    assert chosen(plan) == {("A", 0, 10.0)}  # 30 units spare over the 400 of baseline
    assert plan.explanations[0]["why_not_deeper"]["reason"] == "respect_stock"
    assert chosen(optimise_plan(c, make_rules({"respect_stock": False}))) == {("A", 0, 20.0)}


def test_why_not_deeper_when_the_deeper_option_earns_less() -> None:
    c = cands([{"item": "A", "depth": 10, "value": 60}, {"item": "A", "depth": 20, "value": 40}])
    why = optimise_plan(c, make_rules()).explanations[0]["why_not_deeper"]
    assert why["reason"] == "no_gain" and why["option"] == "percent_off 20 %"
    assert "40.00 instead of 60.00" in why["text"]


def test_fixed_costs_count_in_the_budget_and_the_margin() -> None:
    c = cands([{"item": "A", "type": "feature_display", "depth": 0, "value": 100}])
    plan = optimise_plan(c, make_rules({"fixed_cost": {"feature_display": 30}, "budget": 50}))
    assert plan.expected_incremental_margin == pytest.approx(70)
    assert plan.budget_used == pytest.approx(30)
    assert optimise_plan(c, make_rules({"fixed_cost": {"feature_display": 130}})).chosen.empty


def test_revenue_objective_keeps_the_margin_floor() -> None:
    c = cands(
        [{"item": "A", "value": -10, "revenue": 100}, {"item": "B", "value": 5, "revenue": 50}]
    )
    plan = optimise_plan(c, make_rules({"objective": "revenue"}))
    assert {k[0] for k in chosen(plan)} == {"B"}
    plan = optimise_plan(c, make_rules({"objective": "revenue", "margin_floor": -10}))
    assert {k[0] for k in chosen(plan)} == {"A", "B"}
    assert plan.expected_incremental_revenue == pytest.approx(150)


def test_plan_json_follows_design() -> None:
    c = cands([{"item": "A", "value": 88.2, "cost": 40}])
    doc = json.loads(json.dumps(optimise_plan(c, make_rules({"budget": 5000})).to_json()))
    for key in (
        "objective",
        "status",
        "gap",
        "expected_incremental_margin",
        "budget",
        "budget_used",
        "promotions",
    ):
        assert key in doc
    row = doc["promotions"][0]
    assert row["discount_pct"] == 10 and row["start_date"] == "2026-06-01"
    assert row["end_date"] == "2026-06-07" and row["expected_incremental_margin"] == 88.2
    assert {"lift", "why_not_deeper", "why_not_more_often"} <= set(row["explanation"])


# --- infeasible plans name the rule ------------------------------------------------------


def test_infeasible_budget_names_the_budget_rule() -> None:
    c = cands([{"item": i, "value": 10, "cost": 50} for i in "ABC"])
    rules = make_rules({"budget": 60, "required": [{"start": "2026-06-01", "min_promotions": 2}]})
    with pytest.raises(InfeasiblePlan, match=r"budget \(60\)"):
        optimise_plan(c, rules)


def test_infeasible_cap_names_the_category_cap() -> None:
    c = cands([{"item": i, "value": 10} for i in "ABC"])
    rules = make_rules(
        {
            "max_per_category_period": 2,
            "required": [{"start": "2026-06-01", "min_promotions": 3, "category": "x"}],
        }
    )
    with pytest.raises(InfeasiblePlan) as err:
        optimise_plan(c, rules)
    assert "max_per_category_period (2)" in str(err.value)
    assert "required[0]" in str(err.value)


# --- bad rules ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "needle"),
    [
        ({"grid": {"percent_off": [10, 95]}}, "grid: percent_off: depth 95 is outside 0-90 %"),
        ({"grid": {"gift": [0]}}, "gift: depth 0 is outside 0-90 %"),
        ({"grid": {"bogo": [10]}}, "unknown mechanism 'bogo'"),
        ({"budget": -5}, "budget: Input should be greater than or equal to 0 (got -5)"),
        ({"start": "2026-06-10", "end": "2026-06-01"}, "end 2026-06-01 is before start 2026-06-10"),
        (
            {"required": [{"start": "2026-06-10", "end": "2026-06-01"}]},
            "required[0]: end 2026-06-01 is before start 2026-06-10",
        ),
        ({"budgt": 5}, "budgt: unknown key"),
        ({"objective": "profit"}, "objective:"),
        ({"margin_floor": 5}, "margin_floor applies to objective: revenue only"),
    ],
)
def test_bad_rules_name_the_key_and_value(values: dict, needle: str) -> None:
    with pytest.raises(InvalidRules) as err:
        make_rules(values)
    assert needle in str(err.value)


def test_rules_naming_unknown_things_are_refused() -> None:
    c = cands([{"item": "A", "value": 1}])
    with pytest.raises(InvalidRules, match="excluded_items: unknown item 'ZZ9'"):
        optimise_plan(c, make_rules({"excluded_items": ["ZZ9"]}))
    with pytest.raises(InvalidRules, match="unknown event 'double_11'"):
        optimise_plan(c, make_rules({"required": [{"event": "double_11"}]}))
    with pytest.raises(InvalidRules, match="falls on no planned period"):
        optimise_plan(c, make_rules({"required": [{"start": "2027-01-01"}]}))


def test_load_rules_yaml_and_json(tmp_path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(
        "budget: 500\ngrid:\n  percent_off: [10, 20]\nmin_gap_periods: 2\n"
        "required:\n  - event: double_11\n    min_promotions: 3\n"
    )
    rules = load_rules(path)
    assert isinstance(rules, PlanRules) and rules.budget == 500
    assert rules.grid == {"percent_off": [10.0, 20.0]} and rules.required[0].min_promotions == 3
    (tmp_path / "r.json").write_text(json.dumps({"budget": 1, "excluded_items": ["A"]}))
    assert load_rules(tmp_path / "r.json").excluded_items == ["A"]
    (tmp_path / "bad.yaml").write_text("budget: [1\n")
    with pytest.raises(InvalidRules, match="not valid YAML"):
        load_rules(tmp_path / "bad.yaml")
    (tmp_path / "deep.yaml").write_text("grid: {threshold: [120]}\n")
    with pytest.raises(InvalidRules, match=r"deep.yaml:\n  - grid: threshold: depth 120"):
        load_rules(tmp_path / "deep.yaml")
    assert rules.with_budget(900).budget == 900 and rules.with_budget(900).min_gap_periods == 2


# --- the demo shop, priced with the truth ------------------------------------------------


def test_true_parameter_plan_beats_no_promotion_and_keeps_every_rule(tmp_path) -> None:
    from promocast.testing.demo import generate
    from promocast.testing.demo.plan_truth import (
        effect_params_from_truth,
        festival_events,
        true_baseline,
        true_plan_value,
    )

    shop = generate(tmp_path, seed=3, n_items=16, years=1.0, start="2024-10-01")
    truth, items = shop.ground_truth, pd.read_csv(shop.files["items"])
    first, weeks = "2025-10-01", 8
    baseline = true_baseline(truth, items, first, weeks)
    prices = items.rename(columns={"base_price": "regular_price"})
    excluded = items["item_id"].iloc[0]
    rules = make_rules(
        {
            "budget": 3000,
            "max_per_category_period": 1,
            "min_gap_periods": 1,
            "excluded_items": [excluded],
            "fixed_cost": {"feature_display": 50},
            "required": [{"event": "double_11", "min_promotions": 3}],
        }
    )
    cand = build_candidates(baseline, effect_params_from_truth(truth), prices, grid=rules.grid)
    plan = optimise_plan(cand, rules, events=festival_events(truth))
    c = plan.chosen
    assert plan.status == "optimal" and len(c) >= 3
    true = true_plan_value(truth, items, c, first, weeks, fixed_cost=rules.fixed_cost)
    assert true["incremental_margin"] > 0  # beats no promotion
    # the planner's linearised margin is close to the truth's day-by-day replay
    assert true["incremental_margin"] == pytest.approx(plan.expected_incremental_margin, rel=0.15)
    assert plan.budget_used <= 3000 + 1e-6
    assert c.groupby(["category", "store_id", "period_start"]).size().max() <= 1
    assert excluded not in set(c["item_id"])
    for _, g in c.groupby(["item_id", "store_id"]):
        assert (g["period_start"].sort_values().diff().dt.days.dropna() > 7).all()
    double_11 = pd.Timestamp("2025-11-11")
    inside = (c["period_start"] <= double_11) & (c["period_end"] >= double_11)
    assert inside.sum() >= 3
