"""An orders-only shop (DESIGN §2: sales derived from orders when only orders exist)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from promocast.data.storage import Store
from promocast.services.ingest import ingest

HEAD = "order_id,customer_id,timestamp,item_id,quantity,unit_price,discount\n"


def _sales(db: Path) -> pd.DataFrame:
    with Store(db, read_only=True) as store:
        return store.query("SELECT date, item_id, store_id, units, price, on_promo FROM sales "
                           "ORDER BY item_id, date")


def test_orders_alone_give_daily_sales_with_their_zero_days(tmp_path: Path) -> None:
    orders = tmp_path / "orders.csv"
    orders.write_text(HEAD + "O1,C1,2024-03-01 10:00,A,2,5.0,0\n"
                             "O1,C1,2024-03-01 10:00,B,1,8.0,1\n"
                             "O2,C2,2024-03-01 18:30,A,1,4.0,0\n"
                             "O3,C1,2024-03-04 09:00,A,-1,5.0,0\n"  # a return: not demand
                             "O4,C3,2024-03-04 11:00,B,3,8.0,0\n")
    db = tmp_path / "s.duckdb"
    summary = ingest([orders], db)
    assert summary.counts["sales"].inserted == 8
    assert any(n.startswith("no sales file: 8 daily sales rows of 2 items") for n in summary.notes)
    sales = _sales(db)
    a = sales[sales["item_id"] == "A"]
    # A: 3 units on the 1st at (2 x 5 + 1 x 4) / 3, then 0 until the store's last day (the 4th)
    assert a["units"].tolist() == [3.0, 0.0, 0.0, 0.0]
    assert a["price"].iloc[0] == (2 * 5 + 4) / 3 and a["price"].iloc[1:].isna().all()
    b = sales[sales["item_id"] == "B"]
    assert b["units"].tolist() == [1.0, 0.0, 0.0, 3.0] and b["on_promo"].tolist()[0] == 1.0
    assert set(sales["store_id"]) == {"all"}
    # more orders: the derived sales follow them
    more = tmp_path / "orders_more.csv"
    more.write_text(HEAD + "O5,C2,2024-03-05 12:00,A,4,5.0,0\n")
    ingest([more], db)
    a = _sales(db).query("item_id == 'A'")
    assert a["units"].tolist() == [3.0, 0.0, 0.0, 0.0, 4.0]


def test_sales_from_a_file_are_never_replaced(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    sales = tmp_path / "sales.csv"
    sales.write_text("date,item_id,units\n2024-03-01,A,7\n")
    ingest([sales], db)
    orders = tmp_path / "orders.csv"
    orders.write_text(HEAD + "O1,C1,2024-03-01 10:00,A,2,5.0,0\n")
    summary = ingest([orders], db)
    assert "sales" not in summary.counts
    assert _sales(db)["units"].tolist() == [7.0]
