"""A plan request the shop cannot keep is refused at once (422, or 404 for missing data) with
the message ``promocast promo plan --rules FILE`` prints, and no job is queued; a plan whose
rules hold is queued as before, and a festival the rules require is found in the calendar."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from webshop import (
    client_on_copy,
    copy_of_shop,
    make_app,
    periodic_shop,
    queued_jobs,
    reset_store_mode,
    serving,
    shop_db,
)

from conftest import promocast


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with serving(shop_db()) as c:
        yield c


def _refused(client: TestClient, body: dict, status: int = 422) -> str:
    before = queued_jobs(client.app.state.settings.db)
    answer = client.post("/api/promo/plan", json=body)
    assert answer.status_code == status, answer.text
    assert "job_id" not in answer.json()
    assert queued_jobs(client.app.state.settings.db) == before  # nothing queued
    return answer.json()["error"]


# The demo shop sells daily from 2023-01-01 to 2023-12-31 (items SKU0001..SKU0010, stores
# online and store_sh): its plan starts on Monday 2024-01-01.
@pytest.mark.parametrize(("rules", "message"), [
    ({"excluded_items": ["GHOST"]}, "bad plan rules:\n  - excluded_items: unknown item 'GHOST'"),
    ({"stores": ["nowhere"]}, "bad plan rules:\n  - stores: unknown store 'nowhere'"),
    ({"grid": {"percent_off": [95]}},
     "bad plan rules in rules:\n  - grid: percent_off: depth 95 is outside 0-90 %"),
    ({"budget": -5}, "bad plan rules in rules:\n  - budget: Input should be greater than or "
                     "equal to 0 (got -5)"),
    ({"grid": "x"}, "bad plan rules in rules:\n  - grid: Input should be a valid dictionary "
                    "(got 'x')"),
    ({"start": "2024-02-01", "end": "2024-01-15"},
     "bad plan rules in rules:\n  - rules: end 2024-01-15 is before start 2024-02-01"),
    ({"end": "2024-01-05"}, "the rules' dates leave less than one W period to plan"),
    ({"required": [{"event": "festival_38"}]},
     "bad plan rules:\n  - required[0] 'festival_38' (>= 1 promotions): falls on no planned "
     "period 2024-01-01..2024-01-14"),
    ({"required": [{"event": "no_such_day", "category": "nothing"}]},
     "bad plan rules:\n  - required[0].category: unknown category 'nothing'\n"
     "  - required[0].event: unknown event 'no_such_day' (known: "),
])
def test_rules_the_shop_cannot_keep_are_refused_before_any_job(client: TestClient, rules: dict,
                                                               message: str) -> None:
    error = _refused(client, {"horizon": 2, "budget": 500, "rules": rules})
    assert error.startswith(message), error
    if "known:" in message:
        assert "festival_38" in error and "spring_festival" in error


def test_a_missing_budget_names_the_requests_field(client: TestClient) -> None:
    error = _refused(client, {"horizon": 2, "rules": {"excluded_items": ["SKU0001"]}})
    assert error == "give a discount budget: budget in the request (or budget in its rules)"
    assert client.post("/api/promo/plan", json={"horizon": 0, "budget": 5}).status_code == 422


def test_the_api_and_the_command_line_say_the_same(client: TestClient, tmp_path: Path) -> None:
    rules = {"excluded_items": ["GHOST", "SKU0001"], "grid": {"percent_off": [20]},
             "stores": ["online", "mars"]}
    error = _refused(client, {"horizon": 2, "budget": 500, "rules": rules})
    (tmp_path / "rules.json").write_text(json.dumps(rules))
    cli = promocast("promo", "plan", "--db", str(copy_of_shop(tmp_path)), "--horizon", "2",
                    "--budget", "500", "--rules", str(tmp_path / "rules.json"))
    assert cli.returncode == 2
    assert cli.stderr.strip().endswith(f"\nerror: {error}")  # after the progress line
    assert error == ("bad plan rules:\n  - excluded_items: unknown item 'GHOST'\n"
                     "  - stores: unknown store 'mars'")


def test_a_required_holiday_in_the_plan_is_planned(tmp_path: Path) -> None:
    """A festival of the calendar (here New Year's Day, 2024-01-01) was refused by every plan
    as 'unknown event (no events calendar given)'; now the plan places its promotions."""
    with client_on_copy(tmp_path) as client:
        started = client.post("/api/promo/plan", json={"horizon": 2, "budget": 1500, "rules": {
            "required": [{"event": "New Year's Day", "min_promotions": 2}]}})
        assert started.status_code == 202, started.text
        client.app.state.jobs._pool.submit(lambda: None).result()  # queue order: ours is done
        job = client.get(started.json()["url"]).json()
        assert job["status"] == "done", job["error"]
        first_week = [p for p in job["result"]["promotions"] if p["start_date"] == "2024-01-01"]
        assert len(first_week) >= 2


def test_a_weekly_shop_without_unit_costs(tmp_path: Path) -> None:
    """Refusals that depend on the shop: a weekly shop plans no days, and a margin plan
    needs a unit cost (the code lets a page say it in its language)."""
    db = periodic_shop(tmp_path, "W-MON")
    with TestClient(make_app(db)) as c:
        days = c.post("/api/promo/plan", json={"budget": 100, "rules": {"period": "D"}})
        costs = c.post("/api/promo/plan", json={"budget": 100})
    reset_store_mode()
    assert days.status_code == 422
    assert days.json()["error"] == "the shop sells by the week: plan in weeks (period: W)"
    assert costs.status_code == 404 and costs.json()["code"] == "no_unit_cost"
    assert queued_jobs(db) == 0
