"""Headers told by the built-in synonyms (English and Chinese exports)."""

from __future__ import annotations

from promocast.data.mapping import canonical_names

SALES = {"date", "item_id", "store_id", "units", "price", "base_price", "name"}


def test_a_plain_chinese_export_maps_every_column() -> None:
    """价格 (price) was kept as an extra input and the price left empty, without a word."""
    got = canonical_names(["日期", "商品", "门店", "销量", "价格"], SALES)
    assert got == {"日期": "date", "商品": "item_id", "门店": "store_id", "销量": "units",
                   "价格": "price"}


def test_the_more_specific_synonym_wins_whatever_the_column_order() -> None:
    for columns in (["商品", "商品编码", "销量"], ["商品编码", "商品", "销量"]):
        got = canonical_names(columns, SALES)
        assert got["商品编码"] == "item_id" and "商品" not in got, columns
