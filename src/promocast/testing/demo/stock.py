"""Inventory of the demo shop: periodic replenishment, supply failures and censored sales.

Each item x store is reviewed every few days and ordered up to the planned demand over the lead
time and review period plus a safety margin. The planner expects only part of a promotion's
uplift, some deliveries fail and suppliers sometimes stop for weeks, so shelves run empty now
and then: on those days sales are censored (units = min(demand, stock available)), which is
exactly what a forecaster must learn not to mistake for low demand.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FAILED_DELIVERY = 0.06
"""Chance that one replenishment order never arrives."""
DISRUPTIONS_PER_YEAR = 0.5
"""Supplier outages per item x store per year (each 7-30 days without deliveries)."""
PLANNED_PROMO_SHARE = 0.6
"""Share of a promotion's uplift the planner stocks for."""


@dataclass
class StockResult:
    """Daily arrays (items, stores, days): units sold, stock at opening + receipts, end of day."""

    units: np.ndarray
    available: np.ndarray
    on_hand: np.ndarray


def _order_targets(planned: np.ndarray, horizon: np.ndarray, safety: np.ndarray) -> np.ndarray:
    """Order-up-to level per day: planned demand over the next ``horizon`` days (fewer at the
    end of the history) + safety x sqrt of it + one unit."""
    n_days = planned.shape[-1]
    cumulative = np.concatenate(
        [np.zeros(planned.shape[:-1] + (1,)), np.cumsum(planned, axis=-1)], axis=-1
    )
    day = np.arange(n_days)
    ahead = np.minimum(day[None, None, :] + 1 + horizon[..., None], n_days)
    cover = np.take_along_axis(cumulative, ahead, axis=-1) - cumulative[..., 1:]
    return np.ceil(cover + safety[..., None] * np.sqrt(cover) + 1.0)


def simulate_stock(
    rng: np.random.Generator,
    demand: np.ndarray,
    baseline: np.ndarray,
    expected: np.ndarray,
    launch: np.ndarray,
) -> StockResult:
    """Replay the shelves day by day (vectorised over items x stores).

    ``demand``: uncensored units wanted; ``baseline`` / ``expected``: true means without / with
    promotions (the planner sees the first plus part of the uplift); ``launch``: first day index
    of each item. Receipts arrive in the morning; what is not there cannot be sold.
    """
    n_items, n_stores, n_days = demand.shape
    planned = baseline + PLANNED_PROMO_SHARE * np.maximum(expected - baseline, 0.0)
    review = np.where(np.arange(n_stores)[None, :] == 0, 3, 7) * np.ones((n_items, 1), dtype=int)
    lead = rng.integers(2, 7, (n_items, n_stores))
    safety = rng.uniform(0.8, 2.0, (n_items, n_stores))
    target = _order_targets(planned, lead + review, safety)

    lost = rng.random(demand.shape) < FAILED_DELIVERY
    rate = DISRUPTIONS_PER_YEAR * n_days / 365.0
    for i, s in zip(*np.nonzero(rng.poisson(rate, (n_items, n_stores))), strict=True):
        begin = int(rng.integers(0, n_days))
        lost[i, s, begin : begin + int(rng.integers(7, 31))] = True

    width = int(lead.max()) + 1
    pipeline = np.zeros((n_items, n_stores, width))
    on_hand = np.zeros((n_items, n_stores))
    units = np.zeros(demand.shape)
    available_log = np.zeros(demand.shape)
    on_hand_log = np.zeros(demand.shape)
    rows, cols = np.indices((n_items, n_stores))
    launch2 = launch[:, None]
    for d in range(n_days):
        slot = d % width
        arriving = pipeline[:, :, slot].copy()
        pipeline[:, :, slot] = 0.0
        on_hand = np.where(launch2 == d, target[:, :, d], on_hand)
        available = on_hand + arriving
        sold = np.minimum(demand[:, :, d], available)
        on_hand = available - sold
        units[:, :, d], available_log[:, :, d], on_hand_log[:, :, d] = sold, available, on_hand
        due = (launch2 <= d) & ((d - launch2) % review == 0) & ~lost[:, :, d]
        quantity = np.where(
            due, np.maximum(target[:, :, d] - on_hand - pipeline.sum(axis=2), 0.0), 0.0
        )
        pipeline[rows, cols, (d + lead) % width] += quantity
    return StockResult(units, available_log, on_hand_log)
