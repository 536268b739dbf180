"""Downloads of a kept forecast run and of the reorder list (CSV with a BOM for Excel, or
xlsx), the run's own route, and 404s that name the run or item asked for."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from webshop import copy_of_shop, make_app, periodic_shop, reset_store_mode, shop_db

BOM = b"\xef\xbb\xbf"


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(make_app(shop_db())) as c:
        yield c
    reset_store_mode()


def _run_id(client: TestClient) -> str:
    return client.get("/api/forecasts/SKU0002").json()["run"]["run_id"]


def test_a_forecast_run_downloads_as_the_cli_writes_it(client: TestClient) -> None:
    run_id = _run_id(client)
    answer = client.get(f"/api/forecasts/runs/{run_id}/export")
    assert answer.status_code == 200, answer.text
    assert answer.content.startswith(BOM)  # Excel reads UTF-8 (Chinese names) with it
    assert answer.headers["content-disposition"] == \
        f'attachment; filename="promocast_forecast_{run_id}.csv"'
    table = pd.read_csv(io.BytesIO(answer.content), encoding="utf-8-sig")
    levels = client.get("/api/forecasts/SKU0002").json()
    quantiles = [f"lgbm-q{q:g}" for q in levels["quantiles"]]
    assert list(table.columns) == ["unique_id", "item_id", "store_id", "ds", *quantiles, "run_id"]
    assert len(table) == 10 * 2 * 14  # items x stores x days of the kept run
    assert set(table["run_id"]) == {run_id}
    assert table.groupby("unique_id")["ds"].apply(lambda d: d.is_monotonic_increasing).all()
    mine = table[table["item_id"] == "SKU0002"].set_index(["store_id", "ds"])
    for row in levels["forecast"]:  # the same numbers as the item's chart
        for q in levels["quantiles"]:
            assert mine.loc[(row["store_id"], row["ds"]), f"lgbm-q{q:g}"] == \
                pytest.approx(row[f"q{q:g}"], abs=1e-4)
    workbook = client.get(f"/api/forecasts/runs/{run_id}/export", params={"format": "xlsx"})
    sheet = pd.read_excel(io.BytesIO(workbook.content))
    assert sheet.shape == table.shape


def test_a_forecast_run_is_found_by_its_id_or_named_when_missing(client: TestClient) -> None:
    run_id = _run_id(client)
    run = client.get(f"/api/forecasts/runs/{run_id}").json()
    assert (run["run_id"], run["horizon"], run["models"], run["series"]) == (
        run_id, 14, ["lgbm"], 20)
    for path in ("/api/forecasts/runs/0000deadbeef", "/api/forecasts/runs/0000deadbeef/export"):
        missing = client.get(path)
        assert missing.status_code == 404, path
        assert missing.json() == {"error": "no kept forecast run '0000deadbeef'",
                                  "code": "unknown_run"}
    assert client.get("/api/forecasts/runs/..%2F..%2Fetc/export").status_code in (404, 422)
    by_mistake = client.get(f"/api/forecasts/{run_id}")  # a run id where the item id goes
    assert by_mistake.status_code == 404
    assert by_mistake.json()["error"] == (
        f"no sales of item {run_id!r}: no forecast for it; {run_id!r} is a forecast run: "
        f"GET /api/forecasts/runs/{run_id}")


def test_a_run_without_the_item_is_a_404(tmp_path: Path) -> None:
    """An item loaded after the forecast: none kept yet (200, run null), but the old run
    asked for by id does not hold it (404 naming both, not an empty 200)."""
    lines = ["date,item_id,store_id,units,price"] + [
        f"2023-12-{d:02d},NEW1,online,{d},9.5" for d in range(1, 31)]
    with TestClient(make_app(copy_of_shop(tmp_path))) as c:
        run_id = _run_id(c)
        loaded = c.post("/api/ingest", files=[("files", ("sales_new.csv", io.BytesIO(
            "\n".join(lines).encode()), "text/csv"))])
        assert loaded.status_code == 200, loaded.text
        newest = c.get("/api/forecasts/NEW1")
        old_run = c.get("/api/forecasts/NEW1", params={"run_id": run_id})
    reset_store_mode()
    assert newest.status_code == 200 and newest.json()["run"] is None
    assert old_run.status_code == 404
    assert old_run.json()["error"] == f"the kept forecast run {run_id!r} has no item 'NEW1'"


def test_the_reorder_list_downloads_with_the_pages_parameters(client: TestClient) -> None:
    params = {"service_level": 0.9, "lead_time": 3}
    shown = client.get("/api/inventory", params=params).json()
    answer = client.get("/api/inventory/export", params=params)
    assert answer.status_code == 200, answer.text
    assert answer.content.startswith(BOM)
    assert answer.headers["content-disposition"] == 'attachment; filename="promocast_reorder.csv"'
    table = pd.read_csv(io.BytesIO(answer.content), encoding="utf-8-sig")
    expected = pd.DataFrame(shown["reorder_list"])
    assert len(expected) > 0 and list(table.columns) == list(expected.columns)
    assert table["urgency_rank"].tolist() == list(range(1, len(expected) + 1))
    assert table["unique_id"].tolist() == expected["unique_id"].tolist()
    assert table["order_qty"].tolist() == pytest.approx(expected["order_qty"].tolist())
    workbook = client.get("/api/inventory/export", params={**params, "format": "xlsx"})
    assert pd.read_excel(io.BytesIO(workbook.content))["unique_id"].tolist() == \
        expected["unique_id"].tolist()
    later = client.get("/api/inventory/export", params={"lead_time": 10, "review_period": 7})
    assert later.status_code == 409  # as the GET: no kept forecast covers 17 days
    assert client.get("/api/inventory/export", params={"format": "pdf"}).status_code == 422


def test_without_stock_the_download_holds_every_series_levels(tmp_path: Path) -> None:
    """A weekly shop without an inventory table: nothing to order, so the file holds the
    levels of its 5 series, as the page and ``inventory --out`` show them."""
    with TestClient(make_app(periodic_shop(tmp_path, "W-MON"))) as c:
        started = c.post("/api/inventory", json={"lead_time": 2, "review_period": 1})
        c.app.state.jobs._pool.submit(lambda: None).result()  # queue order: ours is done
        job = c.get(started.json()["url"]).json()
        answer = c.get("/api/inventory/export", params={"lead_time": 2, "review_period": 1})
    reset_store_mode()
    assert job["status"] == "done", job["error"]
    table = pd.read_csv(io.BytesIO(answer.content), encoding="utf-8-sig")
    assert sorted(table["unique_id"]) == ["A/s1", "A/s2", "B/s1", "B/s2", "C/s1"]
    assert table["on_hand"].isna().all() and (table["reorder_point"] > 0).all()
    levels = {r["unique_id"]: r["order_up_to"] for r in job["result"]["items"]}
    assert dict(zip(table["unique_id"], table["order_up_to"], strict=True)) == \
        pytest.approx(levels)
