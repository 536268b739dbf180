"""A new item with ten days of history gets a forecast (it used to be left out and named):
its own level, shaped and spread like its category's items in the same store."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from conftest import load_demo_shop, promocast
from promocast.data.storage import Store
from promocast.forecasting.metrics import quantile_column
from promocast.forecasting.young import young_forecasts, young_level

LEVEL = 40


@pytest.fixture(scope="module")
def shop_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo shop plus NEW1, launched 10 days before the end at Poisson(40) a day, with 3
    launch days at 30 % off that sold double."""
    from promocast.services.ingest import ingest

    root = tmp_path_factory.mktemp("young")
    db = load_demo_shop(root, seed=2, n_items=6, years=0.5)
    with Store(db, read_only=True) as store:
        last = store.query("SELECT store_id, max(date) AS d FROM sales GROUP BY 1")
        category = store.query("SELECT category FROM items LIMIT 1")["category"].iloc[0]
    store_id, end = last["store_id"].iloc[0], pd.Timestamp(last["d"].max())
    rng = np.random.default_rng(0)
    days = pd.date_range(end - pd.Timedelta(days=9), end)
    launch = np.arange(len(days)) < 3
    sales = pd.DataFrame({"date": days.date, "item_id": "NEW1", "store_id": store_id,
                          "units": rng.poisson(np.where(launch, 2 * LEVEL, LEVEL)),
                          "price": np.where(launch, 7.0, 10.0), "base_price": 10.0,
                          "on_promo": launch.astype(int)})
    sales.to_csv(root / "sales_new.csv", index=False)
    pd.DataFrame({"item_id": ["NEW1"], "category": [category], "base_price": [10.0],
                  "unit_cost": [6.0]}).to_csv(root / "items_new.csv", index=False)
    ingest([root / "items_new.csv", root / "sales_new.csv"], db)
    return db


def test_a_new_item_is_forecast_from_its_level_and_its_peers_shape(shop_db: Path,
                                                                   tmp_path: Path) -> None:
    out, summary = tmp_path / "f.csv", tmp_path / "f.json"
    result = promocast("forecast", "--db", str(shop_db), "--horizon", "14", "--models", "lgbm",
                       "--out", str(out), "--json", str(summary))
    assert result.returncode == 0, result.stderr
    doc = json.loads(summary.read_text())
    assert doc["young_series"]["series"] == 1 and "NEW1" in doc["young_series"]["examples"][0]
    assert not (doc["not_forecast"] or {}).get("too_short")
    # a shop of steady sellers: its medians add up (forecasting.totals)
    assert "medians_under_means" in doc and doc["medians_under_means"] is None
    assert "1 young series" in result.stdout
    frame = pd.read_csv(out)
    new = frame[frame["item_id"] == "NEW1"]
    qcols = [c for c in frame.columns if c.startswith("lgbm-q")]
    assert len(new) == 14 and len(qcols) == 7
    # its level off the launch deal (40), not inflated by the 3 promoted days (~52)
    assert new["lgbm"].mean() == pytest.approx(LEVEL, rel=0.2)
    assert (np.diff(new[qcols].to_numpy(), axis=1) >= -1e-9).all()  # quantiles never cross
    # at least Poisson-wide around each day's expected units
    mean = new["lgbm"].to_numpy()
    poisson = stats.poisson.ppf(0.95, mean) - stats.poisson.ppf(0.05, mean)
    assert ((new["lgbm-q0.95"] - new["lgbm-q0.05"]).to_numpy() >= poisson).all()
    with Store(shop_db, read_only=True) as store:
        kept = store.query("SELECT count(*) AS n FROM forecasts WHERE item_id = 'NEW1'")
    assert kept["n"].iloc[0] == 14 * 7


def test_young_forecasts_follow_the_peers_shape_and_fall_back_to_the_store() -> None:
    days = pd.date_range("2026-01-01", periods=4)
    peers = pd.DataFrame({"unique_id": ["a"] * 4 + ["b"] * 4, "ds": list(days) * 2,
                          "store_id": "s1", "category": ["tea"] * 4 + ["milk"] * 4,
                          "m": [20, 40, 20, 40, 5, 5, 5, 5.0]})
    peers[quantile_column("m", 0.9)] = peers["m"] * 1.5
    history = pd.DataFrame({"unique_id": "n", "ds": pd.date_range("2025-12-20", periods=6),
                            "y": [100, 100, 6, 6, 6, 6.0], "promo": [1, 1, 0, 0, 0, 0]})
    assert young_level(history)["n"] == 6  # the promoted days left out
    grid = pd.DataFrame({"unique_id": "n", "ds": days, "item_id": "N", "store_id": "s1",
                         "category": "tea"})
    got = young_forecasts(history, grid, peers, ["m"], [0.9])
    assert got["m"].tolist() == pytest.approx([4, 8, 4, 8])  # 6 x the tea shape (20, 40) / 30
    # its own spread (4 steady periods: Poisson), not the peers' 1.5 x the median
    assert got[quantile_column("m", 0.9)].tolist() == [7, 12, 7, 12]  # Poisson(4), (8) 90 %
    noisy = history.assign(y=[100, 100, 2, 10, 2, 10.0])  # variance 21 over a mean of 6
    wide = young_forecasts(noisy, grid, peers, ["m"], [0.9])[quantile_column("m", 0.9)]
    assert (wide.to_numpy() > [7, 12, 7, 12]).all()
    # a category with no forecast peer in the store takes the store's
    other = young_forecasts(history, grid.assign(category="coffee"), peers, ["m"], [0.9])
    assert other["m"].mean() == pytest.approx(6)
    # and so does one whose peers sell too little for a shape (2 a period: noise)
    slow = peers.assign(m=[1, 3, 1, 3, 30, 30, 30, 30.0])
    steady = young_forecasts(history, grid, slow, ["m"], [0.9])["m"].to_numpy()
    assert steady == pytest.approx(6 * np.array([15.5, 16.5, 15.5, 16.5]) / 16)


def test_a_what_if_on_a_new_item_has_a_baseline(shop_db: Path, tmp_path: Path) -> None:
    """QA4: 'no baseline forecast for item D27 ... lengthen the horizon' for a young item."""
    with Store(shop_db, read_only=True) as store:
        end = pd.Timestamp(store.query("SELECT max(date) AS d FROM sales")["d"].iloc[0])
    scenario = tmp_path / "new.csv"
    pd.DataFrame([{"promo_id": "N1", "promo_type": "percent_off", "item_id": "NEW1",
                   "discount_pct": 20, "start_date": str((end + pd.Timedelta(days=3)).date()),
                   "end_date": str((end + pd.Timedelta(days=5)).date())}]).to_csv(scenario,
                                                                                 index=False)
    out = tmp_path / "sim.json"
    result = promocast("promo", "simulate", "--db", str(shop_db), "--scenario", str(scenario),
                       "--json", str(out))
    assert result.returncode == 0, result.stderr
    days = pd.DataFrame(json.loads(out.read_text())["days"])
    new = days[(days["item_id"] == "NEW1") & (days["promoted_days"] > 0)]
    assert len(new) == 3
    assert new["baseline_units"].mean() == pytest.approx(LEVEL, rel=0.25)
    assert (new["incremental_units"] > 0).all()
