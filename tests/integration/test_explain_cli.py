"""``promocast explain`` on a small demo shop: JSON, HTML, the per-day table, a planned
promotion showing up in the promotion driver, clear errors for unknown items."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import promocast.services.explain as explain_service
from promocast.cli import app
from promocast.exceptions import UnknownSeries
from promocast.services.ingest import ingest
from promocast.testing.demo_shop import generate

SMALL_LGBM = {"n_estimators": 100}
ITEM = "SKU0003"


@pytest.fixture(scope="module")
def shop_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo shop (8 items x 2 stores, one year, daily) loaded into a fresh store."""
    out = tmp_path_factory.mktemp("explain_shop")
    shop = generate(out / "data", seed=1, n_items=8, years=1.0)
    files = [shop.files[t] for t in ("stores", "items", "promotions", "events", "sales",
                                     "inventory") if t in shop.files]
    ingest(files, out / "shop.duckdb")
    return out / "shop.duckdb"


@pytest.fixture
def small_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI's service call with a small LightGBM so the test stays fast."""
    monkeypatch.setattr(explain_service, "run_explain", functools.partial(
        explain_service.run_explain, lgbm_params=SMALL_LGBM, num_threads=1))


def explain(db: Path, **kwargs) -> dict:
    return explain_service.run_explain(db, item=ITEM, lgbm_params=SMALL_LGBM, num_threads=1,
                                       **kwargs)


def test_cli_writes_json_html_and_table(shop_db: Path, tmp_path: Path, small_model) -> None:
    result = CliRunner().invoke(app, ["explain", "--db", str(shop_db), "--item", ITEM, "--store",
                                      "online", "--out", str(tmp_path / "html"),
                                      "--json", str(tmp_path / "e.json")])
    assert result.exit_code == 0, result.output
    doc = json.loads((tmp_path / "e.json").read_text())
    assert (doc["item_id"], doc["store_id"], doc["series"]) == (ITEM, "online", [f"{ITEM}/online"])
    assert doc["horizon"] == 14 and len(doc["days"]) == 14  # daily default
    drivers = {"level_trend", "seasonality", "events", "price", "promotion", "other"}
    for day in doc["days"]:
        assert set(day) >= {"ds", "forecast", "base", "drivers", "log"}
        assert set(day["drivers"]) == drivers
        assert day["base"] + sum(day["drivers"].values()) == pytest.approx(day["forecast"], abs=1e-9)
        assert day["log"]["base"] + sum(day["log"]["drivers"].values()) == pytest.approx(
            day["log"]["forecast"], abs=1e-9)
    assert len(doc["top_features"]) == 10
    assert {"feature", "driver", "units"} <= set(doc["top_features"][0])
    html = Path(doc["html"])
    assert html == tmp_path / "html" / f"explain_{ITEM}_online.html"
    text = html.read_text(encoding="utf-8")
    assert "Forecast drivers" in text and "plotly" in text and "promotion" in text
    assert doc["days"][0]["ds"] in result.output and "promo" in result.output
    # one whitespace-separated field per column on every day's line, whatever the values'
    # widths (a monthly shop's six-digit drivers ran into each other)
    day_lines = [line for line in result.output.splitlines()
                 if line[:10] in {d["ds"] for d in doc["days"]}]
    assert len(day_lines) == 14 and all(len(line.split()) == 9 for line in day_lines)
    # QA5 #19: why a regular-price day shows price / promotion drivers, numbers unchanged
    assert len(doc["notes"]) == 1 and "average day" in doc["notes"][0]
    assert "note: drivers are relative to the model's average day" in result.output
    assert "average day" in text


def test_item_over_all_stores_sums_units(shop_db: Path) -> None:
    both = explain(shop_db, horizon=7)
    assert both["store_id"] == "all" and len(both["series"]) == 2 and len(both["days"]) == 7
    assert "log" not in both["days"][0]
    per_store = [explain(shop_db, store=s, horizon=7) for s in ("online", "store_sh")]
    for k, day in enumerate(both["days"]):
        assert day["forecast"] == pytest.approx(sum(p["days"][k]["forecast"] for p in per_store))
        assert day["drivers"]["price"] == pytest.approx(
            sum(p["days"][k]["drivers"]["price"] for p in per_store))


def test_planned_promotion_raises_its_days_promotion_driver(shop_db: Path, tmp_path: Path) -> None:
    before = explain(shop_db, store="online")
    start = pd.Timestamp(before["days"][0]["ds"])
    first, last = start + pd.Timedelta(days=3), start + pd.Timedelta(days=5)
    scenario = tmp_path / "scenario.csv"
    scenario.write_text("promo_id,promo_type,start_date,end_date,item_id,store_id\n"
                        f"PLAN1,threshold,{first.date()},{last.date()},{ITEM},online\n")
    after = explain(shop_db, store="online", scenario=scenario)
    for old, new in zip(before["days"], after["days"], strict=True):
        lift = new["drivers"]["promotion"] - old["drivers"]["promotion"]
        if first <= pd.Timestamp(old["ds"]) <= last:
            assert lift > 0.2 and new["drivers"]["promotion"] > 0
            assert new["forecast"] > old["forecast"]
        elif pd.Timestamp(old["ds"]) < first:
            assert new["forecast"] == pytest.approx(old["forecast"])


def test_unknown_item_or_store_names_it(shop_db: Path) -> None:
    with pytest.raises(UnknownSeries, match=r"item 'NOPE' is not in the store; items include SKU0001"):
        explain_service.run_explain(shop_db, item="NOPE")
    with pytest.raises(UnknownSeries, match=r"not sold in store 'mars'; its stores: online, store_sh"):
        explain_service.run_explain(shop_db, item=ITEM, store="mars")
    result = CliRunner().invoke(app, ["explain", "--db", str(shop_db), "--item", "NOPE"])
    assert isinstance(result.exception, UnknownSeries)


def test_help_has_an_example() -> None:
    result = CliRunner().invoke(app, ["explain", "--help"])
    assert result.exit_code == 0 and "Example: promocast explain --item" in result.output
