"""Job-creating endpoints refuse what their job would refuse before it is queued: 422 for
values that cannot work (in the API's words), 404 for an item the store does not sell; the
use cases called directly (as the CLI does) raise the same, with the CLI's flags."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from webshop import (
    client_on_copy,
    make_app,
    periodic_shop,
    queued_jobs,
    reset_store_mode,
    serving,
    shop_db,
)

from promocast.exceptions import InvalidRequest


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with serving(shop_db()) as c:
        yield c


def _refused(client: TestClient, path: str, body: dict, status: int) -> dict:
    before = queued_jobs(client.app.state.settings.db)
    answer = client.post(path, json=body)
    assert answer.status_code == status, answer.text
    assert queued_jobs(client.app.state.settings.db) == before  # nothing queued
    return answer.json()


# The demo shop sells daily from 2023-01-01 to 2023-12-31.
@pytest.mark.parametrize(("path", "body", "message"), [
    ("/api/forecasts", {"horizon": 60, "history": 100},
     "history 100 days is too short for horizon 60"),
    ("/api/backtests", {"horizon": 7, "gap": 7, "models": ["naive"]},
     "gap 7 leaves nothing to score with horizon 7"),
    ("/api/backtests", {"horizon": 28, "folds": 13, "step": 28, "models": ["naive"]},
     "13 folds 28 periods apart leave no training data before 2023-01-01: use fewer folds or "
     "a smaller step"),
    ("/api/backtests", {"horizon": 28, "folds": 12, "step": 28, "models": ["naive"]},
     "12 folds 28 periods apart leave the first fold (cutoff 2023-01-29) 29 periods of "
     "history, not the more than 56 (twice the 28 forecast) a series needs to be fitted: use "
     "fewer folds or a smaller step"),
    ("/api/inventory/replay", {"lead_time": 7, "review_period": 7, "folds": 14},
     "the replay fold at cutoff 2023-01-22 has no series with more than 56 periods of history "
     "(twice the 28 periods it forecasts: the reviews of a fold plus the lead time): use fewer "
     "folds, fewer warm-up folds or a shorter review period"),
    ("/api/inventory/replay", {"lead_time": 7, "review_period": 7, "folds": 52},
     "54 folds 21 periods apart leave no training data before 2020-11-15: use fewer folds or "
     "a smaller step"),
])
def test_values_that_cannot_work_are_refused_at_once(client: TestClient, path: str, body: dict,
                                                     message: str) -> None:
    assert _refused(client, path, body, 422)["error"] == message


def test_an_item_the_store_does_not_sell_is_a_404_before_the_explanation(
        client: TestClient) -> None:
    assert _refused(client, "/api/explain/GHOST", {}, 404) == {
        "error": "no sales of item 'GHOST'", "code": "unknown_item"}
    assert _refused(client, "/api/explain/SKU0001", {"store_id": "mars"}, 404)["error"] == \
        "no sales of item 'SKU0001' in store 'mars'"


def test_a_target_list_needs_one_item_or_category_the_shop_knows(client: TestClient,
                                                                 tmp_path: Path) -> None:
    def refused(body: dict) -> str:
        return _refused(client, "/api/customers/targets", body, 422)["error"]

    assert refused({"item_id": "GHOST"}) == \
        "item 'GHOST' has no purchase history to learn who likes it"
    assert refused({"category": "nothing"}) == "no item of category 'nothing' in the items table"
    assert refused({"item_id": "SKU0001", "category": "beverages"}) == \
        "give item_id or category, not both"
    with TestClient(make_app(periodic_shop(tmp_path, "W-MON"))) as c:  # sales, no orders
        no_orders = c.post("/api/customers/targets", json={"category": "x"})
    reset_store_mode()
    assert no_orders.status_code == 404 and no_orders.json()["code"] == "no_orders"


def test_a_propensity_split_without_history_or_labels_is_refused(client: TestClient) -> None:
    """The orders run through 2023: a split in 2030 leaves no label window after it, one on
    2023-01-10 no two training cutoffs before it."""
    for split in ("2030-01-01", "2023-01-10"):
        error = _refused(client, "/api/customers/propensity",
                         {"split_date": split, "horizon_days": 30}, 422)["error"]
        assert error.startswith(f"not enough history around the split date {split} for a "
                                "30-day label: need two training cutoffs before it and one "
                                "test window after it (got "), error
        assert error.endswith("move split_date or shorten horizon_days")


def test_requests_that_can_work_are_queued(tmp_path: Path) -> None:
    """The checks refuse no more than the job would: the most folds of 28 days the year
    allows (the first one trains on 57 days, more than twice 28) run. On a copy of the shop:
    its backtest of naive alone would become the shared shop's newest (the quality page's)."""
    with client_on_copy(tmp_path) as client:
        db = client.app.state.settings.db
        before = queued_jobs(db)
        started = client.post("/api/backtests", json={"horizon": 28, "folds": 11, "step": 28,
                                                      "models": ["naive"]})
        assert started.status_code == 202, started.text
        client.app.state.jobs._pool.submit(lambda: None).result()  # queue order: ours is done
        job = client.get(started.json()["url"]).json()
        assert job["status"] == "done", job["error"]
        assert job["result"]["cutoffs"][0] == "2023-02-26" and job["result"]["folds"] == 11
        assert queued_jobs(db) == before + 1


def test_the_command_line_keeps_its_flags() -> None:
    from promocast.services.customers import check_propensity, check_targets
    from promocast.services.forecast import run_forecast
    from promocast.services.forecasting import run_backtest

    with pytest.raises(InvalidRequest, match=r"^--gap 3 leaves nothing to score with "
                                             r"--horizon 3$"):
        run_backtest(shop_db(), horizon=3, gap=3, models=["naive"])
    with pytest.raises(InvalidRequest, match=r"^--history 10 days is too short for --horizon 7$"):
        run_forecast(shop_db(), horizon=7, models=["naive"], history=10)
    with pytest.raises(InvalidRequest, match=r"^give --item or --category, not both$"):
        check_targets(shop_db(), item="SKU0001", category="beverages")
    with pytest.raises(InvalidRequest, match=r"move --split-date or shorten --horizon$"):
        check_propensity(shop_db(), split_date="2030-01-01")


def test_an_empty_store_says_so_before_any_job(tmp_path: Path) -> None:
    with TestClient(make_app(tmp_path / "empty.duckdb")) as c:
        answer = c.post("/api/forecasts", json={"horizon": 7})
    reset_store_mode()
    assert answer.status_code == 404 and answer.json()["code"] == "no_sales"
