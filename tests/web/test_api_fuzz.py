"""Property-based requests generated from the OpenAPI schema (schemathesis + hypothesis):
whatever a client sends within or around the schema, the API never answers 5xx.

Jobs are recorded but not run here (a fuzzed backtest would queue hours of model fits); what a
job does with its input is covered by the services' own tests."""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from webshop import copy_of_shop, make_app, reset_store_mode


class RecordedJobs:
    """Stands in for the job runner: accepts work, runs none of it."""

    def __init__(self) -> None:
        self.submitted: list[tuple[str, dict]] = []

    def submit(self, kind: str, params: dict, _work: object) -> str:
        self.submitted.append((kind, params))
        return f"job{len(self.submitted)}"

    def status(self, job_id: str) -> dict | None:
        return None

    def shutdown(self) -> None:
        pass


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory):
    db: Path = copy_of_shop(tmp_path_factory.mktemp("fuzz"))
    app = make_app(db)
    app.state.jobs = RecordedJobs()
    yield schemathesis.openapi.from_asgi("/openapi.json", app)
    reset_store_mode()


def test_no_request_makes_the_server_fail(api_schema) -> None:
    """Every operation, ~15 generated requests each (schemathesis' own pytest plugin does not
    run under this pytest, so the strategies are driven by hypothesis directly)."""
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 20
    failures: list[str] = []
    statuses: list[int] = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=15, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case) -> None:
            response = case.call(timeout=120)  # a slow machine is not a failure here
            statuses.append(response.status_code)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} {case.query} "
                                f"{str(case.body)[:200]} -> {response.status_code} "
                                f"{response.text[:200]}")

        check()
    assert not failures, failures[:5]
    assert len(statuses) >= 5 * len(operations)  # parameterless routes give one example
    assert {200, 422} <= set(statuses)  # answers, and refusals of what breaks the schema
