"""A shop with 75 days of history: the what-if and the plan forecast their baseline as far as
the history carries (not the 56 days kept for reuse, which needed 112), and an inventory
replay asking for more than the history holds says what to shorten."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from conftest import load_demo_shop, promocast
from promocast.data.storage import Store


@pytest.fixture(scope="module")
def short_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return load_demo_shop(tmp_path_factory.mktemp("short"), seed=5, n_items=6, years=75 / 365)


def _baselines(db: Path) -> pd.DataFrame:
    with Store(db, read_only=True) as store:
        return store.query("SELECT horizon FROM forecast_runs WHERE kind = 'baseline'")


def test_simulate_and_plan_on_75_days(short_db: Path, tmp_path: Path) -> None:
    with Store(short_db, read_only=True) as store:
        sales = store.query("SELECT item_id, store_id, max(date) AS d, count(*) AS n FROM sales "
                            "GROUP BY ALL ORDER BY item_id, store_id")
    assert sales["n"].max() <= 75
    end = pd.Timestamp(sales["d"].max())
    item, store_id = sales["item_id"].iloc[0], sales["store_id"].iloc[0]
    scenario = tmp_path / "whatif.csv"
    pd.DataFrame([{"promo_id": "W1", "promo_type": "percent_off", "item_id": item,
                   "store_id": store_id, "discount_pct": 30,
                   "start_date": str((end + pd.Timedelta(days=2)).date()),
                   "end_date": str((end + pd.Timedelta(days=6)).date())}]).to_csv(scenario,
                                                                                 index=False)
    out = tmp_path / "sim.json"
    result = promocast("promo", "simulate", "--db", str(short_db), "--scenario", str(scenario),
                       "--json", str(out))
    assert result.returncode == 0, result.stderr
    doc = json.loads(out.read_text())
    assert doc["totals"]["incremental_units"]["expected"] > 0
    kept = _baselines(short_db)
    # as far as 75 days carry (more than twice the horizon): 37 days, at least the 13 asked
    assert len(kept) == 1 and 13 <= int(kept["horizon"].iloc[0]) <= 37
    result = promocast("promo", "simulate", "--db", str(short_db), "--scenario", str(scenario))
    assert result.returncode == 0, result.stderr
    assert len(_baselines(short_db)) == 1  # the kept baseline reused
    plan = tmp_path / "plan.json"
    result = promocast("promo", "plan", "--db", str(short_db), "--horizon", "2", "--budget",
                       "500", "--json", str(plan))
    assert result.returncode == 0, result.stderr
    assert json.loads(plan.read_text())["budget_used"] <= 500


@pytest.mark.parametrize(("folds", "warmup", "why"), [
    ("2", "1", "has no series with more than 48 periods"),  # before the fit
    ("1", "0", "features need 52"),  # the fit: lags from day 24 and 28-day means
])
def test_replay_beyond_the_history_says_what_to_shorten(short_db: Path, folds: str,
                                                        warmup: str, why: str) -> None:
    result = promocast("inventory", "--db", str(short_db), "--lead-time", "3", "--replay",
                       "--folds", folds, "--warmup-folds", warmup)
    assert result.returncode == 2, result.stderr
    assert why in result.stderr and "shorter review period" in result.stderr
    assert "Traceback" not in result.stderr


def test_evaluate_tells_past_promotions_from_the_sales_flags(tmp_path: Path) -> None:
    """A shop with sales and items only (no promotions table): evaluate judges the runs of
    on_promo days instead of refusing (it exited 2, 'no promotions to evaluate')."""
    from promocast.services.ingest import ingest
    from promocast.testing.demo_shop import generate

    shop = generate(tmp_path / "data", seed=5, n_items=6, years=0.5)
    db = tmp_path / "flags.duckdb"
    ingest([shop.files["items"], shop.files["sales"]], db)
    with Store(db, read_only=True) as store:
        assert store.count("promotions") == 0
        runs = store.query("SELECT count(*) AS n FROM (SELECT on_promo, lag(on_promo) OVER "
                           "(PARTITION BY item_id, store_id ORDER BY date) AS before FROM sales) "
                           "WHERE on_promo = 1 AND coalesce(before, 0) = 0")["n"].iloc[0]
    out = tmp_path / "pv.json"
    result = promocast("promo", "evaluate", "--db", str(db), "--json", str(out))
    assert result.returncode == 0, result.stderr
    doc = json.loads(out.read_text())
    assert doc["notes"][0].startswith("no promotions table: ")
    judged = pd.DataFrame(doc["promotions"])
    # every run of flagged days is one promotion, judged or skipped with a note
    told = int(doc["notes"][0].split(": ")[1].split(" promotions")[0])
    assert told == runs > 0 and 0 < len(judged) <= told
    assert judged["promo_id"].str.contains("@").all()
    assert (judged["incremental_units"] > 0).mean() > 0.5


def test_a_scenario_beyond_what_the_history_carries_says_so(short_db: Path,
                                                           tmp_path: Path) -> None:
    """It said 'no series has more than 404 periods of history: plan or simulate a shorter
    horizon' to a user who gave no horizon."""
    with Store(short_db, read_only=True) as store:
        end = pd.Timestamp(store.query("SELECT max(date) AS d FROM sales")["d"].iloc[0])
        item = store.query("SELECT min(item_id) AS i FROM sales")["i"].iloc[0]
    scenario = tmp_path / "far.csv"
    pd.DataFrame([{"promo_id": "F1", "promo_type": "percent_off", "item_id": item,
                   "discount_pct": 20, "start_date": str((end + pd.Timedelta(days=60)).date()),
                   "end_date": str((end + pd.Timedelta(days=64)).date())}]).to_csv(scenario,
                                                                                  index=False)
    result = promocast("promo", "simulate", "--db", str(short_db), "--scenario", str(scenario))
    assert result.returncode == 2, result.stderr
    text = " ".join(result.stderr.split())
    assert f"would have to reach {(end + pd.Timedelta(days=71)).date()}" in text
    assert "carry a forecast 37 periods ahead" in text and "Traceback" not in text
    # in the scenario's own dates: the day it ends, and the latest day one can end
    assert f"the scenario ends on {(end + pd.Timedelta(days=64)).date()}, too far ahead" in text
    assert f"ahead (less than half the history), to {(end + pd.Timedelta(days=37)).date()}" in text
    assert f"a scenario can end on {(end + pd.Timedelta(days=30)).date()} at the latest" in text


def test_a_bad_scenario_says_nothing_was_simulated(short_db: Path, tmp_path: Path) -> None:
    """A scenario is never stored: it said 'nothing was written to the store'."""
    scenario = tmp_path / "bad.csv"
    scenario.write_text("promo_id,promo_type,start_date,end_date,item_id,discount_pct\n"
                        "B1,mega_sale,2030-01-01,2030-01-07,X,20\n", encoding="utf-8")
    result = promocast("promo", "simulate", "--db", str(short_db), "--scenario", str(scenario))
    assert result.returncode == 1, result.stderr
    text = " ".join(result.stderr.split())
    assert "bad scenario: 1 problem(s); nothing was simulated." in text
    assert f"{scenario}, row 2, column 'promo_type', value 'mega_sale'" in text
    assert "written to the store" not in text


def test_forecast_names_the_scenario_rows_outside_its_horizon(short_db: Path,
                                                             tmp_path: Path) -> None:
    """They were passed over without a word."""
    with Store(short_db, read_only=True) as store:
        end = pd.Timestamp(store.query("SELECT max(date) AS d FROM sales")["d"].iloc[0])
        item = store.query("SELECT min(item_id) AS i FROM sales")["i"].iloc[0]

    def day(n: int) -> str:
        return str((end + pd.Timedelta(days=n)).date())

    scenario = tmp_path / "scenario.csv"
    pd.DataFrame([
        {"promo_id": "IN", "start_date": day(2), "end_date": day(4)},
        {"promo_id": "FAR1", "start_date": day(180), "end_date": day(186)},
        {"promo_id": "FAR2", "start_date": day(200), "end_date": day(210)},
    ]).assign(promo_type="percent_off", item_id=item, discount_pct=20).to_csv(scenario,
                                                                             index=False)
    out = tmp_path / "fc.json"
    result = promocast("forecast", "--db", str(short_db), "--horizon", "7", "--models", "naive",
                       "--scenario", str(scenario), "--out", str(tmp_path / "fc.csv"),
                       "--json", str(out))
    assert result.returncode == 0, result.stderr
    outside = json.loads(out.read_text())["scenario_outside_horizon"]
    assert outside["rows"] == 2 and outside["promo_ids"] == ["FAR1", "FAR2"]
    assert outside["file_rows"] == [3, 4]
    assert (outside["first_date"], outside["last_date"]) == (day(180), day(210))
    assert (outside["horizon_start"], outside["horizon_end"]) == (day(1), day(7))
    text = " ".join(result.stdout.split())
    assert (f"warning: 2 scenario row(s) (FAR1, FAR2) fall outside the forecast horizon "
            f"{day(1)} .. {day(7)}: they run {day(180)} .. {day(210)} and were not used") in text
    scenario.write_text("\n".join(scenario.read_text().splitlines()[:2]) + "\n",
                        encoding="utf-8")  # the row inside the horizon only
    result = promocast("forecast", "--db", str(short_db), "--horizon", "7", "--models", "naive",
                       "--scenario", str(scenario), "--out", str(tmp_path / "fc.csv"),
                       "--json", str(out))
    assert result.returncode == 0, result.stderr
    assert json.loads(out.read_text())["scenario_outside_horizon"] is None
    assert "outside the forecast horizon" not in result.stdout


def test_inventory_without_stock_prints_the_levels(tmp_path: Path) -> None:
    """No inventory table: nothing to order yet, but the levels (it printed an empty table
    and said the levels were in the JSON)."""
    from promocast.services.ingest import ingest
    from promocast.testing.demo_shop import generate

    shop = generate(tmp_path / "data", seed=6, n_items=3, years=0.5)
    db = tmp_path / "nostock.duckdb"
    ingest([shop.files["items"], shop.files["sales"]], db)
    out, table = tmp_path / "inv.json", tmp_path / "levels.csv"
    result = promocast("inventory", "--db", str(db), "--lead-time", "3", "--json", str(out),
                       "--out", str(table))
    assert result.returncode == 0, result.stderr
    doc = json.loads(out.read_text())
    assert doc["reorder_list"] == [] and len(doc["items"]) == doc["series"] > 0
    # --out held only a header (QA4); now the levels the screen shows
    written = pd.read_csv(table)
    assert len(written) == doc["series"] and "order_up_to" in written
    assert any("holds the levels" in note for note in doc["notes"])
    lines = result.stdout.splitlines()
    head = next(i for i, line in enumerate(lines) if "lead-time demand" in line)
    shown = [line.split() for line in lines[head + 1: head + 1 + doc["series"]]]
    by_id = {(r["item_id"], r["store_id"]): r for r in doc["items"]}
    for item, store_id, _demand, safety, rop, s in shown:
        row = by_id[(item, store_id)]
        assert (float(rop), float(s)) == (row["reorder_point"], row["order_up_to"])
        assert float(safety.replace(",", "")) == round(row["safety_stock"], 1)
