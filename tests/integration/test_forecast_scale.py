"""A shop too large for all of its history (issue 7): the forecast reads only the most recent
dates (``recent_start``), fits one recursive model above a size (``--strategy auto``), and
the panel it builds is lean (Arrow strings, no gap filling when there is no gap) without
changing a single value."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from conftest import load_demo_shop, promocast


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory):
    return load_demo_shop(tmp_path_factory.mktemp("scale"), seed=6, n_items=6, years=1.5)


def _sales_rows(db) -> pd.DataFrame:
    from promocast.data.storage import Store

    with Store(db, read_only=True) as store:
        return store.query("SELECT date, count(*) AS n FROM sales GROUP BY date ORDER BY date")


def test_recent_start_keeps_the_newest_dates_within_the_row_budget(db) -> None:
    from promocast.services.forecasting import recent_start

    counts = _sales_rows(db)
    dates, n = pd.to_datetime(counts["date"]), counts["n"].to_numpy()
    assert recent_start(db, max_rows=int(n.sum())) is None  # everything fits
    budget = int(n.sum() * 0.6)
    start = recent_start(db, max_rows=budget, min_days=30)
    kept = n[(dates >= start).to_numpy()].sum()
    assert kept <= budget < kept + n[(dates < start).to_numpy()][-1]  # one more date overflows
    # never shorter than min_days, whatever the budget
    assert recent_start(db, max_rows=10, min_days=200) == dates.max() - pd.Timedelta(days=200)


def test_lean_panel_equals_the_filled_panel(db) -> None:
    """The store's rows come sorted and gap-free: the fast path returns exactly what
    ``fill_gaps`` and the sort return; a frame with a gap still goes through ``fill_gaps``."""
    from promocast.forecasting import panel as panel_module
    from promocast.services.forecasting import load_panel

    lean = load_panel(db)
    assert lean.frame["unique_id"].dtype == pd.StringDtype("pyarrow")
    assert lean.frame["ds"].dtype == "datetime64[ns]"
    original = panel_module._one_row_a_day
    panel_module._one_row_a_day = lambda frame: False  # force fill_gaps
    try:
        filled = load_panel(db)
    finally:
        panel_module._one_row_a_day = original
    pd.testing.assert_frame_equal(lean.frame, filled.frame, check_dtype=False)

    frame = lean.frame[["unique_id", "ds", "y"]].copy()
    gap = frame.drop(index=frame.index[5])
    assert not panel_module._one_row_a_day(gap.reset_index(drop=True))
    out = panel_module.regular_panel(gap.reset_index(drop=True), "D")
    assert len(out) == len(frame) and out["observed"].iloc[5] == 0


def test_history_and_recursive_strategy_forecast_and_refresh(db, tmp_path) -> None:
    from promocast.services.refresh import latest_state

    out = tmp_path / "f.csv"
    result = promocast("forecast", "--horizon", "14", "--models", "lgbm", "--history", "200",
                       "--strategy", "recursive", "--out", str(out), "--json",
                       str(tmp_path / "f.json"), "--db", str(db))
    assert result.returncode == 0, result.stderr
    summary = json.loads((tmp_path / "f.json").read_text())
    last = pd.to_datetime(_sales_rows(db)["date"]).max()
    assert summary["strategy"] == "recursive"
    assert pd.Timestamp(summary["history_start"]) == last - pd.Timedelta(days=199)
    _, _, state = latest_state(db)
    assert len(state.buckets) == 1 and state.spec.strategy == "recursive"
    frame = pd.read_csv(out)
    q = frame[[c for c in frame.columns if c.startswith("lgbm-q")]].to_numpy()
    assert len(frame) == summary["series"] * 14 and (np.diff(q, axis=1) >= 0).all()

    auto = promocast("forecast", "--horizon", "14", "--models", "lgbm", "--out",
                     str(tmp_path / "a.csv"), "--json", str(tmp_path / "a.json"), "--db", str(db))
    assert auto.returncode == 0, auto.stderr
    assert json.loads((tmp_path / "a.json").read_text())["strategy"] == "direct"  # small shop


def test_bad_strategy_and_history_are_refused(db, tmp_path) -> None:
    bad = promocast("forecast", "--horizon", "14", "--strategy", "sideways", "--out",
                    str(tmp_path / "x.csv"), "--db", str(db))
    assert bad.returncode == 2 and "--strategy must be auto, direct or recursive" in bad.stderr
    short = promocast("forecast", "--horizon", "14", "--history", "20", "--out",
                      str(tmp_path / "x.csv"), "--db", str(db))
    assert short.returncode == 2 and "too short for --horizon 14" in short.stderr
    mixed = promocast("forecast", "--refresh", "--history", "100", "--out",
                      str(tmp_path / "x.csv"), "--db", str(db))
    assert mixed.returncode == 2 and "--history" in mixed.stderr
