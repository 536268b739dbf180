"""promo_type words (``data.promo_types``, QA 5 finding 14): promocast's own Chinese words
(the dashboard's ``mechanism.*`` names, which the advice uses too), the words of other
back-ends (限时秒杀) and the multi-buy deals of Chinese shops are read as their mechanism; the
refusal lists the accepted Chinese words."""

from __future__ import annotations

import pandas as pd
import pytest

from promocast.data.plain_rows import plain_promotions
from promocast.data.promo_types import (
    PROMO_TYPE_SYNONYMS,
    accepted_words,
    canonical,
    implied_depth,
    normalise,
)
from promocast.data.schema import PROMO_TYPES, PROMOTIONS
from promocast.data.validate import validate_table
from promocast.promotions.advice_text import MECHANISM_ZH


@pytest.mark.parametrize(("word", "kind"), [
    ("限时秒杀", "flash_sale"), ("秒杀", "flash_sale"), ("限时抢购", "flash_sale"),
    ("第二件半价", "bundle"), ("第二件8折", "bundle"), ("第2件八折", "bundle"),
    ("第二件0元", "bundle"), ("买一送一", "bundle"), ("买2送1", "bundle"), ("2件8折", "bundle"),
    ("两件八五折", "bundle"), ("满减", "threshold"), ("满赠", "gift"), ("重点陈列", "feature_display"),
    ("Percent Off", "percent_off"), ("mystery", "mystery"),
])
def test_words_read_as_their_mechanism(word: str, kind: str) -> None:
    assert normalise(pd.Series([word], dtype="string[pyarrow]")).iloc[0] == kind


def test_promocasts_own_chinese_names_are_accepted() -> None:
    for kind, word in MECHANISM_ZH.items():
        assert canonical(word) == kind, word
    assert set(PROMO_TYPE_SYNONYMS.values()) <= set(PROMO_TYPES)


def test_the_refusal_lists_the_chinese_words() -> None:
    frame = pd.DataFrame({"promo_id": ["P1"], "promo_type": ["第三件免费"],
                          "start_date": ["2026-01-01"], "end_date": ["2026-01-02"],
                          "item_id": ["A"]})
    table, log = validate_table(frame, PROMOTIONS, "promotions.csv")
    assert table is None and log.total == 1
    rule = log.examples[0].rule
    assert rule == f"unknown promo_type (allowed: {accepted_words()})"
    for words in ("flash_sale (秒杀, 限时秒杀", "第二件半价", "买一送一", "percent_off (折扣, 打折)"):
        assert words in rule


def test_the_api_path_reads_the_same_words() -> None:
    rows = [{"promo_id": "W1", "promo_type": "第二件半价", "item_id": "A",
             "start_date": "2026-01-01", "end_date": "2026-01-02", "discount_pct": 25}]
    assert plain_promotions(rows, PROMOTIONS)["promo_type"].tolist() == ["bundle"]


@pytest.mark.parametrize(("word", "depth"), [
    ("第二件半价", 25.0), ("第二件8折", 10.0), ("第二件0元", 50.0), ("买一送一", 50.0),
    ("买2送1", 33.3333), ("2件8折", 20.0), ("第二件10折", None), ("满减", None),
])
def test_multi_buy_words_state_their_depth(word: str, depth: float | None) -> None:
    assert implied_depth(word) == depth


def test_a_multi_buy_deal_without_a_depth_gets_the_one_its_words_state() -> None:
    frame = pd.DataFrame({"promo_id": ["P1", "P2", "P3"],
                          "promo_type": ["第二件半价", "第二件半价", "买一送一"],
                          "start_date": ["2026-01-01"] * 3, "end_date": ["2026-01-02"] * 3,
                          "item_id": ["A"] * 3, "discount_pct": [None, "30", None]})
    table, log = validate_table(frame, PROMOTIONS, "promotions.csv")
    assert log.total == 0 and table is not None
    assert table.frame["promo_type"].tolist() == ["bundle"] * 3
    assert table.frame["discount_pct"].tolist() == [25.0, 30.0, 50.0]  # a given one is kept
    assert any("filled from the promo_type for 2 multi-buy deals" in n for n in table.notes)
    rows = [{"promo_id": "W1", "promo_type": "第二件半价", "item_id": "A",
             "start_date": "2026-01-01", "end_date": "2026-01-02"}]
    assert plain_promotions(rows, PROMOTIONS) is None  # left to the parser, which fills it
