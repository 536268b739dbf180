"""A backtest's ``series`` counts the series it scored; the rest are named with a reason
(QA5 #19: 24 series said, 22 scored: two discontinued series had no actual in any window)."""

from __future__ import annotations

import pandas as pd

from promocast.services.forecasting import series_not_scored


def _panel() -> pd.DataFrame:
    days = pd.date_range("2024-01-01", periods=60, freq="D")
    frames = []
    for sid, observed in (("A", 1), ("GONE", 0), ("NEW", 1)):
        rows = pd.DataFrame({"unique_id": sid, "ds": days, "y": 1.0, "observed": 1})
        if sid == "GONE":  # discontinued on day 30: later rows are gaps
            rows.loc[rows["ds"] >= days[30], "observed"] = observed
        frames.append(rows)
    return pd.concat(frames, ignore_index=True)


def test_unscored_series_are_counted_by_reason() -> None:
    frame = _panel()
    cutoffs = [pd.Timestamp("2024-02-05"), pd.Timestamp("2024-02-12")]
    predictions = pd.DataFrame({"unique_id": ["A"] * 2, "ds": cutoffs})
    left = series_not_scored(frame, predictions, cutoffs, freq="D", horizon=7, gap=0)
    assert left["count"] == 2
    groups = {g["reason"]: g for g in left["groups"]}
    assert groups["no_actual"]["ids"] == ["GONE"] and groups["no_actual"]["count"] == 1
    assert groups["too_short"]["ids"] == ["NEW"]  # had actuals: only the fit left it out
    assert "discontinued" in groups["no_actual"]["message"]


def test_a_gap_step_is_no_scored_actual() -> None:
    frame = _panel()
    frame.loc[(frame["unique_id"] == "GONE") & (frame["ds"] == "2024-02-06"), "observed"] = 1
    cutoffs = [pd.Timestamp("2024-02-05")]
    predictions = pd.DataFrame({"unique_id": ["A", "NEW"], "ds": cutoffs * 2})
    assert series_not_scored(frame, predictions, cutoffs, freq="D", horizon=7,
                             gap=1)["groups"][0]["reason"] == "no_actual"
    assert series_not_scored(frame, predictions, cutoffs, freq="D", horizon=7,
                             gap=0)["groups"][0]["reason"] == "too_short"


def test_everything_scored_is_an_empty_list() -> None:
    frame = _panel()
    predictions = pd.DataFrame({"unique_id": ["A", "GONE", "NEW"]})
    assert series_not_scored(frame, predictions, [pd.Timestamp("2024-02-05")], freq="D",
                             horizon=7, gap=0) == {"count": 0, "groups": []}
