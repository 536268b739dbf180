"""promocast customers ... on the demo shop's orders (CLI through a Typer app, DESIGN §3 JSON)
and on UCI Online Retail when ../shared is present."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from conftest import shared_path
from promocast.exceptions import UnknownCustomer, UsageError

os.environ.setdefault("OMP_NUM_THREADS", "1")


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A one-year demo shop with its orders ingested: (store, generated data folder)."""
    from promocast.services.ingest import ingest
    from promocast.testing.demo_shop import generate

    root = tmp_path_factory.mktemp("customers")
    demo = generate(root / "data", seed=5, n_items=20, years=1.0)
    db = root / "shop.duckdb"
    ingest([demo.files[t] for t in ("stores", "items", "promotions", "events", "sales",
                                    "orders")], db)
    return db, root / "data"


@pytest.fixture(scope="module")
def cli() -> typer.Typer:
    from promocast.cli.customers import register

    app = typer.Typer()
    register(app)

    @app.callback()
    def main() -> None:
        """Test app."""

    return app


def _run(app: typer.Typer, *args: str) -> str:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_segments_cli_json_and_excel(shop, cli, tmp_path: Path) -> None:
    db, _data = shop
    doc_path, table_path = tmp_path / "segments.json", tmp_path / "rfm.xlsx"
    output = _run(cli, "customers", "segments", "--db", str(db), "--json", str(doc_path),
                  "--out", str(table_path))
    assert "champions" in output
    document = json.loads(doc_path.read_text())
    table = pd.read_excel(table_path)
    assert document["customers"] == len(table) == sum(s["customers"] for s in document["segments"])
    assert sum(s["revenue"] for s in document["segments"]) == pytest.approx(document["revenue"],
                                                                           rel=1e-6)
    assert 0 < document["shop_promo_share"] < 1  # the demo shop runs promotions
    names = {s["segment"] for s in document["segments"]}
    assert {"champions", "hibernating"} <= names
    champions = next(s for s in document["segments"] if s["segment"] == "champions")
    assert champions["revenue_share"] > champions["customer_share"]  # few customers, much money


def test_deal_seekers_buy_more_on_promotion(shop) -> None:
    """The demo's true deal seekers must come out with a higher promotion share."""
    from promocast.services.customers import segment_tables

    db, data = shop
    table, _report, responsiveness, _ref = segment_tables(db)
    truth = pd.read_parquet(next(data.glob("ground_truth_customers*.parquet")))
    joined = responsiveness.merge(truth, on="customer_id")
    joined = joined[joined["lines"] >= 5]
    seekers = joined.groupby("deal_seeker_y")["promo_share"].mean()
    assert seekers[True] > 1.5 * seekers[False]


def test_clv_and_propensity_cli(shop, cli, tmp_path: Path) -> None:
    db, _data = shop
    clv_doc = tmp_path / "clv.json"
    _run(cli, "customers", "clv", "--db", str(db), "--json", str(clv_doc))
    clv = json.loads(clv_doc.read_text())
    assert clv["total_clv"] > 0 and set(clv["bgnbd"]) == {"r", "alpha", "a", "b"}
    doc_path, scores_path = tmp_path / "propensity.json", tmp_path / "scores.csv"
    output = _run(cli, "customers", "propensity", "--db", str(db), "--json", str(doc_path),
                  "--out", str(scores_path), "--models", "logistic,decision_tree,lightgbm")
    assert "best:" in output
    document = json.loads(doc_path.read_text())
    assert document["label"] == "buys within 30 days"  # DESIGN §3
    assert set(document["models"]) == {"logistic", "decision_tree", "lightgbm"}
    assert document["best"] in document["models"]
    assert document["result_id"]  # the summary is kept in the store
    assert all(m["auc"] > 0.65 for m in document["models"].values())
    scores = pd.read_csv(scores_path)
    assert len(scores) == document["customers"] and scores["probability"].between(0, 1).all()
    assert pd.Timestamp(document["split_date"]) < pd.Timestamp(document["scored_at"])


def test_recommend_and_targets_cli(shop, cli, tmp_path: Path) -> None:
    db, _data = shop
    doc_path = tmp_path / "recommend.json"
    _run(cli, "customers", "recommend", "--db", str(db), "--json", str(doc_path), "--evaluate")
    document = json.loads(doc_path.read_text())
    assert document["bought_together"] and document["bought_together"][0]["lift"] > 1
    assert document["evaluation"]["new_items"]["customers"] > 50
    customer = document["new_items"][0]["customers"][0]["customer_id"] if document["new_items"] \
        else None
    one = tmp_path / "one.json"
    from promocast.services.customers import read_purchase_days

    someone = customer or read_purchase_days(db)["customer_id"].iloc[0]
    output = _run(cli, "customers", "recommend", "--db", str(db), "--customer", someone,
                  "--top", "5", "--json", str(one))
    assert f"top 5 for {someone}" in output
    assert len(json.loads(one.read_text())["recommendations"]) == 5
    targets_path = tmp_path / "targets.csv"
    _run(cli, "customers", "targets", "--db", str(db), "--category", "snacks", "--top", "40",
         "--out", str(targets_path))
    targets = pd.read_csv(targets_path)
    assert len(targets) == 40 and targets["response_score"].is_monotonic_decreasing
    with pytest.raises(UsageError, match="no item of category"):
        CliRunner().invoke(cli, ["customers", "targets", "--db", str(db), "--category", "wine"],
                           catch_exceptions=False)
    with pytest.raises(UnknownCustomer, match=r"customer 'nobody' is not in the store's "
                       r"orders; [\d,]+ customers have purchases"):
        CliRunner().invoke(cli, ["customers", "recommend", "--db", str(db), "--customer", "nobody"],
                           catch_exceptions=False)
    with pytest.raises(UnknownCustomer, match=f"did you mean '{someone}'"):
        CliRunner().invoke(cli, ["customers", "recommend", "--db", str(db), "--customer",
                                 f" {someone.lower()} "], catch_exceptions=False)


def test_help_has_examples(cli) -> None:
    for command in ("segments", "clv", "propensity", "recommend", "targets"):
        result = CliRunner().invoke(cli, ["customers", command, "--help"])
        assert result.exit_code == 0 and "Example: promocast customers" in result.output


@pytest.mark.realdata
def test_uci_online_retail_recommendations_beat_popularity(tmp_path: Path) -> None:
    """UCI Online Retail through `ingest --format online-retail`: segments and the time-split
    hit-rate@10 (new items of the next purchase) at least twice popularity's."""
    from promocast.customers.recommend import evaluate_time_split
    from promocast.services.customers import read_purchase_days, run_segments
    from promocast.services.ingest import ingest

    source = shared_path("uci_online_retail", "online_retail.parquet")
    db = tmp_path / "uci.duckdb"
    ingest([source], db, fmt="online-retail")
    segments = run_segments(db)
    assert segments["customers"] == 4338  # UCI customers with a paid purchase
    # net of the 'C' invoices: 8,911,407.90 bought, 598,112.95 returned
    assert segments["revenue"] == pytest.approx(8_313_294.95, abs=0.01)
    assert segments["shop_promo_share"] == 0  # no discounts and no promotions in UCI
    evaluation = evaluate_time_split(read_purchase_days(db), pd.Timestamp("2011-09-09"), k=10)
    new = evaluation["new_items"]
    assert new["hit_rate"] >= 2 * new["popularity_hit_rate"]
