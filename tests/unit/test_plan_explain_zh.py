"""The plan's reasons in Chinese (QA finding 18): every explanation carries a ``zh`` text of
why not deeper and why not more often, with the same numbers as the English one; the English
keys stay as they were (DESIGN §3)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from promocast.promotions.plan import optimise_plan
from promocast.promotions.plan_explain import option_label_zh
from promocast.promotions.rules import make_rules

WEEKS = pd.date_range("2026-06-01", periods=4, freq="7D")


def cands(rows: list[dict]) -> pd.DataFrame:
    """Hand-made candidates (as in test_promo_plan): item, period index, value, depth, type."""
    out = []
    for r in rows:
        start, base = WEEKS[r.get("period", 0)], 100.0
        out.append({
            "item_id": r["item"], "store_id": "all", "category": "x", "period_start": start,
            "period_end": start + pd.Timedelta(days=6),
            "promo_type": r.get("type", "percent_off"), "depth": float(r.get("depth", 10)),
            "regular_price": 10.0, "shelf_price": 9.0, "unit_cost": 5.0,
            "baseline_units": base, "expected_units": base + 10.0, "lift": 0.1,
            "margin": 0.0, "baseline_margin": 0.0, "dip_loss": 0.0,
            "cannibalisation_loss": 0.0, "giveaway": 0.0,
            "gross_incremental_margin": float(r["value"]),
            "incremental_revenue": float(r["value"]),
            "horizon_baseline_units": base * len(WEEKS), "stock_units": np.nan})
    return pd.DataFrame(out)


def numbers(text: str) -> list[str]:
    return re.findall(r"\d+(?:\.\d+)?", text)


def test_why_not_deeper_in_chinese_has_the_english_numbers() -> None:
    c = cands([{"item": "A", "depth": 10, "value": 60}, {"item": "A", "depth": 20, "value": 40}])
    why = optimise_plan(c, make_rules()).explanations[0]
    english, chinese = why["why_not_deeper"]["text"], why["zh"]["why_not_deeper"]
    assert "40.00 instead of 60.00" in english  # the English text is unchanged
    assert chinese.startswith("打折 20 %") and "40.00" in chinese and "60.00" in chinese
    assert numbers(chinese) == numbers(english)
    assert "percent_off" not in chinese


def test_why_not_more_often_in_chinese_has_the_english_counts() -> None:
    c = cands([{"item": "A", "period": p, "value": v} for p, v in enumerate([10, 12, 10, 1])])
    why = optimise_plan(c, make_rules({"min_gap_periods": 1})).explanations[0]
    assert why["zh"]["why_not_more_often"] == (
        "最短间隔：其他 2 周（规则要求同一商品×门店的两次促销之间至少间隔 1 周）")
    assert numbers(why["zh"]["why_not_more_often"]) == numbers(why["why_not_more_often"])
    assert set(why) >= {"why_not_deeper", "why_not_more_often", "other_periods", "lift"}


def test_deepest_option_and_monthly_plans_in_chinese() -> None:
    c = cands([{"item": "A", "period": p, "value": v, "type": "threshold"}
               for p, v in enumerate([10, 12, 10, 1])])
    why = optimise_plan(c, make_rules({"min_gap_periods": 2, "period": "M"})).explanations[0]
    assert why["zh"]["why_not_deeper"] == "网格中没有更深的满减方案"
    assert "个月" in why["zh"]["why_not_more_often"]
    assert option_label_zh("amount_off", 5) == "立减 5"
    assert option_label_zh("feature_display", 0) == "首页推荐/陈列"
