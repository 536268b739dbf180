"""Promotions over the API: kept results, what-if numbers that move the right way, clear
refusals naming the row, plans as background jobs, infeasible rules named."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from webshop import client_on_copy, copy_of_shop, make_app, reset_store_mode, shop_db


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(make_app(shop_db())) as c:
        yield c
    reset_store_mode()


def _days(client: TestClient, first: int, last: int) -> tuple[str, str]:
    """Dates ``first`` and ``last`` days after the shop's last sale."""
    end = pd.Timestamp(client.get("/api/info", params={"quality": False}).json()["end"])
    return tuple(str((end + pd.Timedelta(days=d)).date()) for d in (first, last))


def _what_if(client: TestClient, **row: object) -> dict:
    start, end = _days(client, 3, 9)
    base = {"promo_type": "percent_off", "item_id": "SKU0003", "start_date": start,
            "end_date": end}
    answer = client.post("/api/promo/simulate", json={"scenario": [{**base, **row}],
                                                      "samples": 400})
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_kept_effects_evaluation_plan_and_advice(client: TestClient) -> None:
    effects = client.get("/api/promo/effects").json()
    assert effects["current"] is True and len(effects["items"]) == 10
    assert all(i["price_elasticity"] < 0 for i in effects["items"])
    evaluation = client.get("/api/promo/evaluate").json()
    ranks = [p["rank"] for p in evaluation["promotions"]]
    assert ranks == sorted(ranks) and len(ranks) > 5
    plan = client.get("/api/promo/plan").json()
    assert plan["budget_used"] <= plan["budget"] + 1e-6 and plan["status"] == "optimal"
    advice = client.get("/api/promo/advice").json()["advice"]
    assert advice and all(a["zh"]["action"] for a in advice)


def test_what_if_deeper_discounts_sell_more_and_cost_more(client: TestClient) -> None:
    shallow = _what_if(client, discount_pct=10)
    deep = _what_if(client, discount_pct=30)
    for doc in (shallow, deep):
        units = doc["totals"]["incremental_units"]
        assert units["q0.05"] <= units["expected"] <= units["q0.95"]
        assert units["expected"] > 0
    assert deep["totals"]["incremental_units"]["expected"] > \
        shallow["totals"]["incremental_units"]["expected"]
    assert deep["totals"]["revenue"]["expected"] != shallow["totals"]["revenue"]["expected"]
    days = {r["ds"] for r in deep["days"] if r["item_id"] == "SKU0003"}
    assert set(_days(client, 3, 9)) <= days


def test_what_if_refusals_name_the_row_and_column(client: TestClient) -> None:
    start, end = _days(client, 3, 9)
    rows = [{"promo_type": "percent_off", "item_id": "SKU0001", "discount_pct": 20,
             "start_date": start, "end_date": end},
            {"promo_type": "percent_off", "item_id": "SKU0002", "discount_pct": 95,
             "start_date": end, "end_date": start}]
    answer = client.post("/api/promo/simulate", json={"scenario": rows})
    assert answer.status_code in (400, 422)
    errors = answer.json()["errors"]
    assert {(e["row"], e["column"]) for e in errors} >= {(2, "end_date")}
    unknown = client.post("/api/promo/simulate", json={"scenario": [{
        "promo_type": "percent_off", "item_id": "GHOST", "discount_pct": 20,
        "start_date": start, "end_date": end}]})
    assert unknown.status_code in (400, 422) and "GHOST" in unknown.text
    typo = client.post("/api/promo/simulate", json={"scenario": [{"promo_typ": "x"}]})
    assert typo.status_code == 422 and "promo_type" in typo.json()["error"]


def _wait(client: TestClient, job_id: str) -> dict:
    client.app.state.jobs._pool.submit(lambda: None).result()  # queue order: ours is done
    return client.get(f"/api/jobs/{job_id}").json()


def test_plan_job_and_an_infeasible_rule_named(tmp_path: Path) -> None:
    with client_on_copy(tmp_path) as client:
        started = client.post("/api/promo/plan", json={"horizon": 2, "budget": 1500,
                                                       "rules": {"min_gap_periods": 1}})
        assert started.status_code == 202
        job = _wait(client, started.json()["job_id"])
        assert job["status"] == "done", job["error"]
        plan = job["result"]
        assert plan["budget_used"] <= 1500 + 1e-6 and plan["periods"] == 2
        assert client.get("/api/promo/plan").json()["result_id"] == plan["result_id"]
        start, end = _days(client, 1, 14)
        impossible = client.post("/api/promo/plan", json={"horizon": 2, "budget": 1500, "rules": {
            "required": [{"start": start, "end": end, "min_promotions": 500}]}})
        failed = _wait(client, impossible.json()["job_id"])
        assert failed["status"] == "failed" and "required" in failed["error"]
        bad_rules = client.post("/api/promo/plan", json={"budget": 10, "rules": {"grid": "x"}})
        assert bad_rules.status_code == 422 and "grid" in bad_rules.json()["error"]  # no job


def test_serve_reads_the_whatif_inputs_at_start_up(tmp_path) -> None:
    """`promocast serve` warms the what-if inputs in the background (kept effects and baseline
    only, never an estimation), so the first what-ifs do not queue behind their loading."""
    import threading

    from promocast.api import create_app
    from promocast.config import Settings
    from promocast.services import whatif

    db = copy_of_shop(tmp_path)
    with TestClient(create_app(Settings(db=db), warm_up=True)):
        for thread in threading.enumerate():
            if thread.name == "promocast-warm-up":
                thread.join(120)
        warmed = whatif._CONTEXTS.get(str(db))
    reset_store_mode()
    assert warmed is not None and len(warmed.baseline) and len(warmed.params)
