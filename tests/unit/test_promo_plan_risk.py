"""How sure a planned promotion is to pay: the range and chance from the effects' intervals
match a seeded simulation of the same effects, and reach the plan JSON and its caveats."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from promocast.promotions.plan import build_candidates, optimise_plan
from promocast.promotions.plan_risk import log_units_sd, margin_risk
from promocast.promotions.rules import make_rules
from promocast.services.promotions import caveats

WEEKS = pd.date_range("2026-06-01", periods=2, freq="7D")
Z90 = stats.norm.ppf(0.95)


def shop(lift_lo: float, lift_hi: float) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """One item, two weeks of 100 units, regular price 10, cost 6; elasticity -2 in
    [-2.5, -1.5], feature / display lift 0.2 in [lift_lo, lift_hi] (90 % intervals)."""
    baseline = pd.DataFrame({"item_id": "A", "store_id": "all", "period_start": WEEKS,
                             "baseline_units": 100.0})
    params = pd.DataFrame({"item_id": ["A"], "store_id": "all", "category": "x",
                           "price_elasticity": -2.0, "price_elasticity_lo": -2.5,
                           "price_elasticity_hi": -1.5, "lift_feature_display": 0.2,
                           "lift_feature_display_lo": lift_lo, "lift_feature_display_hi": lift_hi,
                           "post_promo_dip": 0.0, "cannibalisation_rate": 0.0})
    prices = pd.DataFrame({"item_id": ["A"], "regular_price": 10.0, "unit_cost": 6.0})
    return baseline, params, prices


def test_log_units_sd_adds_the_price_and_the_lift_terms() -> None:
    _, params, _ = shop(0.1, 0.3)
    sd_e = 1.0 / (2 * Z90)
    sd_lift = (np.log(1.3) - np.log(1.1)) / (2 * Z90)
    only_price = log_units_sd(params, np.array([0.8]), ())
    assert only_price[0] == pytest.approx(abs(np.log(0.8)) * sd_e)
    both = log_units_sd(params, np.array([0.8]), ("feature_display",))
    assert both[0] == pytest.approx(np.hypot(np.log(0.8) * sd_e, sd_lift))
    # at the regular price only the lift is uncertain; without intervals nothing is
    assert log_units_sd(params, np.array([1.0]), ("feature_display",))[0] == pytest.approx(sd_lift)
    bare = params.drop(columns=[c for c in params if c.endswith(("_lo", "_hi"))])
    assert log_units_sd(bare, np.array([0.8]), ("feature_display",))[0] == 0.0


def test_chance_and_range_match_a_simulation_of_the_effects() -> None:
    rng = np.random.default_rng(7)
    rows = pd.DataFrame({"margin": [400.0, 400.0, -50.0, 0.0],
                         "incremental_margin": [60.0, -30.0, 20.0, 5.0],
                         "log_units_sd": [0.15, 0.15, 0.3, 0.2]})
    risk = margin_risk(rows, level=0.8)
    draws = rng.standard_normal((200_000, 1))
    k = (rows["margin"] - rows["incremental_margin"]).to_numpy()
    simulated = rows["margin"].to_numpy() * np.exp(rows["log_units_sd"].to_numpy() * draws) - k
    np.testing.assert_allclose(risk["chance_profitable"], (simulated > 0).mean(axis=0), atol=0.005)
    lo, hi = np.quantile(simulated, [0.1, 0.9], axis=0)
    np.testing.assert_allclose(risk["margin_lo"], lo, rtol=0.02, atol=0.5)
    np.testing.assert_allclose(risk["margin_hi"], hi, rtol=0.02, atol=0.5)
    # a margin that moves with no units (m = 0) is certain: 5 > 0
    assert risk["chance_profitable"].iloc[3] == 1.0


def test_plan_reports_the_chance_and_marks_a_coin_toss() -> None:
    rules = make_rules({"grid": {"feature_display": [0]}, "fixed_cost": {"feature_display": 70},
                        "min_gap_periods": 0, "caution": 0})
    sure = optimise_plan(build_candidates(*shop(0.18, 0.22)), rules)
    unsure = optimise_plan(build_candidates(*shop(-0.1, 0.6)), rules)
    # the same expected margin: 20 more units x 4 - 70 = 10 a week
    assert sure.expected_incremental_margin == pytest.approx(20.0)
    assert unsure.expected_incremental_margin == pytest.approx(20.0)
    doc_sure = json.loads(json.dumps(sure.to_json()))
    doc_unsure = json.loads(json.dumps(unsure.to_json()))
    p_sure = [p["chance_profitable"] for p in doc_sure["promotions"]]
    p_unsure = [p["chance_profitable"] for p in doc_unsure["promotions"]]
    # margin on 120 units 480, of which 470 is owed whatever happens (baseline 400, fixed 70):
    # it pays unless units fall below 470 / 480 of the expected; sd of log units
    # (log 1.22 - log 1.18) / 3.29 = 0.01013: z = log(480 / 470) / 0.01013 = 2.08 -> 0.981
    assert p_sure == pytest.approx([0.981, 0.981], abs=0.001)
    assert all(0.5 < p < 0.6 for p in p_unsure)
    low, high = doc_unsure["promotions"][0]["expected_incremental_margin_range"]
    assert low < 0 < 10 < high
    doc_unsure["notes"], doc_sure["notes"] = [], []
    caveats(doc_unsure, [])
    caveats(doc_sure, [])
    assert all("close to break-even" in p["caveat"] for p in doc_unsure["promotions"])
    assert all(p["caveat"] is None for p in doc_sure["promotions"])
    assert "chance to pay" in doc_unsure["notes"][0] and not doc_sure["notes"]


def test_caution_leaves_out_a_coin_toss_and_keeps_a_sure_gain() -> None:
    """The same expected +10 a week: the sure option (lift 0.18..0.22) is planned under a
    caution of 0.5 sd, the coin toss (lift -0.1..0.6) is not, and the reported margin
    stays the expected one."""
    rules = make_rules({"grid": {"feature_display": [0]}, "fixed_cost": {"feature_display": 70},
                        "min_gap_periods": 0, "caution": 0.5})
    assert rules.weight_caution == 0.5
    assert make_rules({}).weight_caution == 0.0  # opt-in
    sure = optimise_plan(build_candidates(*shop(0.18, 0.22)), rules)
    unsure = optimise_plan(build_candidates(*shop(-0.1, 0.6)), rules)
    assert len(sure.chosen) == 2 and sure.expected_incremental_margin == pytest.approx(20.0)
    assert unsure.chosen.empty
