"""The Dask engine (issue 7): backtests and forecasts fitted on a Dask LocalCluster, reached by
its scheduler address as a real cluster would be, against the same runs on the local engine.

Statistical models fit series by series, so their Dask forecasts must equal the local ones.
LightGBM trains data-parallel on Dask (each worker bins its own partition): its forecasts may
differ slightly, its accuracy must not."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import load_demo_shop, promocast

STAT = ["seasonal_naive", "autoets", "autoarima_x"]  # autoarima_x: with X_df on the cluster too


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    from distributed import LocalCluster

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.ERROR)
    yield cluster.scheduler_address
    cluster.close()


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return load_demo_shop(tmp_path_factory.mktemp("dask"), seed=11, n_items=8, years=1.0)


def _wape(frame: pd.DataFrame, model: str) -> float:
    return float((frame["actual"] - frame[model]).abs().sum() / frame["actual"].sum())


def test_backtest_on_dask_equals_local(shop: Path, scheduler: str) -> None:
    """One fold through the engine, once locally and once on the cluster (one LightGBM model
    for the whole horizon: each Dask fit costs seconds of set-up)."""
    from promocast.forecasting.distributed import open_engine
    from promocast.forecasting.engine import ForecastSpec, backtest
    from promocast.services.forecasting import load_panel, rolling_cutoffs

    panel = load_panel(shop)
    spec = ForecastSpec(freq=panel.freq, horizon=14, models=[*STAT, "lgbm"],
                        season_length=panel.season_length, known=panel.known,
                        static=panel.static, direct_models=1)
    cutoffs = rolling_cutoffs(panel, 14, 1, 14)
    local = backtest(panel.frame, cutoffs, spec)
    with open_engine("dask", scheduler) as cluster:
        assert cluster is not None and cluster.partitions == 4  # two per worker
        dask = backtest(panel.frame, cutoffs, replace(spec, engine=cluster))
    keys = ["unique_id", "cutoff", "ds"]
    both = local.merge(dask, on=keys, suffixes=("", "_dask"))
    assert len(both) == len(local) == len(dask) > 100
    for model in STAT:  # series by series: the very same fits
        for column in [c for c in local.columns if c == model or c.startswith(f"{model}-q")]:
            np.testing.assert_allclose(both[column], both[f"{column}_dask"], rtol=1e-6,
                                       atol=1e-6, err_msg=column)
    # LightGBM, data-parallel: close forecasts, the same accuracy within a few points
    assert np.corrcoef(both["lgbm"], both["lgbm_dask"])[0, 1] > 0.9
    assert abs(_wape(local, "lgbm") - _wape(dask, "lgbm")) < 0.05
    inside = (both["actual"] >= both["lgbm-q0.1_dask"]) & (both["actual"] <= both["lgbm-q0.9_dask"])
    assert 0.6 < inside.mean() < 0.97  # the Dask model's quantiles are calibrated too


def test_forecast_cli_on_dask(shop: Path, scheduler: str, tmp_path: Path) -> None:
    out = tmp_path / "f.csv"
    done = promocast("forecast", "--horizon", "7", "--models", "autoets", "--engine", "dask",
                     "--scheduler", scheduler, "--out", str(out), "--db", str(shop))
    assert done.returncode == 0, done.stderr
    frame = pd.read_csv(out)
    assert frame["unique_id"].nunique() == 16 and len(frame) == 16 * 7
    q = frame[[f"autoets-q{q:g}" for q in (0.05, 0.5, 0.95)]].to_numpy()
    assert (q >= 0).all() and (np.diff(q, axis=1) >= 0).all()


def test_engine_options_are_checked(shop: Path) -> None:
    wrong = promocast("forecast", "--horizon", "7", "--engine", "spark", "--out", "x.csv",
                      "--db", str(shop))
    assert wrong.returncode == 2 and "--engine must be one of local, dask" in wrong.stderr
    lone = promocast("backtest", "--horizon", "7", "--scheduler", "tcp://127.0.0.1:1",
                     "--db", str(shop))
    assert lone.returncode == 2 and "--scheduler needs --engine dask" in lone.stderr
