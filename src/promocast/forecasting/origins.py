"""Backtest origins (cut-offs) and the windows they score (DESIGN §3).

``backtest --folds K --step S --horizon H`` puts K origins S periods apart, the last one H periods
before the end of the data, so the last fold's window ends exactly on the last date. Each origin
trains on data up to and including it. ``--gap G`` skips the first G steps after an origin: they
are neither scored nor written, because in the shop the forecast is made G periods before the
first period it has to serve (an order lead time, Dominick's one-week gap). Steps G+1..H are
scored. ``--origins`` lists the cut-offs explicitly instead.

Frequencies are pandas offset aliases: ``"D"``, ``"W-THU"`` style (weekly data are labelled by
the week's first day, so a store whose dates fall on Thursdays uses ``"W-THU"``), ``"MS"``
(monthly, labelled by the first of the month) or any other alias. A plain ``"W"`` is anchored on
the weekday of the date it is used with, not on pandas' default Sunday.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset

from promocast.data.frequency import infer_frequency

__all__ = [
    "forecast_window",
    "pandas_freq",
    "period_ordinals",
    "rolling_origins",
    "split",
    "validate_origins",
]

WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
_PERIOD_ALIASES = {"MS": "M", "ME": "M", "QS": "Q", "QE": "Q", "YS": "Y", "YE": "Y", "AS": "Y"}


def pandas_freq(dates: pd.Series | pd.DatetimeIndex | Sequence) -> str:
    """The pandas alias of a series' dates: ``"D"``, ``"W-<DAY>"`` or ``"MS"``.

    Weekly dates all fall on the week's first day, which names the anchor (Thursdays ->
    ``"W-THU"``) so that date arithmetic lands on the data's own dates. A single date is taken as
    daily. Raises ``ValueError`` when the dates mix frequencies (weekly dates on two weekdays).
    """
    index = pd.DatetimeIndex(pd.to_datetime(pd.Series(dates)).dropna().unique())
    if index.empty:
        raise ValueError("no dates to infer a frequency from")
    kind = infer_frequency(index)
    if kind is None:
        raise ValueError(
            f"the {len(index)} dates from {index.min().date()} to {index.max().date()} mix "
            "frequencies (weekly dates on different weekdays?): pass freq explicitly"
        )
    if kind == "W":
        return f"W-{WEEKDAYS[index.min().weekday()]}"
    return kind


def _offset(freq: str, anchor: pd.Timestamp) -> pd.DateOffset:
    """The offset of ``freq``; a bare ``"W"`` takes the weekday of ``anchor``."""
    if freq.upper() == "W":
        freq = f"W-{WEEKDAYS[anchor.weekday()]}"
    return to_offset(freq)


def _on_offset(date: pd.Timestamp, freq: str, what: str) -> pd.DateOffset:
    """The offset of ``freq``, after checking ``date`` is one of its labels.

    Stepping from a date that is not on the grid would silently roll it to the nearest label
    (a Friday with ``"W-THU"`` becomes the Thursday before), so it is refused instead.
    """
    offset = _offset(freq, date)
    if not offset.is_on_offset(date):
        raise ValueError(
            f"{what} {date.date()} ({date.day_name()}) is not a period label of freq {freq!r}: "
            "weekly data are labelled by the week's first day (use the W-<DAY> of your dates), "
            "monthly data by the first of the month"
        )
    return offset


def _positive(name: str, value: int, minimum: int = 1) -> None:
    if int(value) != value or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")


def _check_window(horizon: int, gap: int) -> None:
    _positive("horizon", horizon)
    _positive("gap", gap, minimum=0)
    if gap >= horizon:
        raise ValueError(
            f"gap {gap} leaves nothing to score with horizon {horizon}: "
            "the gap must be smaller than the horizon"
        )


def rolling_origins(
    last_date: pd.Timestamp, freq: str, horizon: int, folds: int, step: int
) -> list[pd.Timestamp]:
    """K = ``folds`` cut-offs ``step`` periods apart, the last ``horizon`` periods before ``last_date``.

    ``last_date`` is the last date of the data; the returned origins are in increasing order,
    so the last fold's window (origin + 1 .. origin + horizon periods) ends on ``last_date``.
    Check them against the first date with :func:`validate_origins`.
    """
    _positive("horizon", horizon)
    _positive("folds", folds)
    _positive("step", step)
    last_date = pd.Timestamp(last_date)
    offset = _on_offset(last_date, freq, "last date")
    last_origin = last_date - horizon * offset
    return [last_origin - (folds - 1 - k) * step * offset for k in range(folds)]


def forecast_window(
    cutoff: pd.Timestamp, freq: str, horizon: int, gap: int = 0
) -> pd.DatetimeIndex:
    """The scored dates of an origin: steps ``gap + 1 .. horizon`` after ``cutoff``.

    Steps 1..gap are skipped (neither scored nor written), so the window holds
    ``horizon - gap`` periods.
    """
    _check_window(horizon, gap)
    cutoff = pd.Timestamp(cutoff)
    offset = _on_offset(cutoff, freq, "cutoff")
    return pd.DatetimeIndex([cutoff + k * offset for k in range(gap + 1, horizon + 1)])


def split(
    df: pd.DataFrame,
    cutoff: pd.Timestamp,
    freq: str,
    horizon: int,
    gap: int = 0,
    time_col: str = "ds",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Training rows (dates up to and including ``cutoff``) and the scored rows of its window.

    The gap rows and everything after the window belong to neither part. Dates missing from the
    data are simply absent from ``test``; nothing is filled in. The frame keeps its columns and
    index; ``time_col`` may hold strings or datetimes.
    """
    window = forecast_window(cutoff, freq, horizon, gap)
    dates = pd.to_datetime(df[time_col])
    train = df[(dates <= pd.Timestamp(cutoff)).to_numpy()]
    test = df[dates.isin(window).to_numpy()]
    return train, test


def validate_origins(
    origins: Sequence[pd.Timestamp | str],
    first_date: pd.Timestamp,
    last_date: pd.Timestamp,
    freq: str,
    horizon: int,
    gap: int = 0,
    min_train: int = 1,
) -> list[pd.Timestamp]:
    """Check backtest origins against the data's span; return them as sorted Timestamps.

    Raises ``ValueError`` naming the origin when: the list is empty, a date does not parse or is
    not a label of ``freq``, an origin repeats, an origin leaves fewer than ``min_train``
    periods of training data (``first_date`` .. origin, inclusive), or its window (origin +
    ``horizon`` periods) runs past ``last_date``.
    """
    _positive("min_train", min_train)
    if len(origins) == 0:
        raise ValueError("no backtest origins: give --folds K or a list of --origins dates")
    _check_window(horizon, gap)
    first_date, last_date = pd.Timestamp(first_date), pd.Timestamp(last_date)
    parsed: list[pd.Timestamp] = []
    for raw in origins:
        try:
            parsed.append(pd.Timestamp(raw))
        except (ValueError, TypeError) as exc:
            raise ValueError(f"origin {raw!r} is not a date (use YYYY-MM-DD)") from exc
    seen: set[pd.Timestamp] = set()
    for origin in sorted(parsed):
        if origin in seen:
            raise ValueError(f"origin {origin.date()} is given twice")
        seen.add(origin)
        offset = _on_offset(origin, freq, "origin")
        earliest = first_date + (min_train - 1) * _offset(freq, first_date)
        if origin < earliest:
            need = f"at least {min_train} periods" if min_train > 1 else "any"
            raise ValueError(
                f"origin {origin.date()} leaves no training data: {need} training data must "
                f"precede it and the data start on {first_date.date()}; use a later origin, "
                "fewer folds or a smaller step"
            )
        window_end = origin + horizon * offset
        if window_end > last_date:
            raise ValueError(
                f"origin {origin.date()} forecasts up to {window_end.date()}, past the end of "
                f"the data on {last_date.date()}: the last usable origin is {horizon} periods "
                "before the end"
            )
    return sorted(parsed)


def period_ordinals(dates: pd.Series | pd.DatetimeIndex | Sequence, freq: str) -> np.ndarray:
    """Integer period numbers of ``dates`` (consecutive periods differ by 1).

    Lets callers lag by periods ("the same week last year") and count steps ahead without
    trusting rows to be consecutive, since a gap in a series removes a row but not a period.
    """
    alias = freq.upper()
    for start, period in _PERIOD_ALIASES.items():
        if alias == start or alias.startswith(start + "-"):
            alias = period + freq[len(start) :]
            break
    else:
        alias = freq
    index = pd.DatetimeIndex(pd.to_datetime(pd.Series(dates).to_numpy()))
    return index.to_period(alias).asi8.astype(np.int64)
