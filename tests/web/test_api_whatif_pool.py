"""What-ifs priced in worker processes (``promocast serve``'s default on a machine with more
than one core): the same numbers as in the server, the same named refusals, kept results,
and a worker that dies costs no answer."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from webshop import copy_of_shop, make_app, reset_store_mode

from promocast.services.server import default_whatif_workers


@pytest.fixture(scope="module")
def clients(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, TestClient]]:
    """Both servers on one copy of the shop: the what-if kept here stays out of the shared one."""
    db = copy_of_shop(tmp_path_factory.mktemp("whatif"))
    with TestClient(make_app(db)) as alone, \
            TestClient(make_app(db, whatif_workers=1)) as pooled:
        yield alone, pooled
    reset_store_mode()


def _rows(client: TestClient) -> list[dict]:
    end = pd.Timestamp(client.get("/api/info", params={"quality": False}).json()["end"])
    day = lambda d: str((end + pd.Timedelta(days=d)).date())  # noqa: E731
    return [{"promo_type": "percent_off", "item_id": "SKU0003", "discount_pct": 25,
             "start_date": day(2), "end_date": day(8)},
            {"promo_type": "threshold", "item_id": "SKU0005", "threshold_amount": 99,
             "amount_off": 10, "start_date": day(4), "end_date": day(10), "feature": 1}]


def _same(a: dict, b: dict) -> None:
    for doc in (a, b):
        doc.pop("seconds")
        doc.pop("result_id", None)
    assert a == b


def test_workers_price_what_ifs_as_the_server_does(clients) -> None:
    alone, pooled = clients
    assert pooled.app.state.whatif_pool is not None and alone.app.state.whatif_pool is None
    for days in ("promoted", "all", "none"):
        body = {"scenario": _rows(alone), "samples": 300, "days": days}
        first, second = (c.post("/api/promo/simulate", json=body) for c in (alone, pooled))
        assert first.status_code == second.status_code == 200, second.text
        _same(first.json(), second.json())
    kept = pooled.post("/api/promo/simulate", json={"scenario": _rows(pooled), "keep": True})
    assert kept.status_code == 200 and kept.json()["result_id"]


def test_refusals_come_back_from_the_workers_named(clients) -> None:
    _alone, pooled = clients
    rows = _rows(pooled)
    rows[1] = {**rows[1], "item_id": "GHOST"}
    answer = pooled.post("/api/promo/simulate", json={"scenario": rows})
    assert answer.status_code in (400, 422)
    assert {(e["row"], e["column"]) for e in answer.json()["errors"]} == {(2, "item_id")}
    rows = _rows(pooled)
    rows[0] = {**rows[0], "discount_pct": 95, "promo_id": "deep"}
    answer = pooled.post("/api/promo/simulate", json={"scenario": rows})
    assert answer.status_code in (400, 422) and "discount_pct" in answer.text


def test_a_worker_that_dies_costs_no_answer(clients) -> None:
    alone, pooled = clients
    body = {"scenario": _rows(pooled), "samples": 200}
    assert pooled.post("/api/promo/simulate", json=body).status_code == 200
    pool = pooled.app.state.whatif_pool
    for pid in list(pool._executor._processes):
        os.kill(pid, signal.SIGKILL)
    answers = [pooled.post("/api/promo/simulate", json=body) for _ in range(2)]
    assert [a.status_code for a in answers] == [200, 200]
    _same(answers[0].json(), alone.post("/api/promo/simulate", json=body).json())
    _same(answers[1].json(), alone.post("/api/promo/simulate", json=body).json())


@pytest.mark.parametrize(("cores", "workers"), [(1, 0), (2, 2), (3, 3), (16, 4)])
def test_serve_uses_the_cores_it_has(monkeypatch: pytest.MonkeyPatch, cores: int,
                                     workers: int) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: set(range(cores)), raising=False)
    assert default_whatif_workers() == workers
