"""Column mapping: built-in English and Chinese synonyms, --map and mapping files."""

from __future__ import annotations

from pathlib import Path

import pytest

from promocast.data.storage import Store
from promocast.exceptions import UnknownTable, UsageError
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


def test_a_per_table_mapping_file_applies_per_table(tmp_path: Path) -> None:
    """QA 5, finding 12: {sales: {件数: units}, orders: {件数: quantity}} was flattened, the
    last table winning, so the sales file's 件数 was mapped to quantity and refused."""
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("sales:\n  货品: item_id\n  件数: units\n"
                       "orders:\n  货品: item_id\n  件数: quantity\n  单号: order_id\n"
                       "  买家: customer_id\n  下单: timestamp\n", encoding="utf-8")
    sales = tmp_path / "sales_shop.csv"
    sales.write_text("日期,货品,件数\n2024-03-01,A,5\n2024-03-02,A,6\n", encoding="utf-8")
    orders = tmp_path / "orders_shop.csv"
    orders.write_text("单号,买家,下单,货品,件数\no1,c1,2024-03-01 10:00,A,2\n", encoding="utf-8")
    db = tmp_path / "s.duckdb"
    summary = ingest([sales, orders], db, mapping_file=mapping)
    assert summary.counts["sales"].inserted == 2 and summary.counts["orders"].inserted == 1
    with Store(db, read_only=True) as store:
        assert store.read("sales")["units"].tolist() == [5, 6]
        assert store.read("orders")["quantity"].tolist() == [2]


def test_a_section_maps_the_ids_of_the_other_tables_too(tmp_path: Path) -> None:
    """A mapping written under sales: only (as a shop maps its main export) still maps the
    shared id headers of the items and promotions files; its other entries stay with sales."""
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("sales:\n  商品SKU: item_id\n  付款件数: units\n  划线价: base_price\n"
                       "promotions:\n  活动编号: promo_id\n", encoding="utf-8")
    items = tmp_path / "items.csv"
    items.write_text("商品SKU,类目,划线价\nA,零食,9.9\n", encoding="utf-8")
    promotions = tmp_path / "promotions.csv"
    promotions.write_text("活动编号,活动类型,商品SKU,开始日期,结束日期,折扣力度\n"
                          "P1,折扣,A,2024-03-01,2024-03-02,20\n", encoding="utf-8")
    db = tmp_path / "s.duckdb"
    ingest([items, promotions], db, mapping_file=mapping)
    with Store(db, read_only=True) as store:
        assert store.read("items")[["item_id", "base_price"]].values.tolist() == [["A", 9.9]]
        assert store.read("promotions")["item_id"].tolist() == ["A"]


def test_mapping_layers_and_unknown_sections(tmp_path: Path) -> None:
    from promocast.data.mapping import UserMapping, load_mapping_file
    from promocast.data.schema import ORDERS, SALES, TABLES

    mapping = UserMapping(common={"数量": "units"},
                          tables={"orders": {"数量": "quantity", "货品": "item_id"},
                                  "sales": {"件数": "units"}},
                          options={"件数": "units"})
    assert mapping.for_table("sales", SALES.names) == {"货品": "item_id", "数量": "units",
                                                       "件数": "units"}
    # a table's own section wins over the entries for every table
    assert mapping.for_table("orders", ORDERS.names)["数量"] == "quantity"
    assert mapping.for_table("orders", ORDERS.names)["件数"] == "units"  # --map wins all
    bad = tmp_path / "mapping.yaml"
    bad.write_text("销售:\n  件数: units\n", encoding="utf-8")
    with pytest.raises(UsageError, match="section '销售' is not a table"):
        load_mapping_file(bad, TABLES)


def test_chinese_file_names_tell_their_table(tmp_path: Path) -> None:
    from promocast.data.schema import table_candidates, table_for_filename

    assert {name: table_for_filename(name) for name in (
        "销售明细.csv", "天猫销量2024.xlsx", "商品信息.csv", "商品销售明细.csv", "活动记录.csv",
        "促销.csv", "库存.csv", "商品库存.csv", "订单导出.csv", "订单商品明细.csv", "节日.csv",
        "日历.csv", "门店.csv", "sales_销售.csv", "导出.csv")} == {
        "销售明细.csv": "sales", "天猫销量2024.xlsx": "sales", "商品信息.csv": "items",
        "商品销售明细.csv": "sales", "活动记录.csv": "promotions", "促销.csv": "promotions",
        "库存.csv": "inventory", "商品库存.csv": "inventory", "订单导出.csv": "orders",
        "订单商品明细.csv": "orders", "节日.csv": "events", "日历.csv": "events",
        "门店.csv": "stores", "sales_销售.csv": "sales", "导出.csv": None}
    assert table_candidates("促销销量.csv") == ["sales", "promotions"]
    path = tmp_path / "促销销量.csv"
    path.write_text("date,item_id,units\n2024-03-01,A,1\n", encoding="utf-8")
    with pytest.raises(UnknownTable, match="its name points to sales and promotions"):
        ingest([path], tmp_path / "s.duckdb")
