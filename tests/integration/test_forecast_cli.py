"""backtest and forecast from the command line on a small demo shop (DESIGN §3 contracts)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import promocast
from promocast.data.storage import Store
from promocast.forecasting.metrics import evaluate
from promocast.services.demo import run_demo

METRICS = {"mae", "rmse", "mape", "smape", "wape", "mase", "rmsse", "pinball", "coverage_80"}



@pytest.fixture(scope="module")
def shop_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    return run_demo(out, seed=1, n_items=16, years=1.0).db


def test_backtest_json_and_predictions(shop_db: Path, tmp_path: Path) -> None:
    result = promocast("backtest", "--db", str(shop_db), "--horizon", "7", "--gap", "1", "--folds", "2",
                 "--step", "7", "--models", "seasonal_naive,ridge,lgbm,ensemble",
                 "--json", str(tmp_path / "bt.json"), "--predictions", str(tmp_path / "p.csv"))
    assert result.returncode == 0, result.stderr
    doc = json.loads((tmp_path / "bt.json").read_text())
    assert (doc["horizon"], doc["gap"], doc["folds"], doc["series"]) == (7, 1, 2, 32)
    assert set(doc["models"]) == {"seasonal_naive", "ridge", "lgbm", "ensemble"}
    for scores in doc["models"].values():
        assert set(scores) >= METRICS
    assert doc["best"] in doc["models"]
    ensemble = doc["models"]["ensemble"]
    assert set(ensemble["weights"]) == set(ensemble["members"])
    assert abs(sum(ensemble["weights"].values()) - 1.0) < 1e-6
    predictions = pd.read_csv(tmp_path / "p.csv", parse_dates=["cutoff", "ds"])
    assert list(predictions.columns[:4]) == ["unique_id", "cutoff", "ds", "actual"]
    # ``series`` counts what was scored; the others are named (QA5 #19)
    assert doc["series"] == predictions["unique_id"].nunique()
    assert doc["series_in_data"] == doc["series"] + doc["series_not_scored"]["count"]
    steps = (predictions["ds"] - predictions["cutoff"]).dt.days
    assert steps.min() == 2 and steps.max() == 7  # gap 1: step 1 neither scored nor written
    recomputed = evaluate(predictions, ["lgbm"])["lgbm"]
    assert abs(recomputed["wape"] - doc["models"]["lgbm"]["wape"]) < 1e-3
    assert abs(recomputed["mape"] - doc["models"]["lgbm"]["mape"]) < 1e-3
    with Store(shop_db, read_only=True) as store:
        kinds = store.query("SELECT kind FROM forecast_runs")["kind"].tolist()
    assert "backtest" in kinds


def test_forecast_file_store_and_scenario(shop_db: Path, tmp_path: Path) -> None:
    base = tmp_path / "fc.csv"
    result = promocast("forecast", "--db", str(shop_db), "--horizon", "14", "--models", "lgbm",
                 "--out", str(base), "--json", str(tmp_path / "fc.json"))
    assert result.returncode == 0, result.stderr
    assert base.read_bytes().startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM, for Excel
    frame = pd.read_csv(base, parse_dates=["ds"])
    qcols = [c for c in frame.columns if c.startswith("lgbm-q")]
    assert len(qcols) == 7 and len(frame) == 32 * 14
    values = frame[qcols].to_numpy()
    assert (values >= 0).all() and (np.diff(values, axis=1) >= -1e-9).all()
    run_id = json.loads((tmp_path / "fc.json").read_text())["run_id"]
    with Store(shop_db, read_only=True) as store:
        stored = store.query("SELECT count(*) AS n FROM forecasts WHERE run_id = ?", [run_id])
    assert int(stored["n"][0]) == 32 * 14 * 7
    # A deep planned discount on one item raises its forecast over the promotion's dates.
    item = frame.groupby("item_id")["lgbm"].sum().idxmax()
    start, end = frame["ds"].min() + pd.Timedelta(days=3), frame["ds"].min() + pd.Timedelta(days=6)
    scenario = tmp_path / "scenario.csv"
    scenario.write_text("promo_id,promo_type,start_date,end_date,item_id,discount_pct\n"
                        f"PLAN1,percent_off,{start.date()},{end.date()},{item},40\n")
    planned = tmp_path / "fc_plan.csv"
    result = promocast("forecast", "--db", str(shop_db), "--horizon", "14", "--models", "lgbm",
                 "--out", str(planned), "--scenario", str(scenario))
    assert result.returncode == 0, result.stderr
    after = pd.read_csv(planned, parse_dates=["ds"])
    window = (frame["item_id"] == item) & frame["ds"].between(start, end)
    assert after.loc[window, "lgbm"].sum() > 1.2 * frame.loc[window, "lgbm"].sum()


def test_bad_usage_exits_2(shop_db: Path) -> None:
    assert promocast("backtest", "--db", str(shop_db), "--horizon", "7", "--models", "nosuch").returncode == 2
    assert promocast("backtest", "--db", str(shop_db), "--horizon", "3", "--gap", "3").returncode == 2


def test_forecast_builds_the_ensemble_the_backtest_scored(shop_db: Path, tmp_path: Path) -> None:
    from promocast.forecasting.metrics import quantile_column
    from promocast.services.forecast import latest_ensemble

    result = promocast("backtest", "--db", str(shop_db), "--horizon", "7", "--folds", "2",
                       "--step", "7", "--models", "seasonal_naive,window_average,ridge,ensemble",
                       "--json", str(tmp_path / "bt.json"))
    assert result.returncode == 0, result.stderr
    blend = json.loads((tmp_path / "bt.json").read_text())["models"]["ensemble"]
    assert set(blend["spread"]) == {"0.05", "0.1", "0.25", "0.75", "0.9", "0.95"}
    assert latest_ensemble(shop_db, "W") is None  # only a daily backtest is kept
    done = promocast("forecast", "--db", str(shop_db), "--horizon", "7", "--models", "ensemble",
                     "--out", str(tmp_path / "fc.parquet"), "--json", str(tmp_path / "fc.json"))
    assert done.returncode == 0, done.stderr
    summary = json.loads((tmp_path / "fc.json").read_text())
    run_id = json.loads((tmp_path / "bt.json").read_text())["run_id"]
    assert summary["ensemble"] == {"backtest": run_id, "weights": blend["weights"]}
    assert summary["models"] == [*blend["members"], "ensemble"]
    frame = pd.read_parquet(tmp_path / "fc.parquet")  # full precision (the CSV keeps 4 decimals)
    weights = blend["weights"]
    mix = sum(w * frame[m] for m, w in weights.items()) / sum(weights.values())
    np.testing.assert_allclose(frame["ensemble"], mix.clip(lower=0), rtol=1e-6, atol=1e-4)
    qcols = [quantile_column("ensemble", q) for q in (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95)]
    values = frame[qcols].to_numpy()
    assert (values >= 0).all() and (np.diff(values, axis=1) >= -1e-9).all()
    # each quantile is the members' weighted one rescaled around the median by the backtest's
    # factor (then sorted: rescaled quantiles may cross)
    expected = []
    for q in (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95):
        bound = sum(w * frame[quantile_column(m, q)] for m, w in weights.items()) / sum(
            weights.values())
        scale = 1.0 if q == 0.5 else blend["spread"][f"{q:g}"]
        expected.append((mix + scale * (bound - mix)).clip(lower=0).to_numpy())
    np.testing.assert_allclose(values, np.sort(np.column_stack(expected), axis=1), rtol=1e-6,
                               atol=1e-4)
    with Store(shop_db, read_only=True) as store:
        kept = store.query("SELECT DISTINCT model FROM forecasts WHERE run_id = ?",
                           [summary["run_id"]])["model"].tolist()
    assert "ensemble" in kept


def test_backtest_on_mape_trains_lightgbm_for_mape(shop_db: Path, tmp_path: Path) -> None:
    """``--metric mape``: LightGBM learns the MAPE objective on raw units, the best model is
    chosen on MAPE, and LightGBM's point forecast, MAPE-optimal, scores a lower MAPE than the
    median its own residuals put around it (a point equal to the median would fail)."""
    result = promocast("backtest", "--db", str(shop_db), "--horizon", "7", "--folds", "2",
                       "--step", "7", "--models", "ridge,lgbm,ensemble", "--metric", "mape",
                       "--json", str(tmp_path / "bt.json"), "--predictions",
                       str(tmp_path / "p.parquet"))
    assert result.returncode == 0, result.stderr
    doc = json.loads((tmp_path / "bt.json").read_text())
    assert doc["selection_metric"] == "mape"
    mapes = {m: s["mape"] for m, s in doc["models"].items()}
    assert doc["best"] == min(mapes, key=mapes.get)
    predictions = pd.read_parquet(tmp_path / "p.parquet")
    recomputed = evaluate(predictions, ["lgbm"])["lgbm"]
    assert abs(recomputed["mape"] - mapes["lgbm"]) < 1e-3
    median = evaluate(predictions.assign(lgbm=predictions["lgbm-q0.5"]), ["lgbm"])["lgbm"]
    assert recomputed["mape"] < median["mape"] - 1.0, (recomputed["mape"], median["mape"])
