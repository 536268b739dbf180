"""The data side of the API: upload with row errors, browsing series, kept forecasts,
backtests, exports, the report, and jobs that outlive the server."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from webshop import copy_of_shop, make_app, periodic_shop, reset_store_mode, shop_db

from conftest import store_snapshot


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(make_app(shop_db())) as c:
        yield c
    reset_store_mode()


def test_openapi_lists_the_routes_of_the_design(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for route in ("/api/info", "/api/ingest", "/api/series", "/api/forecasts/{item_id}",
                  "/api/backtests", "/api/promo/effects", "/api/promo/evaluate",
                  "/api/promo/simulate", "/api/promo/plan", "/api/jobs/{job_id}",
                  "/api/customers/segments", "/api/customers/propensity"):
        assert route in paths, route
    docs = client.get("/docs", params={"lang": "en"}).text  # rendered here, no CDN
    assert "POST /api/promo/simulate" in docs and "SimulateRequest" in docs
    assert "<script src=\"http" not in docs


def test_a_broken_upload_names_each_row_and_changes_nothing(tmp_path: Path) -> None:
    db = copy_of_shop(tmp_path)
    before = store_snapshot(db)
    broken = (b"date,item_id,store_id,units,price\n2024-01-01,A,s1,3,2.5\n"
              b"2024-01-02,A,s1,-4,2.5\n2024-01-03,A,s1,x,0\n")
    with TestClient(make_app(db)) as c:
        answer = c.post("/api/ingest", files=[("files", ("sales_shop.csv", io.BytesIO(broken),
                                                         "text/csv"))])
        bad_type = c.post("/api/ingest", files=[("files", ("../../etc/sales.exe",
                                                           io.BytesIO(b"x"), "text/plain"))])
    reset_store_mode()
    assert answer.status_code == 422
    errors = answer.json()["errors"]
    assert [(e["file"], e["row"], e["column"]) for e in errors] == [
        ("sales_shop.csv", 3, "units"), ("sales_shop.csv", 4, "units"),
        ("sales_shop.csv", 4, "price")]
    assert "nothing was written" in answer.json()["error"]
    assert bad_type.status_code == 400 and "sales.exe" in bad_type.json()["error"]
    assert "etc" not in bad_type.json()["error"]
    assert store_snapshot(db) == before


def test_a_good_upload_is_loaded_and_counted(tmp_path: Path) -> None:
    db = copy_of_shop(tmp_path)
    lines = ["date,item_id,store_id,units,price"] + [
        f"2024-02-{d:02d},NEW1,online,{d},9.5" for d in range(1, 11)]
    with TestClient(make_app(db)) as c:
        answer = c.post("/api/ingest", files=[("files", ("sales_new.csv",
                                                         io.BytesIO("\n".join(lines).encode()),
                                                         "text/csv"))])
        found = c.get("/api/series", params={"q": "NEW1"}).json()
    reset_store_mode()
    assert answer.status_code == 200, answer.text
    assert answer.json()["tables"]["sales"]["inserted"] == 10
    assert answer.json()["sources"] == ["sales_new.csv"]
    assert found["total"] == 1 and found["series"][0]["units"] == 55


def test_uploaded_day_refreshes_the_forecasts(tmp_path: Path) -> None:
    """The Data page's button after an upload: the kept models take the new day and forecast
    again (a job), no retraining; without new data the job says so."""
    db = copy_of_shop(tmp_path)
    with TestClient(make_app(db)) as c:
        def run() -> dict:
            started = c.post("/api/forecasts/refresh")
            assert started.status_code == 202
            c.app.state.jobs._pool.submit(lambda: None).result()  # queue order: ours is done
            return c.get(f"/api/jobs/{started.json()['job_id']}").json()

        stale = run()
        assert stale["status"] == "failed" and "no new periods" in stale["error"]
        info = c.get("/api/info", params={"quality": False}).json()
        day = (pd.Timestamp(info["end"]) + pd.Timedelta(days=1)).date()
        sales = pd.read_csv(shop_db().parent / "data" / "sales.csv")
        new = sales[sales["date"] == info["end"]].assign(date=str(day))
        answer = c.post("/api/ingest", files=[("files", ("sales_day.csv", io.BytesIO(
            new.to_csv(index=False).encode()), "text/csv"))])
        assert answer.status_code == 200, answer.text
        job = run()
        forecast = c.get("/api/forecasts/" + sales["item_id"].iloc[0]).json()
    reset_store_mode()
    assert job["status"] == "done", job["error"]
    assert job["result"]["new_rows"] == len(new) == 20 and job["result"]["new_periods"] == 1
    assert job["result"]["start"] == str(day + pd.Timedelta(days=1))
    assert forecast["run"]["run_id"] == job["result"]["run_id"]


def test_forecast_job_takes_history_and_strategy(tmp_path: Path) -> None:
    """POST /api/forecasts passes the training window and the strategy to the forecast; an
    unknown strategy is a 422 before any job starts."""
    db = copy_of_shop(tmp_path)
    with TestClient(make_app(db)) as c:
        bad = c.post("/api/forecasts", json={"horizon": 7, "strategy": "sideways"})
        started = c.post("/api/forecasts", json={"horizon": 7, "history": 120,
                                                 "strategy": "recursive"})
        assert started.status_code == 202, started.text
        c.app.state.jobs._pool.submit(lambda: None).result()  # queue order: ours is done
        job = c.get(f"/api/jobs/{started.json()['job_id']}").json()
        end = c.get("/api/info", params={"quality": False}).json()["end"]
    reset_store_mode()
    assert bad.status_code == 422
    assert job["status"] == "done", job["error"]
    assert job["result"]["strategy"] == "recursive"
    assert job["result"]["history_start"] == str((pd.Timestamp(end) - pd.Timedelta(days=119)).date())


def test_unknown_model_ids_are_the_requests_fault(tmp_path: Path) -> None:
    with TestClient(make_app(copy_of_shop(tmp_path))) as c:
        answers = {route: c.post(route, json={"horizon": 3, "models": ["lgbm", "nonexistent"]})
                   for route in ("/api/backtests", "/api/forecasts")}
    for route, answer in answers.items():
        assert answer.status_code == 422, route
        assert "unknown model id(s) nonexistent" in answer.text


def test_series_search_filters_and_ranks(client: TestClient) -> None:
    everything = client.get("/api/series").json()
    assert everything["total"] == 10
    revenue = [s["revenue"] for s in everything["series"]]
    assert revenue == sorted(revenue, reverse=True)
    category = everything["categories"][0]
    part = client.get("/api/series", params={"category": category}).json()
    assert part["total"] >= 1 and {s["category"] for s in part["series"]} == {category}
    one = client.get("/api/series", params={"q": "sku0003"}).json()
    assert [s["item_id"] for s in one["series"]] == ["SKU0003"]


def test_item_history_and_unknown_items(client: TestClient) -> None:
    history = client.get("/api/series/SKU0001/history", params={"days": 30}).json()
    assert history["stores"] == ["online", "store_sh"]
    dates = sorted({r["date"] for r in history["sales"]})
    assert len(dates) == 30
    missing = client.get("/api/series/NOPE/history")
    assert missing.status_code == 404 and "NOPE" in missing.json()["error"]


def test_kept_forecast_quantiles_are_ordered_and_non_negative(client: TestClient) -> None:
    answer = client.get("/api/forecasts/SKU0002").json()
    assert answer["run"]["models"] == "lgbm" and answer["run"]["horizon"] == 14
    frame = pd.DataFrame(answer["forecast"])
    assert len(frame) == 2 * 14
    columns = [f"q{q:g}" for q in answer["quantiles"]]
    values = frame[columns].to_numpy()
    assert (values >= 0).all() and (values[:, 1:] >= values[:, :-1] - 1e-9).all()


def test_backtests_and_exports(client: TestClient) -> None:
    runs = client.get("/api/backtests").json()["backtests"]
    assert runs[0]["horizon"] == 7 and set(runs[0]["models"]) >= {"seasonal_naive", "ridge"}
    csv = client.get("/api/export/backtest", params={"format": "csv"})
    assert csv.headers["content-disposition"].endswith('promocast_backtest.csv"')
    board = pd.read_csv(io.BytesIO(csv.content))
    assert set(board["model"]) == set(runs[0]["models"])
    xlsx = client.get("/api/export/evaluation", params={"format": "xlsx"})
    evaluated = pd.read_excel(io.BytesIO(xlsx.content))
    kept = client.get("/api/promo/evaluate").json()["promotions"]
    assert len(evaluated) == len(kept) and "incremental_margin" in evaluated
    assert client.get("/api/export/nothing").status_code == 422


def test_the_report_is_self_contained(client: TestClient) -> None:
    report = client.get("/api/report").text
    assert "Plotly" in report and "Model quality" in report and "Promotion plan" in report
    assert "<script src=" not in report and "<link" not in report  # plotly.js is inline


def test_the_report_in_chinese_and_only_en_or_zh(client: TestClient) -> None:
    """QA finding 17: ``lang=zh`` (the dashboard's button passes its own language)."""
    report = client.get("/api/report", params={"lang": "zh"}).text
    assert "<html lang='zh-CN'>" in report and "<h2>模型质量（滚动起点回测）</h2>" in report
    assert "<h2>促销计划</h2>" in report or "尚未计算" in report
    assert client.get("/api/report", params={"lang": "fr"}).status_code == 422


def test_jobs_are_kept_in_the_store_across_restarts(tmp_path: Path) -> None:
    db = copy_of_shop(tmp_path)
    with TestClient(make_app(db)) as c:
        started = c.post("/api/promo/effects", json={})
        assert started.status_code == 202
        job_id = started.json()["job_id"]
        app = c.app
        app.state.jobs._pool.shutdown(wait=True)  # the job finishes before the "restart"
        first = c.get(f"/api/jobs/{job_id}").json()
    assert first["status"] == "done" and first["result"]["items"]
    with TestClient(make_app(db)) as again:
        kept = again.get(f"/api/jobs/{job_id}").json()
        assert again.get("/api/jobs/unknown").status_code == 404
    reset_store_mode()
    assert kept["status"] == "done" and kept["result"] == first["result"]


def test_customer_segments_lifetime_value_and_recommendations(client: TestClient) -> None:
    segments = client.get("/api/customers/segments").json()
    rows = segments["segments"]
    assert sum(r["customers"] for r in rows) == segments["customers"] > 100
    assert abs(sum(r["revenue"] for r in rows) - segments["revenue"]) < 1.0
    assert rows[0]["segment"] == "champions"
    value = client.get("/api/customers/clv", params={"top": 5}).json()
    assert len(value["top"]) == 5 and value["total_clv"] > 0
    kept = client.get("/api/customers/propensity").json()
    assert set(kept["models"]) == {"logistic", "lightgbm"}
    assert all(0.5 < m["auc"] <= 1 for m in kept["models"].values())
    best = value["top"][0]["customer_id"]
    recommended = client.get("/api/customers/recommend", params={"customer": best}).json()
    fresh = recommended["items"] - recommended["bought_items"]  # never what they already bought
    assert len(recommended["recommendations"]) == min(10, fresh) >= 1
    unknown = client.get("/api/customers/recommend", params={"customer": "NOBODY"})
    assert unknown.status_code == 404 and "'NOBODY' is not in" in unknown.json()["error"]


def test_inventory_levels_and_reorder_list(client: TestClient) -> None:
    answer = client.get("/api/inventory", params={"service_level": 0.9, "lead_time": 3})
    assert answer.status_code == 200, answer.text
    levels = answer.json()
    assert levels["service_level_target"] == 0.9 and len(levels["items"]) == 20
    for row in levels["items"]:
        assert row["reorder_point"] <= row["order_up_to"]
        assert row["order_qty"] >= 0 and 0 <= row["stockout_probability_no_order"] <= 1
    ranks = [r["urgency_rank"] for r in levels["reorder_list"]]
    assert ranks == list(range(1, len(ranks) + 1))
    deeper = client.get("/api/inventory", params={"service_level": 0.99, "lead_time": 3}).json()
    safety = {r["unique_id"]: r["safety_stock"] for r in levels["items"]}
    assert all(r["safety_stock"] >= safety[r["unique_id"]] - 1e-9 for r in deeper["items"])
    assert client.get("/api/inventory", params={"service_level": 1.5}).status_code == 422
    tiny = client.get("/api/inventory", params={"pack_size": 1e-300})
    assert tiny.status_code == 422 and "pack_size" in tiny.text


def test_inventory_beyond_the_kept_forecast_is_a_job(tmp_path: Path) -> None:
    """A GET answers from kept forecasts only (the shop keeps 14 days): 3 + 7 days are there,
    10 + 7 are not, so the GET says 409 and the POST job forecasts first; then GETs answer."""
    with TestClient(make_app(copy_of_shop(tmp_path))) as c:
        params = {"service_level": 0.9, "lead_time": 10, "review_period": 7}
        refused = c.get("/api/inventory", params=params)
        assert refused.status_code == 409 and "17 periods" in refused.json()["error"]
        started = c.post("/api/inventory", json=params)
        assert started.status_code == 202
        c.app.state.jobs._pool.submit(lambda: None).result()  # queue order: ours is done
        job = c.get(f"/api/jobs/{started.json()['job_id']}").json()
        assert job["status"] == "done", job["error"]
        assert job["result"]["horizon"] == 17 and not job["result"]["forecast"]["reused"]
        again = c.get("/api/inventory", params=params)
        assert again.status_code == 200
        assert again.json()["forecast"]["run_id"] == job["result"]["forecast"]["run_id"]
    reset_store_mode()


def test_overview_compares_whole_28_day_periods(client: TestClient) -> None:
    recent = {r["period"]: r for r in client.get("/api/overview").json()["recent"]}
    last, before = recent["last"], recent["previous"]
    assert (last["periods"], last["unit"]) == (28, "day")
    info = client.get("/api/info", params={"quality": False}).json()
    assert last["last_day"] == info["end"]
    days = pd.Timestamp(last["last_day"]) - pd.Timestamp(last["first_day"])
    assert days.days == 27 and pd.Timestamp(before["last_day"]) < pd.Timestamp(last["first_day"])
    weekly = pd.DataFrame(client.get("/api/overview").json()["by_category"])
    assert last["units"] < weekly["units"].sum() and last["units"] > 0


@pytest.mark.parametrize(("freq", "periods", "unit", "first"), [
    ("W-MON", 8, "week", "2022-08-15"), ("MS", 3, "month", "2025-02-01")])
def test_overview_windows_follow_the_shops_period(tmp_path: Path, freq: str, periods: int,
                                                  unit: str, first: str) -> None:
    """A weekly shop compares its last 8 weeks with the 8 before, a monthly shop its last 3
    months with the 3 before (28 days were 4 weekly dates, or one month)."""
    with TestClient(make_app(periodic_shop(tmp_path, freq))) as c:
        answer = c.get("/api/overview").json()
    reset_store_mode()
    recent = {r["period"]: r for r in answer["recent"]}
    last, before = recent["last"], recent["previous"]
    assert (last["periods"], last["unit"]) == (periods, unit)
    assert last["first_day"] == first and last["last_day"] == answer["by_category"][-1]["week"]
    dates = pd.DatetimeIndex(sorted({r["week"] for r in answer["by_category"]}))
    assert dates[-1] == pd.Timestamp(last["last_day"])
    assert (dates > pd.Timestamp(before["last_day"])).sum() == periods
    assert (dates >= pd.Timestamp(before["first_day"])).sum() == 2 * periods


def test_a_what_if_for_every_store_covers_the_stores_that_sell_the_item(tmp_path: Path) -> None:
    """Item C sells in store s1 only: a what-if without a store prices it there (it asked for
    a baseline in s2 and failed); naming no store for A still covers both of A's stores."""
    with TestClient(make_app(periodic_shop(tmp_path, "W-MON"))) as c:
        def stores(item: str) -> set[str]:
            answer = c.post("/api/promo/simulate", json={"samples": 200, "scenario": [{
                "item_id": item, "promo_type": "percent_off", "discount_pct": 20,
                "start_date": "2022-10-10", "end_date": "2022-10-23"}]})
            assert answer.status_code == 200, answer.text
            return {r["store_id"] for r in answer.json()["days"]}

        assert stores("C") == {"s1"}
        assert stores("A") == {"s1", "s2"}
    reset_store_mode()


def test_forecast_of_an_unknown_item_or_run_is_a_404(client: TestClient, tmp_path: Path) -> None:
    missing = client.get("/api/forecasts/NOPE")
    assert missing.status_code == 404 and "no sales of item 'NOPE'" in missing.json()["error"]
    run_id = client.get("/api/forecasts/SKU0002").json()["run"]["run_id"]
    assert client.get("/api/forecasts/SKU0002", params={"run_id": run_id}).status_code == 200
    unknown = client.get("/api/forecasts/SKU0002", params={"run_id": "NOPE"})
    assert unknown.status_code == 404 and "no kept forecast run 'NOPE'" in unknown.json()["error"]
    with TestClient(make_app(periodic_shop(tmp_path, "MS"))) as c:  # nothing forecast yet
        answer = c.get("/api/forecasts/A")
    reset_store_mode()
    assert answer.status_code == 200 and answer.json()["run"] is None


def test_messages_the_pages_show_carry_a_code(tmp_path: Path) -> None:
    """Errors and failed jobs the pages show often carry a code, which a Chinese page says from
    its catalogue (error.<code>); the English message stays."""
    with TestClient(make_app(periodic_shop(tmp_path, "W-MON"))) as c:
        item = c.get("/api/forecasts/NOPE").json()
        plan = c.get("/api/promo/plan")
        started = c.post("/api/forecasts/refresh", json={})
        c.app.state.jobs._pool.submit(lambda: None).result()  # queue order: ours is done
        job = c.get(started.json()["url"]).json()
    reset_store_mode()
    assert item["code"] == "unknown_item" and "NOPE" in item["error"]
    assert plan.status_code == 404 and plan.json()["code"] == "no_plan"
    assert job["status"] == "failed" and job["code"] == "no_forecast"
    assert job["error"].startswith("no kept forecast models to refresh")
