"""Per day of a what-if: the price a shopper pays, the money per unit and the demand factor of
the promotion, its post-promotion dip and the rivals' promotions; summed per baseline row
into coefficients on the row's baseline units (see ``promotions.simulate`` for the model).

Groups (a series' days, a category x store x day, a promotion's days) are integer codes
counted with ``np.bincount``: the same sums as pandas group-bys without their overhead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd

from promocast.exceptions import RowError
from promocast.promotions.cannibal_bound import bounded_warning, rival_scale
from promocast.promotions.plan import promo_terms
from promocast.promotions.plan_refine import RIVAL_CAP
from promocast.promotions.scenario import LIFT_MECHANISMS, InvalidScenario
from promocast.promotions.simulate_inputs import DAY_NS, Days

MEASURES = ("units", "revenue", "margin")


@dataclass
class Factors:
    """Per baseline row: coefficients on its baseline units (units, revenue, margin,
    giveaway, dip and cannibalisation losses, promoted days), fixed cost and average shelf
    price; per day with an uncertain price effect (``moving``): what the elasticity draws
    need (b, sid, ratio, price_effect and the units / revenue / margin per baseline unit)."""

    coef: dict[str, np.ndarray]
    fixed: np.ndarray
    shelf: np.ndarray
    moving: dict[str, np.ndarray]


def _money(
    days: Days, p0: np.ndarray, item_of_day: np.ndarray, source: str
) -> dict[str, np.ndarray]:
    """Shelf price, net price and giveaway per day (``plan.promo_terms``), planned prices."""
    shelf, net, give = p0.copy(), p0.copy(), np.zeros(len(p0))
    kinds = days.column("promo_type", "", object)
    kinds = np.where(pd.isna(kinds), "", kinds).astype(str)
    depth = days.column("depth")
    gift = (kinds == "gift") & np.isnan(depth)
    depth[gift] = 100 * days.column("gift_value")[gift] / p0[gift]
    bad = (kinds == "amount_off") & (depth >= 0.9 * p0)
    if bad.any():
        hit = pd.DataFrame(
            {
                "row": days.column("row")[bad],
                "depth": depth[bad],
                "regular_price": p0[bad],
                "item_id": item_of_day[bad],
            }
        ).drop_duplicates("row")
        raise InvalidScenario(
            [
                RowError(
                    source,
                    int(r.row),
                    "amount_off",
                    f"{r.depth:g}",
                    f"is >= 90 % of the regular price {r.regular_price:g} of item {r.item_id}",
                )
                for r in hit.itertuples()
            ]
        )
    for kind in set(kinds) - {""}:
        mask = kinds == kind
        # promo_terms is elementwise: an array of depths prices every day at once
        terms = promo_terms(
            "threshold" if kind == "bundle" else kind, cast(float, depth[mask]), p0[mask]
        )
        shelf[mask], net[mask], give[mask] = (
            terms["shelf_price"],
            terms["net_price"],
            terms["giveaway"],
        )
    planned = days.column("planned_price")
    hit = ~np.isnan(planned) & (kinds != "")
    shelf[hit], net[hit], give[hit] = planned[hit], planned[hit], p0[hit] - planned[hit]
    return {"shelf": shelf, "net": net, "giveaway": give}


def _dip_days(days: Days, dip_days: int) -> np.ndarray:
    """True on the ``dip_days`` days after a promotion of the series ended, when not on one
    (days are grouped by series and in date order within it). Periods longer than a week
    (months) dip over the whole period after the one the promotion ended in: an effect
    estimated on monthly rows measures that period's drop, and the planner counts it so."""
    last = np.maximum.accumulate(np.where(days.on, np.arange(len(days.on)), -1))
    seen = last >= 0
    seen[seen] = days.sid[last[seen]] == days.sid[seen]
    since = np.floor_divide(days.ds - days.ds[np.maximum(last, 0)], DAY_NS)
    after = ~days.on & seen & (since >= 1)
    long = days.width > 7
    next_period = days.b == days.b[np.maximum(last, 0)] + 1
    return after & np.where(long, next_period, since <= dip_days)


def _codes(*parts: np.ndarray) -> np.ndarray:
    """One integer per distinct combination of ``parts`` (equal rows, equal codes)."""
    code = np.zeros(len(parts[0]), dtype=np.int64)
    for part in parts:
        values, uniques = pd.factorize(part)
        code = code * max(len(uniques), 1) + values
    return pd.factorize(code)[0]


def _rivals(
    days: Days, series: pd.DataFrame, promo_id: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Other items of the category x store x day on promotion under another promo_id, and
    the category x store x day code of each day row."""
    # category x store coded once per series (a few hundred), not per day row (thousands)
    per_series = _codes(series["category"].to_numpy(), series["store_id"].to_numpy())
    cell = _codes(per_series[days.sid], days.ds)
    on = days.on
    n_on = np.bincount(cell[on], minlength=cell.max(initial=-1) + 1)[cell]
    same = np.zeros(len(on), dtype=np.int64)
    if on.any():
        group = _codes(cell[on], promo_id[on])
        same[on] = np.bincount(group)[group]
    return np.where(on, n_on - same, n_on), cell


def _bounded_kept(
    days: Days,
    cell: np.ndarray,
    kept: np.ndarray,
    gross: np.ndarray,
    gain: np.ndarray,
    base_day: np.ndarray,
    warnings: list[dict[str, Any]],
) -> np.ndarray:
    """``kept`` with each category x store x day's moved units (baseline x ``gross`` x (1 -
    kept), cannibalised or haloed, summed in size) scaled down to the promoted days' own
    incremental units (baseline x ``gain``, each at least 0) there (``cannibal_bound``).
    The scale is set at the baseline's point and carried by the coefficients, so quantiles
    and draws follow."""
    if not days.on.any():
        return kept
    n_cells = cell.max(initial=-1) + 1
    moved = np.bincount(cell, weights=np.abs(base_day * gross * (1 - kept)), minlength=n_cells)
    # each promoted day's own gain, 0 when its promotion loses units (a price above the
    # regular one draws no switchers and does not cancel another promotion's)
    own = np.where(days.on, base_day * np.maximum(gain, 0.0), 0.0)
    grown = np.bincount(cell, weights=own, minlength=n_cells)
    scale = rival_scale(grown, moved)
    warnings += bounded_warning(moved, scale, "category x store x day")
    return 1 - (1 - kept) * scale[cell]


def factors(
    days: Days,
    series: pd.DataFrame,
    point: np.ndarray,
    dip_days: int,
    source: str,
    warnings: list[dict[str, Any]],
) -> Factors:
    """The per-day demand factor and money of the scenario, summed per baseline row.
    ``point``: the baseline units of each row (no NaN), which bound the cannibalisation."""
    n_rows = len(point)
    sid = days.sid
    p0 = series["regular_price"].to_numpy(float)[sid]
    item_of_day = series["item_id"].to_numpy()[sid]
    money = _money(days, p0, item_of_day, source)
    ratio = money["shelf"] / p0
    lift = np.ones(len(sid))
    for m in LIFT_MECHANISMS:
        use = days.column(f"use_{m}", False, object) == True  # noqa: E712 (0/1 or bools)
        if not use.any():
            continue
        value = series.get(f"lift_{m}", pd.Series(np.nan, series.index)).to_numpy(float)[sid]
        if (unknown := use & np.isnan(value)).any():
            ids = sorted(set(item_of_day[unknown]))
            warnings.append(
                {
                    "kind": "lift_missing",
                    "mechanism": m,
                    "items": ids,
                    "message": f"no {m} lift estimated for {', '.join(ids[:5])}: counted as 0",
                }
            )
        lift *= np.where(use, 1 + np.nan_to_num(value), 1.0)
    after = _dip_days(days, dip_days)
    dip = np.where(after, 1 - np.nan_to_num(series["post_promo_dip"].to_numpy(float))[sid], 1.0)
    rate = np.nan_to_num(series["cannibalisation_rate"].to_numpy(float))[sid]
    promo_id = days.column("promo_id", None, object)
    rivals, cell = _rivals(days, series, promo_id)
    kept = (1 - rate) ** np.minimum(rivals, RIVAL_CAP)
    elasticity = np.nan_to_num(series["price_elasticity"].to_numpy(float))[sid]
    price_effect = np.where(ratio == 1.0, 1.0, ratio**elasticity)
    width, b = days.width, days.b
    kept = _bounded_kept(
        days, cell, kept, price_effect * lift * dip, price_effect * lift - 1, point[b] / width,
        warnings,
    )
    other = lift * dip * kept
    unit_margin = p0 - money["giveaway"] - series["unit_cost"].to_numpy(float)[sid]

    def per_row(weights: np.ndarray) -> np.ndarray:
        return np.bincount(b, weights=weights / width, minlength=n_rows)

    factor = price_effect * other
    coef = {
        "units": per_row(factor),
        "revenue": per_row(factor * money["net"]),
        "margin": per_row(factor * unit_margin),
        "giveaway": per_row(factor * money["giveaway"]),
        "dip_loss": per_row(np.where(after, price_effect * lift * (1 - dip) * kept, 0.0)),
        "cannibal_loss": per_row(factor / np.where(kept > 0, kept, 1.0) * (1 - kept)),
        "promoted_days": np.bincount(b, weights=days.on.astype(float), minlength=n_rows),
    }
    fixed_cost = days.column("fixed_cost")
    fixed_day = np.where(days.on, np.where(np.isnan(fixed_cost), 0.0, fixed_cost), 0.0)
    cells = np.ones(len(sid))
    if days.on.any():
        group = pd.factorize(promo_id[days.on])[0]
        cells[days.on] = np.bincount(group)[group]
    moving = np.flatnonzero((ratio != 1.0) & (series["elasticity_sd"].to_numpy()[sid] > 0))
    return Factors(
        coef=coef,
        fixed=np.bincount(b, weights=fixed_day / cells, minlength=n_rows),
        shelf=per_row(money["shelf"]),
        moving={
            "b": b[moving],
            "sid": sid[moving],
            "ratio": ratio[moving],
            "price_effect": price_effect[moving],
            "units": other[moving] / width[moving],
            "revenue": (other * money["net"])[moving] / width[moving],
            "margin": (other * unit_margin)[moving] / width[moving],
        },
    )
