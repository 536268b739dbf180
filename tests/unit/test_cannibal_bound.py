"""The cannibalisation bound (QA, HIGH): rivals of a category x store x day (or period) lose
(or, with a halo, gain) at most the promoted items' own incremental units there, in the
what-if and in the plan alike (promotions.cannibal_bound)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import promocast.promotions.simulate_factors as simulate_factors
from promocast.promotions.cannibal_bound import rival_scale
from promocast.promotions.plan import build_candidates
from promocast.promotions.plan_refine import attributed_values, plan_value
from promocast.promotions.scenario import check_scenario
from promocast.promotions.simulate import simulate

CATS = {"S": "care", "F": "care"}  # S: slow (2 a day), F: fast rival (100 a day)
DAYS = pd.date_range("2026-06-01", periods=21, freq="D")
GAIN = 2 * (0.8**-2 - 1)  # S at 20 % off, elasticity -2: 1.125 more units a day


def _run(slow: float = 2.0, rate: float = 0.04, discount: float = 20.0, **row) -> object:
    grid = pd.MultiIndex.from_product([list(CATS), ["s1"], DAYS]).to_frame(
        index=False, name=["item_id", "store_id", "ds"]
    )
    grid["baseline_units"] = np.where(grid["item_id"] == "S", slow, 100.0)
    params = pd.DataFrame({"item_id": ["S", "F"], "store_id": "all", "category": "care",
                           "price_elasticity": -2.0, "post_promo_dip": 0.0,
                           "cannibalisation_rate": [0.0, rate]})
    plan = pd.DataFrame([{
        "promo_id": "P1", "promo_type": "percent_off", "start_date": pd.Timestamp("2026-06-03"),
        "end_date": pd.Timestamp("2026-06-09"), "item_id": "S", "category": None,
        "store_id": "s1", "discount_pct": discount, "threshold_amount": np.nan,
        "amount_off": np.nan, "gift_value": np.nan, "feature": 0, "display": 0,
        "fixed_cost": np.nan, "planned_price": np.nan, **row}])
    expanded = check_scenario(plan, item_ids=CATS, categories=CATS, store_ids=["s1"])
    items = pd.DataFrame({"item_id": ["S", "F"], "category": "care", "unit_cost": [10.0, 2.0]})
    prices = pd.DataFrame({"item_id": ["S", "F"], "regular_price": [30.0, 4.0]})
    return simulate(expanded, grid, params, items, prices=prices, n_samples=200)


def _rival_day(sim, item: str = "F") -> pd.Series:
    r = sim.rows
    return r[(r["item_id"] == item) & (r["ds"] == pd.Timestamp("2026-06-05"))].iloc[0]


def _unbounded(monkeypatch) -> None:
    """The what-if as it was before the bound: every rival's whole baseline at the rate."""
    monkeypatch.setattr(simulate_factors, "rival_scale", lambda gain, moved: np.ones(len(moved)))


def test_rival_scale_is_min_of_one_and_gain_over_moved() -> None:
    got = rival_scale(np.array([1.125, 10.0, 0.0, -3.0, 5.0]), np.array([4.0, 4.0, 4.0, 4.0, 0]))
    assert got == pytest.approx([1.125 / 4, 1.0, 0.0, 0.0, 1.0])
    assert rival_scale(np.array([1.0]), np.array([-3.9])) == pytest.approx([1 / 3.9])  # halo


def test_a_slow_promoted_item_takes_no_more_than_it_gains(monkeypatch) -> None:
    """S sells 2 a day and gains 1.125 a day at 20 % off; at rate 0.04 its promotion used to
    take 100 x 0.04 = 4 units a day from F (28 over 7 days). Now F loses 1.125 a day (7.875),
    said by a warning; F's money and quantiles shrink with its units."""
    sim = _run()
    day = _rival_day(sim)
    assert day["cannibalised_units"] == pytest.approx(GAIN)
    assert day["units"] == pytest.approx(100 - GAIN)
    assert day["incremental_margin"] == pytest.approx(-GAIN * (4 - 2))
    assert _rival_day(sim, "S")["incremental_units"] == pytest.approx(GAIN)
    assert sim.totals["cannibalised_units"]["expected"] == pytest.approx(7 * GAIN)
    other = sim.totals["other_items_incremental_units"]
    assert other["expected"] == pytest.approx(-7 * GAIN)
    assert other["q0.05"] == pytest.approx(-7 * GAIN) == other["q0.95"]  # no spread given
    (warning,) = [w for w in sim.warnings if w["kind"] == "cannibalisation_bounded"]
    assert warning["cells"] == 7
    assert warning["units_before"] == pytest.approx(28.0)
    assert warning["units_after"] == pytest.approx(7 * GAIN, abs=0.005)
    assert warning["units_cut"] == pytest.approx(28 - 7 * GAIN, abs=0.01)

    _unbounded(monkeypatch)  # before: 4 a day whatever S sells
    before = _run()
    assert _rival_day(before)["cannibalised_units"] == pytest.approx(4.0)
    assert before.totals["other_items_incremental_units"]["expected"] == pytest.approx(-28.0)


def test_a_halo_is_bounded_the_same_way() -> None:
    """QA: a rate of -0.039 made a 2-a-day item's promotion add 3.9 a day to a 100-a-day rival
    (more than the 1.125 it gained itself); now the rival gains 1.125 a day."""
    sim = _run(rate=-0.039)
    assert _rival_day(sim)["incremental_units"] == pytest.approx(GAIN)
    assert sim.totals["other_items_incremental_units"]["expected"] == pytest.approx(7 * GAIN)


def test_a_promotion_that_loses_units_moves_no_rival() -> None:
    """A 'promotion' priced above the regular price (planned 33 > 30) sells fewer: no rival
    moves at all."""
    sim = _run(planned_price=33.0)
    assert _rival_day(sim, "S")["incremental_units"] < 0
    assert _rival_day(sim)["cannibalised_units"] == 0.0
    assert sim.totals["other_items_incremental_units"]["expected"] == 0.0


def test_equal_items_are_unchanged(monkeypatch) -> None:
    """S selling 100 a day like F gains 56.25 a day, far above F's 4: the bound leaves every
    number as it was, and says nothing."""
    sim = _run(slow=100.0)
    assert _rival_day(sim)["cannibalised_units"] == pytest.approx(4.0)
    assert not [w for w in sim.warnings if w["kind"] == "cannibalisation_bounded"]
    _unbounded(monkeypatch)
    before = _run(slow=100.0)
    pd.testing.assert_frame_equal(sim.rows, before.rows)
    assert sim.totals == before.totals


def _plan_candidates(slow: float) -> pd.DataFrame:
    """One week: S (slow units a week at 30, cost 10), F (700 a week at 4, cost 2, rate 0.04)."""
    baseline = pd.DataFrame({"item_id": ["S", "F"], "store_id": "s1",
                             "period_start": pd.Timestamp("2026-06-01"),
                             "baseline_units": [slow, 700.0]})
    params = pd.DataFrame({"item_id": ["S", "F"], "store_id": "all", "category": "care",
                           "price_elasticity": -2.0, "post_promo_dip": 0.0,
                           "cannibalisation_rate": [0.0, 0.04]})
    prices = pd.DataFrame({"item_id": ["S", "F"], "regular_price": [30.0, 4.0],
                           "unit_cost": [10.0, 2.0]})
    return build_candidates(baseline, params, prices, grid={"percent_off": [20]})


def test_the_plan_charges_the_same_bound() -> None:
    """S at 14 a week gains 7.875 at 20 % off: its option used to charge F's 0.04 x 700 = 28
    units (56 margin); now 7.875 units (15.75 margin, 31.5 revenue), as the what-if, and the
    whole-plan pricing (plan_refine) agrees."""
    cand = _plan_candidates(14.0)
    s = cand[cand["item_id"] == "S"].iloc[0]
    gain = 14 * (0.8**-2 - 1)
    assert s["cannibalisation_loss"] == pytest.approx(gain * 2)
    assert s["incremental_units"] == pytest.approx(0.0)  # S's gain, all taken from F
    assert s["incremental_revenue"] == pytest.approx(14 * 1.5625 * 24 - 14 * 30 - gain * 4)
    chosen = (cand["item_id"] == "S").to_numpy()
    cand["fixed_cost"] = 0.0
    values, loss = attributed_values(cand, chosen)
    assert loss == pytest.approx([gain * 2])
    assert plan_value(cand, chosen) == pytest.approx(values.sum())
    assert values == pytest.approx([s["gross_incremental_margin"]])


def test_the_plan_is_unchanged_for_equal_items() -> None:
    """S selling 700 a week gains 393.75 at 20 % off, above F's 28: charged in full."""
    s = _plan_candidates(700.0).query("item_id == 'S'").iloc[0]
    assert s["cannibalisation_loss"] == pytest.approx(0.04 * 700 * 2)
    assert s["incremental_units"] == pytest.approx(700 * 0.5625 - 28)
