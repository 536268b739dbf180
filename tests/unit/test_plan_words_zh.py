"""The plan's notes and caveats in Chinese (after QA finding 18): every note has a ``zh.notes``
text aligned with ``notes``, every caveat a ``zh.caveat``, each with the English one's numbers
(``promotions.plan_words``); the English keys and texts stay as they were (DESIGN §3); the
report and the page fall back to English for a plan kept before."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from promocast.promotions import plan_words
from promocast.promotions.advice_text import MECHANISM_EN, MECHANISM_ZH
from promocast.promotions.plan_lifts import WHY, left_out_note, left_out_summary
from promocast.promotions.plan_words import WHY_ZH, Said, add_note
from promocast.reports.promotions import plan_section
from promocast.services.promotions import caveats, costless_mechanism_note
from promocast.web.i18n import catalogue

MECHANISMS = ("percent_off", "amount_off", "threshold", "gift", "flash_sale", "bundle",
              "feature_display")


def numbers(text: str) -> list[str]:
    return re.findall(r"[-+]?\d[\d,]*(?:\.\d+)?", text)


def same_numbers(said: Said) -> None:
    assert numbers(said.zh) == numbers(said.en), said
    assert not any(m in said.zh for m in MECHANISMS if m != "feature_display"), said.zh


SUMMARY = [{"mechanism": "gift", "reason": "not_estimated", "why": "not estimated: neither "
            "the item nor its category ran it in the history", "series": 3, "items": ["A"],
            "rules_lift": None},
           {"mechanism": "flash_sale", "reason": "not_estimated", "why": "not estimated",
            "series": 2, "items": ["B"], "rules_lift": 0.25}]
EVERY_NOTE = [
    plan_words.standing(4, 3),
    plan_words.fixed_costs({"gift": (1234.5, 7), "threshold": (80.0, 2)}),
    plan_words.costless_left_out([f"sku{k}" for k in range(12)]),
    plan_words.costless_at_zero(5),
    plan_words.left_out(SUMMARY),
    plan_words.STOCK_NOT_ENFORCED,
    plan_words.caution(0.5),
    plan_words.costless_mechanism(3, 4),
    plan_words.marked(2, 9),
    plan_words.forced(1, 9),
    plan_words.unsure(3, 9, 0.6),
    plan_words.kept_for_rule("required[0] 'festival_618' (>= 2 promotions, category x)", -3.0),
    plan_words.break_even(0.45, -12.5, 30.25, 0.9),
]


@pytest.mark.parametrize("said", EVERY_NOTE, ids=range(len(EVERY_NOTE)))
def test_every_note_has_a_chinese_text_with_the_same_numbers(said: Said) -> None:
    assert said.en and said.zh and said.zh != said.en
    same_numbers(said)


def test_the_english_notes_are_unchanged() -> None:
    assert left_out_note(SUMMARY) == plan_words.left_out(SUMMARY).en
    assert left_out_note(SUMMARY).startswith(
        "mechanisms left out where their lift is not estimated: gift for 3 item(s)")
    assert plan_words.kept_for_rule("required[0] 'x' (>= 1 promotions)", -3.0).en == (
        "kept to meet required[0] 'x' (>= 1 promotions): expected -3.00, a loss the rule asks for")
    assert "（至少 1 次促销）" in plan_words.kept_for_rule("required[0] 'x' (>= 1 promotions)", -3).zh


@pytest.mark.parametrize(("parameter", "reason"), [
    ("price_elasticity", "not identified: the item's data do not move it, the category's value "
                         "is used"),
    ("lift_gift", "not identified in the item or its category"),
    ("price_elasticity", "positive own-price elasticity in the item's own data (shrunk value "
                         "-0.85)"),
    ("lift_flash_sale", "lift below -50 % in the item's own data"),
    ("lift_bundle", "3 of 4 promotion periods sold out: demand beyond the units sold is "
                    "unknown, so the lift leans on the category; stock more to measure it"),
])
def test_flag_caveats_in_chinese(parameter: str, reason: str) -> None:
    said = plan_words.flagged(parameter, reason)
    assert said.en == f"{parameter}: {reason}"
    assert not re.search(r"[a-z]{4,}", said.zh), said.zh  # translated, not left in English
    same_numbers(said)


def test_caveats_and_their_notes_in_both_languages() -> None:
    plan = {"notes": ["an older English-only note"], "promotions": [
        {"item_id": "A", "promo_type": "gift", "expected_incremental_margin": 10.0,
         "chance_profitable": 0.45, "expected_incremental_margin_range": [-12.5, 30.25],
         "explanation": {}},
        {"item_id": "B", "promo_type": "percent_off", "expected_incremental_margin": -3.0,
         "chance_profitable": 0.01, "explanation": {"required_by": ["required[0] 'x' (>= 1 "
                                                                    "promotions)"]}},
        {"item_id": "C", "promo_type": "percent_off", "expected_incremental_margin": 5.0,
         "chance_profitable": 0.9, "explanation": {}}]}
    flags = [{"item_id": "A", "parameter": "lift_gift",
              "reason": "not identified in the item or its category"}]
    caveats(plan, flags)
    a, b, c = plan["promotions"]
    assert a["caveat"].startswith("lift_gift: not identified") and "45%" in a["caveat"]
    assert a["zh"]["caveat"].startswith("赠品提升度：") and "；接近盈亏平衡：盈利概率 45%" in \
        a["zh"]["caveat"]
    assert numbers(a["zh"]["caveat"]) == numbers(a["caveat"])
    assert b["caveat"].startswith("kept to meet") and b["zh"]["caveat"].startswith("为满足")
    assert c["caveat"] is None and c["zh"]["caveat"] is None
    assert len(plan["notes"]) == len(plan["zh"]["notes"]) == 4
    assert plan["zh"]["notes"][0] == "an older English-only note"
    for en, zh in zip(plan["notes"][1:], plan["zh"]["notes"][1:], strict=True):
        assert numbers(zh) == numbers(en) and zh != en


def test_add_note_keeps_the_lists_aligned() -> None:
    document: dict = {"notes": []}
    add_note(document, Said("one", "一"))
    document["notes"].append("english only")
    add_note(document, Said("two", "二"))
    assert document["zh"]["notes"] == ["一", "english only", "二"]
    assert document["notes"] == ["one", "english only", "two"]
    assert costless_mechanism_note([{"promo_type": "gift"}], {}) is None


PLAN = {"status": "optimal", "expected_incremental_margin": 30.0, "budget_used": 5.0,
        "budget": 10.0, "gap": 0.0, "notes": ["2 of 1 planned", "kept in English"],
        "zh": {"notes": ["2 / 1 个计划"]},
        "promotions": [{"item_id": "A", "store_id": "S1", "promo_type": "gift", "depth": 10.0,
                        "start_date": "2026-06-01", "end_date": "2026-06-07",
                        "baseline_units": 10.0, "expected_units": 14.0,
                        "expected_incremental_margin": 30.0, "explanation": {},
                        "caveat": "close to break-even: 45% chance it pays",
                        "zh": {"caveat": "接近盈亏平衡：盈利概率 45%"}},
                       {"item_id": "B", "store_id": "S1", "promo_type": "gift", "depth": 10.0,
                        "start_date": "2026-06-01", "end_date": "2026-06-07",
                        "baseline_units": 10.0, "expected_units": 14.0,
                        "expected_incremental_margin": 30.0, "explanation": {},
                        "caveat": "an old caveat"}]}


def test_the_report_shows_the_chinese_notes_and_caveats() -> None:
    zh = plan_section(PLAN, lang="zh")
    assert zh.notes == ["2 / 1 个计划", "kept in English"]  # English where zh has none
    assert zh.tables[0].iloc[:, -1].tolist() == ["接近盈亏平衡：盈利概率 45%", "an old caveat"]
    en = plan_section(PLAN, lang="en")
    assert en.notes == PLAN["notes"]
    assert en.tables[0]["caveat"].tolist() == ["close to break-even: 45% chance it pays",
                                              "an old caveat"]
    old = {k: v for k, v in PLAN.items() if k != "zh"}
    assert plan_section(old, lang="zh").notes == PLAN["notes"]


def test_the_advice_names_mechanisms_as_the_dashboard_does() -> None:
    names = catalogue("zh")
    assert set(MECHANISM_ZH) == set(MECHANISM_EN)
    for kind, word in MECHANISM_ZH.items():
        assert word == names[f"mechanism.{kind}"]
    assert MECHANISM_ZH["percent_off"] == "打折" and MECHANISM_ZH["flash_sale"] == "秒杀"


@pytest.mark.parametrize("reason", sorted(WHY))
def test_every_left_out_reason_has_a_chinese_why_with_the_same_numbers(reason: str) -> None:
    """``left_out[].zh.why`` beside the English ``why`` (kept as it was, DESIGN §3), for each
    reason kind ``plan_lifts`` gives; the plan's note says the same reason in Chinese."""
    rows = pd.DataFrame({"item_id": ["B", "A", "A"], "store_id": ["s1", "s1", "s2"],
                         "mechanism": "gift", "reason": reason, "detail": WHY[reason],
                         "rules_lift": [np.nan] * 3})
    given = rows.assign(mechanism="flash_sale", rules_lift=0.25)
    summary = left_out_summary(pd.concat([rows, given], ignore_index=True))
    assert [(s["mechanism"], s["series"], s["items"], s["rules_lift"]) for s in summary] == [
        ("flash_sale", 3, ["A", "B"], 0.25), ("gift", 3, ["A", "B"], None)]
    for entry in summary:
        assert entry["why"] == WHY[reason]  # the English contract, unchanged
        zh = entry["zh"]["why"]
        assert zh == WHY_ZH[reason] and zh != entry["why"]
        assert not re.search(r"[a-z]{4,}", zh), zh  # translated, not left in English
        assert numbers(zh) == numbers(entry["why"])
    note = plan_words.left_out(summary)
    assert note.zh.count(WHY_ZH[reason]) == 2 and note.en.count(WHY[reason]) == 2
    same_numbers(note)
    assert "3 个商品" in note.zh and "+0.25" in note.zh


def test_a_left_out_reason_falls_back_for_a_plan_kept_before() -> None:
    """A ``left_out`` entry kept before ``zh.why`` is said by its reason, or in English when
    the reason is unknown (never a KeyError on an old plan)."""
    old = {"reason": "not_estimated", "why": WHY["not_estimated"]}
    assert plan_words.left_out_why(old) == WHY_ZH["not_estimated"]
    assert plan_words.left_out_why({"reason": "later", "why": "a later reason"}) == \
        "a later reason"
    assert plan_words.left_out_why({**old, "zh": {"why": "说明"}}) == "说明"
