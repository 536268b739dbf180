"""``promocast inventory`` on a small demo shop: the replay's service level near its target,
the plan's numbers consistent with each other and with the stock on hand, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from conftest import load_demo_shop
from promocast.exceptions import UsageError

LEAD, REVIEW = 2, 3
MODEL = "seasonal_naive"
"""The plan and CLI tests forecast with a fast model; the replay uses a small LightGBM (the
full-size replay is benchmarks/inventory_replay.py)."""


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # 1.5 years: the replay falls in spring (a replay over Double 11 with one year of history
    # meets conformal intervals blown up by the festival the model never saw)
    return load_demo_shop(tmp_path_factory.mktemp("inventory"), seed=11, n_items=8, years=1.5)


@pytest.fixture(scope="module")
def replay(shop: Path) -> dict:
    from promocast.services.inventory import run_inventory_replay

    return run_inventory_replay(shop, service_level=[0.9, 0.95], lead_time=LEAD,
                                review_period=REVIEW, folds=3, warmup=1, reviews_per_fold=5,
                                samples=500, lgbm_params={"n_estimators": 100})


def test_replay_reaches_the_service_level_targets(replay: dict) -> None:
    assert [t["target_value"] for t in replay["targets"]] == [0.9, 0.95]
    for result in replay["targets"]:
        # 16 series x 15 reviews: about 240 cycles, a binomial standard error of 1.5-2 points
        assert result["cycles"] >= 200
        assert abs(result["cycle_service_level"] - result["target_value"]) <= 0.07
        assert result["fill_rate"] >= result["target_value"] - 0.05
        assert result["avg_on_hand"] > 0
    low, high = replay["targets"]
    assert high["avg_on_hand"] > low["avg_on_hand"]  # a higher target holds more stock
    assert high["cycle_service_level"] >= low["cycle_service_level"]
    dep = replay["dependence"]
    assert dep["source"] == "replay" and dep["points"] > 500
    assert 0 <= dep["window_rho"] <= 1


def test_plan_is_consistent_and_ranks_by_urgency(shop: Path, replay: dict) -> None:
    from promocast.services.inventory import run_inventory

    document = run_inventory(shop, service_level=0.95, lead_time=LEAD, review_period=REVIEW,
                             pack_size=6, min_order=12, salvage=0.2, samples=1000,
                             models=(MODEL,), replay=replay)
    assert document["service_level_target"] == 0.95
    assert document["dependence"]["source"] == "replay"  # measured by the replay given
    assert document["replay"]["cycle_service_level"] == replay["replay"]["cycle_service_level"]
    assert document["replay"]["same_policy"]
    assert not [n for n in document["notes"] if "kept replay" in n]
    items = pd.DataFrame(document["items"])
    assert len(items) == document["series"] == 16
    for col in ("item_id", "store_id", "safety_stock", "reorder_point", "order_qty",
                "order_up_to", "days_of_cover", "stockout_probability", "newsvendor_qty"):
        assert col in items
    assert (items["order_up_to"] >= items["reorder_point"]).all()
    assert (items["safety_stock"] > 0).all()
    assert (items["order_up_to"] >= items["mean_demand_protection"]).all()
    ordered = items[items["order_qty"] > 0]
    assert (ordered["order_qty"] % 6 == 0).all() and (ordered["order_qty"] >= 12).all()
    # an order tops the position up to S, rounding adds less than a minimum order
    assert (ordered["inventory_position"] + ordered["order_qty"] >= ordered["order_up_to"]).all()
    assert (items.loc[items["order_qty"] == 0, "inventory_position"]
            >= items.loc[items["order_qty"] == 0, "order_up_to"]).all()
    # the newsvendor stock rises with the margin: the ratio is (price - cost) / (price - salvage)
    assert items["critical_ratio"].between(0, 1).all()
    urgent = pd.DataFrame(document["reorder_list"])
    assert len(urgent) == document["orders"] == len(ordered)
    assert list(urgent["urgency_rank"]) == list(range(1, len(urgent) + 1))
    assert urgent["stockout_risk_lead_time"].is_monotonic_decreasing
    # the stock on hand is the inventory table's last day
    assert items["on_hand_date"].nunique() == 1


def test_cli_writes_json_and_the_reorder_list(shop: Path, tmp_path: Path) -> None:
    from promocast.cli.inventory import register

    app = typer.Typer()
    register(app)
    app.command("noop")(lambda: None)  # a second command keeps "inventory" a subcommand
    out_json, out_csv = tmp_path / "inventory.json", tmp_path / "reorder.csv"
    result = CliRunner().invoke(app, [
        "inventory", "--db", str(shop), "--service-level", "0.9", "--lead-time", str(LEAD),
        "--review-period", str(REVIEW), "--samples", "500", "--model", MODEL,
        "--json", str(out_json),
        "--out", str(out_csv)])
    assert result.exit_code == 0, result.output
    document = json.loads(out_json.read_text(encoding="utf-8"))
    assert document["service_level_target"] == 0.9
    assert document["forecast"]["reused"]  # the forecast of the plan test is kept and reused
    assert "to order now" in result.output
    assert out_csv.read_bytes().startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM, for Excel
    exported = pd.read_csv(out_csv)
    assert len(exported) == document["orders"]
    assert list(exported["urgency_rank"]) == list(range(1, len(exported) + 1))
    bad = CliRunner().invoke(app, ["inventory", "--db", str(shop), "--lead-time", "2",
                                   "--service-level", "1.5"])
    assert bad.exit_code == 2
    help_text = CliRunner().invoke(app, ["inventory", "--help"]).output
    assert "Example: promocast inventory" in help_text


def test_review_period_defaults_to_a_week_of_the_data(shop: Path) -> None:
    from promocast.services.inventory import review_period_of

    assert review_period_of(shop, None) == 7  # the demo shop sells by the day
    assert review_period_of(shop, 3) == 3


def test_bad_parameters_are_usage_errors(shop: Path) -> None:
    from promocast.services.inventory import run_inventory

    with pytest.raises(UsageError, match="lead_time \\+ review_period"):
        run_inventory(shop, lead_time=0, review_period=0)
    with pytest.raises(UsageError, match="salvage"):
        run_inventory(shop, lead_time=2, salvage=1.5)


def test_a_replay_of_another_policy_is_not_shown_as_this_ones(shop: Path, replay: dict) -> None:
    """QA: the kept replay's service level was shown with a plan of another lead time."""
    from promocast.services.inventory import run_inventory

    document = run_inventory(shop, service_level=0.95, lead_time=LEAD + 1, review_period=REVIEW,
                             samples=500, models=(MODEL,), replay=replay)
    assert document["replay"]["same_policy"] is False
    (note,) = [n for n in document["notes"] if "kept replay" in n]
    assert f"lead time {LEAD} and review period {REVIEW}, not this plan's {LEAD + 1}" in note
