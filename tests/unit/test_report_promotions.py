"""The report's promotion sections say their numbers readably (QA finding 17): the plan's
explanation as sentences, not a Python dict; ROI in percent in both past-promotion tables."""

from __future__ import annotations

import pytest

from promocast.reports.promotions import ROI_HEADER, evaluation_section, explain_option

EXPLANATION = {
    "lift": 0.3483, "lift_missing": False, "expected_margin": 12510.96,
    "baseline_margin": 11929.91, "dip_loss": 238.94, "cannibalisation_loss": 0.0,
    "why_not_deeper": {"option": None, "reason": "deepest",
                       "text": "no deeper threshold option in the grid"},
    "best_other_mechanism": {"option": "percent_off 10 %", "expected_value": -1303.86},
    "why_not_more_often": "min_gap_periods: 4 other week(s); budget: 1 other week(s)",
    "other_periods": [{"period_start": "2026-05-21", "reason": "budget"}]}


def test_a_plan_explanation_reads_as_sentences() -> None:
    text = explain_option(EXPLANATION)
    assert text == (
        "Why: margin 12,511 against 11,930 without it (lift +35 %); best other mechanism "
        "percent_off 10 % (-1,304). Not deeper: no deeper threshold option in the grid. "
        "Not more often: min_gap_periods: 4 other week(s); budget: 1 other week(s).")
    assert "{" not in text and "lift_missing" not in text
    assert explain_option(None) == "" and explain_option("kept as text") == "kept as text"


def test_both_past_promotion_tables_show_roi_in_percent() -> None:
    rows = [{"rank": 1, "promo_id": "P1", "promo_type": "gift", "item_id": "A", "start": "2026-01-01",
             "end": "2026-01-07", "baseline_units": 10.0, "actual_units": 16.0,
             "incremental_units": 6.0, "discount_cost": 5.0, "incremental_margin": 530.65,
             "roi": 106.13},
            {"rank": 2, "promo_id": "P2", "promo_type": "gift", "item_id": "B", "start": "2026-01-01",
             "end": "2026-01-07", "baseline_units": 10.0, "actual_units": 11.0,
             "incremental_units": 1.0, "discount_cost": 15.0, "incremental_margin": -3.0,
             "roi": -0.2}]
    by_type, ranked = evaluation_section({"promotions": rows}).tables
    assert ROI_HEADER in by_type and ROI_HEADER in ranked and "roi" not in ranked
    assert ranked[ROI_HEADER].tolist() == pytest.approx([10613.0, -20.0])
    assert by_type[ROI_HEADER].iloc[0] == pytest.approx(100 * 527.65 / 20.0)
