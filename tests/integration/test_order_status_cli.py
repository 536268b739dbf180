"""An orders export with a status column through the command line: cancelled, refunded and
unpaid orders are kept in the store but left out of the derived sales and the customer
segments, and ingest / info say how many lines were left out and why."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from conftest import promocast
from promocast.data.storage import Store

ORDERS = """order_id,customer_id,timestamp,item_id,quantity,unit_price,Financial Status
O1,C1,2024-03-01 10:00,A,2,10.0,paid
O2,C2,2024-03-01 11:00,B,1,20.0,paid
O3,C1,2024-03-02 10:00,B,3,20.0,cancelled
O4,C3,2024-03-02 11:00,C,5,8.0,已取消
O5,,2024-03-03 10:00,A,1,10.0,paid
O6,C2,2024-03-03 11:00,A,4,10.0,Refunded
O7,C1,2024-03-04 09:00,B,2,20.0,pending
O8,C2,2024-03-04 10:00,A,1,10.0,
R1,C1,2024-03-04 11:00,A,-1,10.0,
"""
"""C1 buys 20 and returns 10; C2 buys 20 + 10 (its 40 refunded is no sale); C3's only order
was cancelled; O5 is a guest's; O3, O4, O6 and O7 never became sales."""


def _sales(db: Path) -> pd.DataFrame:
    with Store(db, read_only=True) as store:
        return store.query("SELECT item_id, CAST(date AS VARCHAR) AS date, units FROM sales "
                           "ORDER BY item_id, date")


def _json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_orders_not_sold_are_kept_but_left_out_of_sales_and_segments(tmp_path: Path) -> None:
    orders = tmp_path / "orders.csv"
    orders.write_text(ORDERS, encoding="utf-8")
    db = tmp_path / "shop.duckdb"
    loaded = promocast("ingest", str(orders), "--db", str(db), "--json",
                       str(tmp_path / "ingest.json"))
    assert loaded.returncode == 0, loaded.stderr
    said = loaded.stdout + loaded.stderr
    assert "4 lines of orders not sold (cancelled, refunded, unpaid" in said  # derived-sales note
    assert ("4 order lines of 4 orders whose status says the sale did not happen "
            "(cancelled 2, refunded 1, unpaid 1)") in said
    listed = _json(tmp_path / "ingest.json")["warnings"]
    assert [w["kind"] for w in listed].count("not_sold_orders") == 1  # once, not twice
    warnings = {w["kind"]: w for w in listed}
    assert warnings["not_sold_orders"]["count"] == 4
    assert warnings["not_sold_orders"]["statuses"] == {"Refunded": 1, "cancelled": 1,
                                                       "pending": 1, "已取消": 1}
    with Store(db, read_only=True) as store:
        assert store.count("orders") == 9  # every line kept, with its status
        kept = store.query("SELECT order_id, status FROM orders ORDER BY order_id")
    assert kept.set_index("order_id")["status"].to_dict()["O4"] == "已取消"

    # derived sales: A 2 / 0 / 1 (the guest's) / 1; B only O2's 1; C never sold
    sales = _sales(db)
    assert sales.values.tolist() == [
        ["A", "2024-03-01", 2.0], ["A", "2024-03-02", 0.0], ["A", "2024-03-03", 1.0],
        ["A", "2024-03-04", 1.0], ["B", "2024-03-01", 1.0], ["B", "2024-03-02", 0.0],
        ["B", "2024-03-03", 0.0], ["B", "2024-03-04", 0.0]]

    info = promocast("info", "--db", str(db), "--json", str(tmp_path / "info.json"))
    assert info.returncode == 0, info.stderr
    found = {w["kind"]: w for w in _json(tmp_path / "info.json")["warnings"]}
    assert found["not_sold_orders"]["count"] == 4 and found["not_sold_orders"]["orders"] == 4
    assert found["not_sold_orders"]["reasons"] == {"cancelled": 2, "refunded": 1, "unpaid": 1}
    assert found["guest_orders"]["count"] == 1 and found["guest_orders"]["orders"] == 1

    segments = promocast("customers", "segments", "--db", str(db), "--json",
                         str(tmp_path / "segments.json"), "--out", str(tmp_path / "rfm.csv"))
    assert segments.returncode == 0, segments.stderr
    assert _json(tmp_path / "segments.json")["customers"] == 2
    assert _json(tmp_path / "segments.json")["revenue"] == 40.0  # C1 20 - 10 back, C2 20 + 10
    rfm = pd.read_csv(tmp_path / "rfm.csv").set_index("customer_id")
    assert rfm["frequency"].to_dict() == {"C1": 1, "C2": 2}
    assert rfm["monetary"].to_dict() == {"C1": 10.0, "C2": 30.0}

    nobody = promocast("customers", "recommend", "--db", str(db), "--customer", "NOBODY")
    assert nobody.returncode == 1  # bad data, as explain --item NOBODY
    assert "customer 'NOBODY' is not in the store's orders; 2 customers have purchases" \
        in nobody.stderr + nobody.stdout
    c3 = promocast("customers", "recommend", "--db", str(db), "--customer", "C3")
    assert c3.returncode == 1
    assert "has 1 order line(s) but no purchase that counts" in c3.stderr + c3.stdout

    # a new export says O2 was cancelled after all: B's only sale goes, derived rows with it
    update = tmp_path / "orders_update.csv"
    update.write_text(ORDERS.splitlines()[0] + "\nO2,C2,2024-03-01 11:00,B,1,20.0,Cancelled\n",
                      encoding="utf-8")
    again = promocast("ingest", str(update), "--db", str(db))
    assert again.returncode == 0, again.stderr
    assert "4 derived rows no order supports any more removed" in again.stdout + again.stderr
    assert _sales(db)["item_id"].tolist() == ["A"] * 4
