"""What-if simulation of a promotion scenario on the no-promotion forecast, without retraining.

Per item x store x day the scenario changes demand exactly as the planner and the demo shop's
true model do (``promotions.plan``, ``testing.demo.model``)::

    units = baseline_units x (shelf price / regular price) ** price_elasticity
            x prod(1 + lift_m for the non-price mechanisms m switched on)
            x (1 - post_promo_dip)        on the ``dip_days`` days after a promotion ends
                                          (monthly rows: the whole period after the
                                          promotion's, the period an estimate measures)
            x (1 - cannibalisation_rate) ** min(rival promotions, RIVAL_CAP)

Rival promotions are other items of the category, same store and day, under another promo_id
(items sharing one category-wide promotion do not take from each other). The units moved
by cannibalisation (or a halo, a negative rate) in a category x store x day are at most, in
size, the promoted items' own incremental units there (baseline x (price effect x lifts - 1)):
past that the rivals' moved units are scaled down (``cannibal_bound``, the plan's bound too),
with a ``cannibalisation_bounded`` warning. Money per unit
comes from ``plan.promo_terms``: revenue = net price x units; margin = (regular price -
giveaway - unit cost) x units, less fixed costs (spread over the promotion's item x store x
days). ``bundle`` is a basket deal: its lift changes demand and its ``discount_pct`` is costed
like a threshold (that share of the regular price back on every unit), the shelf price stays.
Only the series a scenario touches are priced: promoted items and the other items of their
categories in the promoted stores; every other series is unchanged (incremental 0).

Weekly (or monthly) baselines work the same: the period is split into days, each day gets its
factor and money, and the period's units are its baseline spread evenly over its days.

Uncertainty: joint draws of the baseline (Gaussian copula over its quantiles) and of the
elasticity give the quantiles of sums; see ``promotions.simulate_draws`` (its text is
``Simulation.method``).

The work is split by step: ``simulate_inputs`` (baseline rows, days, effects, prices),
``simulate_factors`` (per-day price, money and demand factors), ``simulate_draws``
(uncertainty), ``simulate_totals`` (per row / series / total tables), ``simulate_stock``
(stock checks) and ``simulate_result`` (``Simulation`` and its JSON form). Everything runs on
numpy arrays keyed by integer codes: a what-if of 5 items x 14 days prices in milliseconds.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from promocast.promotions.simulate_draws import (
    METHOD,
    Normals,
    NormalSource,
    baseline_draws,
    draw_normals,
    elasticity_extra,
)
from promocast.promotions.simulate_factors import MEASURES, factors
from promocast.promotions.simulate_inputs import (
    DAY_NS,
    SERIES,
    Days,
    categories,
    category_map,
    join_days,
    no_effects_error,
    positive_elasticities,
    read_grid,
    series_inputs,
    text,
)
from promocast.promotions.simulate_result import DEFAULT_QUANTILES, Simulation
from promocast.promotions.simulate_stock import stock_warnings
from promocast.promotions.simulate_totals import row_table, summaries

__all__ = [
    "DEFAULT_QUANTILES",
    "DIP_DAYS",
    "MEASURES",
    "METHOD",
    "SERIES",
    "Normals",
    "Simulation",
    "draw_normals",
    "simulate",
]

DIP_DAYS = 7
"""Days after a promotion ends that carry the post-promotion dip (as the effects design)."""


def simulate(
    expanded: pd.DataFrame,
    baseline: pd.DataFrame,
    params: pd.DataFrame,
    items: pd.DataFrame,
    *,
    prices: pd.DataFrame,
    stock: pd.DataFrame | None = None,
    quantiles: tuple[float, ...] = DEFAULT_QUANTILES,
    freq: str | None = None,
    dip_days: int = DIP_DAYS,
    n_samples: int = 1000,
    within_series_correlation: float = 0.5,
    stock_quantile: float = 0.9,
    level: float = 0.9,
    seed: int = 0,
    source: str = "scenario",
    normals: NormalSource = draw_normals,
    category_elasticity: pd.DataFrame | None = None,
) -> Simulation:
    """Price the scenario ``expanded`` (from ``check_scenario``) against ``baseline``.

    ``baseline``: item_id, store_id, ds, a point column (baseline_units, else mean / median /
    q0.5) and optional quantile columns ``q<level>`` (or ``baseline_units-q<level>``): the
    no-promotion forecast at the regular price over the horizon (include the week after the
    last promotion for its dip to count). ``params``: EffectParams (``level``: the level of
    its elasticity interval). ``items``: item_id, category, unit_cost (a missing cost gives
    null margins and a warning). ``prices``: item_id [, store_id], regular_price (or
    base_price). ``stock``: item_id, store_id, on_hand (or available_units) at the start.
    A ``standing`` column of ``prices`` marks series whose regular_price is the standing
    discount they sell at (the baseline holds it): a warning says so for promoted ones.
    ``normals``: where the random draws come from (``draw_normals``; a server may pass a
    memoised copy, the numbers stay those of ``seed``). ``category_elasticity``: category,
    price_elasticity [, _lo, _hi] (the effects' category table): a promoted item whose
    elasticity is positive takes its category's when that is negative, with a warning per item
    (``simulate_inputs.positive_elasticities``).
    """
    warnings: list[dict[str, Any]] = [
        {"kind": "scenario", "message": m} for m in expanded.attrs.get("warnings", [])
    ]
    if params.empty or "price_elasticity" not in params \
            or params["price_elasticity"].isna().all():
        raise no_effects_error(source)
    category_of = category_map(params, items)
    promo_items, promo_stores = text(expanded["item_id"]), text(expanded["store_id"])
    cells = set(zip(categories(promo_items, category_of), promo_stores, strict=True))
    grid = read_grid(baseline, cells, category_of)
    days = join_days(grid, expanded, freq, source)
    promoted = set(zip(promo_items, promo_stores, strict=True))
    series = series_inputs(grid.series, params, items, prices, set(promo_items), level, warnings)
    series["role"] = [
        "promoted" if key in promoted else "other"
        for key in zip(series["item_id"], series["store_id"], strict=True)
    ]
    positive_elasticities(series, category_elasticity, level, warnings)
    warnings += _standing(prices, promoted)
    f = factors(days, series, np.nan_to_num(grid.point), dip_days, source, warnings)

    point = grid.point
    if (gaps := int(np.isnan(point).sum())) > 0:
        warnings.append(
            {
                "kind": "baseline_missing",
                "message": f"{gaps} baseline row(s) without a forecast are counted as 0 units",
            }
        )
        point = np.nan_to_num(point)
    qvalues = grid.qvalues.copy()
    holes = np.isnan(qvalues).any(axis=1)
    qvalues[holes] = point[holes, None]  # a row without all its quantiles: no spread
    noise = normals(seed, len(point), len(series), n_samples, len(grid.levels) >= 2)
    draws = baseline_draws(point, qvalues, grid.levels, grid.bsid, within_series_correlation, noise)
    rows_m, extra = elasticity_extra(
        f,
        series["price_elasticity"].to_numpy(float),
        series["elasticity_sd"].to_numpy(float),
        noise,
    )
    qs = tuple(quantiles)
    cols, per_unit = row_table(grid, days, series, f, point, qvalues, draws, rows_m, extra, qs)
    summary, totals = summaries(cols, series, draws, f, rows_m, extra, grid.bsid, per_unit, qs)
    warnings += stock_warnings(
        grid.ds,
        cols["promoted_days"],
        series,
        draws,
        f,
        rows_m,
        extra,
        grid.bsid,
        stock,
        stock_quantile,
    )
    warnings += _dip_truncated(days, len(series), dip_days)
    return Simulation(pd.DataFrame(cols), summary, totals, warnings, qs, n_samples)


def _dip_truncated(days: Days, n_series: int, dip_days: int) -> list[dict[str, Any]]:
    """A warning when promoted series end too close to the forecast's end for their dip to
    count."""
    hit = days.promo >= 0
    if not hit.any():
        return []
    last_day = days.ds.max()
    ends = np.full(n_series, np.iinfo(np.int64).min)
    np.maximum.at(ends, days.sid[hit], days.ds[hit])
    late = int((ends[np.unique(days.sid[hit])] > last_day - dip_days * DAY_NS).sum())
    if late == 0:
        return []
    return [
        {
            "kind": "dip_truncated",
            "message": f"{late} promoted item x store(s) "
            f"end within {dip_days} days of the forecast's last day "
            f"{pd.Timestamp(last_day).date()}: the dip after it is not counted",
        }
    ]


def _standing(prices: pd.DataFrame, promoted: set[tuple[str, str]]) -> list[dict[str, Any]]:
    """A warning naming the promoted items priced from their standing discount, if any."""
    if "standing" not in prices or "store_id" not in prices:
        return []
    held = prices[prices["standing"].astype(bool)]
    keys = set(zip(text(held["item_id"]), text(held["store_id"]), strict=True))
    items = sorted({item for item, store in promoted if (item, store) in keys})
    if not items:
        return []
    return [{"kind": "standing_discount", "items": items,
             "message": f"{', '.join(items[:5])}{' ...' if len(items) > 5 else ''}: sold at a "
                        "standing discount, so the baseline is at the price they usually sell "
                        "at and the promotion's depth comes off that price"}]
