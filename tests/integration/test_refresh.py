"""Incremental refresh (issue 7): a forecast keeps its fitted global models; after one new day
is ingested, `forecast --refresh` forecasts from the new end with those models, untrained
again, and gives what the same models give when handed the whole new history."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from conftest import promocast

HORIZON = 14


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A demo shop whose last day of sales arrives after the first forecast."""
    from promocast.services.ingest import ingest
    from promocast.testing.demo_shop import generate

    root = tmp_path_factory.mktemp("refresh")
    generated = generate(root / "data", seed=4, n_items=8, years=1.0)
    sales = pd.read_csv(generated.files["sales"])
    last_day = sales["date"].max()
    sales[sales["date"] < last_day].to_csv(root / "sales.csv", index=False)
    sales[sales["date"] == last_day].to_csv(root / "new_day_sales.csv", index=False)
    db = root / "shop.duckdb"
    ingest([generated.files[t] for t in ("stores", "items", "promotions", "events",
                                         "inventory") if t in generated.files]
           + [root / "sales.csv"], db)
    return {"root": root, "db": db, "last_day": pd.Timestamp(last_day)}


def test_refresh_appends_the_new_day_without_retraining(shop: dict) -> None:
    from promocast.services.refresh import latest_state

    db, root = shop["db"], shop["root"]
    first = promocast("forecast", "--horizon", str(HORIZON), "--models", "lgbm,ridge",
                      "--out", str(root / "f0.csv"), "--db", str(db))
    assert first.returncode == 0, first.stderr
    run0, _, before = latest_state(db)
    trees0 = [b.forecaster.models_["lgbm"].booster_.model_to_string()
              for b in before.buckets if "lgbm" in b.models]
    nothing = promocast("forecast", "--refresh", "--out", str(root / "x.csv"), "--db", str(db))
    assert nothing.returncode == 2 and "no new periods" in nothing.stderr

    ingested = promocast("ingest", str(root / "new_day_sales.csv"), "--table", "sales",
                         "--db", str(db))
    assert ingested.returncode == 0, ingested.stderr
    done = promocast("forecast", "--refresh", "--out", str(root / "f1.csv"), "--json",
                     str(root / "f1.json"), "--db", str(db))
    assert done.returncode == 0, done.stderr
    summary = json.loads((root / "f1.json").read_text())
    assert summary["refresh_of"] == run0 and summary["new_rows"] == summary["series"] == 16
    assert summary["new_periods"] == 1  # one new day, not 16 (QA5 #19: dates, rows apart)
    assert summary["new_from"] == summary["new_to"] == str(shop["last_day"].date())
    assert "1 day appended" in done.stdout and "16 rows" in done.stdout
    refreshed = pd.read_csv(root / "f1.csv", parse_dates=["ds"])
    old = pd.read_csv(root / "f0.csv", parse_dates=["ds"])
    assert refreshed["ds"].min() == shop["last_day"] + pd.Timedelta(days=1)
    assert refreshed["ds"].min() == old["ds"].min() + pd.Timedelta(days=1)
    assert len(refreshed) == 16 * HORIZON
    run1, _, after = latest_state(db)
    assert run1 == summary["run_id"]
    trees1 = [b.forecaster.models_["lgbm"].booster_.model_to_string()
              for b in after.buckets if "lgbm" in b.models]
    assert trees1 == trees0  # not retrained

    # the same kept models handed the whole new history give the same forecasts
    from promocast.data.storage import Store
    from promocast.features.calendar import build_calendar
    from promocast.forecasting.engine import (
        _join_pieces,
        _ml_quantiles,
        _own_steps,
        training_frame,
    )
    from promocast.forecasting.scaling import categorical_statics
    from promocast.services.forecast import future_inputs
    from promocast.services.forecasting import load_panel

    panel = load_panel(db)
    spec = before.spec
    future = refreshed[["unique_id", "ds"]].drop_duplicates()
    known = panel.frame.set_index(["unique_id", "ds"])  # the new day is history now
    assert not future.set_index(["unique_id", "ds"]).index.isin(known.index).any()

    with Store(db, read_only=True) as store:
        promotions, items = store.read("promotions"), store.read("items", ["item_id", "category"])
        events = store.query("SELECT date, event, store_id FROM events")
    calendar = build_calendar(panel.frame["ds"].min(),
                              panel.frame["ds"].max() + pd.Timedelta(days=800), "CN", events)
    x = future_inputs(panel.frame, spec.freq, HORIZON, spec.known, promotions, items, calendar)
    x = x[["unique_id", "ds", *spec.known]].sort_values(["unique_id", "ds"])
    step = x.groupby("unique_id").cumcount().to_numpy() + 1
    pieces = []
    for bucket in before.buckets:
        # the history as the models were trained on it (float32 targets: float64 lags can
        # fall on the other side of a split)
        history = categorical_statics(training_frame(panel.frame, spec), spec, bucket.models)
        piece = bucket.forecaster.predict(h=bucket.last, new_df=history,
                                          X_df=x[step <= bucket.last])
        pieces.append((bucket.models, _own_steps(piece, bucket.first)))
    expected = _ml_quantiles(_join_pieces(pieces, spec), before.residuals, spec)
    both = refreshed.merge(expected, on=["unique_id", "ds"], suffixes=("", "_expected"))
    assert len(both) == len(refreshed)
    for column in ("lgbm", "ridge", "lgbm-q0.05", "lgbm-q0.95"):
        np.testing.assert_allclose(both[column], both[f"{column}_expected"], rtol=1e-3,
                                   atol=1e-3, err_msg=column)
