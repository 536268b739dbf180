"""A shop with 8 weeks of one item selling Poisson(20) a day (QA round 5, finding 4): every
horizon either forecasts or is refused with exit 1 and the real limit (never a LightGBM
traceback), a shorter horizon never fails where a longer one works, and quantiles the
hold-out could not calibrate still have the spread of a Poisson(20) count, so the safety
stock is not 0."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import promocast
from promocast.exceptions import TooLittleHistory
from promocast.services.forecast import run_forecast


@pytest.fixture(scope="module")
def poisson_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from promocast.services.ingest import ingest

    root = tmp_path_factory.mktemp("poisson56")
    rng = np.random.default_rng(7)
    days = pd.date_range("2026-01-05", periods=56, freq="D")
    pd.DataFrame({"date": days.strftime("%Y-%m-%d"), "item_id": "A1",
                  "units": rng.poisson(20, len(days)), "price": 10.0, "base_price": 10.0,
                  "on_promo": 0}).to_csv(root / "sales.csv", index=False)
    pd.DataFrame({"item_id": ["A1"], "name": ["a"], "category": ["c1"],
                  "unit_cost": [6.0]}).to_csv(root / "items.csv", index=False)
    db = root / "shop.duckdb"
    ingest([root / "items.csv", root / "sales.csv"], db)
    return db


def test_every_horizon_works_or_is_refused_monotonically(poisson_db: Path) -> None:
    works = {}
    for horizon in range(1, 29):
        try:
            summary = run_forecast(poisson_db, horizon=horizon, models=["lgbm"])
        except TooLittleHistory as exc:  # the CLI's exit 1
            works[horizon] = False
            assert "load more history" in str(exc)
        else:
            works[horizon] = True
            assert summary["horizon"] == horizon and summary["models"] == ["lgbm"]
    ok = [h for h, w in works.items() if w]
    # 56 days carry a forecast 27 days ahead (more than twice the horizon, and the features'
    # lags from the horizon back plus 28-day means); all shorter ones work
    assert ok == list(range(1, 28))


@pytest.mark.parametrize(("horizon", "limit"), [("28", "forecast at most 27 periods ahead")])
def test_cli_refusal_names_the_limit(poisson_db: Path, horizon: str, limit: str,
                                     tmp_path: Path) -> None:
    result = promocast("forecast", "--db", str(poisson_db), "--horizon", horizon,
                       "--models", "seasonal_naive,window_average", "--out",
                       str(tmp_path / "f.csv"))
    said = result.stdout + result.stderr
    assert result.returncode == 1, said
    assert "Traceback" not in said and limit in said and "57 periods" in said


def test_global_models_dropped_with_a_note_where_others_fit(poisson_db: Path) -> None:
    # 40 days: LightGBM's features 15 days ahead need 43; the seasonal naive needs a week
    summary = run_forecast(poisson_db, horizon=15, models=["seasonal_naive", "lgbm"],
                           history=40)
    assert summary["models"] == ["seasonal_naive"]
    assert summary["models_dropped"]["models"] == ["lgbm"]
    assert summary["models_dropped"]["longest_horizon"] == 11
    with pytest.raises(TooLittleHistory, match="forecast at most 11 periods ahead"):
        run_forecast(poisson_db, horizon=15, models=["lgbm"], history=40)


def test_uncalibrated_quantiles_keep_a_poisson_spread_and_safety_stock(
        poisson_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "fc.csv"
    result = promocast("forecast", "--db", str(poisson_db), "--horizon", "20", "--out", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "quantiles of lgbm are approximate" in result.stdout + result.stderr
    frame = pd.read_csv(out)
    low, high = frame["lgbm-q0.1"].mean(), frame["lgbm-q0.9"].mean()
    # Poisson(20): 80 % of days between 14 and 26
    assert 12 <= low <= 17 and 23 <= high <= 29 and 8 <= high - low <= 15
    assert (frame["lgbm-q0.95"] > frame["lgbm-q0.05"]).all()
    inv = tmp_path / "inv.json"
    result = promocast("inventory", "--db", str(poisson_db), "--service-level", "0.95",
                       "--lead-time", "3", "--json", str(inv))
    assert result.returncode == 0, result.stdout + result.stderr
    items = json.loads(inv.read_text())["items"]
    # the review period's and lead time's demand (10 days of ~20) has an sd of at least
    # sqrt(200) = 14 units: at 95 % a safety stock of some 20 units, not 0
    assert len(items) == 1 and items[0]["safety_stock"] > 10
