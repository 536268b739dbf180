"""Calendars: holidays with China's make-up workdays, shopping festivals, event features."""

from __future__ import annotations

import pandas as pd
import pytest

from promocast.features.calendar import (
    build_calendar,
    event_features,
    public_holidays,
    shopping_festivals,
)


def _has(frame: pd.DataFrame, date: str, event: str | None = None, kind: str | None = None) -> bool:
    rows = frame[frame["date"] == pd.Timestamp(date)]
    if event:
        rows = rows[rows["event"].str.contains(event, regex=False)]
    if kind:
        rows = rows[rows["kind"] == kind]
    return len(rows) > 0


def test_china_holidays_and_makeup_workdays_2025() -> None:
    cn = public_holidays("CN", "2025-01-01", "2025-12-31")
    assert _has(cn, "2025-01-29", "Spring Festival", "holiday")
    assert _has(cn, "2025-09-28", kind="workday")  # a Sunday that was a workday
    assert _has(cn, "2025-01-26", kind="workday")
    assert not _has(cn, "2025-01-29", kind="workday")


def test_makeup_workdays_beyond_chinese_calendar_range_come_from_holidays() -> None:
    cn = public_holidays("CN", "2027-01-01", "2027-12-31")
    assert (cn["kind"] == "holiday").sum() > 10


def test_festivals_cn_and_us() -> None:
    cn = shopping_festivals("CN", "2024-01-01", "2025-12-31")
    assert _has(cn, "2025-06-18", "festival_618")
    assert _has(cn, "2024-11-11", "double_11")
    assert _has(cn, "2025-01-29", "spring_festival")
    assert _has(cn, "2024-02-10", "spring_festival")
    us = shopping_festivals("US", "2024-01-01", "2024-12-31")
    assert _has(us, "2024-11-29", "black_friday")
    assert _has(us, "2024-12-02", "cyber_monday")


def test_user_events_merge_without_duplicates() -> None:
    user = pd.DataFrame({"date": ["2024-03-15", "2024-11-11"], "event": ["brand_day", "double_11"]})
    cal = build_calendar("2024-01-01", "2024-12-31", "CN", user)
    assert _has(cal, "2024-03-15", "brand_day", "user")
    assert not cal.duplicated(["date", "event", "store_id"]).any()


def test_unknown_country_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown country 'XX'"):
        public_holidays("XX", "2024-01-01", "2024-12-31")


def test_event_features_count_days_to_and_from() -> None:
    cal = build_calendar("2024-01-01", "2024-12-31", "CN")
    dates = pd.to_datetime(["2024-11-04", "2024-11-11", "2024-11-13", "2024-07-01"])
    feats = event_features(dates, cal, window=14)
    assert feats["days_to_double_11"].tolist() == [7, 0, 14, 14]
    assert feats["days_from_double_11"].tolist() == [14, 0, 2, 14]
    assert feats["days_from_festival_618"].tolist()[3] == 13
    assert feats["is_festival"].tolist() == [0, 1, 0, 0]
    assert feats["days_to_double_11"].dtype == "float32"
