"""The options a promotion plan chooses from: every allowed item x store x period x mechanism
x depth priced from the no-promotion baseline and the estimated effects (the demand and
margin model is described in ``promotions.plan``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from promocast.exceptions import DataValidationError, RowError
from promocast.promotions.cannibal_bound import rival_scale
from promocast.promotions.plan_risk import log_units_sd
from promocast.promotions.rules import DEFAULT_GRID, period_end

LIFT_OF: dict[str, tuple[str, ...]] = {
    "percent_off": (),
    "amount_off": (),
    "threshold": ("threshold",),
    "gift": ("gift",),
    "flash_sale": ("flash_sale",),
    "feature_display": ("feature_display",),
}
"""Non-price mechanisms (EffectParams ``lift_<m>`` columns) each planned option switches on."""
LIFT_COLUMNS = tuple(
    f"lift_{m}" for m in ("threshold", "gift", "flash_sale", "bundle", "feature_display")
)
KEY = ["item_id", "store_id", "period_start"]


def promo_terms(promo_type: str, depth: float | np.ndarray, regular_price: np.ndarray) -> dict[str, np.ndarray]:
    """Per unit sold: ``shelf_price`` (drives demand through the elasticity), ``net_price``
    (money received), ``giveaway`` (what the shop gives away, counted in the budget).

    percent_off / flash_sale: depth % off, to the cent; amount_off: depth money off (never
    below 10 % of the price); threshold: depth % of the regular price back on every unit;
    gift: a gift worth depth % of the regular price per unit (received money unchanged)."""
    p0 = np.asarray(regular_price, dtype=float)
    shelf = p0
    if promo_type in ("percent_off", "flash_sale"):
        shelf = np.round(p0 * (1 - depth / 100), 2)
    elif promo_type == "amount_off":
        shelf = np.round(np.maximum(p0 - depth, 0.1 * p0), 2)
    giveaway = p0 - shelf
    net = shelf
    if promo_type == "threshold":
        giveaway = p0 * depth / 100
        net = p0 - giveaway
    elif promo_type == "gift":
        giveaway = p0 * depth / 100
    return {"shelf_price": shelf, "net_price": net, "giveaway": giveaway}


def _missing(what: str, column: str, values: list[str], rule: str) -> DataValidationError:
    return DataValidationError(
        [RowError(what, None, column, str(v), rule) for v in values[:20]], total=len(values)
    )


def effect_rows(base: pd.DataFrame, params: pd.DataFrame) -> pd.DataFrame:
    """EffectParams per baseline row: the (item, store) row, else the item's pooled ``all``."""
    params = params.copy()
    for col in LIFT_COLUMNS:
        if col not in params:
            params[col] = np.nan
    for col, default in (("post_promo_dip", 0.0), ("cannibalisation_rate", 0.0)):
        # numeric whatever the source (a kept result read back from JSON may hold only nulls)
        params[col] = (pd.to_numeric(params[col], errors="coerce").fillna(default)
                       if col in params else default)
    if "store_id" not in params:
        params["store_id"] = "all"
    cols = ["category", "price_elasticity", *LIFT_COLUMNS, "post_promo_dip", "cannibalisation_rate"]
    cols += [c for c in ("price_elasticity_lo", "price_elasticity_hi",
                         *(f"{lift}_{end}" for lift in LIFT_COLUMNS for end in ("lo", "hi")))
             if c in params]  # intervals, for plan_risk
    specific = params.drop_duplicates(["item_id", "store_id"]).set_index(["item_id", "store_id"])
    pooled = params[params["store_id"] == "all"].drop_duplicates("item_id").set_index("item_id")
    index = pd.MultiIndex.from_frame(base[["item_id", "store_id"]])
    out = specific.reindex(index)[cols].reset_index(drop=True)
    fallback = pooled.reindex(base["item_id"])[cols].reset_index(drop=True)
    found = np.broadcast_to(out["price_elasticity"].notna().to_numpy()[:, None], out.shape)
    out = out.where(found, fallback)
    lost = base.loc[out["price_elasticity"].isna().to_numpy(), "item_id"].unique().tolist()
    if lost:
        raise _missing(
            "effect params",
            "item_id",
            lost,
            "no price elasticity for this item (estimate effects first)",
        )
    return out


def _prices(base: pd.DataFrame, prices: pd.DataFrame) -> pd.DataFrame:
    prices = prices.rename(columns={"base_price": "regular_price"})
    keys = ["item_id", "store_id"] if "store_id" in prices else ["item_id"]
    table = prices.drop_duplicates(keys).set_index(keys)
    index = pd.MultiIndex.from_frame(base[keys]) if len(keys) == 2 else pd.Index(base["item_id"])
    out = table.reindex(index)[["regular_price", "unit_cost"]].reset_index(drop=True)
    bad = (
        base.loc[(out["regular_price"].isna() | out["unit_cost"].isna()).to_numpy(), "item_id"]
        .unique()
        .tolist()
    )
    if bad:
        raise _missing(
            "prices",
            "unit_cost",
            bad,
            "no regular price or unit cost for this item: margins cannot be computed",
        )
    if "category" in prices:
        out["price_category"] = table.reindex(index)["category"].to_numpy()
    return out


def build_candidates(
    baseline: pd.DataFrame,
    params: pd.DataFrame,
    prices: pd.DataFrame,
    *,
    grid: dict[str, list[float]] | None = None,
    periods: pd.DatetimeIndex | list | None = None,
    stock: pd.DataFrame | None = None,
    freq: str = "W",
    dip_periods: int = 1,
) -> pd.DataFrame:
    """One row per (item, store, period, mechanism, depth) with its expected units, money and
    incremental margin / revenue (before fixed costs, which ``optimise_plan`` adds per rules).

    ``baseline``: item_id, store_id, period_start, baseline_units (no-promotion forecast at the
    regular price; ``baseline_units-q<level>`` quantile columns are carried as
    ``expected_units-q<level>``). ``params``: EffectParams. ``prices``: item_id [, store_id],
    regular_price (or base_price), unit_cost. ``stock``: item_id, store_id, available_units
    (units that can be sold over the planned periods: on hand + receipts due).
    """
    grid = DEFAULT_GRID if grid is None else grid
    base = baseline.copy()
    base["period_start"] = pd.to_datetime(base["period_start"])
    if periods is not None:
        base = base[base["period_start"].isin(pd.DatetimeIndex(periods))]
    base = base.sort_values(KEY).reset_index(drop=True)
    if base.empty:
        return pd.DataFrame(columns=[*KEY, "promo_type", "depth", "incremental_margin"])
    eff = effect_rows(base, params)
    money = _prices(base, prices)
    if eff["category"].isna().any() and "price_category" in money:
        eff["category"] = eff["category"].fillna(money["price_category"])
    eff["category"] = eff["category"].fillna("(none)").astype(str)
    cells = pd.concat([base, eff, money[["regular_price", "unit_cost"]]], axis=1)
    p0, cost = cells["regular_price"].to_numpy(float), cells["unit_cost"].to_numpy(float)
    units0 = cells["baseline_units"].to_numpy(float)
    cells["baseline_revenue"] = p0 * units0
    cells["baseline_margin"] = (p0 - cost) * units0

    # post-promotion dip: the next dip_periods periods of the same series (extrapolated)
    series = cells.groupby(["item_id", "store_id"], sort=False)["baseline_units"]
    ahead = np.zeros(len(cells))
    for k in range(1, dip_periods + 1):
        nxt = series.shift(-k)
        ahead += nxt.fillna(cells["baseline_units"]).to_numpy(float)
    dip = cells["post_promo_dip"].clip(lower=0).to_numpy(float) * ahead
    cells["dip_units"] = dip
    # cannibalisation: first-order loss of every category rival in the store and period,
    # bounded per option by its own incremental units (below)
    rate = cells["cannibalisation_rate"].clip(lower=0).to_numpy(float)
    pool = cells.assign(
        m=rate * cells["baseline_margin"], r=rate * cells["baseline_revenue"], u=rate * units0
    )
    group = pool.groupby(["category", "store_id", "period_start"], sort=False)
    cannibal_margin = group["m"].transform("sum").to_numpy() - rate * cells["baseline_margin"]
    cannibal_revenue = group["r"].transform("sum").to_numpy() - rate * cells["baseline_revenue"]
    cannibal_units = group["u"].transform("sum").to_numpy() - rate * units0
    cells["horizon_baseline_units"] = series.transform("sum")
    if stock is not None:
        avail = stock.drop_duplicates(["item_id", "store_id"]).set_index(["item_id", "store_id"])
        cells["stock_units"] = (
            avail["available_units"]
            .reindex(pd.MultiIndex.from_frame(cells[["item_id", "store_id"]]))
            .to_numpy(float)
        )
    quantiles = [c for c in cells if c.startswith("baseline_units-q")]

    frames = []
    for kind, depths in grid.items():
        lift = np.ones(len(cells))
        missing = np.zeros(len(cells), dtype=bool)
        for m in LIFT_OF[kind]:
            value = cells[f"lift_{m}"].to_numpy(float)
            missing |= np.isnan(value)
            lift *= 1 + np.nan_to_num(value)
        for depth in depths:
            terms = promo_terms(kind, float(depth), p0)
            ok = depth < 0.9 * p0 if kind == "amount_off" else np.ones(len(cells), dtype=bool)
            ratio = terms["shelf_price"] / p0
            mult = ratio ** cells["price_elasticity"].to_numpy(float) * lift
            units = units0 * mult
            revenue = terms["net_price"] * units
            margin = (p0 - terms["giveaway"] - cost) * units
            # rivals lose at most the option's own incremental units (cannibal_bound)
            bound = rival_scale(units - units0, cannibal_units)
            lost = {"margin": cannibal_margin * bound, "revenue": cannibal_revenue * bound,
                    "units": cannibal_units * bound}
            frame = cells.assign(
                promo_type=kind,
                depth=float(depth),
                shelf_price=terms["shelf_price"],
                net_price=terms["net_price"],
                multiplier=mult,
                lift=mult - 1,
                lift_missing=missing,
                log_units_sd=log_units_sd(cells, ratio, LIFT_OF[kind]),
                expected_units=units,
                revenue=revenue,
                giveaway=terms["giveaway"] * units,
                margin=margin,
                dip_loss=dip * (p0 - cost),
                cannibalisation_loss=lost["margin"],
                gross_incremental_margin=margin
                - cells["baseline_margin"]
                - dip * (p0 - cost)
                - lost["margin"],
                incremental_revenue=revenue
                - cells["baseline_revenue"]
                - dip * p0
                - lost["revenue"],
                incremental_units=units - units0 - dip - lost["units"],
            )
            for q in quantiles:
                frame[q.replace("baseline_units", "expected_units")] = frame[q] * mult
            frames.append(frame[ok])
    cand = pd.concat(frames, ignore_index=True)
    cand["period_end"] = period_end(cand["period_start"], freq if freq in ("D", "M") else "W")
    cand["fixed_cost"] = 0.0
    cand["promo_cost"] = cand["giveaway"]
    cand["incremental_margin"] = cand["gross_incremental_margin"]
    order = ["item_id", "store_id", "period_start", "promo_type", "depth"]
    return cand.sort_values(order, kind="stable").reset_index(drop=True)
