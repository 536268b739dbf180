"""The report in Chinese (QA finding 17): headings, column labels and mechanism names from the
dashboard's catalogues, html lang zh-CN as the pages write it, the plan's reasons in zh."""

from __future__ import annotations

import re

import pytest

from promocast.exceptions import UsageError
from promocast.reports.html import Section, render
from promocast.reports.promotions import explain_option, plan_section
from promocast.reports.words import Words

PLAN = {"status": "optimal", "expected_incremental_margin": 1234.0, "budget_used": 50.0,
        "budget": 100.0, "gap": 0.0, "notes": [], "promotions": [{
            "item_id": "A", "store_id": "S1", "promo_type": "percent_off", "depth": 20.0,
            "start_date": "2026-06-01", "end_date": "2026-06-07", "baseline_units": 10.0,
            "expected_units": 14.0, "expected_incremental_margin": 30.0,
            "explanation": {
                "lift": 0.4, "expected_margin": 130.0, "baseline_margin": 100.0,
                "why_not_deeper": {"option": "percent_off 30 %", "reason": "no_gain",
                                   "text": "percent_off 30 % would bring incremental margin "
                                           "20.00 instead of 30.00: the extra discount costs "
                                           "more than the extra units earn"},
                "best_other_mechanism": {"option": "gift 10 %", "expected_value": 12.0},
                "why_not_more_often": "min_gap_periods: 2 other week(s)",
                "zh": {"why_not_deeper": "打折 30 %的增量毛利为 20.00，而不是 30.00：多给的折扣成本"
                                         "高于多卖的收益",
                       "why_not_more_often": "最短间隔：其他 2 周"}}}]}


def cells(html: str) -> list[str]:
    return re.findall(r"<t[dh]>(.*?)</t[dh]>", html, flags=re.S)


def test_the_chinese_report_has_chinese_headings_labels_and_mechanisms() -> None:
    html = render(Words("zh")("title"), "shop", [plan_section(PLAN, lang="zh")], lang="zh")
    assert "<html lang='zh-CN'>" in html and "<h1>promocast 报告</h1>" in html
    assert "<h2>促销计划</h2>" in html and "预期增量毛利" in html and "生成于" in html
    shown = cells(html)
    assert "商品" in shown and "方案" in shown and "说明" in shown
    assert "打折 20" in shown
    assert not [c for c in shown if re.search(r"percent_off|promo_type|item_id|[a-z]+_[a-z]+", c)]
    why = next(c for c in shown if c.startswith("原因"))
    assert "为何不更深：打折 30 %的增量毛利为 20.00" in why and "赠品 10 %" in why
    assert "最短间隔：其他 2 周" in why and "min_gap" not in why


def test_the_english_report_is_as_it_was() -> None:
    html = render("promocast report", "shop", [plan_section(PLAN)])
    assert "<html lang='en'>" in html and "<h2>Promotion plan</h2>" in html
    assert "percent_off" in html and "generated" in html
    assert explain_option(PLAN["promotions"][0]["explanation"]).startswith(
        "Why: margin 130 against 100 without it (lift +40 %); best other mechanism gift 10 %")


def test_an_old_plan_without_zh_texts_falls_back_to_english_reasons() -> None:
    explanation = {k: v for k, v in PLAN["promotions"][0]["explanation"].items() if k != "zh"}
    text = explain_option(explanation, "zh")
    assert text.startswith("原因：毛利 130，不促销为 100（提升 +40 %）") and "would bring" in text


def test_only_en_and_zh_are_report_languages() -> None:
    with pytest.raises(UsageError, match="en or zh"):
        Words("fr")
    assert Section("x").title == "x"


def test_a_monthly_shop_reports_months_and_says_it_has_no_promotions_table() -> None:
    """Stallion's report titled its monthly data "Weekly units by category" and "Share of
    item-days on promotion", and showed an empty promotions table with no word."""
    import pandas as pd

    from promocast.reports.html import data_sections

    by_cat = pd.DataFrame({"week": pd.to_datetime(["2017-11-01", "2017-12-01"]),
                           "category": "beer", "units": [10.0, 12.0], "revenue": [100.0, 120.0],
                           "promo_share": [0.8, 0.9]})
    overview = {"by_category": by_cat, "top_items": pd.DataFrame({"item_id": ["A"]}),
                "promotions": pd.DataFrame(columns=["promo_type", "promotions", "avg_days",
                                                    "avg_discount_pct"])}
    info = {"series": 1, "tables": {"sales": {"rows": 2}}, "start": "2017-11-01",
            "end": "2017-12-01", "freq": "MS"}
    for lang, units, share, note in (
            ("en", "Monthly units by category", "Share of item-months on promotion",
             "no promotions table"),
            ("zh", "各品类月销量", "促销商品月数占比", "没有促销表")):
        _loaded, sales, promo, _quality = data_sections(info, overview, lang)
        titles = [fig.layout.title.text for fig in sales.figures]
        assert titles == [units, share]
        assert sales.figures[0].layout.xaxis.title.text == ("month" if lang == "en" else "月")
        assert promo.tables == [] and note in promo.notes[0]
    weekly = data_sections({**info, "freq": "W-THU"}, overview, "en")[1]
    assert [f.layout.title.text for f in weekly.figures] == [
        "Weekly units by category", "Share of item-weeks on promotion"]
