"""Exit codes follow DESIGN §3: 1 when the shop's data cannot answer (nothing ingested, no
unit costs, no promotions), 2 when the call is wrong (options, a what-if scenario, plan rules).
QA found data problems exiting 2 (plan without unit_cost, evaluate without promotions)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import promocast


@pytest.fixture(scope="module")
def plain_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3 items x 120 days at one price, no promotion, no unit cost."""
    from promocast.services.ingest import ingest

    root = tmp_path_factory.mktemp("plain")
    rng = np.random.default_rng(3)
    days = pd.date_range("2026-01-01", periods=120, freq="D")
    sales = pd.DataFrame([{"date": d.date(), "item_id": item, "store_id": "s1",
                           "units": int(rng.poisson(20)), "price": 10.0}
                          for item in ("A", "B", "C") for d in days])
    items = pd.DataFrame({"item_id": ["A", "B", "C"], "category": "tea"})
    sales.to_csv(root / "sales.csv", index=False)
    items.to_csv(root / "items.csv", index=False)
    db = root / "shop.duckdb"
    ingest([root / "items.csv", root / "sales.csv"], db)
    return db


def test_evaluate_without_any_promotion_is_a_data_problem(plain_db: Path) -> None:
    result = promocast("promo", "evaluate", "--db", str(plain_db))
    assert result.returncode == 1, result.stderr
    assert "no promotions to evaluate" in result.stderr


def test_plan_without_unit_costs_is_a_data_problem(plain_db: Path) -> None:
    result = promocast("promo", "plan", "--db", str(plain_db), "--horizon", "2", "--budget",
                       "100")
    assert result.returncode == 1, result.stderr
    assert "no item has a unit_cost" in result.stderr


def test_without_a_terminal_the_stages_are_printed_as_lines(plain_db: Path) -> None:
    """A run logged to a file showed nothing until it ended (Rich draws no spinner there)."""
    result = promocast("promo", "evaluate", "--db", str(plain_db))
    lines = result.stderr.splitlines()
    assert lines[0] == "evaluate promotions ..."
    assert lines[1].endswith("s] reading the store")
