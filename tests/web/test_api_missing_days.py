"""The upload route and the Data page offer the missing-days choice of ``promocast ingest``:
``missing_days=zero`` writes the zero rows, the answer and ``/api/info`` say so, the page shows
the shop's choice and suggests it when gaps are common; a bad value is refused."""

from __future__ import annotations

import io
from pathlib import Path

from fastapi.testclient import TestClient
from webshop import make_app, reset_store_mode

from promocast.services.ingest import ingest

SPARSE = ("date,item_id,units\n"
          + "".join(f"2024-03-{d:02d},FAST,5\n" for d in range(1, 21))
          + "2024-03-02,SLOW,1\n2024-03-09,SLOW,2\n2024-03-16,SLOW,1\n").encode()
"""FAST sells every day of Mar 1..20; SLOW on three days from Mar 2: 19 days, 16 zero."""


def _upload(client: TestClient, **form: str):
    client.cookies.clear()  # an API client: the page's cookies would ask for its CSRF token
    return client.post("/api/ingest", data=form, files=[
        ("files", ("sales_export.csv", io.BytesIO(SPARSE), "text/csv"))])


def test_upload_with_zero_days_writes_them_and_info_keeps_the_choice(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    with TestClient(make_app(db)) as client:
        bad = _upload(client, missing_days="zeros")
        plain = _upload(client)
        info_before = client.get("/api/info").json()
        page_before = client.get("/data", params={"lang": "en"}).text
        zero = _upload(client, missing_days="zero")
        info_after = client.get("/api/info").json()
        page_after = client.get("/data", params={"lang": "en"}).text
    reset_store_mode()
    assert bad.status_code == 422 and "missing_days" in bad.text
    assert plain.status_code == 200, plain.text
    assert plain.json()["missing_days"]["mode"] == "unknown"
    assert info_before["missing_days"] == {"mode": "unknown", "zero_rows": 0}
    gap = next(w for w in info_before["warnings"] if w["kind"] == "gap")
    assert (gap["count"], gap["periods"]) == (1, 12) and "--missing-days zero" in gap["message"]
    assert 'id="upload-missing-days"' in page_before and 'id="hint-gap"' in page_before
    assert "the shop&#39;s choice (unknown demand (left out))" in page_before
    assert zero.status_code == 200, zero.text
    assert zero.json()["missing_days"] == {"mode": "zero", "zero_rows_added": 16,
                                           "zero_rows_removed": 0, "zero_rows": 16}
    assert "sales: 16 zero rows added for periods without a row (--missing-days zero)" \
        in zero.json()["lines"]
    assert info_after["missing_days"] == {"mode": "zero", "zero_rows": 16}
    assert info_after["tables"]["sales"]["rows"] == 20 + 19
    assert 'id="hint-gap"' not in page_after
    assert "Days without a sales row: zero sales (0-unit rows) · 16 zero rows written" \
        in page_after


def test_the_chinese_data_page_names_the_choice(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    path = tmp_path / "sales.csv"
    path.write_bytes(SPARSE)
    ingest([path], db, missing_days="zero")
    with TestClient(make_app(db)) as client:
        page = client.get("/data", params={"lang": "zh"}).text
    reset_store_mode()
    assert "无销售记录的日期: 零销量（补 0 行） · 已补 16 行零销量" in page
    assert "沿用店铺设置（零销量（补 0 行））" in page
