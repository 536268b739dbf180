"""The shop's calendar: built-in holidays and festivals for its country plus its own events."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from promocast.data.storage import Store
from promocast.features.calendar import build_calendar

AUTO = "auto"
"""The country setting that means: the stores table's country (else CN)."""


def shop_country(db: Path, country: str | None = AUTO) -> str:
    """The country of the holiday calendar: the one asked for, or with ``auto`` (the
    commands' default) the country most of the stores table's stores give, when the
    ``holidays`` package knows it, else CN. QA5: an M5 or Walmart shop (stores in the US)
    got China's holidays, 618 and Double 11 unless every command was given --country US."""
    if country and country.strip().lower() != AUTO:
        return country.strip().upper()
    import holidays

    with Store(db, read_only=True) as store:
        if "country" not in store.columns("stores"):
            return "CN"
        named = store.query("SELECT upper(trim(country)) AS c, count(*) AS n FROM stores "
                            "WHERE country IS NOT NULL GROUP BY 1 ORDER BY n DESC, c")
    known = set(holidays.list_supported_countries())
    return next((c for c in named["c"] if c in known), "CN")


def shop_calendar(db: Path, *, country: str = AUTO, start: str | None = None,
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
    calendar = build_calendar(begin, stop, shop_country(db, country), user)
    return calendar[calendar["date"].between(begin, stop)].reset_index(drop=True)
