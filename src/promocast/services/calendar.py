"""The shop's calendar: built-in holidays and festivals for its country plus its own events."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from promocast.data.storage import Store
from promocast.features.calendar import build_calendar


def shop_calendar(db: Path, *, country: str = "CN", start: str | None = None,
                  end: str | None = None, horizon_days: int = 120) -> pd.DataFrame:
    """Events from the first sales date (or ``start``) to ``horizon_days`` after the last one
    (or ``end``): public holidays, make-up workdays, festivals and the events table."""
    with Store(db, read_only=True) as store:
        (first, last), = store.query("SELECT min(date), max(date) FROM sales").itertuples(index=False)
        user = store.query("SELECT date, event, store_id FROM events")
    if start is None and pd.isna(first):
        first = pd.Timestamp.today()
    begin = pd.Timestamp(start) if start else pd.Timestamp(first)
    stop = pd.Timestamp(end) if end else (pd.Timestamp(last if pd.notna(last) else begin)
                                          + pd.Timedelta(days=horizon_days))
    calendar = build_calendar(begin, stop, country, user)
    return calendar[calendar["date"].between(begin, stop)].reset_index(drop=True)
