"""Promotions at ingest: a threshold promotion that cannot be costed is refused with the load;
one naming items, categories or stores the store does not hold is loaded with a warning
(DESIGN §2: promotions may come before their items)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from conftest import promocast, store_snapshot
from promocast.data.storage import Store
from promocast.exceptions import DataValidationError
from promocast.services.ingest import ingest
from promocast.services.scenarios import scenario_frame

HEAD = "promo_id,promo_type,start_date,end_date,item_id,category,store_id,discount_pct,threshold_amount,amount_off\n"


@pytest.fixture
def shop(tmp_path: Path, valid_sales_csv: Path) -> Path:
    """Items A1, B2 (category snacks) sold in stores s1, s2."""
    items = tmp_path / "items.csv"
    items.write_text("item_id,category\nA1,snacks\nB2,snacks\n", encoding="utf-8")
    db = tmp_path / "shop.duckdb"
    ingest([valid_sales_csv, items], db)
    return db


def _file(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "in" / "promotions.csv"
    path.parent.mkdir(exist_ok=True)
    path.write_text(HEAD + "".join(f"{r}\n" for r in rows), encoding="utf-8")
    return path


@pytest.mark.parametrize(("row", "broken"), [
    ("E3,threshold,2024-03-01,2024-03-05,,snacks,,,,10", [("threshold_amount", None)]),
    ("E3,threshold,2024-03-01,2024-03-05,A1,,,,100,", [("amount_off", None)]),
    ("E3,threshold,2024-03-01,2024-03-05,A1,,,,0,10", [("threshold_amount", "0")]),
    ("E3,threshold,2024-03-01,2024-03-05,A1,,,,10,100", [("amount_off", "100")]),
])
def test_a_threshold_promotion_that_cannot_be_costed_is_refused(
        tmp_path: Path, shop: Path, row: str, broken: list[tuple[str, str | None]]) -> None:
    """It was stored, and promo evaluate costed it at a rebate of 0."""
    path = _file(tmp_path, "P1,percent_off,2024-03-01,2024-03-05,A1,,,10,,", row)
    before = store_snapshot(shop)
    with pytest.raises(DataValidationError) as err:
        ingest([path], shop)
    errors = sorted(err.value.errors, key=lambda e: e.column or "", reverse=True)
    assert [(e.file, e.row) for e in errors] == [(str(path), 3)] * len(broken)
    assert [(e.column, e.value) for e in errors] == broken
    for error in errors:
        assert "threshold promotion (spend X save Y) needs threshold_amount X > 0" in error.rule
        assert "cannot be costed" in error.rule
    assert store_snapshot(shop) == before


def test_the_command_line_refuses_it_with_exit_1(tmp_path: Path, shop: Path) -> None:
    path = _file(tmp_path, "E3,threshold,2024-03-01,2024-03-05,,snacks,,,,10")
    before = store_snapshot(shop)
    result = promocast("ingest", str(path), "--db", str(shop))
    assert result.returncode == 1, result.stderr
    text = " ".join(result.stderr.split())
    assert f"{path}, row 2, column 'threshold_amount': a threshold promotion" in text
    assert "nothing was written to the store" in text
    assert store_snapshot(shop) == before


def test_a_costable_threshold_promotion_loads(tmp_path: Path, shop: Path) -> None:
    """Spend 100 save 10, and spend 200 get 10 % off (满200打9折: the share given back)."""
    ingest([_file(tmp_path, "E3,threshold,2024-03-01,2024-03-05,,snacks,,,100,10",
                  "E4,threshold,2024-03-10,2024-03-12,A1,,,10,200,")], shop)
    with Store(shop, read_only=True) as store:
        kept = store.query("SELECT threshold_amount, amount_off, discount_pct FROM promotions "
                           "ORDER BY promo_id")
    assert kept.fillna(-1).to_dict("records") == [
        {"threshold_amount": 100.0, "amount_off": 10.0, "discount_pct": -1},
        {"threshold_amount": 200.0, "amount_off": -1, "discount_pct": 10.0}]


def test_a_scenario_threshold_may_still_give_its_depth_as_discount_pct() -> None:
    """A what-if (and the plan it came from) states a threshold's depth as discount_pct."""
    frame = scenario_frame(pd.DataFrame([{
        "promo_id": "T1", "promo_type": "threshold", "start_date": "2024-04-01",
        "end_date": "2024-04-07", "category": "snacks", "discount_pct": 10}]), "scenario")
    assert frame["discount_pct"].tolist() == [10.0]


def test_unknown_items_categories_and_stores_load_with_a_warning(tmp_path: Path,
                                                                 shop: Path) -> None:
    path = _file(tmp_path,
                 "E2,percent_off,2024-03-01,2024-03-05,,toys,,10,,",
                 "E6,percent_off,2024-03-01,2024-03-05,A1,,S9,10,,",
                 "E7,percent_off,2024-03-01,2024-03-05,ZZZ,,,10,,",
                 "OK1,percent_off,2024-03-01,2024-03-05,B2,,s1,10,,",
                 "OK2,percent_off,2024-03-01,2024-03-05,,snacks,all,10,,")
    out = tmp_path / "ingest.json"
    result = promocast("ingest", str(path), "--db", str(shop), "--json", str(out))
    assert result.returncode == 0, result.stderr
    doc = json.loads(out.read_text())
    assert doc["tables"]["promotions"]["inserted"] == 5
    (warning,) = [w for w in doc["warnings"] if w["kind"] == "unknown_reference"]
    assert warning["count"] == 3 and warning["promotions"] == ["E2", "E6", "E7"]
    assert warning["unknown"] == {"item_id": ["ZZZ"], "category": ["toys"], "store_id": ["S9"]}
    text = " ".join(result.stderr.split())
    assert ("warning: 3 promotion(s) (E2, E6, E7) name what the store does not hold: "
            "item_id ZZZ; category toys; store_id S9") in text
    assert "E2: category 'toys'" in text
    again = promocast("ingest", str(path), "--db", str(shop))
    assert again.returncode == 0 and "warning" not in again.stderr  # nothing changed


def test_the_check_counts_what_the_load_brings(tmp_path: Path, valid_sales_csv: Path) -> None:
    """Promotions before items: nothing to check against yet (a note says so); items loaded
    with them make their references known."""
    db = tmp_path / "early.duckdb"
    promotions = _file(tmp_path, "E2,percent_off,2024-03-01,2024-03-05,,toys,,10,,")
    early = ingest([promotions], db)
    assert early.warnings == []
    assert any("not checked" in note for note in early.notes)
    items = tmp_path / "items.csv"
    items.write_text("item_id,category\nA1,snacks\n", encoding="utf-8")
    later = ingest([valid_sales_csv, items], db)
    assert [w["unknown"] for w in later.warnings] == [{"category": ["toys"]}]
    toys = tmp_path / "items_toys.csv"
    toys.write_text("item_id,category\nT1,toys\n", encoding="utf-8")
    assert ingest([toys], db).as_dict()["warnings"] == []
