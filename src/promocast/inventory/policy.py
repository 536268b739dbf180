"""Stock policies from simulated demand paths: order-up-to level, safety stock, reorder point,
order quantity, days of cover, stock-out risk and the newsvendor quantity.

The policy is the periodic review (R, S) a shop runs when it orders on fixed days: every R
periods the inventory position (on hand + on order) is raised to S, the order arrives L periods
later, so S has to cover demand over the protection interval L + R. For a cycle service level
alpha, ``S = Q_alpha(D[L+R])``: a replenishment cycle ends without a stock-out with probability
alpha. For a fill rate beta, S is the smallest level whose expected shortage per cycle,
``E(D[L+R] - S)+ - E(D[L] - S)+``, is at most ``(1 - beta) E(D[R])`` (Silver, Pyke & Peterson).
With continuous review (R = 0) S is the reorder point itself.

All quantities are in units and periods of the data; everything is vectorised over series.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from promocast.inventory.leadtime import DemandPaths

__all__ = [
    "InventoryParams",
    "critical_ratio",
    "days_of_cover",
    "fill_rate_level",
    "newsvendor_quantity",
    "plan_inventory",
    "reorder_list",
    "round_order",
    "whole_units",
    "stockout_probability",
]


def default_review_period(freq: str | None) -> int:
    """Periods between two orders when the shop does not say: a week (7 days of daily data),
    or 1 period of weekly or monthly data (7 of them would stock up for 7 weeks or 7 months
    at every order)."""
    return 1 if freq and freq[:1] in ("W", "M") else 7


MIN_PACK, MAX_PACK = 0.001, 1e6
"""Pack sizes taken: a gram of a product sold by the kilogram up to a container of a million
units (a smaller pack made the rounding overflow, and no shop packs finer)."""


@dataclass(frozen=True)
class InventoryParams:
    """What the shop asks for. ``service_level``: target cycle service level (probability that
    a replenishment cycle has no stock-out); ``fill_rate``: target share of demand served from
    stock, used instead when given; ``lead_time`` / ``review_period`` / ``horizon`` in
    periods; ``pack_size``: orders are whole packs; ``min_order``: smallest order in units;
    ``salvage``: what an unsold unit fetches at the end, as a share of its cost."""

    service_level: float = 0.95
    lead_time: int = 7
    review_period: int = 7
    horizon: int | None = None
    fill_rate: float | None = None
    pack_size: float = 1.0
    min_order: float = 0.0
    salvage: float = 0.0

    def __post_init__(self) -> None:
        checks = [
            (0.5 <= self.service_level < 1, "service_level", "a probability in [0.5, 1)",
             self.service_level),
            (self.fill_rate is None or 0.5 <= self.fill_rate < 1, "fill_rate",
             "a share in [0.5, 1)", self.fill_rate),
            (int(self.lead_time) == self.lead_time and self.lead_time >= 0, "lead_time",
             "an integer >= 0", self.lead_time),
            (int(self.review_period) == self.review_period and self.review_period >= 0,
             "review_period", "an integer >= 0", self.review_period),
            (self.lead_time + self.review_period >= 1, "lead_time + review_period", ">= 1",
             self.lead_time + self.review_period),
            (self.horizon is None or self.horizon >= 1, "horizon", "an integer >= 1", self.horizon),
            (MIN_PACK <= self.pack_size <= MAX_PACK, "pack_size",
             f"between {MIN_PACK:g} and {MAX_PACK:g} units", self.pack_size),
            (self.min_order >= 0, "min_order", ">= 0", self.min_order),
            (0 <= self.salvage < 1, "salvage", "a share of cost in [0, 1)", self.salvage),
        ]
        for ok, name, rule, value in checks:
            if not ok:
                raise ValueError(f"{name} must be {rule}, got {value!r}")

    @property
    def protection(self) -> int:
        """Periods an order has to cover: lead time + review period."""
        return int(self.lead_time + self.review_period)

    @property
    def periods(self) -> int:
        """Forecast periods needed: the protection interval or the horizon, the longer."""
        return max(self.protection, int(self.horizon or 0))


ROUNDING = "nearest"
"""How a stock level in units is made whole: ``nearest`` (the achieved service level is then
the target on average; rounding up adds about half a unit of stock everywhere and lifted the
replayed service level of slow movers by about a point) or ``up`` (never below the target
level of the continuous distribution)."""


def whole_units(level: np.ndarray, rounding: str | None = None) -> np.ndarray:
    """Stock levels in whole units, per ``ROUNDING``."""
    level = np.round(np.asarray(level, dtype=float), 9)
    return np.ceil(level) if (rounding or ROUNDING) == "up" else np.floor(level + 0.5)


def _expected_excess(samples: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """E(D - s)+ per series for candidate levels ``levels`` (S, C), from draws (S, N)."""
    ordered = np.sort(samples, axis=1)
    n = ordered.shape[1]
    tail = np.concatenate([np.cumsum(ordered[:, ::-1], axis=1)[:, ::-1],
                           np.zeros((len(ordered), 1))], axis=1)  # sum of draws from i on
    out = np.empty(levels.shape)
    for s in range(len(ordered)):
        first = np.searchsorted(ordered[s], levels[s], side="right")
        out[s] = (tail[s, first] - (n - first) * levels[s]) / n
    return out


def fill_rate_level(window: np.ndarray, lead: np.ndarray, review: np.ndarray,
                    target: float) -> np.ndarray:
    """Smallest order-up-to level whose expected fill rate reaches ``target``.

    ``window``, ``lead``, ``review``: (S, N) draws of demand over L + R, L and R periods (from
    the same paths). Expected shortage per cycle ``E(D[L+R] - S)+ - E(D[L] - S)+`` against
    expected demand per cycle ``E D[R]``; candidates are quantiles of D[L+R] from 0 to 0.9999."""
    grid = np.concatenate([np.linspace(0.0, 0.9, 46), np.linspace(0.9, 0.9999, 100)[1:]])
    candidates = np.quantile(window, grid, axis=1).T  # (S, C), increasing
    shortage = _expected_excess(window, candidates) - _expected_excess(lead, candidates)
    demand = review.mean(axis=1)
    rate = 1.0 - shortage / np.where(demand > 0, demand, np.inf)[:, None]
    ok = rate >= target
    first = np.where(ok.any(axis=1), ok.argmax(axis=1), candidates.shape[1] - 1)
    return candidates[np.arange(len(candidates)), first]


def round_order(need: np.ndarray, pack_size: float | np.ndarray = 1.0,
                min_order: float | np.ndarray = 0.0) -> np.ndarray:
    """Units to order for a shortfall ``need``: nothing when there is none, else at least the
    minimum order, rounded up to whole packs (a pack is never split)."""
    need = np.asarray(need, dtype=float)
    pack = np.broadcast_to(np.asarray(pack_size, dtype=float), need.shape)
    units = np.maximum(need, min_order)
    packs = np.ceil(np.round(units / pack, 9))
    return np.where(need > 0, packs * pack, np.where(np.isnan(need), np.nan, 0.0))


def days_of_cover(stock: np.ndarray, daily_mean: np.ndarray) -> np.ndarray:
    """Periods the stock lasts at the expected demand of each coming period (fractional).

    ``stock`` (S,), ``daily_mean`` (S, D). Beyond the forecast, the average rate of the
    forecast periods is assumed; infinite when no demand is expected; NaN for unknown stock."""
    stock = np.asarray(stock, dtype=float)
    cum = np.cumsum(daily_mean, axis=1)
    n_days = daily_mean.shape[1]
    out = np.empty(len(stock))
    for s in range(len(stock)):
        if not np.isfinite(stock[s]):
            out[s] = np.nan
            continue
        k = int(np.searchsorted(cum[s], stock[s], side="right"))
        if k < n_days:
            before = cum[s, k - 1] if k else 0.0
            out[s] = k + (stock[s] - before) / max(daily_mean[s, k], 1e-12)
        else:
            rate = cum[s, -1] / n_days
            out[s] = np.inf if rate <= 0 else n_days + (stock[s] - cum[s, -1]) / rate
    return out


def stockout_probability(paths: np.ndarray, stock: np.ndarray, arriving: np.ndarray | None = None,
                         arrival: int = 0) -> np.ndarray:
    """Probability that demand runs past the stock on some period of the paths.

    ``paths`` (S, N, D) demand; ``stock`` (S,) on hand now; ``arriving`` (S,) units that
    arrive before period ``arrival`` (0-based) is served. Lost-sales reading: the first day
    cumulative demand exceeds what has been available is a stock-out. NaN for unknown stock."""
    cum = np.cumsum(paths, axis=2)
    available = np.broadcast_to(np.asarray(stock, dtype=float)[:, None], (paths.shape[0],
                                                                         paths.shape[2])).copy()
    if arriving is not None:
        available[:, arrival:] += np.nan_to_num(np.asarray(arriving, dtype=float))[:, None]
    short = (cum > available[:, None, :] + 1e-9).any(axis=2).mean(axis=1)
    return np.where(np.isfinite(stock), short, np.nan)


def critical_ratio(price: np.ndarray, cost: np.ndarray, salvage: np.ndarray) -> np.ndarray:
    """Newsvendor critical fractile ``(price - cost) / (price - salvage)``: underage cost over
    underage + overage cost. 0 when selling loses money; NaN when unknown or price <= salvage."""
    price, cost, salvage = (np.asarray(a, dtype=float) for a in (price, cost, salvage))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (price - cost) / (price - salvage)
    ratio = np.where(price > salvage, np.clip(ratio, 0.0, 1.0), np.nan)
    return ratio


def newsvendor_quantity(demand: np.ndarray, ratio: np.ndarray) -> np.ndarray:
    """Stock that maximises expected profit of one selling period: the ``ratio`` quantile of
    its demand draws (S, N). NaN where the ratio is unknown."""
    out = np.full(len(demand), np.nan)
    for s in np.flatnonzero(np.isfinite(ratio)):
        out[s] = np.quantile(demand[s], ratio[s]) if ratio[s] > 0 else 0.0
    return out


def plan_inventory(paths: DemandPaths, params: InventoryParams, on_hand: np.ndarray,
                   price: np.ndarray | None = None, cost: np.ndarray | None = None,
                   on_order: np.ndarray | None = None) -> pd.DataFrame:
    """Per series: expected demand over lead time / protection interval / horizon, safety
    stock, reorder point, order-up-to level, order now (rounded), days of cover, stock-out
    probabilities, newsvendor quantity.

    ``on_hand`` (S,) units now (NaN: unknown, then no order quantity is proposed); ``on_order``
    (S,) units already ordered (default none). Definitions: ``order_up_to`` S covers L + R at
    the target; ``safety_stock`` = S - E D[L+R]; ``reorder_point`` = E D[L] + safety stock
    (with continuous review, order when the inventory position falls to it; with R = 0 it is
    S); ``order_qty`` = S - inventory position, as a review today would order it, rounded to
    packs and the minimum order (0 when the position is at or above S)."""
    lead_time, protection = int(params.lead_time), params.protection
    periods = paths.paths.shape[2]
    horizon = min(max(int(params.horizon or protection), 1), periods)
    window = paths.window(0, protection)
    lead = paths.window(0, lead_time)
    review = paths.window(lead_time, int(params.review_period))
    if params.fill_rate is not None:
        level = fill_rate_level(window, lead, review, params.fill_rate)
    else:
        level = np.quantile(window, params.service_level, axis=1)
    mean_window, mean_lead = window.mean(axis=1), lead.mean(axis=1)
    safety = level - mean_window
    order_up_to = whole_units(level)
    reorder_point = whole_units(mean_lead + safety)
    on_hand = np.asarray(on_hand, dtype=float)
    position = on_hand + (np.zeros_like(on_hand) if on_order is None else np.nan_to_num(on_order))
    order_qty = round_order(order_up_to - position, params.pack_size, params.min_order)
    horizon_paths = paths.paths[:, :, :horizon]
    out = pd.DataFrame({
        "unique_id": paths.ids,
        "mean_demand_lead_time": mean_lead,
        "mean_demand_protection": mean_window,
        "sd_demand_protection": window.std(axis=1),
        "mean_demand_horizon": horizon_paths.sum(axis=2).mean(axis=1),
        "safety_stock": safety,
        "reorder_point": reorder_point,
        "order_up_to": order_up_to,
        "on_hand": on_hand,
        "inventory_position": position,
        "order_qty": order_qty,
        "days_of_cover": days_of_cover(position, paths.daily_mean),
        "below_reorder_point": position <= reorder_point,
        "stockout_risk_lead_time": stockout_probability(paths.paths[:, :, :lead_time], position),
        "stockout_probability_no_order": stockout_probability(horizon_paths, position),
        "stockout_probability": stockout_probability(horizon_paths, position, order_qty,
                                                     arrival=lead_time),
    })
    if price is not None and cost is not None:
        ratio = critical_ratio(price, cost, np.asarray(cost, dtype=float) * params.salvage)
        out["critical_ratio"] = ratio
        out["newsvendor_qty"] = np.ceil(np.round(
            newsvendor_quantity(horizon_paths.sum(axis=2), ratio), 9))
    return out


def reorder_list(plan: pd.DataFrame) -> pd.DataFrame:
    """What to order now, most urgent first: series with an order quantity, by the chance of
    running out before an order placed today can arrive, then by fewest days of cover."""
    todo = plan[plan["order_qty"].fillna(0) > 0]
    ranked = todo.sort_values(["stockout_risk_lead_time", "days_of_cover", "unique_id"],
                              ascending=[False, True, True], na_position="last")
    ranked = ranked.reset_index(drop=True)
    ranked.insert(0, "urgency_rank", np.arange(1, len(ranked) + 1))
    return ranked
