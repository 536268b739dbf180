"""Requests for long work checked before their job is queued.

A job that fails a second after it starts, on a value its request carried, leaves the caller
polling for an error it could have had at once. These are the checks the use cases run first
themselves (they call the same functions), fed here from a few SQL aggregates instead of the
panel, so the API refuses in well under a second: 422 for values that cannot work together or
with the shop's data (``InvalidRequest``), 404 for an item the store does not sell. Messages
name options in the caller's words (``promocast.wording``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from promocast.data.storage import Store
from promocast.data.validate import infer_store_frequencies
from promocast.exceptions import EmptyStore, InvalidRequest, UsageError
from promocast.services.forecasting import check_gap, cutoffs_between, pandas_freq
from promocast.services.inventory import replay_window, review_period_of, short_replay_fold
from promocast.services.series import require_item
from promocast.wording import option


@dataclass(frozen=True)
class Span:
    """The sales' first and last date and their frequency (a pandas alias, as the panel's)."""

    freq: str
    first: pd.Timestamp
    last: pd.Timestamp


def store_span(db: Path) -> Span:
    """The span of the store's sales, refused as the panel refuses it (no sales, mixed
    frequencies)."""
    with Store(db, read_only=True) as store:
        if not store.count("sales"):
            raise EmptyStore(f"{db} holds no sales: load data with `promocast ingest` first")
        dates = store.query("SELECT DISTINCT store_id, date FROM sales")
    freqs = set(infer_store_frequencies(dates).values())
    if len(freqs) > 1:
        raise UsageError(f"the store mixes frequencies {sorted(freqs)}: forecast one frequency "
                         "at a time")
    days = pd.to_datetime(dates["date"])
    return Span(pandas_freq(days.drop_duplicates(), freqs.pop() or "D"), days.min(), days.max())


def check_history(horizon: int, history: int | None) -> None:
    """A training window must hold at least two horizons of days."""
    if history is not None and history < 2 * horizon:
        raise InvalidRequest(f"{option('history')} {history} days is too short for "
                             f"{option('horizon')} {horizon}")


def check_forecast(db: Path, *, horizon: int, history: int | None = None) -> None:
    """What ``run_forecast`` refuses before it reads the panel."""
    check_history(horizon, history)
    store_span(db)


def check_backtest(db: Path, *, horizon: int, gap: int = 0, folds: int = 3,
                   step: int | None = None) -> None:
    """What ``run_backtest`` refuses before it fits: a gap as long as the horizon, folds that
    reach back before the first sale."""
    check_gap(horizon, gap)
    span = store_span(db)
    cutoffs_between(span.first, span.last, span.freq, horizon, folds, step or horizon)


def check_replay(db: Path, *, lead_time: int, review_period: int | None = None,
                 folds: int = 6, warmup: int = 2, reviews_per_fold: int = 3) -> None:
    """What ``run_inventory_replay`` refuses before it forecasts its folds: folds (with the
    warm-up ones) that reach back before the first sale."""
    step, periods = replay_window(lead_time, review_period_of(db, review_period),
                                  reviews_per_fold)
    span = store_span(db)
    cutoffs_between(span.first, span.last, span.freq, periods, folds + warmup, step,
                    too_short=lambda cutoff: short_replay_fold(cutoff, periods))


def check_explain(db: Path, *, item: str, store: str | None = None) -> None:
    """An explanation needs an item the store sells (in ``store``): 404 otherwise."""
    require_item(db, item, store)
