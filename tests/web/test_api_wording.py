"""Upload refusals speak the API's words (the upload's form fields), never the CLI's flags;
the same loader called from the command line keeps its flags (``promocast.wording``)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from webshop import make_app, reset_store_mode

from promocast.data.ingest import prepare_files
from promocast.exceptions import DataValidationError, UnknownTable
from promocast.wording import API, option, phrase, speaking

NO_UNITS = b"date,item_id,store_id,foo\n2024-01-01,A,s1,3\n"
ORDERS = (b"order_id,customer_id,timestamp,item_id,quantity\n"
          b"o1,c1,2024-01-01 10:00:00,A,2\n")
FLAGS = ("--map", "--table", "--format", "--pseudonymise")


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    """An empty store behind the API (each upload test fills its own)."""
    with TestClient(make_app(tmp_path / "shop.duckdb")) as c:
        yield c
    reset_store_mode()


def _upload(client: TestClient, name: str, body: bytes, **form: str):
    return client.post("/api/ingest", data=form,
                       files=[("files", (name, io.BytesIO(body), "text/csv"))])


def test_a_missing_column_says_rename_it_in_the_file(client: TestClient) -> None:
    answer = _upload(client, "sales_shop.csv", NO_UNITS)
    assert answer.status_code == 422
    rules = [e["rule"] for e in answer.json()["errors"]]
    assert rules == ["required column missing (file has: date, item_id, store_id, foo); "
                     "rename that column of the file to units and upload it again"]
    assert not any(flag in answer.text for flag in FLAGS)


def test_an_unknown_table_points_to_the_table_field(client: TestClient) -> None:
    answer = _upload(client, "export.csv", NO_UNITS)
    assert answer.status_code == 400
    assert answer.json()["error"] == (
        "cannot tell the table of export.csv: name it sales*, items*, promotions*, events*, "
        "inventory*, orders* or stores* (or a Chinese name with 销售/销量, 商品, 活动/促销, "
        "日历/节日, 库存, 订单 or 门店), or choose its table in the upload's table field")
    named = _upload(client, "export.csv", b"date,item_id,units\n2024-01-01,A,3\n", table="sales")
    assert named.status_code == 200, named.text
    assert named.json()["tables"]["sales"]["inserted"] == 1


def test_raw_ids_into_a_pseudonymised_store_name_the_form_field(client: TestClient) -> None:
    first = _upload(client, "orders_a.csv", ORDERS, pseudonymise="true")
    assert first.status_code == 200, first.text
    raw = _upload(client, "orders_b.csv", ORDERS)
    assert raw.status_code == 400
    assert raw.json()["error"] == (
        "this store keeps pseudonymised customer ids: upload orders with pseudonymise=true "
        "(and the same salt) so raw ids never enter it")


def test_the_command_line_keeps_its_flags(tmp_path: Path) -> None:
    """Outside a request (the CLI, scripts) the loader's messages name the flags."""
    (tmp_path / "sales_shop.csv").write_bytes(NO_UNITS)
    with pytest.raises(DataValidationError) as refused:
        prepare_files([tmp_path / "sales_shop.csv"])
    assert refused.value.errors[0].rule.endswith("; rename it or pass --map SOURCE=units")
    (tmp_path / "export.csv").write_bytes(NO_UNITS)
    with pytest.raises(UnknownTable, match=r"or pass --table NAME$"):
        prepare_files([tmp_path / "export.csv"])
    assert (option("lead_time"), phrase("table")) == ("--lead-time", "pass --table NAME")
    with speaking(API):
        assert (option("lead_time"), phrase("table")) == (
            "lead_time", "choose its table in the upload's table field")
    assert option("lead_time") == "--lead-time"  # the block ends, the CLI's words are back


def test_chinese_file_names_stay_readable_and_tell_their_table(client: TestClient) -> None:
    """QA 5, finding 13: 销售明细.csv and 库存.csv were both shown as ____.csv, and their
    names told no table."""
    sales = "日期,商品编码,销量\n2024-01-01,A,3\n2024-01-02,A,x\n".encode()
    answer = _upload(client, "销售明细.csv", sales)
    assert answer.status_code == 422
    assert [(e["file"], e["row"], e["column"]) for e in answer.json()["errors"]] == [
        ("销售明细.csv", 3, "units")]
    good = _upload(client, "../天猫/库存 2024.csv", "日期,商品编码,库存\n2024-01-01,A,7\n".encode())
    assert good.status_code == 200, good.text
    assert good.json()["sources"] == ["库存_2024.csv"]  # the path is gone, the name readable
    assert good.json()["tables"]["inventory"]["inserted"] == 1
