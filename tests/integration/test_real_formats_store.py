"""Known public formats end to end: adapter -> validation -> store -> info (DESIGN §2, issue 2).

Skipped with the reason when ../shared/data is absent (a user's clone)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import shared_path
from promocast.services.info import store_info
from promocast.services.ingest import ingest

pytestmark = [pytest.mark.realdata]


def _ingested(db: Path, source: Path, fmt: str, *, quality: bool = True) -> dict:
    """``store_info`` of the store ``db`` after ingesting the real data set ``source``."""
    ingest([source], db, fmt=fmt)
    return store_info(db, quality=quality)


def test_dominicks_via_cli_gives_913_weekly_series(tmp_path: Path) -> None:
    data = shared_path("dominicks_oj")
    db = tmp_path / "oj.duckdb"
    done = subprocess.run([sys.executable, "-m", "promocast", "ingest", "--format", "dominicks",
                           str(data), "--db", str(db)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    out = tmp_path / "info.json"
    done = subprocess.run([sys.executable, "-m", "promocast", "info", "--db", str(db), "--json",
                           str(out)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    info = json.loads(out.read_text())
    assert info["series"] == 913
    assert info["tables"]["sales"]["rows"] == 106_139
    assert info["freq"] == "W"
    assert (info["start"], info["end"]) == ("1990-06-14", "1992-10-01")
    assert {f"price_{b}" for b in range(1, 12)} <= set(info["exogenous"])
    assert info["tables"]["promotions"]["rows"] > 0
    gap = next(w for w in info["warnings"] if w["kind"] == "gap")
    # 4,334 store-brand-weeks have no row; those inside a series are gaps (not zero sales).
    assert gap["count"] > 0 and 0 < gap["periods"] <= 913 * 121 - 106_139


@pytest.mark.slow
def test_walmart_gives_3331_series(tmp_path: Path) -> None:
    info = _ingested(tmp_path / "w.duckdb", shared_path("walmart_store_sales"), "walmart",
                     quality=False)
    assert info["series"] == 3331
    assert info["tables"]["sales"]["rows"] == 421_570
    assert info["freq"] == "W"


@pytest.mark.slow
def test_online_retail_gives_541909_order_lines(tmp_path: Path) -> None:
    info = _ingested(tmp_path / "r.duckdb", shared_path("uci_online_retail"), "online-retail")
    assert info["tables"]["orders"]["rows"] == 541_909
    guests = next(w for w in info["warnings"] if w["kind"] == "guest_orders")
    assert guests["count"] == 135_080
    assert guests["orders"] == 3_710  # distinct guest invoices (info read no order_id: null)


def test_m5_subset_gives_280_daily_series(tmp_path: Path) -> None:
    info = _ingested(tmp_path / "m5.duckdb", shared_path("m5_tiny_subset"), "m5", quality=False)
    assert info["series"] == 280
    assert info["freq"] == "D"


def test_stallion_is_monthly(tmp_path: Path) -> None:
    info = _ingested(tmp_path / "s.duckdb", shared_path("stallion_beverage"), "stallion",
                     quality=False)
    assert info["series"] == 350
    assert info["freq"] == "MS"
    assert info["tables"]["sales"]["rows"] == 21_000
    # Mexican wholesalers: --country auto reads Mexico's holidays, not China's festivals
    from promocast.data.storage import Store
    from promocast.services.calendar import shop_country

    with Store(tmp_path / "s.duckdb", read_only=True) as store:
        assert set(store.read("stores")["country"]) == {"MX"}
    assert shop_country(tmp_path / "s.duckdb") == "MX"


def test_tuna_effects_from_the_command_line(tmp_path: Path) -> None:
    """Dominick's canned tuna end to end: every brand's own-price elasticity negative with an
    interval, display lifting sales, rival brands' prices read as cross-prices."""
    db = tmp_path / "tuna.duckdb"
    info = _ingested(db, shared_path("bayesm_cheese_tuna") / "tuna.csv", "tuna", quality=False)
    assert (info["series"], info["freq"]) == (7, "W")
    out = tmp_path / "effects.json"
    done = subprocess.run([sys.executable, "-m", "promocast", "promo", "effects", "--db", str(db),
                           "--country", "US", "--json", str(out)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    items = json.loads(out.read_text())["items"]
    assert len(items) == 7
    for item in items:
        low, high = item["price_elasticity_ci"]
        assert low < item["price_elasticity"] < high < 0, item["item_id"]
    assert sum(item["lift"]["feature_display"] > 0 for item in items) >= 6
    cross = [v for item in items for v in item["cross_price_elasticity"].values() if v is not None]
    assert len(cross) >= 30
    assert sum(v > 0 for v in cross) >= 0.6 * len(cross)  # rival brands mostly substitutes
