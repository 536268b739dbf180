"""Orders with a status over HTTP: the upload reports the lines left out as not sold, info
counts them (and guest orders as a number), segments leave them out, and an unknown customer
is a 404 like an unknown item."""

from __future__ import annotations

import io
from pathlib import Path

from fastapi.testclient import TestClient
from webshop import make_app, reset_store_mode

ORDERS = """order_id,customer_id,timestamp,item_id,quantity,unit_price,订单状态
O1,C1,2024-03-01 10:00,A,2,10.0,交易成功
O2,C2,2024-03-01 11:00,B,1,20.0,交易成功
O3,C1,2024-03-02 10:00,B,3,20.0,交易关闭
O4,,2024-03-03 10:00,A,1,10.0,交易成功
O5,C2,2024-03-04 10:00,A,1,10.0,待付款
"""


def test_upload_info_segments_and_unknown_customer(tmp_path: Path) -> None:
    with TestClient(make_app(tmp_path / "shop.duckdb")) as client:
        loaded = client.post("/api/ingest", files=[("files", (
            "orders.csv", io.BytesIO(ORDERS.encode("utf-8")), "text/csv"))])
        info = client.get("/api/info").json()
        segments = client.get("/api/customers/segments").json()
        unknown = client.get("/api/customers/recommend", params={"customer": "C9"})
        known = client.get("/api/customers/recommend", params={"customer": "C1"})
    reset_store_mode()
    assert loaded.status_code == 200, loaded.text
    left_out = {w["kind"]: w for w in loaded.json()["warnings"]}["not_sold_orders"]
    assert (left_out["count"], left_out["orders"]) == (2, 2)
    assert left_out["reasons"] == {"unpaid": 1, "closed": 1}
    warnings = {w["kind"]: w for w in info["warnings"]}
    assert warnings["not_sold_orders"]["statuses"] == {"交易关闭": 1, "待付款": 1}
    assert warnings["guest_orders"]["orders"] == 1  # a number, not null
    assert segments["customers"] == 2 and segments["revenue"] == 40.0
    assert unknown.status_code == 404
    assert unknown.json()["error"] == ("customer 'C9' is not in the store's orders; 2 "
                                       "customers have purchases")
    assert known.status_code == 200
