"""Price a promotion plan with the demo shop's truth: the yardstick of the plan optimiser.

``effect_params_from_truth`` turns ``ground_truth.json`` into EffectParams (what an estimator
should find); ``true_baseline`` is the true no-promotion demand per item x store x period at
the current regular price; ``true_plan_value`` replays a plan day by day through the true
demand model (exact dips, compounding, capped cannibalisation bounded by the promoted items'
gain) and costs it exactly as the
planner does (``promotions.plan.promo_terms``), so plans can be compared on the truth.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from promocast.promotions.cannibal_bound import rival_scale
from promocast.promotions.plan import LIFT_OF, promo_terms
from promocast.testing.demo.calendar import calendar_demand
from promocast.testing.demo.model import (
    DIP_DAYS,
    LIFT_MECHANISMS,
    DemandParams,
    cannibal_terms,
    cell_sums,
    expected_demand,
)
from promocast.testing.demo.promotions import after_promotion


def effect_params_from_truth(truth: dict, item_ids: Sequence[str] | None = None) -> pd.DataFrame:
    """EffectParams (one row per item, store_id ``all``) holding the true parameters."""
    ids = list(truth["items"]) if item_ids is None else list(item_ids)
    params = DemandParams.from_truth(truth, ids)
    frame = pd.DataFrame(
        {
            "item_id": ids,
            "store_id": "all",
            "category": [truth["items"][i]["category"] for i in ids],
            "price_elasticity": params.price_elasticity,
            "price_elasticity_lo": params.price_elasticity,
            "price_elasticity_hi": params.price_elasticity,
        }
    )
    for k, m in enumerate(LIFT_MECHANISMS):
        frame[f"lift_{m}"] = params.lift[:, k]
    frame["post_promo_dip"] = params.post_promo_dip
    frame["cannibalisation_rate"] = params.cannibalisation_rate
    return frame


def festival_events(truth: dict) -> pd.DataFrame:
    """date, event for every festival day the truth knows (history and five years on)."""
    rows = [
        (pd.Timestamp(d), event)
        for event, spec in truth["festivals"].items()
        for d in spec["dates"]
    ]
    return pd.DataFrame(rows, columns=["date", "event"])


def _days(
    first_day: str | pd.Timestamp, n_periods: int, period_days: int, tail: int = 0
) -> pd.DatetimeIndex:
    return pd.date_range(pd.Timestamp(first_day), periods=n_periods * period_days + tail, freq="D")


def _setup(
    truth: dict, items: pd.DataFrame, days: pd.DatetimeIndex, store_ids: Sequence[str] | None
) -> tuple[list[str], list[str], DemandParams, np.ndarray, np.ndarray]:
    ids = list(items["item_id"])
    stores = list(truth["stores"]) if store_ids is None else list(store_ids)
    params = DemandParams.from_truth(truth, ids)
    calendar = calendar_demand(truth, days, ids, stores)
    regular = np.broadcast_to(items["base_price"].to_numpy(float)[:, None, None], calendar.shape)
    return ids, stores, params, calendar, regular


def true_baseline(
    truth: dict,
    items: pd.DataFrame,
    first_day: str | pd.Timestamp,
    n_periods: int,
    *,
    period_days: int = 7,
    store_ids: Sequence[str] | None = None,
) -> pd.DataFrame:
    """item_id, store_id, period_start, baseline_units: true expected units per period at the
    item's regular price (``items.base_price``) with no promotion anywhere."""
    days = _days(first_day, n_periods, period_days)
    ids, stores, params, calendar, regular = _setup(truth, items, days, store_ids)
    units = expected_demand(params, calendar, regular)
    per_period = units.reshape(len(ids), len(stores), n_periods, period_days).sum(axis=-1)
    starts = days[::period_days]
    index = pd.MultiIndex.from_product(
        [ids, stores, starts], names=["item_id", "store_id", "period_start"]
    )
    return pd.DataFrame({"baseline_units": per_period.ravel()}, index=index).reset_index()


def true_plan_value(
    truth: dict,
    items: pd.DataFrame,
    promotions: pd.DataFrame,
    first_day: str | pd.Timestamp,
    n_periods: int,
    *,
    period_days: int = 7,
    fixed_cost: dict[str, float] | None = None,
    store_ids: Sequence[str] | None = None,
) -> dict[str, float]:
    """True expected money of a plan against no promotion, over the planned periods plus the
    DIP_DAYS after them (the last promotions' dips count).

    ``promotions``: item_id, store_id, period_start, promo_type, depth (e.g. PlanResult.chosen);
    ``items``: item_id, category, unit_cost, base_price (the regular price). Returns
    incremental_margin (after fixed costs), incremental_revenue, giveaway, fixed_cost, units.
    """
    days = _days(first_day, n_periods, period_days, DIP_DAYS)
    ids, stores, params, calendar, regular = _setup(truth, items, days, store_ids)
    cost = items["unit_cost"].to_numpy(float)[:, None, None]
    shape = calendar.shape
    shelf = np.array(regular, dtype=float)
    net = np.array(regular, dtype=float)
    giveaway = np.zeros(shape)
    index = np.full(shape, -1, dtype=np.int64)
    mechanisms = np.zeros((*shape, len(LIFT_MECHANISMS)), dtype=bool)
    item_pos = {i: k for k, i in enumerate(ids)}
    store_pos = {s: k for k, s in enumerate(stores)}
    fixed = 0.0
    for n, r in enumerate(promotions.itertuples(index=False)):
        i, s = item_pos[r.item_id], store_pos[r.store_id]
        start = (pd.Timestamp(r.period_start) - days[0]).days
        span = slice(start, start + period_days)
        p0 = regular[i, s, span]
        terms = promo_terms(r.promo_type, float(r.depth), p0)
        shelf[i, s, span] = terms["shelf_price"]
        net[i, s, span] = terms["net_price"]
        giveaway[i, s, span] = terms["giveaway"]
        index[i, s, span] = n
        for m in LIFT_OF[r.promo_type]:
            mechanisms[i, s, span, LIFT_MECHANISMS.index(m)] = True
        fixed += (fixed_cost or {}).get(r.promo_type, 0.0)
    active = index >= 0
    codes = pd.factorize(items["category"])[0]
    n_cells = int(codes.max()) + 1
    rivals = cell_sums(active, codes, n_cells)[codes] - active
    after = after_promotion(index)
    gain, loss = cannibal_terms(
        params,
        calendar,
        shelf,
        regular,
        mechanisms,
        on_promo=active,
        after_promo=after,
        rivals_on_promo=rivals,
    )
    scale = rival_scale(cell_sums(gain, codes, n_cells), cell_sums(loss, codes, n_cells))
    units = expected_demand(
        params,
        calendar,
        shelf,
        mechanisms,
        after_promo=after,
        rivals_on_promo=rivals,
        rival_scale=scale[codes],
    )
    base_units = expected_demand(params, calendar, regular)
    margin = ((regular - giveaway - cost) * units).sum() - ((regular - cost) * base_units).sum()
    return {
        "incremental_margin": float(margin - fixed),
        "incremental_revenue": float((net * units).sum() - (regular * base_units).sum()),
        "giveaway": float((giveaway * units).sum()),
        "fixed_cost": float(fixed),
        "incremental_units": float(units.sum() - base_units.sum()),
    }
