"""Column mapping: built-in English and Chinese synonyms, --map and mapping files."""

from __future__ import annotations

from pathlib import Path

import pytest

from promocast.data.storage import Store
from promocast.exceptions import UsageError
from promocast.services.ingest import ingest, parse_map_options


def test_chinese_export_in_gbk_loads_without_mapping(tmp_path: Path) -> None:
    path = tmp_path / "sales_taobao.csv"
    text = "日期,商品编码,门店,销量,单价,原价,是否促销\n2024-03-01,SKU1,上海店,3,9.9,12,是\n2024-03-02,SKU1,上海店,5,12,12,否\n"
    path.write_bytes(text.encode("gbk"))
    ingest([path], tmp_path / "s.duckdb")
    with Store(tmp_path / "s.duckdb", read_only=True) as store:
        sales = store.read("sales")
    assert sales["store_id"].tolist() == ["上海店", "上海店"]
    assert sales["units"].tolist() == [3, 5]
    assert sales["on_promo"].tolist() == [1, 0]
    assert sales["base_price"].tolist() == [12, 12]


def test_map_option_and_mapping_file(tmp_path: Path) -> None:
    path = tmp_path / "sales_erp.csv"
    path.write_text("day_key;article;menge;vk\n2024-03-01;A;3;1,5\n".replace("1,5", "1.5"))
    db = tmp_path / "s.duckdb"
    with pytest.raises(Exception, match="required column missing"):
        ingest([path], db)
    ingest([path], db, mapping=parse_map_options(["day_key=date", "menge=units", "vk=price"]))
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("sales:\n  day_key: date\n  menge: units\n  vk: price\n")
    again = ingest([path], db, mapping_file=mapping)
    assert not again.changed
    with Store(db, read_only=True) as store:
        assert store.read("sales")[["item_id", "units", "price"]].values.tolist() == [["A", 3.0, 1.5]]


def test_bad_map_option_is_usage_error() -> None:
    with pytest.raises(UsageError, match="src=dst"):
        parse_map_options(["units"])
