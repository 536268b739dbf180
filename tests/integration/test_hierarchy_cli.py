"""``promocast forecast --levels``: coherent forecasts of total, categories and items in the file
and in the store, on a small demo shop."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import load_demo_shop, promocast
from promocast.data.storage import Store

MODELS = ("autoets", "lgbm")



@pytest.fixture(scope="module")
def shop_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo shop's data (16 items x 2 stores, one year) loaded into a store."""
    return load_demo_shop(tmp_path_factory.mktemp("hierarchy"), seed=1, n_items=16)


def test_levels_add_up_in_the_file_and_the_store(shop_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "f.csv"
    result = promocast("forecast", "--db", str(shop_db), "--horizon", "7", "--models", ",".join(MODELS),
                 "--levels", "total,category,item", "--quantiles", "0.1,0.9", "--out", str(out),
                 "--json", str(tmp_path / "f.json"))
    assert result.returncode == 0, result.stderr
    frame = pd.read_csv(out, parse_dates=["ds"])
    assert list(frame.columns[:6]) == ["level", "unique_id", "item_id", "store_id", "category",
                                       "ds"]
    assert set(frame["level"]) == {"total", "category", "item"}
    items = frame[frame["level"] == "item"]
    assert items["unique_id"].nunique() == 32 and frame["ds"].nunique() == 7
    total = frame[frame["level"] == "total"].set_index("ds")
    categories = frame[frame["level"] == "category"]
    tolerance = 32 * 5e-5 + 1e-6  # the CSV keeps 4 decimals
    for model in MODELS:
        by_day = items.groupby("ds")[model].sum()
        np.testing.assert_allclose(total.loc[by_day.index, model], by_day, atol=tolerance)
        by_day = categories.groupby("ds")[model].sum()
        np.testing.assert_allclose(total.loc[by_day.index, model], by_day, atol=tolerance)
        qcols = [f"{model}-q0.1", f"{model}-q0.5", f"{model}-q0.9"]
        values = frame[qcols].to_numpy()
        assert (values >= 0).all() and (np.diff(values, axis=1) >= -1e-4).all()
    summary = json.loads((tmp_path / "f.json").read_text())
    assert summary["levels"]["total"] == 1 and summary["levels"]["item"] == 32
    assert summary["reconcile"] == "wls_struct"
    with Store(shop_db, read_only=True) as store:
        stored = store.query("SELECT unique_id, item_id, model, quantile, value FROM forecasts "
                             "WHERE run_id = ?", [summary["run_id"]])
        params = json.loads(store.query("SELECT params FROM forecast_runs WHERE run_id = ?",
                                        [summary["run_id"]])["params"][0])
    assert params["levels"] == ["total", "category", "item"]
    assert len(stored) == len(frame) * len(MODELS) * 3
    total_rows = stored[(stored["unique_id"] == "total") & (stored["quantile"] == 0.5)]
    assert len(total_rows) == 7 * len(MODELS) and total_rows["item_id"].isna().all()
    assert stored["unique_id"].str.startswith("category=").any()


def run_in_process(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    """The console entry point's exit code, without a new interpreter (bad usage is refused
    before any data is read)."""
    from promocast.cli import app
    from promocast.cli.common import run_guarded

    monkeypatch.setattr(sys, "argv", ["promocast", *args])
    return run_guarded(app)


def test_unknown_level_or_method_exits_2(shop_db: Path, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    common = ["forecast", "--db", str(shop_db), "--horizon", "7", "--out", str(tmp_path / "x.csv")]
    assert run_in_process(monkeypatch, *common, "--levels", "total,brand") == 2
    assert "unknown level 'brand'" in capsys.readouterr().err
    assert run_in_process(monkeypatch, *common, "--levels", "total,item",
                          "--reconcile", "topdown") == 2
    assert "unknown reconciliation method 'topdown'" in capsys.readouterr().err
    assert run_in_process(monkeypatch, *common, "--reconcile", "ols") == 2
    assert "apply to --levels" in capsys.readouterr().err
    assert run_in_process(monkeypatch, *common, "--levels", "total,item", "--point", "mode") == 2
    assert "unknown --point 'mode'" in capsys.readouterr().err
    assert not (tmp_path / "x.csv").exists()


def test_level_backtest_scores_base_and_reconciled(shop_db: Path) -> None:
    """Seasonal naive forecasts of sums are sums of seasonal naive forecasts: already coherent,
    so reconciliation leaves them (and their WAPE) unchanged at every level."""
    from promocast.services.hierarchy import run_level_backtest

    document, points = run_level_backtest(shop_db, horizon=7, gap=1, folds=1,
                                          levels="total,category,store,item",
                                          models=["seasonal_naive", "ridge"])
    assert list(document["levels"]) == ["total", "category", "store", "category/store", "item"]
    for scores in document["levels"].values():
        naive = scores["seasonal_naive"]
        assert naive["base"] is not None and naive["base"] == pytest.approx(naive["reconciled"])
        assert scores["ridge"]["reconciled"] is not None
    np.testing.assert_allclose(points["seasonal_naive"], points["seasonal_naive-base"], rtol=1e-6,
                               atol=1e-9)
    steps = (points["ds"] - points["cutoff"]).dt.days
    assert steps.min() == 2 and steps.max() == 7
    assert set(points.loc[points["level"] == "total", "unique_id"]) == {"total"}


def test_backtest_by_level_from_the_command_line(shop_db: Path, tmp_path: Path) -> None:
    """``backtest --levels`` scores each level; seasonal naive is coherent already, so its base
    and reconciled WAPE agree; a bad level is a usage error."""
    doc = tmp_path / "levels.json"
    result = promocast("backtest", "--db", str(shop_db), "--horizon", "7", "--folds", "1",
                 "--models", "seasonal_naive", "--levels", "total,store,item", "--json", str(doc))
    assert result.returncode == 0, result.stderr
    document = json.loads(doc.read_text())
    assert list(document["levels"]) == ["total", "store", "item"]
    for scores in document["levels"].values():
        naive = scores["seasonal_naive"]
        assert naive["base"] == pytest.approx(naive["reconciled"])
    assert "base -> reconciled" in result.stdout
    bad = promocast("backtest", "--db", str(shop_db), "--horizon", "7", "--folds", "1",
              "--models", "seasonal_naive", "--levels", "total,brandx")
    assert bad.returncode == 2 and "brandx" in bad.stderr
