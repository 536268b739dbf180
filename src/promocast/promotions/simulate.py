"""What-if simulation of a promotion scenario on the no-promotion forecast, without retraining.

Per item x store x day the scenario changes demand exactly as the planner and the demo shop's
true model do (``promotions.plan``, ``testing.demo.model``)::

    units = baseline_units x (shelf price / regular price) ** price_elasticity
            x prod(1 + lift_m for the non-price mechanisms m switched on)
            x (1 - post_promo_dip)        on the ``dip_days`` days after a promotion ends
            x (1 - cannibalisation_rate) ** min(rival promotions, RIVAL_CAP)

Rival promotions are other items of the category, same store and day, under another promo_id
(items sharing one category-wide promotion do not take from each other). Money per unit
comes from ``plan.promo_terms``: revenue = net price x units; margin = (regular price -
giveaway - unit cost) x units, less fixed costs (spread over the promotion's item x store x
days). ``bundle`` is a basket deal: its lift changes demand and its ``discount_pct`` is costed
like a threshold (that share of the regular price back on every unit), the shelf price stays.
Only the series a scenario touches are priced: promoted items and the other items of their
categories in the promoted stores; every other series is unchanged (incremental 0).

Weekly (or monthly) baselines work the same: the period is split into days, each day gets its
factor and money, and the period's units are its baseline spread evenly over its days.

Uncertainty and quantiles of totals. Quantiles do not add: the sum of the items' 90 %
quantiles is the 90 % quantile of the total only if every error moves together. Totals use
``n_samples`` joint draws instead: each baseline row's value is read off its own quantile
function (piecewise linear in the normal score between the given quantiles, extrapolated
linearly in the tails, floored at 0) at a Gaussian-copula draw whose correlation is
``within_series_correlation`` between days of one item x store and 0 across series; the
price elasticity is drawn per item from its interval (normal, interval = mean +- z sd). The
same draws give the baseline and the promoted outcome (common random numbers), so incremental
quantiles reflect only what the promotion changes. A row's own quantiles are exact (its
baseline quantile times its factor) unless its elasticity is uncertain, then drawn. Expected
values are the plug-in point (baseline point x factors at the point estimates). Lifts, dips
and cannibalisation rates carry no interval in EffectParams and are taken as known.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import pandas as pd
from scipy import sparse, stats

from promocast.exceptions import DataValidationError, RowError
from promocast.promotions.plan import effect_rows, promo_terms
from promocast.promotions.plan_refine import RIVAL_CAP
from promocast.promotions.scenario import LIFT_MECHANISMS, InvalidScenario

DEFAULT_QUANTILES: tuple[float, ...] = (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95)
DIP_DAYS = 7
"""Days after a promotion ends that carry the post-promotion dip (as the effects design)."""
MEASURES = ("units", "revenue", "margin")
SERIES = ["item_id", "store_id"]
METHOD = " ".join(__doc__.split("Uncertainty and quantiles of totals. ")[1].split())
_QCOL = re.compile(r"^(?:baseline_units-)?q(\d*\.?\d+)$")


@dataclass
class Simulation:
    """A priced scenario. ``rows``: per item x store x period of every series the scenario
    touches; ``series``: the same summed over the horizon, ``role`` promoted / other;
    ``totals``: {name: {"expected", "q<level>"...}} for units / revenue / margin, their
    ``baseline_`` and ``incremental_`` versions and the promoted / other items' incremental
    split; ``warnings``: stock that cannot cover the forecast, missing effects or costs."""

    rows: pd.DataFrame
    series: pd.DataFrame
    totals: dict[str, dict[str, float | None]]
    warnings: list[dict[str, Any]] = field(default_factory=list)
    quantiles: tuple[float, ...] = DEFAULT_QUANTILES
    n_samples: int = 0
    method: str = METHOD

    @property
    def other_items(self) -> pd.DataFrame:
        """Series not promoted themselves: what the category's rivals lose."""
        return self.series[self.series["role"] == "other"].reset_index(drop=True)

    def to_json(self) -> dict[str, Any]:
        """JSON-safe: NaN -> null, dates as ISO strings."""
        return {
            "quantiles": list(self.quantiles),
            "samples": self.n_samples,
            "totals": {k: {q: _num(v) for q, v in d.items()} for k, d in self.totals.items()},
            "items": _records(self.series),
            "days": _records(self.rows),
            "warnings": [{k: _jsonable(v) for k, v in w.items()} for w in self.warnings],
            "method": self.method,
        }


def _num(value: object) -> float | None:
    if value is None:
        return None
    out = float(value)  # type: ignore[arg-type]
    return round(out, 4) if np.isfinite(out) else None


def _jsonable(value: object) -> object:
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return _num(value)
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: _jsonable(v) for k, v in r.items()} for r in frame.to_dict("records")]


# --- inputs ---------------------------------------------------------------------------------


def _baseline(baseline: pd.DataFrame) -> tuple[pd.DataFrame, str, list[float], list[str]]:
    """The baseline with string keys, its point column and its sorted quantile columns."""
    base = baseline.copy()
    if "store_id" not in base:
        base["store_id"] = "all"
    base["item_id"], base["store_id"] = base["item_id"].astype(str), base["store_id"].astype(str)
    base["ds"] = pd.to_datetime(base["ds"])
    found = {float(m.group(1)): c for c in base.columns if (m := _QCOL.match(str(c)))}
    point = next((c for c in ("baseline_units", "mean", "median") if c in base), found.get(0.5))
    if point is None:
        rule = "no point forecast column (baseline_units, mean, median or q0.5)"
        raise DataValidationError([RowError("baseline", None, "baseline_units", None, rule)])
    levels = sorted(q for q in found if 0 < q < 1)
    return base, point, levels, [found[q] for q in levels]


def _lookup(keys: pd.DataFrame, table: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """``columns`` of ``table`` per (item, store) row of ``keys``: the store's own row, else
    the item's row without a store (or store ``all``)."""
    table = table.assign(item_id=table["item_id"].astype(str))
    out = pd.DataFrame(np.nan, index=keys.index, columns=columns, dtype=float)
    if "store_id" in table:
        table["store_id"] = table["store_id"].astype(str)
        own = table.drop_duplicates(SERIES).set_index(SERIES)[columns]
        out = own.reindex(pd.MultiIndex.from_frame(keys[SERIES])).set_axis(keys.index)
        table = table[table["store_id"] == "all"]
    pooled = table.drop_duplicates("item_id").set_index("item_id")[columns]
    fallback = pooled.reindex(keys["item_id"]).set_axis(keys.index)
    return out.astype(float).fillna(fallback.astype(float))


def _categories(item_ids: pd.Series, category_of: pd.Series) -> pd.Series:
    """Each item's category; an item without one is its own (it has no rivals)."""
    cats = item_ids.map(category_of)
    return cats.where(cats.notna(), "(none):" + item_ids).astype(str)


def _days(base: pd.DataFrame, freq: str | None) -> pd.DataFrame:
    """One row per baseline row x day of its period (``b``: the baseline row)."""
    if freq is None:
        steps = base.groupby(SERIES)["ds"].diff().dt.days.dropna()
        step = int(steps.median()) if len(steps) else 1
        width = 7 if 5 <= step <= 8 else (1 if step < 5 else None)
    else:
        width = {"D": 1, "W": 7}.get(freq.upper()[:1])
    if width is not None:
        length = np.full(len(base), width)
    else:  # monthly: each period lasts until the first of the next month
        length = ((base["ds"] + pd.offsets.MonthBegin(1)) - base["ds"]).dt.days.to_numpy()
    b = np.repeat(np.arange(len(base)), length)
    offset = np.arange(len(b)) - np.repeat(np.cumsum(length) - length, length)
    return pd.DataFrame(
        {
            "b": b,
            "item_id": base["item_id"].to_numpy()[b],
            "store_id": base["store_id"].to_numpy()[b],
            "category": base["category"].to_numpy()[b],
            "ds": base["ds"].to_numpy()[b] + pd.to_timedelta(offset, unit="D"),
            "width": length[b].astype(float),
        }
    )


def _join(base: pd.DataFrame, promo: pd.DataFrame, freq: str | None, source: str) -> pd.DataFrame:
    """The days of the baseline with the scenario's promotion on each (if any); a scenario
    day outside the forecast is an error naming the scenario row."""
    days = _days(base, freq)
    keys = ["item_id", "store_id", "ds"]
    cols = [c for c in promo.columns if c not in ("category", *keys)]
    days = days.merge(promo[[*keys, *cols]], on=keys, how="left", validate="one_to_one")
    lost = promo.merge(days[keys], on=keys, how="left", indicator=True)
    lost = lost[lost["_merge"] == "left_only"]
    if len(lost):
        span = f"{days['ds'].min().date()}..{days['ds'].max().date()}" if len(days) else "none"
        raise InvalidScenario(
            [
                RowError(
                    source,
                    int(row),
                    "end_date",
                    None,
                    f"no baseline forecast for item {g['item_id'].iat[0]} in store "
                    f"{g['store_id'].iat[0]} on {g['ds'].min().date()}..{g['ds'].max().date()} "
                    f"(the forecast covers {span}): lengthen the horizon",
                )
                for row, g in lost.groupby("row")
            ]
        )
    days["on"] = days["promo_id"].notna()
    return days


def _series_inputs(
    series: pd.DataFrame,
    params: pd.DataFrame,
    items: pd.DataFrame,
    prices: pd.DataFrame,
    promoted_items: set[str],
    level: float,
    warnings: list[dict[str, Any]],
) -> pd.DataFrame:
    """Per item x store: effects (``plan.effect_rows``), elasticity sd, regular price, cost."""
    known = series["item_id"].isin(params["item_id"].astype(str))
    needed = known | series["item_id"].isin(promoted_items)
    out = series.copy()
    if needed.any():
        found = effect_rows(series[needed].reset_index(drop=True), params)
        found = found.drop(columns="category").set_axis(series.index[needed])
        out = out.join(found.reindex(series.index))
    for col in ("price_elasticity", "post_promo_dip", "cannibalisation_rate"):
        out[col] = out[col].astype(float) if col in out else np.nan
    lost = out.loc[~needed, "item_id"].unique().tolist()
    if lost:
        warnings.append(
            {
                "kind": "no_effects",
                "items": lost,
                "message": f"no effect estimates for {len(lost)} rival item(s) "
                f"({', '.join(lost[:5])}): their cannibalisation is not counted",
            }
        )
    out["elasticity_sd"] = 0.0
    if {"price_elasticity_lo", "price_elasticity_hi"} <= set(params):
        span = _lookup(series, params, ["price_elasticity_lo", "price_elasticity_hi"])
        width = span["price_elasticity_hi"] - span["price_elasticity_lo"]
        out["elasticity_sd"] = np.nan_to_num(width.to_numpy(float)) / (
            2 * stats.norm.ppf(0.5 + level / 2)
        )
    regular = _lookup(
        series, prices.rename(columns={"base_price": "regular_price"}), ["regular_price"]
    )["regular_price"]
    if regular.isna().any():
        lost = series.loc[regular.isna(), "item_id"].unique().tolist()
        raise DataValidationError(
            [
                RowError("prices", None, "regular_price", i, "no regular price for this item")
                for i in lost[:20]
            ],
            total=len(lost),
        )
    out["regular_price"] = regular.to_numpy(float)
    cost = (
        items.drop_duplicates("item_id").set_index("item_id")["unit_cost"]
        if "unit_cost" in items
        else pd.Series(dtype=float)
    )
    out["unit_cost"] = out["item_id"].map(cost).astype(float)
    lost = out.loc[out["unit_cost"].isna(), "item_id"].unique().tolist()
    if lost:
        warnings.append(
            {
                "kind": "unit_cost_missing",
                "items": lost,
                "message": f"no unit_cost for {len(lost)} item(s) ({', '.join(lost[:5])}): "
                "margins cannot be computed (add unit_cost to the items table)",
            }
        )
    return out


# --- per-day factors ------------------------------------------------------------------------


def _money(days: pd.DataFrame, source: str) -> dict[str, np.ndarray]:
    """Shelf price, net price and giveaway per day (``plan.promo_terms``), planned prices."""
    p0 = days["regular_price"].to_numpy(float)
    shelf, net, give = p0.copy(), p0.copy(), np.zeros(len(days))
    kinds = days["promo_type"].fillna("").to_numpy(str)
    depth = days["depth"].to_numpy(float).copy()
    gift = (kinds == "gift") & np.isnan(depth)
    depth[gift] = 100 * days["gift_value"].to_numpy(float)[gift] / p0[gift]
    bad = (kinds == "amount_off") & (depth >= 0.9 * p0)
    if bad.any():
        hit = days[bad].assign(depth=depth[bad]).drop_duplicates("row")
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
    planned = days["planned_price"].to_numpy(float)
    hit = ~np.isnan(planned) & (kinds != "")
    shelf[hit], net[hit], give[hit] = planned[hit], planned[hit], p0[hit] - planned[hit]
    return {"shelf": shelf, "net": net, "giveaway": give}


def _dip_days(days: pd.DataFrame, dip_days: int) -> np.ndarray:
    """True on the ``dip_days`` days after a promotion of the series ended, when not on one."""
    last = days["ds"].where(days["on"]).groupby(days["sid"]).ffill()
    since = (days["ds"] - last).dt.days.to_numpy()
    return ~days["on"].to_numpy() & (since >= 1) & (since <= dip_days)


def _rivals(days: pd.DataFrame) -> np.ndarray:
    """Other items of the category x store x day on promotion under another promo_id."""
    cell = [days["category"], days["store_id"], days["ds"]]
    n_on = days["on"].groupby(cell).transform("sum").to_numpy()
    same = days["on"].groupby([*cell, days["promo_id"].fillna("")]).transform("sum").to_numpy()
    return np.where(days["on"].to_numpy(), n_on - same, n_on)


@dataclass
class _Factors:
    """Per baseline row: coefficients on its baseline units (units, revenue, margin,
    giveaway, dip and cannibalisation losses) and fixed cost; per day with an uncertain
    price effect (``moving``): what the elasticity draws need."""

    coef: dict[str, np.ndarray]
    fixed: np.ndarray
    shelf: np.ndarray
    moving: pd.DataFrame


def _factors(
    days: pd.DataFrame,
    series: pd.DataFrame,
    n_rows: int,
    dip_days: int,
    source: str,
    warnings: list[dict[str, Any]],
) -> _Factors:
    sid = days["sid"].to_numpy()
    days["regular_price"] = series["regular_price"].to_numpy()[sid]
    money = _money(days, source)
    p0 = days["regular_price"].to_numpy(float)
    ratio = money["shelf"] / p0
    lift = np.ones(len(days))
    for m in LIFT_MECHANISMS:
        use = days[f"use_{m}"].eq(True).to_numpy()
        if not use.any():
            continue
        value = series.get(f"lift_{m}", pd.Series(np.nan, series.index)).to_numpy(float)[sid]
        if (unknown := use & np.isnan(value)).any():
            ids = sorted(days.loc[unknown, "item_id"].unique())
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
    kept = (1 - rate) ** np.minimum(_rivals(days), RIVAL_CAP)
    other = lift * dip * kept
    elasticity = np.nan_to_num(series["price_elasticity"].to_numpy(float))[sid]
    price_effect = np.where(ratio == 1.0, 1.0, ratio**elasticity)
    unit_margin = p0 - money["giveaway"] - series["unit_cost"].to_numpy(float)[sid]
    width, b = days["width"].to_numpy(), days["b"].to_numpy()

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
        "promoted_days": np.bincount(b, weights=days["on"].to_numpy(float), minlength=n_rows),
    }
    on = days["on"].to_numpy()
    fixed_day = np.where(on, days["fixed_cost"].fillna(0).to_numpy(float), 0.0)
    cells = days.groupby("promo_id")["promo_id"].transform("size").fillna(1).to_numpy(float)
    moving = np.flatnonzero((ratio != 1.0) & (series["elasticity_sd"].to_numpy()[sid] > 0))
    return _Factors(
        coef=coef,
        fixed=np.bincount(b, weights=fixed_day / cells, minlength=n_rows),
        shelf=per_row(money["shelf"]),
        moving=pd.DataFrame(
            {
                "b": b[moving],
                "sid": sid[moving],
                "ratio": ratio[moving],
                "price_effect": price_effect[moving],
                "units": other[moving] / width[moving],
                "revenue": (other * money["net"])[moving] / width[moving],
                "margin": (other * unit_margin)[moving] / width[moving],
            }
        ),
    )


# --- draws ----------------------------------------------------------------------------------


def _hinge(values: np.ndarray, levels: list[float], z: np.ndarray) -> np.ndarray:
    """Each row's quantile function at normal scores ``z`` (rows x m): piecewise linear in
    z through (Phi^-1(level), value), extended linearly past the outer quantiles."""
    zq = stats.norm.ppf(levels).astype(z.dtype)
    v = np.sort(values, axis=1).astype(z.dtype)
    slope = np.diff(v, axis=1) / np.diff(zq)
    out = v[:, :1] + slope[:, :1] * (z - zq[0])
    step = np.empty_like(out)
    for k in range(1, len(zq) - 1):
        np.subtract(z, zq[k], out=step)
        np.maximum(step, 0.0, out=step)
        step *= slope[:, k : k + 1] - slope[:, k - 1 : k]
        out += step
    return np.maximum(out, 0.0, out=out)


def _row_quantiles(
    point: np.ndarray, qvalues: np.ndarray, levels: list[float], qs: tuple[float, ...]
) -> np.ndarray:
    """(rows, len(qs)) baseline quantiles at the asked levels (the point when none given)."""
    if len(levels) < 2:
        return np.repeat(point[:, None], len(qs), axis=1)
    z = np.broadcast_to(stats.norm.ppf(qs), (len(point), len(qs)))
    return _hinge(qvalues, levels, z)


def _draws(
    point: np.ndarray,
    qvalues: np.ndarray,
    levels: list[float],
    bsid: np.ndarray,
    n_series: int,
    rho: float,
    n: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """(rows, n) joint baseline draws (Gaussian copula, see the module docstring)."""
    if len(levels) < 2:
        return np.repeat(point[:, None], n, axis=1)
    # single precision: the draws only feed quantiles, and halve the memory traffic
    z = rng.standard_normal((len(point), n), dtype=np.float32)
    z *= np.float32(np.sqrt(1 - rho))
    shared = rng.standard_normal((n_series, n), dtype=np.float32)
    shared *= np.float32(np.sqrt(rho))
    z += shared[bsid]
    return _hinge(qvalues, levels, z)


def _extra(
    f: _Factors, series: pd.DataFrame, n: int, rng: np.random.Generator
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Rows with an uncertain price effect and, per measure, their coefficient's deviation
    from the point for each elasticity draw (rows_m x n)."""
    mv = f.moving
    e_draw = rng.standard_normal((len(series), n))
    rows_m, inv = np.unique(mv["b"].to_numpy(), return_inverse=True)
    if not len(mv):
        return rows_m, {m: np.zeros((0, n)) for m in MEASURES}
    s = mv["sid"].to_numpy()
    e = series["price_elasticity"].to_numpy(float)[s, None]
    e = e + series["elasticity_sd"].to_numpy()[s, None] * e_draw[s]
    delta = mv["ratio"].to_numpy()[:, None] ** e - mv["price_effect"].to_numpy()[:, None]
    pick = sparse.csr_matrix(
        (np.ones(len(mv)), (inv, np.arange(len(mv)))), shape=(len(rows_m), len(mv))
    )
    return rows_m, {m: pick @ (delta * mv[m].to_numpy()[:, None]) for m in MEASURES}


# --- main -----------------------------------------------------------------------------------


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
) -> Simulation:
    """Price the scenario ``expanded`` (from ``check_scenario``) against ``baseline``.

    ``baseline``: item_id, store_id, ds, a point column (baseline_units, else mean / median /
    q0.5) and optional quantile columns ``q<level>`` (or ``baseline_units-q<level>``): the
    no-promotion forecast at the regular price over the horizon (include the week after the
    last promotion for its dip to count). ``params``: EffectParams (``level``: the level of
    its elasticity interval). ``items``: item_id, category, unit_cost (a missing cost gives
    null margins and a warning). ``prices``: item_id [, store_id], regular_price (or
    base_price). ``stock``: item_id, store_id, on_hand (or available_units) at the start.
    """
    warnings = [{"kind": "scenario", "message": m} for m in expanded.attrs.get("warnings", [])]
    base, point_col, levels, qcols = _baseline(baseline)
    items = items.assign(item_id=items["item_id"].astype(str))
    cat_map = params.assign(item_id=params["item_id"].astype(str)).drop_duplicates("item_id")
    cat_map = cat_map.set_index("item_id")["category"].astype(object)
    if "category" in items:
        cat_map = items.set_index("item_id")["category"].astype(object).combine_first(cat_map)
    promo = expanded.assign(
        item_id=expanded["item_id"].astype(str),
        store_id=expanded["store_id"].astype(str),
        ds=pd.to_datetime(expanded["ds"]),
    )
    base["category"] = _categories(base["item_id"], cat_map)
    promo["category"] = _categories(promo["item_id"], cat_map)
    cells = promo[["category", "store_id"]].drop_duplicates()
    base = base.merge(cells, on=["category", "store_id"]).sort_values([*SERIES, "ds"])
    base = base.reset_index(drop=True)
    days = _join(base, promo, freq, source)
    series = base[[*SERIES, "category"]].drop_duplicates(SERIES).reset_index(drop=True)
    index = pd.MultiIndex.from_frame(series[SERIES])
    days["sid"] = index.get_indexer(pd.MultiIndex.from_frame(days[SERIES]))
    bsid = index.get_indexer(pd.MultiIndex.from_frame(base[SERIES]))
    series = _series_inputs(series, params, items, prices, set(promo["item_id"]), level, warnings)
    promoted = set(map(tuple, promo[SERIES].drop_duplicates().to_numpy()))
    series["role"] = [
        "promoted" if key in promoted else "other"
        for key in zip(series["item_id"], series["store_id"], strict=True)
    ]
    f = _factors(days, series, len(base), dip_days, source, warnings)

    rng = np.random.default_rng(seed)
    point = base[point_col].to_numpy(float)
    if (gaps := int(np.isnan(point).sum())) > 0:
        warnings.append(
            {
                "kind": "baseline_missing",
                "message": f"{gaps} baseline row(s) without a forecast are counted as 0 units",
            }
        )
        point = np.nan_to_num(point)
    qvalues = base[qcols].to_numpy(float)
    holes = np.isnan(qvalues).any(axis=1)
    qvalues[holes] = point[holes, None]  # a row without all its quantiles: no spread
    draws = _draws(
        point, qvalues, levels, bsid, len(series), within_series_correlation, n_samples, rng
    )
    rows_m, extra = _extra(f, series, n_samples, rng)
    qs = tuple(quantiles)
    rows, per_unit = _rows(
        base, days, series, f, point, qvalues, levels, draws, rows_m, extra, bsid, qs
    )
    summary, totals = _summaries(rows, series, draws, f, rows_m, extra, bsid, per_unit, qs)
    warnings += _stock_warnings(rows, series, draws, f, rows_m, extra, bsid, stock, stock_quantile)
    last_day = days["ds"].max()
    ends = promo.groupby(SERIES)["ds"].max()
    if (late := int((ends > last_day - pd.Timedelta(days=dip_days)).sum())) > 0:
        warnings.append(
            {
                "kind": "dip_truncated",
                "message": f"{late} promoted item x store(s) "
                f"end within {dip_days} days of the forecast's last day "
                f"{last_day.date()}: the dip after it is not counted",
            }
        )
    return Simulation(rows, summary, totals, warnings, qs, n_samples)


def _rows(
    base: pd.DataFrame,
    days: pd.DataFrame,
    series: pd.DataFrame,
    f: _Factors,
    point: np.ndarray,
    qvalues: np.ndarray,
    levels: list[float],
    draws: np.ndarray,
    rows_m: np.ndarray,
    extra: dict[str, np.ndarray],
    bsid: np.ndarray,
    qs: tuple[float, ...],
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Per baseline row: expected money and its quantiles, baseline and incremental; and
    the baseline money per unit (regular price, unit margin) of each row."""
    p0 = series["regular_price"].to_numpy()[bsid]
    cost = series["unit_cost"].to_numpy(float)[bsid]
    per_unit = {"units": np.ones(len(base)), "revenue": p0, "margin": p0 - cost}
    none = np.zeros(len(base))
    fixed = {"units": none, "revenue": none, "margin": f.fixed}

    first = days[days["on"]].drop_duplicates("b").set_index("b").reindex(range(len(base)))
    cols: dict[str, Any] = {
        "promo_id": first["promo_id"].to_numpy(),
        "promo_type": first["promo_type"].to_numpy(),
        "promoted_days": f.coef["promoted_days"],
        "regular_price": p0,
        "shelf_price": f.shelf,
        "unit_cost": cost,
    }
    for name in MEASURES:
        cols[f"baseline_{name}"] = point * per_unit[name]
    for name in MEASURES:
        cols[name] = point * f.coef[name] - fixed[name]
        cols[f"incremental_{name}"] = cols[name] - cols[f"baseline_{name}"]
    cols["promo_cost"] = point * f.coef["giveaway"] + f.fixed
    cols["dip_units"] = point * f.coef["dip_loss"]
    cols["cannibalised_units"] = point * f.coef["cannibal_loss"]
    base_q = _row_quantiles(point, qvalues, levels, qs)
    base_flip = _row_quantiles(point, qvalues, levels, tuple(1 - q for q in qs))
    for name in MEASURES:
        for kind, slope in (("", f.coef[name]), ("incremental_", f.coef[name] - per_unit[name])):
            # a x baseline - fixed is monotone in the baseline: its quantiles map exactly
            at = np.where(slope[:, None] >= 0, base_q, base_flip)
            values = slope[:, None] * at - fixed[name][:, None]
            if len(rows_m):
                drawn = draws[rows_m] * (slope[rows_m, None] + extra[name])
                drawn -= fixed[name][rows_m, None]
                values[rows_m] = np.quantile(drawn, qs, axis=1).T
            for k, q in enumerate(qs):
                cols[f"{kind}{name}-q{q:g}"] = values[:, k]
    rows = pd.concat(
        [base[["item_id", "store_id", "category", "ds"]], pd.DataFrame(cols, index=base.index)],
        axis=1,
    )
    return rows, per_unit


def _summaries(
    rows: pd.DataFrame,
    series: pd.DataFrame,
    draws: np.ndarray,
    f: _Factors,
    rows_m: np.ndarray,
    extra: dict[str, np.ndarray],
    bsid: np.ndarray,
    per_unit: dict[str, np.ndarray],
    qs: tuple[float, ...],
) -> tuple[pd.DataFrame, dict[str, dict[str, float | None]]]:
    """Per series and in total: expected values and quantiles of the sums of the draws."""
    n_rows, n_series = len(rows), len(series)
    summed = [
        "baseline_units",
        "baseline_revenue",
        "baseline_margin",
        *MEASURES,
        *(f"incremental_{m}" for m in MEASURES),
        "promo_cost",
        "dip_units",
        "cannibalised_units",
        "promoted_days",
    ]
    keep = series.drop(columns=[c for c in series if c.startswith(("lift_", "elasticity_sd"))])
    out: dict[str, Any] = {}
    to_series = sparse.csr_matrix(
        (np.ones(n_rows), (bsid, np.arange(n_rows))), shape=(n_series, n_rows)
    )
    for col in summed:
        out[col] = to_series @ rows[col].to_numpy(float)
    fixed = to_series @ f.fixed
    groups = {
        "": np.ones(n_series, bool),
        "promoted_items_": (series["role"] == "promoted").to_numpy(),
        "other_items_": (series["role"] == "other").to_numpy(),
    }
    totals: dict[str, dict[str, float | None]] = {}

    def entry(expected: np.ndarray, draw: np.ndarray) -> dict[str, float | None]:
        values = np.quantile(draw.sum(axis=0), qs)
        return {
            "expected": float(np.sum(expected)),
            **{f"q{q:g}": float(v) for q, v in zip(qs, values, strict=True)},
        }

    # one pass over the draws: per series, the baseline units and each measure's outcome
    cols = np.arange(n_rows)
    stacked = sparse.vstack(
        [to_series]
        + [sparse.csr_matrix((f.coef[m], (bsid, cols)), shape=(n_series, n_rows)) for m in MEASURES]
    ).astype(draws.dtype)
    summed_draws = np.asarray(stacked @ draws, dtype=float)
    base_units = summed_draws[:n_series]
    price = {
        m: (to_series @ per_unit[m]) / np.maximum(to_series @ np.ones(n_rows), 1) for m in MEASURES
    }  # per unit of baseline: constant within a series
    for k, name in enumerate(MEASURES, start=1):
        promoted = summed_draws[k * n_series : (k + 1) * n_series]
        if len(rows_m):
            promoted += to_series[:, rows_m] @ (draws[rows_m] * extra[name])
        if name == "margin":
            promoted -= fixed[:, None]
        per_base = base_units * price[name][:, None]
        inc = promoted - per_base
        for q, v in zip(qs, np.quantile(inc, qs, axis=1), strict=True):
            out[f"incremental_{name}-q{q:g}"] = v
        totals[name] = entry(out[name], promoted)
        totals[f"baseline_{name}"] = entry(out[f"baseline_{name}"], per_base)
        for prefix, mask in groups.items():
            totals[f"{prefix}incremental_{name}"] = entry(
                out[f"incremental_{name}"][mask], inc[mask]
            )
    for col in ("promo_cost", "dip_units", "cannibalised_units"):
        totals[col] = {"expected": float(np.sum(out[col]))}
    totals["fixed_cost"] = {"expected": float(f.fixed.sum())}
    return pd.concat([keep, pd.DataFrame(out, index=keep.index)], axis=1), totals


def _stock_warnings(
    rows: pd.DataFrame,
    series: pd.DataFrame,
    draws: np.ndarray,
    f: _Factors,
    rows_m: np.ndarray,
    extra: dict[str, np.ndarray],
    bsid: np.ndarray,
    stock: pd.DataFrame | None,
    high: float,
) -> list[dict[str, Any]]:
    """Promoted item x stores whose stock on hand runs out before the promotion ends, at the
    median and at the ``high`` quantile of the cumulative demand from the horizon start."""
    promoted = np.flatnonzero(series["role"].to_numpy() == "promoted")
    if stock is None or not len(promoted):
        return []
    table = stock.rename(columns={"available_units": "on_hand"})
    on_hand = _lookup(series.iloc[promoted], table, ["on_hand"])["on_hand"].to_numpy(float)
    out: list[dict[str, Any]] = []
    if (unknown := int(np.isnan(on_hand).sum())) > 0:
        out.append(
            {
                "kind": "stock_unknown",
                "message": f"no stock on hand for {unknown} "
                "promoted item x store(s); their stock is not checked",
            }
        )
    where_m = pd.Series(np.arange(len(rows_m)), index=rows_m)
    ds, days_on = rows["ds"].to_numpy(), rows["promoted_days"].to_numpy()
    for k, s in enumerate(promoted):
        if np.isnan(on_hand[k]):
            continue
        idx = np.flatnonzero(bsid == s)
        idx = idx[: np.flatnonzero(days_on[idx] > 0)[-1] + 1]  # through the last promoted row
        units = draws[idx] * f.coef["units"][idx, None]
        hit = where_m.reindex(idx).to_numpy()
        if (moving := ~np.isnan(hit)).any():
            units[moving] += draws[idx[moving]] * extra["units"][hit[moving].astype(int)]
        cum = np.cumsum(units, axis=0)
        mid, top = np.quantile(cum, [0.5, high], axis=1)
        if top[-1] <= on_hand[k]:
            continue
        short = bool(mid[-1] > on_hand[k])
        when = pd.Timestamp(ds[idx][np.argmax((mid if short else top) > on_hand[k])])
        item, store = series["item_id"].iat[s], series["store_id"].iat[s]
        how = (
            f"runs out around {when.date()} at the median forecast"
            if short
            else f"may run out around {when.date()} (at the q{high:g} forecast; enough at the "
            "median)"
        )
        out.append(
            {
                "kind": "stock_median" if short else "stock_high",
                "item_id": item,
                "store_id": store,
                "on_hand": float(on_hand[k]),
                "needed_median": float(mid[-1]),
                f"needed_q{high:g}": float(top[-1]),
                "runs_out": when,
                "message": f"stock of {item} in {store} ({on_hand[k]:.0f} on hand) {how}: the "
                f"promotion needs {mid[-1]:.0f} units (median), {top[-1]:.0f} at q{high:g}, by "
                "its last day",
            }
        )
    return out
