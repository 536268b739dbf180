"""Telling a store's frequency from its dates: daily, weekly or monthly.

One frequency per store (DESIGN §2). Weekly data are labelled by the week's first day, so every
date of a weekly store falls on one weekday; monthly data on the first of the month.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

PERIOD_DAYS = {"D": 1, "W": 7, "MS": 30}
"""Nominal length of one period in days, for gap counts and horizons."""


def is_monthly(freq: str | None) -> bool:
    """Whether a store frequency (``MS``, or a pandas alias such as ``W-THU`` or ``D``) counts
    periods longer than a week: such a shop plans and simulates promotions by the month."""
    return not str(freq or "D").upper().startswith(("D", "W"))


def infer_frequency(dates: pd.Series | pd.DatetimeIndex) -> str | None:
    """``"D"``, ``"W"``, ``"MS"``, or ``None`` when the dates mix frequencies.

    A single date is taken as daily. Weekly: every distinct date on one weekday. Monthly:
    every distinct date on the first of a month and at least two months apart.
    """
    uniq = pd.DatetimeIndex(pd.unique(pd.DatetimeIndex(dates).dropna())).sort_values().as_unit("ns")
    if len(uniq) <= 1:
        return "D"
    steps = np.diff(uniq.asi8) // (86_400 * 10**9)
    if (uniq.day == 1).all() and steps.min() >= 28:
        return "MS"
    if (uniq.weekday == uniq[0].weekday()).all():
        return "W"
    if steps.min() >= 7:
        return None  # spaced like weeks but on different weekdays: mixed
    # Daily dates spread over the weekdays; a weekly store with a few stray dates keeps one
    # dominant weekday and is "mixed".
    dominant_share = pd.Series(uniq.weekday).value_counts(normalize=True).iloc[0]
    return None if len(uniq) >= 5 and dominant_share >= 0.6 else "D"


def odd_dates(dates: pd.Series) -> pd.Series:
    """Boolean mask of the dates that break a store's dominant weekday (for error messages)."""
    wd = pd.DatetimeIndex(dates).weekday
    dominant = pd.Series(wd).mode().iloc[0]
    return pd.Series(wd != dominant, index=dates.index)
