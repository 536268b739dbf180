"""The shop's own events (the events table: livestreams, brand days, store anniversaries,
a celebrity's post) as forecaster inputs.

The built-in calendar knows public holidays and the big shopping festivals; a shop's own
events are the ones only it knows, and they can move demand more than any festival (QA: seven
livestream days selling four times a normal day, loaded as events, left the next livestream
day forecast at a normal day's level, because no feature carried them). Per date:

- ``is_user_event``: 1 when any of the shop's events falls in the period, and
  ``days_to_user_event`` / ``days_from_user_event``: the run-up and the hangover, capped like
  the festivals' (``calendar.event_features``);
- ``is_event_<id>``: a flag per recurring event (two dates or more; the ``MAX_NAMED`` most
  frequent), so a livestream and a brand day can lift demand by different amounts. ``<id>`` is
  a short hash of the event's name: names are often Chinese, and the id must be the same in
  the training panel and the forecast's future rows.

An event of one store (``store_id`` other than ``all``) counts only in that store's rows
(``for_stores``); the others count everywhere.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from promocast.data.schema import DEFAULT_STORE

MAX_NAMED = 8
"""Recurring events that get a flag of their own."""


def event_id(name: str) -> str:
    """A stable, ASCII column id for an event name."""
    return hashlib.sha1(str(name).encode("utf-8")).hexdigest()[:8]


def _user_rows(calendar: pd.DataFrame) -> pd.DataFrame:
    if not len(calendar) or "kind" not in calendar:
        return calendar.iloc[0:0]
    return calendar[calendar["kind"].to_numpy() == "user"]


def recurring(calendar: pd.DataFrame) -> list[str]:
    """The shop's events on two dates or more, most frequent first (ties by name)."""
    user = _user_rows(calendar)
    if user.empty:
        return []
    counts = user.drop_duplicates(["event", "date"])["event"].astype(str).value_counts()
    counts = counts[counts >= 2]
    ordered = sorted(counts.index, key=lambda name: (-counts[name], name))
    return ordered[:MAX_NAMED]


def _step(days: np.ndarray) -> int:
    """Days a period spans, from the closest two dates: 7 for weekly periods, 28..31 for
    monthly ones, 1 for daily (the forecaster's dates are a regular grid)."""
    if len(days) < 2:
        return 1
    return max(1, int(np.diff(np.unique(days)).min()))


def user_event_columns(days: np.ndarray, calendar: pd.DataFrame, window: int,
                       names: list[str] | None = None) -> dict[str, np.ndarray]:
    """The columns above for ``days`` (int day numbers) from the calendar's user events (all
    of them: ``for_stores`` picks a store's). ``names``: the recurring events to flag
    (default: ``recurring(calendar)``). Empty when the calendar has no user event."""
    from promocast.features.calendar import _day_numbers, _distance, _flag

    user = _user_rows(calendar)
    names = recurring(calendar) if names is None else names
    if user.empty and not names:
        return {}
    marks = np.unique(_day_numbers(user["date"])) if len(user) else np.empty(0, np.int64)
    period = _step(days)
    to, since = _distance(days, marks, window)
    columns = {"days_to_user_event": to, "days_from_user_event": since,
               "is_user_event": _flag(days, marks, period)}
    for name in names:
        chosen = user["event"].astype(str).to_numpy() == name
        own = np.unique(_day_numbers(user["date"][chosen])) if chosen.any() else marks[:0]
        columns[f"is_event_{event_id(name)}"] = _flag(days, own, period)
    return columns


def shared_user_events(calendar: pd.DataFrame) -> pd.DataFrame:
    """The calendar without the events of a single store (those count per store)."""
    if "store_id" not in calendar:
        return calendar
    one_store = (calendar["kind"].to_numpy() == "user") & (
        calendar["store_id"].astype(str).to_numpy() != DEFAULT_STORE)
    return calendar[~one_store]


def for_stores(frame: pd.DataFrame, calendar: pd.DataFrame, window: int) -> pd.DataFrame:
    """``frame`` (ds, store_id and the user-event columns computed from the shared events)
    with, in the rows of each store that has events of its own, the columns recomputed from
    the shared events plus that store's."""
    user = _user_rows(calendar)
    if user.empty or "store_id" not in user or "store_id" not in frame:
        return frame
    stores = user["store_id"].astype(str)
    own_stores = sorted(set(stores[stores != DEFAULT_STORE]))
    if not own_stores:
        return frame
    from promocast.features.calendar import _day_numbers

    names = recurring(calendar)
    shared = shared_user_events(calendar)
    out = frame
    for store in own_stores:
        rows = (frame["store_id"].astype(str) == store).to_numpy()
        if not rows.any():
            continue
        mine = pd.concat([shared, user[stores == store]], ignore_index=True)
        columns = user_event_columns(_day_numbers(frame.loc[rows, "ds"]), mine, window, names)
        if out is frame:
            out = frame.copy()
        for name, values in columns.items():
            if name not in out:
                out[name] = np.zeros(len(out), dtype=values.dtype)
            out.loc[rows, name] = values
    return out
