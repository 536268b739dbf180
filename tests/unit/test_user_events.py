"""The shop's own events (events table, kind ``user``) reach the forecaster: flags, run-up
and hangover per date, a flag per recurring event, a store's own events in its rows only;
and a forecast learns a recurring event's lift (QA5: a livestream day selling four times a
normal day was forecast at a normal day's level)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from promocast.features.calendar import build_calendar, event_features
from promocast.features.exogenous import calendar_features
from promocast.features.user_events import event_id, recurring


def _calendar(events: pd.DataFrame) -> pd.DataFrame:
    return build_calendar("2025-01-01", "2025-03-31", "CN", events)


def test_user_events_give_flags_distances_and_one_flag_per_recurring_event() -> None:
    events = pd.DataFrame({"date": ["2025-01-10", "2025-02-10", "2025-03-10", "2025-02-20"],
                           "event": ["直播", "直播", "直播", "店庆"]})
    calendar = _calendar(events)
    assert recurring(calendar) == ["直播"]
    dates = pd.Series(pd.to_datetime(["2025-02-08", "2025-02-10", "2025-02-13", "2025-02-20"]))
    feats = event_features(dates, calendar, window=14)
    assert feats["is_user_event"].tolist() == [0, 1, 0, 1]
    assert feats["days_to_user_event"].tolist() == [2, 0, 7, 0]
    assert feats["days_from_user_event"].tolist() == [14, 0, 3, 0]
    live = f"is_event_{event_id('直播')}"
    assert feats[live].tolist() == [0, 1, 0, 0]  # the one-off 店庆 has no flag of its own
    assert live.isascii()
    # without user events nothing is added (a shop without events keeps its features)
    plain = event_features(dates, _calendar(events.iloc[0:0]), window=14)
    assert not [c for c in plain if "user" in c or c.startswith("is_event_")]


def test_a_stores_own_event_counts_in_its_rows_only() -> None:
    events = pd.DataFrame({"date": ["2025-02-10", "2025-03-10"], "event": ["anniversary"] * 2,
                           "store_id": ["s1", "s1"]})
    calendar = _calendar(events)
    frame = pd.DataFrame({"unique_id": ["A/s1", "A/s2"] * 2, "store_id": ["s1", "s2"] * 2,
                          "ds": pd.to_datetime(["2025-02-10"] * 2 + ["2025-02-11"] * 2)})
    out = calendar_features(frame, calendar, window=14)
    flag = f"is_event_{event_id('anniversary')}"
    assert out["is_user_event"].tolist() == [1, 0, 0, 0]
    assert out[flag].tolist() == [1, 0, 0, 0]
    assert out["days_from_user_event"].tolist() == [0, 14, 1, 14]


def test_a_forecast_learns_the_lift_of_a_recurring_event(tmp_path: Path) -> None:
    """Two items sell ~20 a day and four times that on 10 livestream days a month apart; the
    events table lists them and the next one. Its forecast is about 4x its neighbours'."""
    from promocast.services.forecast import run_forecast
    from promocast.services.ingest import ingest

    rng = np.random.default_rng(0)
    days = pd.date_range("2025-01-01", "2025-12-31", freq="D")
    live = days[20::33][:10]
    upcoming = days[-1] + pd.Timedelta(days=5)
    rows = []
    for item in ("A", "B"):
        mean = np.where(days.isin(live), 80.0, 20.0)
        rows.append(pd.DataFrame({"date": days.strftime("%Y-%m-%d"), "item_id": item,
                                  "units": rng.poisson(mean), "price": 10.0}))
    pd.concat(rows).to_csv(tmp_path / "sales.csv", index=False)
    pd.DataFrame({"date": [*live.strftime("%Y-%m-%d"), upcoming.strftime("%Y-%m-%d")],
                  "event": "直播"}).to_csv(tmp_path / "events.csv", index=False)
    db = tmp_path / "shop.duckdb"
    ingest([tmp_path / "sales.csv", tmp_path / "events.csv"], db)
    out = tmp_path / "fc.csv"
    run_forecast(db, horizon=10, models=["lgbm"], out=out)
    forecast = pd.read_csv(out, parse_dates=["ds"])
    per_day = forecast.groupby("ds")["lgbm"].sum()
    normal = per_day.drop(upcoming).median()
    assert normal == pytest.approx(40, rel=0.2)
    assert per_day[upcoming] / normal > 2.5
