"""Calendars: holidays with China's make-up workdays, shopping festivals, event features.

Expected dates are the published ones (State Council notices for China, the US federal
calendar); distances are counted by hand on a wall calendar.
"""

from __future__ import annotations

import time

import pandas as pd
import pytest

from promocast.features.calendar import (
    EVENT_IDS,
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
    assert list(cn.columns) == ["date", "event", "kind", "country"]
    assert cn["date"].dtype == "datetime64[ns]"
    assert _has(cn, "2025-01-29", "Spring Festival", "holiday")
    assert _has(cn, "2025-09-28", kind="workday")  # a Sunday that was a workday
    assert _has(cn, "2025-01-26", kind="workday")  # another Sunday, before the Spring Festival
    assert not _has(cn, "2025-01-29", kind="workday")
    assert _has(cn, "2025-10-04", "National Day", "holiday")  # Saturday inside Golden Week
    workdays = cn.loc[cn["kind"] == "workday", "date"]
    assert (workdays.dt.weekday >= 5).all()
    assert not cn.duplicated(["date", "kind"]).any()
    assert set(cn["country"]) == {"CN"}


def test_china_beyond_chinese_calendar_keeps_holidays_without_workdays() -> None:
    cn = public_holidays("cn", "2027-01-01", "2027-12-31")
    assert (cn["kind"] == "holiday").sum() > 10
    assert _has(cn, "2027-10-01", "National Day", "holiday")
    assert not (cn["kind"] == "workday").any()  # 2027's 调休 plan is not published in either library


def test_other_countries_use_the_holidays_package_in_english() -> None:
    us = public_holidays("US", "2024-01-01", "2024-12-31")
    assert _has(us, "2024-11-28", "Thanksgiving", "holiday")
    assert set(us["kind"]) == {"holiday"}
    assert _has(public_holidays("DE", "2024-01-01", "2024-12-31"), "2024-04-01", "Easter Monday")


def test_unknown_country_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown country 'XX'.*list_supported_countries"):
        public_holidays("XX", "2024-01-01", "2024-12-31")
    with pytest.raises(ValueError, match="unknown country"):
        build_calendar("2024-01-01", "2024-12-31", "XX")


def test_end_before_start_is_refused() -> None:
    with pytest.raises(ValueError, match="before its start"):
        public_holidays("CN", "2024-12-31", "2024-01-01")


def test_festivals_cn() -> None:
    cn = shopping_festivals("CN", "2024-01-01", "2025-12-31")
    assert _has(cn, "2025-06-18", "festival_618", "festival")
    assert _has(cn, "2024-11-11", "double_11")
    assert _has(cn, "2024-12-12", "double_12")
    assert _has(cn, "2024-03-08", "festival_38")
    assert _has(cn, "2024-05-20", "festival_520")
    assert _has(cn, "2025-01-29", "spring_festival")
    assert _has(cn, "2024-02-10", "spring_festival")
    assert len(cn) == 2 * 6  # six festivals a year, each once
    # Lunar new year beyond chinese_calendar's range comes from the holidays package.
    assert _has(shopping_festivals("CN", "2027-01-01", "2027-12-31"), "2027-02-06", "spring_festival")


def test_festivals_us_and_none_elsewhere() -> None:
    us = shopping_festivals("US", "2024-01-01", "2025-12-31")
    assert _has(us, "2024-11-29", "black_friday")
    assert _has(us, "2024-12-02", "cyber_monday")
    assert _has(us, "2025-11-28", "black_friday")  # Thanksgiving 2025 is 27 November
    assert _has(us, "2025-12-01", "cyber_monday")
    gb = shopping_festivals("GB", "2024-01-01", "2024-12-31")
    assert gb.empty
    assert gb["date"].dtype == "datetime64[ns]"


def test_range_bounds_are_inclusive() -> None:
    cn = shopping_festivals("CN", "2024-11-11", "2024-12-12")
    assert cn["event"].tolist() == ["double_11", "double_12"]


def test_user_events_merge_without_duplicates() -> None:
    user = pd.DataFrame({
        "date": ["2024-03-15", "2024-11-11", "2024-06-01", "2023-06-01"],
        "event": ["brand_day", "double_11", "store_anniversary", "too_early"],
        "store_id": [None, None, "S2", None],
    })
    cal = build_calendar("2024-01-01", "2024-12-31", "CN", user)
    assert list(cal.columns) == ["date", "event", "kind", "store_id"]
    assert _has(cal, "2024-03-15", "brand_day", "user")
    assert cal.loc[cal["event"] == "store_anniversary", "store_id"].tolist() == ["S2"]
    assert cal.loc[cal["event"] == "brand_day", "store_id"].tolist() == ["all"]
    assert cal.loc[cal["event"] == "double_11", "kind"].tolist() == ["festival"]  # built-in kept
    assert not cal.duplicated(["date", "event", "store_id"]).any()
    assert "too_early" not in set(cal["event"])
    assert cal["date"].is_monotonic_increasing
    assert set(cal["kind"]) == {"holiday", "workday", "festival", "user"}
    assert cal.equals(build_calendar("2024-01-01", "2024-12-31", "CN", user.iloc[::-1]))


def test_event_features_count_days_to_and_from() -> None:
    cal = build_calendar("2024-01-01", "2024-12-31", "CN")
    dates = pd.to_datetime(["2024-11-04", "2024-11-11", "2024-11-13", "2024-07-01"])
    feats = event_features(dates, cal, window=14)
    assert feats["days_to_double_11"].tolist() == [7, 0, 14, 14]
    assert feats["days_from_double_11"].tolist() == [14, 0, 2, 14]
    assert feats["days_to_double_12"].tolist() == [14, 14, 14, 14]  # 38 and 29 days: capped
    assert feats["days_from_festival_618"].tolist()[3] == 13
    assert feats["is_festival"].tolist() == [0, 1, 0, 0]
    assert feats["days_to_double_11"].dtype == "float32"
    expected = {f"days_{side}_{e}" for e in [*EVENT_IDS[:6], "holiday"] for side in ("to", "from")}
    assert set(feats.columns) == expected | {"is_holiday", "is_workday_override", "is_festival"}


def test_event_features_holiday_group_and_workday_override() -> None:
    cal = build_calendar("2024-01-01", "2024-12-31", "CN")
    # 2024-09-29 was a make-up workday (Sunday); Mid-Autumn ran 15-17 September and National
    # Day starts 1 October.
    feats = event_features(pd.Series(pd.to_datetime(["2024-09-29", "2024-10-01"])), cal)
    assert feats["days_to_holiday"].tolist() == [2, 0]
    assert feats["days_from_holiday"].tolist() == [12, 0]
    assert feats["is_workday_override"].tolist() == [1, 0]
    assert feats["is_holiday"].tolist() == [0, 1]


def test_event_features_choice_of_events_window_and_index() -> None:
    user = pd.DataFrame({"date": ["2024-03-15"], "event": ["brand_day"]})
    cal = build_calendar("2024-01-01", "2024-12-31", "CN", user)
    dates = pd.Series(pd.to_datetime(["2024-03-10", "2024-03-18"]), index=[10, 20])
    feats = event_features(dates, cal, events=["brand_day", "black_friday"], window=3)
    assert list(feats.index) == [10, 20]
    assert feats["days_to_brand_day"].tolist() == [3, 3]  # 5 days, capped at 3
    assert feats["days_from_brand_day"].tolist() == [3, 3]
    assert feats["days_to_black_friday"].tolist() == [3, 3]  # absent from a CN calendar
    assert "days_to_double_11" not in feats


def test_event_features_weekly_flags_cover_the_week() -> None:
    cal = build_calendar("2024-01-01", "2024-12-31", "CN")
    weeks = pd.to_datetime(["2024-11-04", "2024-11-07", "2024-11-11"])  # 11-07..11-13 holds 11-11
    assert event_features(weeks, cal, period_days=7)["is_festival"].tolist() == [0, 1, 1]
    assert event_features(weeks, cal)["is_festival"].tolist() == [0, 0, 1]


def test_event_features_are_fast() -> None:
    cal = build_calendar("2020-01-01", "2026-12-31", "CN")
    dates = pd.Series(pd.date_range("2020-06-01", periods=2000, freq="D"))
    events = [*EVENT_IDS, "holiday", "spring_festival", "double_11"][:10]
    started = time.perf_counter()
    feats = event_features(dates, cal, events=events)
    assert time.perf_counter() - started < 0.5
    assert len(feats) == 2000
    assert feats.filter(like="days_").max().max() == 14
