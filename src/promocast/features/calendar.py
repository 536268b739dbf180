"""Calendars: public holidays, make-up workdays, shopping festivals, and event features.

Public holidays come from the ``holidays`` package for any country it knows. China also shifts
weekends (调休: a Sunday can be a workday); ``chinese_calendar`` knows those make-up workdays
for 2004-2026, and outside that range the package's "Day off (substituted from MM/DD/YYYY)"
entries still give them. Shopping festivals (618, Double 11, ...) are in neither library, so
they are defined here. Pure functions over dates; nothing reads files.
"""

from __future__ import annotations

import re

import holidays
import numpy as np
import pandas as pd

COLUMNS = ["date", "event", "kind", "store_id"]
FIXED_FESTIVALS = {
    "CN": {"festival_38": (3, 8), "festival_520": (5, 20), "festival_618": (6, 18),
           "double_11": (11, 11), "double_12": (12, 12)},
}
EVENT_IDS = ("spring_festival", "festival_38", "festival_520", "festival_618", "double_11",
             "double_12", "black_friday", "cyber_monday")
_SUBSTITUTED = re.compile(r"substituted from (\d{2})/(\d{2})/(\d{4})")


def _years(start: pd.Timestamp, end: pd.Timestamp) -> list[int]:
    return list(range(start.year, end.year + 1))


def _holiday_table(country: str, years: list[int]) -> holidays.HolidayBase:
    try:
        return holidays.country_holidays(country.upper(), years=years, language="en_US")
    except NotImplementedError:
        raise ValueError(
            f"unknown country {country!r} for public holidays: use an ISO 3166 code such as CN, "
            "US, GB, DE (python -c 'import holidays; print(holidays.list_supported_countries())')"
        ) from None


def public_holidays(country: str, start: str | pd.Timestamp, end: str | pd.Timestamp) -> pd.DataFrame:
    """Holidays (kind ``holiday``) and make-up working days (kind ``workday``) in [start, end]."""
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    table = _holiday_table(country, _years(start, end))
    rows = [(pd.Timestamp(day), name, "holiday") for day, name in table.items()]
    if country.upper() == "CN":
        rows += [(day, "makeup_workday", "workday") for day in _cn_makeup_workdays(table, start, end)]
    frame = pd.DataFrame(rows, columns=["date", "event", "kind"])
    frame = frame[frame["date"].between(start, end)].assign(country=country.upper())
    return frame.sort_values(["date", "kind"]).reset_index(drop=True)


def _cn_makeup_workdays(table: holidays.HolidayBase, start: pd.Timestamp,
                        end: pd.Timestamp) -> list[pd.Timestamp]:
    days: set[pd.Timestamp] = set()
    try:
        import chinese_calendar

        for day in pd.date_range(start, end, freq="D"):
            if day.weekday() >= 5:
                try:
                    if chinese_calendar.is_workday(day.date()):
                        days.add(day)
                except NotImplementedError:
                    continue
    except ImportError:  # pragma: no cover - chinese_calendar is a pinned dependency
        pass
    for name in table.values():
        match = _SUBSTITUTED.search(name)
        if match:
            month, day, year = map(int, match.groups())
            days.add(pd.Timestamp(year, month, day))
    return sorted(d for d in days if start <= d <= end)


def _thanksgiving(year: int) -> pd.Timestamp:
    november = pd.Timestamp(year, 11, 1)
    return november + pd.Timedelta(days=(3 - november.weekday()) % 7 + 21)


def shopping_festivals(country: str, start: str | pd.Timestamp, end: str | pd.Timestamp) -> pd.DataFrame:
    """Shopping festivals (kind ``festival``): CN 38, 520, 618, Double 11, Double 12 and Spring
    Festival; US Black Friday and Cyber Monday."""
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    rows: list[tuple[pd.Timestamp, str]] = []
    country = country.upper()
    for year in _years(start, end):
        for event, (month, day) in FIXED_FESTIVALS.get(country, {}).items():
            rows.append((pd.Timestamp(year, month, day), event))
        if country == "US":
            friday = _thanksgiving(year) + pd.Timedelta(days=1)
            rows += [(friday, "black_friday"), (friday + pd.Timedelta(days=3), "cyber_monday")]
    if country == "CN":
        table = _holiday_table("CN", _years(start, end))
        seen: set[int] = set()
        for day, name in sorted(table.items()):
            if "Spring Festival" in name and day.year not in seen:
                seen.add(day.year)
                rows.append((pd.Timestamp(day), "spring_festival"))
    frame = pd.DataFrame(rows, columns=["date", "event"]).assign(kind="festival", country=country)
    frame = frame[frame["date"].between(start, end)]
    return frame.sort_values("date").reset_index(drop=True)


def build_calendar(start: str | pd.Timestamp, end: str | pd.Timestamp, country: str = "CN",
                   user_events: pd.DataFrame | None = None) -> pd.DataFrame:
    """Holidays, make-up workdays, festivals and the shop's own events (kind ``user``):
    columns date, event, kind, store_id; one row per (date, event, store_id)."""
    parts = [public_holidays(country, start, end), shopping_festivals(country, start, end)]
    frame = pd.concat(parts, ignore_index=True).assign(store_id="all")
    if user_events is not None and len(user_events):
        user = user_events.copy()
        user["date"] = pd.to_datetime(user["date"])
        user["store_id"] = user.get("store_id", pd.Series("all", index=user.index)).fillna("all")
        frame = pd.concat([frame, user.assign(kind="user")[["date", "event", "kind", "store_id"]]],
                          ignore_index=True)
    frame = frame[COLUMNS].drop_duplicates(["date", "event", "store_id"])
    return frame.sort_values(["date", "event"]).reset_index(drop=True)


def event_features(dates: pd.Series | pd.DatetimeIndex, calendar: pd.DataFrame,
                   events: list[str] | None = None, window: int = 14) -> pd.DataFrame:
    """Per date: ``days_to_<event>`` and ``days_from_<event>`` (capped at ``window``: the run-up
    and the hangover of each festival; "holiday" groups all public holidays) plus is_holiday,
    is_workday_override and is_festival flags. Vectorised with searchsorted."""
    index = pd.DatetimeIndex(pd.to_datetime(pd.Series(dates)).to_numpy())
    days = index.to_numpy().astype("datetime64[D]").astype(np.int64)
    out = pd.DataFrame(index=range(len(index)))
    kinds = calendar.assign(date=pd.to_datetime(calendar["date"]))
    if events is None:
        events = [e for e in EVENT_IDS if e in set(kinds["event"])]
    groups = {e: kinds.loc[kinds["event"] == e, "date"] for e in events}
    groups["holiday"] = kinds.loc[kinds["kind"] == "holiday", "date"]
    for name, when in groups.items():
        marks = np.unique(when.to_numpy().astype("datetime64[D]").astype(np.int64))
        to = np.full(len(days), float(window))
        since = np.full(len(days), float(window))
        if len(marks):
            pos = np.searchsorted(marks, days, side="left")
            ahead = pos < len(marks)
            to[ahead] = np.minimum(marks[pos[ahead]] - days[ahead], window)
            pos_back = np.searchsorted(marks, days, side="right") - 1
            behind = pos_back >= 0
            since[behind] = np.minimum(days[behind] - marks[pos_back[behind]], window)
        out[f"days_to_{name}"] = to.astype(np.float32)
        out[f"days_from_{name}"] = since.astype(np.float32)

    def on(kind: str) -> np.ndarray:
        marked = kinds.loc[kinds["kind"] == kind, "date"].to_numpy().astype("datetime64[D]")
        return np.isin(index.to_numpy().astype("datetime64[D]"), marked).astype(np.int8)

    out["is_holiday"] = on("holiday")
    out["is_workday_override"] = on("workday")
    out["is_festival"] = on("festival")
    return out
