"""``promocast diagnose`` on a small demo shop: plots, JSON fields, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import load_demo_shop, promocast
from promocast.exceptions import UnknownSeries
from promocast.services.diagnose import run_diagnose

SERIES_FIELDS = {"unique_id", "n", "missing", "adf", "kpss", "suggested_d", "suggested_D",
                 "acf", "acf_bound", "pacf", "pacf_bound", "stl", "arima", "ets", "best_by_aic",
                 "ljung_box_p", "notes"}



@pytest.fixture(scope="module")
def shop_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A year of daily sales: 3 items x 2 stores, with stock-outs (sales + inventory only)."""
    return load_demo_shop(tmp_path_factory.mktemp("diagnose"), seed=3, n_items=3)


def test_diagnose_one_item_writes_plots_and_json(shop_db: Path, tmp_path: Path) -> None:
    result = promocast("diagnose", "--db", str(shop_db), "--item", "SKU0001", "--out",
                 str(tmp_path / "plots"), "--json", str(tmp_path / "d.json"))
    assert result.returncode == 0, result.stderr
    doc = json.loads((tmp_path / "d.json").read_text())
    assert (doc["freq"], doc["season_length"], doc["series_count"]) == ("D", 7, 2)
    ids = [s["unique_id"] for s in doc["series"]]
    assert all(uid.startswith("SKU0001/") for uid in ids)
    for s in doc["series"]:
        assert set(s) >= SERIES_FIELDS
        assert s["n"] == 365 and s["suggested_d"] in (0, 1, 2) and s["suggested_D"] in (0, 1)
        assert 0 <= s["adf"]["p_value"] <= 1 and 0.01 <= s["kpss"]["p_value"] <= 0.1
        assert s["acf"][0] == pytest.approx(1.0) and len(s["acf"]) == len(s["pacf"]) > 8
        assert s["stl"]["period"] == 7 and 0 <= s["stl"]["seasonal_strength"] <= 1
        for fit in (s["arima"], s["ets"]):
            assert fit["aic"] is not None and fit["bic"] > fit["aic"] - 1e-9
            assert fit["ljung_box"][0]["lag"] == 10
        assert s["best_by_aic"] in ("arima", "ets")
    pngs = sorted((tmp_path / "plots").glob("*.png"))
    assert [p.name for p in pngs] == sorted(uid.replace("/", "_") + ".png" for uid in ids)
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)
    html = (tmp_path / "plots" / "diagnose.html").read_text(encoding="utf-8")
    assert "<h2>Overview" in html and all(f"Series {uid}" in html for uid in ids)
    assert "plotly" in html and '<script src="http' not in html  # plotly.js inlined: offline
    assert doc["files"]["html"].endswith("diagnose.html")
    table = result.stdout.splitlines()
    assert table[0].startswith("2 of 2 series, frequency D, season 7")
    assert "ADF p" in table[1] and "LB p" in table[1]


def test_diagnose_top_ranks_by_volume(shop_db: Path) -> None:
    doc = run_diagnose(shop_db, limit=2)
    assert (doc["series_count"], doc["series_matched"]) == (2, 6)
    assert "files" not in doc
    json.dumps(doc, allow_nan=False)
    volumes = [s["mean"] * (s["n"] - s["missing"]) for s in doc["series"]]
    assert volumes[0] >= volumes[1] * 0.8  # ranked on observed units; interpolation aside


def test_unknown_item_or_store_is_named(shop_db: Path) -> None:
    result = promocast("diagnose", "--db", str(shop_db), "--item", "NOPE")
    assert result.returncode == 1
    assert "item 'NOPE' is not in the store" in result.stderr and "SKU0001" in result.stderr
    with pytest.raises(UnknownSeries, match="store 'mars' has no series for item 'SKU0001'"):
        run_diagnose(shop_db, item="SKU0001", store="mars")
    assert promocast("diagnose", "--db", str(shop_db), "--top", "0").returncode == 2


def test_help_has_an_example() -> None:
    result = promocast("diagnose", "--help")
    assert result.returncode == 0 and "Example: promocast diagnose" in result.stdout
