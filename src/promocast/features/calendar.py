"""Calendars: public holidays, make-up workdays, shopping festivals, and event features.

Demand in e-commerce moves around dates: it builds up before Double 11, collapses during the
Spring Festival (couriers stop) and rebounds after. Forecasters therefore need, per date, how far
the next and the last event are. This module builds the event calendar and turns it into those
features; it is pure (dates in, frames out) and reads no files.

Sources:

- public holidays: the ``holidays`` package, for every country it knows, names in English when
  the package has an English translation (otherwise its default language);
- China's make-up workdays (调休, a weekend day worked to bridge a holiday, such as Sunday
  2025-09-28): ``chinese_calendar`` (2004-2026), plus the ``holidays`` package's
  "Day off (substituted from MM/DD/YYYY)" entries, which name the worked day. Beyond the years
  either library knows (the State Council publishes each year's plan in the autumn before),
  only the holidays themselves are listed and no make-up workday;
- shopping festivals: in neither library, so defined here (fixed dates, Black Friday by its
  rule); the Spring Festival date comes from the ``holidays`` package's lunisolar calendar.
"""

from __future__ import annotations

import datetime as dt
import re

import chinese_calendar
import holidays
import numpy as np
import pandas as pd

from promocast.data.schema import DEFAULT_STORE

CALENDAR_COLUMNS = ["date", "event", "kind", "store_id"]
"""Columns of :func:`build_calendar` (the ``events`` table plus ``kind``)."""

KINDS = ("holiday", "workday", "festival", "user")
"""``holiday``: public holiday (day off); ``workday``: make-up working day on a weekend (调休);
``festival``: shopping festival; ``user``: the shop's own event (events table)."""

FIXED_FESTIVALS: dict[str, dict[str, tuple[int, int]]] = {
    "CN": {"festival_38": (3, 8), "festival_520": (5, 20), "festival_618": (6, 18),
           "double_11": (11, 11), "double_12": (12, 12)},
}
"""Festivals on a fixed (month, day) each year, per country."""

EVENT_IDS: tuple[str, ...] = ("spring_festival", "festival_38", "festival_520", "festival_618",
                              "double_11", "double_12", "black_friday", "cyber_monday")
"""Stable ids of the built-in shopping festivals (feature names derive from them)."""

HOLIDAY_GROUP = "holiday"
"""Pseudo event id of :func:`event_features` standing for every public holiday at once."""

_SUBSTITUTED = re.compile(r"substituted from (\d{2})/(\d{2})/(\d{4})")
_CN_NAMES = {"Spring Festival": "Chinese New Year (Spring Festival)",
             "Tomb-sweeping Day": "Tomb-Sweeping Day", "Labour Day": "Labor Day",
             "Mid-autumn Festival": "Mid-Autumn Festival"}
"""``chinese_calendar`` names spelt as the ``holidays`` package spells them, so one holiday
has one name whichever library listed the day."""
_FRAME_COLUMNS = ["date", "event", "kind", "country"]

DateLike = str | pd.Timestamp | dt.date


def _empty(columns: list[str]) -> pd.DataFrame:
    """An empty frame whose ``date`` column is already datetime64 (so concatenation keeps it)."""
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    frame["date"] = pd.Series(dtype="datetime64[ns]")
    return frame


def _bounds(start: DateLike, end: DateLike) -> tuple[pd.Timestamp, pd.Timestamp]:
    lo, hi = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    if hi < lo:
        raise ValueError(f"calendar end {hi.date()} is before its start {lo.date()}")
    return lo, hi


def _holiday_table(country: str, years: list[int]) -> holidays.HolidayBase:
    """The ``holidays`` package's table, in English where the package has a translation."""
    code = country.strip().upper()
    if code not in holidays.list_supported_countries():
        raise ValueError(
            f"unknown country {country!r} for public holidays: use an ISO 3166-1 code the "
            "`holidays` package supports, such as CN, US, GB, DE, JP (list them with: python -c "
            "\"import holidays; print(sorted(holidays.list_supported_countries()))\")")
    languages = holidays.list_localized_countries().get(code, [])
    language = next((lang for lang in ("en_US", "en_GB") if lang in languages), None)
    return holidays.country_holidays(code, years=years, language=language)


def _frame(rows: list[tuple[pd.Timestamp, str, str]], country: str, lo: pd.Timestamp,
           hi: pd.Timestamp) -> pd.DataFrame:
    if not rows:
        return _empty(_FRAME_COLUMNS)
    frame = pd.DataFrame(rows, columns=["date", "event", "kind"])
    frame["date"] = pd.to_datetime(frame["date"]).astype("datetime64[ns]")
    frame = frame[frame["date"].between(lo, hi)].assign(country=country)
    return frame.sort_values(["date", "kind", "event"]).reset_index(drop=True)


def public_holidays(country: str, start: DateLike, end: DateLike) -> pd.DataFrame:
    """Public holidays (kind ``holiday``) and make-up working days (kind ``workday``) in
    [start, end]: columns date, event (English name), kind, country.

    For China the holidays of the ``holidays`` package are completed with the weekend days that
    ``chinese_calendar`` counts inside a holiday block (the Saturday of Golden Week is a day off
    as much as the Tuesday is), and the make-up workdays are added (event
    ``Make-up workday: <holiday>``). Outside 2004-2026 ``chinese_calendar`` knows nothing, so
    only the ``holidays`` package's entries remain (its substituted days off still name their
    make-up workday where it has them). Raises ``ValueError`` for a country the ``holidays``
    package does not know.
    """
    lo, hi = _bounds(start, end)
    code = country.strip().upper()
    # One year either side: a substituted day off in January may name a workday in December.
    table = _holiday_table(code, list(range(lo.year - 1, hi.year + 2)))
    rows = [(pd.Timestamp(day), str(name), "holiday") for day, name in table.items()]
    if code in ("CN", "CHN"):
        rows += _china_extras(table, {pd.Timestamp(day) for day in table}, lo, hi)
    return _frame(rows, code, lo, hi)


def _china_extras(table: holidays.HolidayBase, listed: set[pd.Timestamp], lo: pd.Timestamp,
                  hi: pd.Timestamp) -> list[tuple[pd.Timestamp, str, str]]:
    """Weekend days inside China's holiday blocks and the make-up workdays (调休)."""
    rows: list[tuple[pd.Timestamp, str, str]] = []
    days_off = set(listed)
    for day, name in chinese_calendar.holidays.items():
        stamp = pd.Timestamp(day)
        if lo <= stamp <= hi and stamp not in listed:
            rows.append((stamp, _CN_NAMES.get(name, str(name)), "holiday"))
            days_off.add(stamp)
    workdays = {pd.Timestamp(day): f"Make-up workday: {_CN_NAMES.get(name, name)}"
                for day, name in chinese_calendar.workdays.items() if lo <= pd.Timestamp(day) <= hi}
    for name in table.values():  # "Day off (substituted from 09/28/2025)": 09/28 was worked
        for month, day, year in _SUBSTITUTED.findall(str(name)):
            stamp = pd.Timestamp(int(year), int(month), int(day))
            if lo <= stamp <= hi:
                workdays.setdefault(stamp, "Make-up workday")
    rows += [(day, name, "workday") for day, name in workdays.items() if day not in days_off]
    return rows


def _thanksgiving(year: int) -> pd.Timestamp:
    """US Thanksgiving: the fourth Thursday of November."""
    first = pd.Timestamp(year, 11, 1)
    return first + pd.Timedelta(days=(3 - first.weekday()) % 7 + 21)


def _spring_festivals(years: list[int]) -> list[pd.Timestamp]:
    """First day of the lunar new year per year, from the ``holidays`` package's CN entries
    (its lunisolar calendar covers every year, unlike ``chinese_calendar``)."""
    table = holidays.country_holidays("CN", years=years, language="en_US")
    first: dict[int, pd.Timestamp] = {}
    for day, name in sorted(table.items()):
        if "Spring Festival" in name and "Eve" not in name and "observed" not in name:
            first.setdefault(day.year, pd.Timestamp(day))
    return list(first.values())


def shopping_festivals(country: str, start: DateLike, end: DateLike) -> pd.DataFrame:
    """Shopping festivals (kind ``festival``) in [start, end]: columns date, event, kind, country.

    CN: ``festival_38`` (3-8 Women's Day), ``festival_520``, ``festival_618``, ``double_11``,
    ``double_12`` and ``spring_festival`` (lunar new year's day: a slump, then a rebound).
    US: ``black_friday`` (the day after Thanksgiving) and ``cyber_monday`` (the Monday after);
    Prime Day moves every year and is left to the shop's own events. Other countries have none
    built in (an empty frame): add them as user events.
    """
    lo, hi = _bounds(start, end)
    code = country.strip().upper()
    code = {"CHN": "CN", "USA": "US"}.get(code, code)
    years = list(range(lo.year, hi.year + 1))
    rows: list[tuple[pd.Timestamp, str, str]] = []
    for year in years:
        for event, (month, day) in FIXED_FESTIVALS.get(code, {}).items():
            rows.append((pd.Timestamp(year, month, day), event, "festival"))
        if code == "US":
            friday = _thanksgiving(year) + pd.Timedelta(days=1)
            rows += [(friday, "black_friday", "festival"),
                     (friday + pd.Timedelta(days=3), "cyber_monday", "festival")]
    if code == "CN":
        rows += [(day, "spring_festival", "festival") for day in _spring_festivals(years)]
    return _frame(rows, code, lo, hi)


def build_calendar(start: DateLike, end: DateLike, country: str = "CN",
                   user_events: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every event in [start, end]: public holidays, make-up workdays, shopping festivals and
    the shop's own events (``user_events``: date, event, optional store_id; kind ``user``).

    Columns date, event, kind, store_id (``all`` for built-in events and for user events
    without a store), sorted by date, event, store_id, one row per (date, event, store_id): a
    user event that repeats a built-in one (``double_11`` on 11-11) keeps the built-in row.
    """
    lo, hi = _bounds(start, end)
    parts = [public_holidays(country, lo, hi), shopping_festivals(country, lo, hi)]
    frame = pd.concat(parts, ignore_index=True).assign(store_id=DEFAULT_STORE)
    if user_events is not None and len(user_events):
        user = pd.DataFrame({
            "date": pd.to_datetime(user_events["date"]).dt.normalize().astype("datetime64[ns]"),
            "event": user_events["event"].astype(str).str.strip(),
            "kind": "user",
        })
        stores = user_events.get("store_id")
        user["store_id"] = (DEFAULT_STORE if stores is None
                            else stores.where(stores.notna(), DEFAULT_STORE).astype(str))
        frame = pd.concat([frame, user[user["date"].between(lo, hi)]], ignore_index=True)
    frame = frame[CALENDAR_COLUMNS].drop_duplicates(["date", "event", "store_id"])
    frame["date"] = frame["date"].astype("datetime64[ns]")
    return frame.sort_values(["date", "event", "store_id"]).reset_index(drop=True)


def _day_numbers(values: pd.Series | pd.DatetimeIndex | np.ndarray) -> np.ndarray:
    """Dates as int64 day numbers since 1970-01-01 (time of day and time zone dropped)."""
    index = pd.DatetimeIndex(pd.to_datetime(values))
    if index.tz is not None:
        index = index.tz_localize(None)
    return index.to_numpy().astype("datetime64[D]").astype(np.int64)


def _distance(days: np.ndarray, marks: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Days to the next mark (0 on the day) and since the last one, capped at ``window``."""
    to = np.full(len(days), float(window))
    since = np.full(len(days), float(window))
    if len(marks):
        nxt = np.searchsorted(marks, days, side="left")
        has_next = nxt < len(marks)
        to[has_next] = marks[nxt[has_next]] - days[has_next]
        prev = np.searchsorted(marks, days, side="right") - 1
        has_prev = prev >= 0
        since[has_prev] = days[has_prev] - marks[prev[has_prev]]
    return np.minimum(to, window).astype(np.float32), np.minimum(since, window).astype(np.float32)


def _flag(days: np.ndarray, marks: np.ndarray, period_days: int) -> np.ndarray:
    """1 where a mark falls in [day, day + period_days)."""
    first = np.searchsorted(marks, days, side="left")
    after = np.searchsorted(marks, days + period_days, side="left")
    return (after > first).astype(np.int8)


def event_features(dates: pd.Series | pd.DatetimeIndex, calendar: pd.DataFrame,
                   events: list[str] | None = None, window: int = 14,
                   period_days: int = 1) -> pd.DataFrame:
    """Run-up and hangover features of each date, for the forecasters.

    One row per date, in the order given (indexed like ``dates`` when it is a Series):

    - ``days_to_<event>``: days until the next occurrence (0 on the day), ``days_from_<event>``:
      days since the last one; both capped at ``window`` (also when the calendar has no
      occurrence on that side, so build it beyond the forecast horizon), float32. Events are
      ``events`` or, by default, the built-in festivals present in the calendar; ``holiday``
      stands for every public holiday at once;
    - ``is_holiday``, ``is_workday_override`` (a make-up working day, 调休), ``is_festival``:
      int8 flags, 1 when such an event falls in [date, date + ``period_days``) (pass 7 for
      weekly data labelled by the week's first day);
    - when the calendar holds the shop's own events (kind ``user``): ``is_user_event``,
      ``days_to_user_event``, ``days_from_user_event`` and ``is_event_<id>`` per recurring
      event (``features.user_events``).

    The calendar's ``store_id`` is ignored (the features describe dates, not stores), except
    that one store's own events are left out here: ``user_events.for_stores`` adds them to
    that store's rows.
    Vectorised with ``np.searchsorted``: O((dates + events) log events) per event.
    """
    if window < 0 or period_days < 1:
        raise ValueError(f"window must be >= 0 and period_days >= 1, got {window}, {period_days}")
    days = _day_numbers(dates)
    index = dates.index if isinstance(dates, pd.Series) else pd.RangeIndex(len(days))
    cal_days = _day_numbers(calendar["date"]) if len(calendar) else np.empty(0, np.int64)
    event_ids = calendar["event"].to_numpy()
    kinds = calendar["kind"].to_numpy()
    if events is None:
        present = set(event_ids[kinds == "festival"])
        events = [e for e in EVENT_IDS if e in present] + sorted(present - set(EVENT_IDS))
        events.append(HOLIDAY_GROUP)
    columns: dict[str, np.ndarray] = {}
    for event in dict.fromkeys(events):
        chosen = kinds == "holiday" if event == HOLIDAY_GROUP else event_ids == event
        to, since = _distance(days, np.unique(cal_days[chosen]), window)
        columns[f"days_to_{event}"] = to
        columns[f"days_from_{event}"] = since
    for name, kind in (("is_holiday", "holiday"), ("is_workday_override", "workday"),
                       ("is_festival", "festival")):
        columns[name] = _flag(days, np.unique(cal_days[kinds == kind]), period_days)
    if len(calendar):  # the shop's own events (features.user_events), when it has any
        from promocast.features.user_events import (
            recurring,
            shared_user_events,
            user_event_columns,
        )

        columns.update(user_event_columns(days, shared_user_events(calendar), window,
                                          recurring(calendar)))
    return pd.DataFrame(columns, index=index)
