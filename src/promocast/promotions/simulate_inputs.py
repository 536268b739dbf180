"""What a what-if prices, read into arrays: the baseline rows a scenario touches (sorted by item,
store and period), their days with the scenario's promotion on each, and per item x store the
effects, the regular price and the unit cost.

Keys are matched with dictionaries and integer codes instead of frame merges and MultiIndex
look-ups: a what-if behind a dashboard form must cost milliseconds, and the tables it reads
(one row per item x store) are small. The rules are those of the planner
(``plan.effect_rows``: the item x store's own effects, else the item's pooled ``all`` row);
a unit test holds the two to the same numbers.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from promocast.exceptions import DataValidationError, RowError
from promocast.promotions.plan import LIFT_COLUMNS
from promocast.promotions.plan_risk import interval_sd
from promocast.promotions.scenario import InvalidScenario

SERIES = ["item_id", "store_id"]
DAY_NS = 86_400 * 10**9
_QCOL = re.compile(r"^(?:baseline_units-)?q(\d*\.?\d+)$")


@dataclass
class Grid:
    """The baseline rows a scenario touches (its categories in its stores), sorted by item,
    store and period start; ``bsid``: each row's series in ``series`` (item_id, store_id,
    category); ``ds`` keeps the baseline's own datetime unit; ``point`` may hold NaN."""

    item_id: np.ndarray
    store_id: np.ndarray
    category: np.ndarray
    ds: np.ndarray
    point: np.ndarray
    qvalues: np.ndarray
    levels: list[float]
    bsid: np.ndarray
    series: pd.DataFrame


@dataclass
class Days:
    """One entry per baseline row x day of its period: ``b`` the baseline row, ``sid`` its
    series, ``ds`` the day (int64 ns), ``width`` the period's days, ``promo`` the row of the
    expanded scenario on that day (-1: none), ``on`` whether a promotion runs."""

    b: np.ndarray
    sid: np.ndarray
    ds: np.ndarray
    width: np.ndarray
    promo: np.ndarray
    on: np.ndarray
    expanded: pd.DataFrame

    def column(self, name: str, fill: object = np.nan, dtype: Any = float) -> np.ndarray:
        """The scenario's ``name`` on each day, ``fill`` where no scenario row is."""
        out = np.full(len(self.promo), fill, dtype=dtype)
        if name in self.expanded:
            hit = self.promo >= 0
            out[hit] = self.expanded[name].to_numpy()[self.promo[hit]]
        return out


def _take(values: np.ndarray, at: np.ndarray) -> np.ndarray:
    """``values[at]`` as floats, NaN where ``at`` is -1 (no such row)."""
    out = np.full(len(at), np.nan)
    hit = at >= 0
    out[hit] = values[at[hit]]
    return out


def text(values: pd.Series) -> np.ndarray:
    """``values.astype(str)`` as an array, without the copy when they are text already."""
    if values.dtype == object and pd.api.types.infer_dtype(values, skipna=False) == "string":
        return values.to_numpy()
    return values.astype(str).to_numpy()


def _first(keys: Iterable[Hashable]) -> dict[Hashable, int]:
    """Position of each key's first occurrence (as ``drop_duplicates`` keeps it)."""
    keys = list(keys)
    return dict(zip(reversed(keys), range(len(keys) - 1, -1, -1), strict=True))


def category_map(params: pd.DataFrame, items: pd.DataFrame) -> dict[str, Any]:
    """item_id -> category: the items table's where it has one, else the effects'
    (effects without rows, or without categories, add none)."""
    out: dict[str, Any] = {}
    if {"item_id", "category"} <= set(params.columns):
        out = dict(
            zip(
                reversed(text(params["item_id"]).tolist()),
                reversed(params["category"].tolist()),
                strict=True,
            )
        )
    if "category" in items:
        for item, category in zip(
            text(items["item_id"]).tolist(), items["category"].tolist(), strict=True
        ):
            if not pd.isna(category) or item not in out:
                out[item] = category
    return out


def categories(item_ids: Iterable[str], category_of: dict[str, Any]) -> np.ndarray:
    """Each item's category as text; an item without one is its own (it has no rivals)."""
    out = []
    for item in item_ids:
        cat = category_of.get(item)
        out.append(f"(none):{item}" if cat is None or pd.isna(cat) else str(cat))
    return np.array(out, dtype=object)


def _columns(baseline: pd.DataFrame) -> tuple[str, list[float], list[str]]:
    """The baseline's point column and its sorted quantile levels and columns."""
    found = {float(m.group(1)): c for c in baseline.columns if (m := _QCOL.match(str(c)))}
    point = next((c for c in ("baseline_units", "mean", "median") if c in baseline), None)
    point = point if point is not None else found.get(0.5)
    if point is None:
        rule = "no point forecast column (baseline_units, mean, median or q0.5)"
        raise DataValidationError([RowError("baseline", None, "baseline_units", None, rule)])
    levels = sorted(q for q in found if 0 < q < 1)
    return point, levels, [found[q] for q in levels]


def read_grid(
    baseline: pd.DataFrame, cells: set[tuple[str, str]], category_of: dict[str, Any]
) -> Grid:
    """The baseline rows of the (category, store) ``cells`` a scenario promotes in, sorted by
    item, store and period start (string keys; no store_id means store ``all``)."""
    point_col, levels, qcols = _columns(baseline)
    n = len(baseline)
    item = text(baseline["item_id"])
    store = text(baseline["store_id"]) if "store_id" in baseline else np.full(n, "all", object)
    ds = baseline["ds"]
    ds = (ds if pd.api.types.is_datetime64_dtype(ds) else pd.to_datetime(ds)).to_numpy()
    item_code, item_u = pd.factorize(item, sort=True)
    store_code, store_u = pd.factorize(store, sort=True)
    cat_code, cat_u = pd.factorize(categories(item_u, category_of))
    cat_u = np.asarray(cat_u, dtype=object)
    allowed = np.array([[(c, s) in cells for s in store_u] for c in cat_u], dtype=bool)
    rows = np.flatnonzero(
        allowed.reshape(len(cat_u), len(store_u))[cat_code[item_code], store_code]
    )
    ds_ns = ds.astype("datetime64[ns]").view(np.int64)
    rows = rows[np.lexsort((ds_ns[rows], store_code[rows], item_code[rows]))]
    new = np.ones(len(rows), dtype=bool)
    new[1:] = (np.diff(item_code[rows]) != 0) | (np.diff(store_code[rows]) != 0)
    bsid = np.cumsum(new) - 1
    category = cat_u[cat_code[item_code[rows]]]
    series = pd.DataFrame(
        {"item_id": item[rows][new], "store_id": store[rows][new], "category": category[new]}
    )
    return Grid(
        item_id=item[rows],
        store_id=store[rows],
        category=category,
        ds=ds[rows],
        point=baseline[point_col].to_numpy(float)[rows],
        qvalues=np.column_stack([baseline[c].to_numpy(float)[rows] for c in qcols])
        if qcols
        else np.zeros((len(rows), 0)),
        levels=levels,
        bsid=bsid,
        series=series,
    )


def _periods(grid: Grid, freq: str | None) -> np.ndarray:
    """Days in each baseline row's period: 1 (daily), 7 (weekly) or to the next month."""
    if freq is None:
        same = grid.bsid[1:] == grid.bsid[:-1]
        ds_ns = grid.ds.astype("datetime64[ns]").view(np.int64)
        steps = np.floor_divide(np.diff(ds_ns)[same], DAY_NS)
        step = int(np.median(steps)) if len(steps) else 1
        width = 7 if 5 <= step <= 8 else (1 if step < 5 else None)
    else:
        width = {"D": 1, "W": 7}.get(freq.upper()[:1])
    if width is not None:
        return np.full(len(grid.ds), width)
    start = pd.Series(grid.ds)  # monthly: each period lasts until the first of the next month
    return ((start + pd.offsets.MonthBegin(1)) - start).dt.days.to_numpy()


def join_days(grid: Grid, expanded: pd.DataFrame, freq: str | None, source: str) -> Days:
    """The days of the baseline with the scenario's promotion on each (if any); a scenario
    day outside the forecast is an error naming the scenario row."""
    length = _periods(grid, freq)
    b = np.repeat(np.arange(len(grid.ds)), length)
    offset = np.arange(len(b)) - np.repeat(np.cumsum(length) - length, length)
    day_ns = grid.ds.astype("datetime64[ns]").view(np.int64)[b] + offset * DAY_NS
    sid = grid.bsid[b]
    series = _first(zip(grid.series["item_id"], grid.series["store_id"], strict=True))
    keys = zip(text(expanded["item_id"]), text(expanded["store_id"]), strict=True)
    promo_sid = np.fromiter((series.get(k, -1) for k in keys), np.intp, len(expanded))
    promo_ns = pd.to_datetime(expanded["ds"]).to_numpy().astype("datetime64[ns]").view(np.int64)
    times, when = np.unique(np.concatenate([day_ns, promo_ns]), return_inverse=True)
    day_key = sid * len(times) + when[: len(day_ns)]
    promo_key = promo_sid * len(times) + when[len(day_ns) :]
    order = np.argsort(day_key, kind="stable")
    known = day_key[order]
    if (known[1:] == known[:-1]).any():
        raise ValueError("the baseline's periods overlap: one row per item, store and period")
    at = np.minimum(np.searchsorted(known, promo_key), max(len(known) - 1, 0))
    found = (promo_sid >= 0) & (known[at] == promo_key if len(known) else False)
    if not found.all():
        _lost(expanded, ~found, day_ns, source)
    if len(np.unique(promo_key)) < len(promo_key):
        raise ValueError("the scenario puts two promotions on one item, store and day")
    promo = np.full(len(day_ns), -1, dtype=np.intp)
    promo[order[at]] = np.arange(len(expanded))
    days = Days(b, sid, day_ns, length[b].astype(float), promo, promo >= 0, expanded)
    days.on = pd.notna(days.column("promo_id", None, object))
    return days


def _lost(expanded: pd.DataFrame, lost: np.ndarray, day_ns: np.ndarray, source: str) -> None:
    """Raise InvalidScenario naming each scenario row with days the forecast lacks."""
    span = (
        f"{pd.Timestamp(day_ns.min()).date()}..{pd.Timestamp(day_ns.max()).date()}"
        if len(day_ns)
        else "none"
    )
    frame = pd.DataFrame(
        {
            "row": expanded["row"].to_numpy()[lost],
            "item_id": expanded["item_id"].astype(str).to_numpy()[lost],
            "store_id": expanded["store_id"].astype(str).to_numpy()[lost],
            "ds": pd.to_datetime(expanded["ds"]).to_numpy()[lost],
        }
    )
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
            for row, g in frame.groupby("row")
        ]
    )


def lookup(
    series: pd.DataFrame, table: pd.DataFrame, columns: dict[str, str]
) -> dict[str, np.ndarray]:
    """Per (item, store) row of ``series``, each ``{name: column}`` of ``table``: the store's
    own row, else the item's row without a store (or store ``all``); keys compared as text."""
    items, stores = series["item_id"].tolist(), series["store_id"].tolist()
    table_items = text(table["item_id"]).tolist()
    values = {name: table[c].to_numpy(float) for name, c in columns.items()}
    out = {name: np.full(len(items), np.nan) for name in columns}
    pooled_rows = np.arange(len(table))
    if "store_id" in table:
        table_stores = text(table["store_id"])
        own = _first(zip(table_items, table_stores.tolist(), strict=True))
        at = np.array([own.get(k, -1) for k in zip(items, stores, strict=True)], dtype=np.intp)
        out = {name: _take(v, at) for name, v in values.items()}
        pooled_rows = np.flatnonzero(table_stores == "all")
    pooled = {k: pooled_rows[r] for k, r in _first(table_items[r] for r in pooled_rows).items()}
    at = np.array([pooled.get(i, -1) for i in items], dtype=np.intp)
    for name, v in values.items():
        out[name] = np.where(np.isnan(out[name]), _take(v, at), out[name])
    return out


def no_effects_error(what: str = "scenario") -> DataValidationError:
    """The error of a what-if whose effects hold no item at all (the effects need sales with
    prices: a shop that records revenue only, like the Walmart data, has none)."""
    rule = ("no promotion effects were estimated from these data (no item has an own-price "
            "elasticity: the sales carry no price, or it never moved), so the promotions "
            "cannot be priced: load sales with price (and base_price) per item, then run "
            "promo effects")
    return DataValidationError([RowError(what, None, "price", None, rule)])


def effects(series: pd.DataFrame, params: pd.DataFrame) -> dict[str, np.ndarray]:
    """EffectParams per series as ``plan.effect_rows`` reads them: the (item, store) row, else
    the item's pooled ``all`` row (the whole row, chosen by its elasticity); absent lifts are
    NaN, absent dips and cannibalisation rates 0. Raises when an elasticity is missing."""
    if "item_id" not in params or "price_elasticity" not in params or params.empty:
        raise no_effects_error("effect params")
    n = len(params)
    store = params["store_id"].to_numpy() if "store_id" in params else np.full(n, "all", object)
    item = params["item_id"].tolist()
    own = _first(zip(item, store.tolist(), strict=True))
    all_rows = np.flatnonzero(store == "all")
    pooled = {k: all_rows[r] for k, r in _first(item[r] for r in all_rows).items()}
    keys = zip(series["item_id"].tolist(), series["store_id"].tolist(), strict=True)
    at_own = np.array([own.get(k, -1) for k in keys], dtype=np.intp)
    at_pool = np.array([pooled.get(i, -1) for i in series["item_id"]], dtype=np.intp)
    values: dict[str, np.ndarray] = {}
    for col in ("price_elasticity", *LIFT_COLUMNS, "post_promo_dip", "cannibalisation_rate"):
        missing = np.nan if col in ("price_elasticity", *LIFT_COLUMNS) else 0.0
        v = params[col].to_numpy(float) if col in params else np.full(n, missing)
        values[col] = np.where(np.isnan(v), missing, v)
    own_ok = ~np.isnan(_take(values["price_elasticity"], at_own))
    at = np.where(own_ok, at_own, at_pool)
    out = {c: _take(v, at) for c, v in values.items()}
    if (missing := np.isnan(out["price_elasticity"])).any():
        lost = pd.unique(series["item_id"].to_numpy()[missing]).tolist()
        rule = "no price elasticity for this item (estimate effects first)"
        raise DataValidationError(
            [RowError("effect params", None, "item_id", str(v), rule) for v in lost[:20]],
            total=len(lost),
        )
    return out


def series_inputs(
    series: pd.DataFrame,
    params: pd.DataFrame,
    items: pd.DataFrame,
    prices: pd.DataFrame,
    promoted_items: set[str],
    level: float,
    warnings: list[dict[str, Any]],
) -> pd.DataFrame:
    """Per item x store: effects, elasticity sd, regular price, cost. Rival items without
    effect estimates keep NaN effects (their cannibalisation is not counted, with a warning)."""
    estimated = set(text(params["item_id"]).tolist()) if "item_id" in params else set()
    needed = np.array(
        [i in estimated or i in promoted_items for i in series["item_id"]], dtype=bool
    )
    columns: dict[str, Any] = {c: series[c].to_numpy() for c in series}
    if needed.any():
        found = effects(series[needed], params)
        for col, values in found.items():
            columns[col] = np.full(len(series), np.nan)
            columns[col][needed] = values
    for col in ("price_elasticity", "post_promo_dip", "cannibalisation_rate"):
        columns.setdefault(col, np.full(len(series), np.nan))
    lost = pd.unique(series["item_id"].to_numpy()[~needed]).tolist()
    if lost:
        warnings.append(
            {
                "kind": "no_effects",
                "items": lost,
                "message": f"no effect estimates for {len(lost)} rival item(s) "
                f"({', '.join(lost[:5])}): their cannibalisation is not counted",
            }
        )
    columns["elasticity_sd"] = np.zeros(len(series))
    if {"price_elasticity_lo", "price_elasticity_hi"} <= set(params):
        span = lookup(
            series, params, {c: c for c in ("price_elasticity_lo", "price_elasticity_hi")}
        )
        columns["elasticity_sd"] = interval_sd(span["price_elasticity_lo"],
                                               span["price_elasticity_hi"], level)
    price_col = "base_price" if "base_price" in prices else "regular_price"
    regular = lookup(series, prices, {"regular_price": price_col})["regular_price"]
    if np.isnan(regular).any():
        lost = pd.unique(series["item_id"].to_numpy()[np.isnan(regular)]).tolist()
        raise DataValidationError(
            [
                RowError("prices", None, "regular_price", i, "no regular price for this item")
                for i in lost[:20]
            ],
            total=len(lost),
        )
    columns["regular_price"] = regular
    cost = np.full(len(series), np.nan)
    if "unit_cost" in items:
        first = _first(text(items["item_id"]).tolist())
        values = items["unit_cost"].to_numpy(float)
        cost = np.array([values[first[i]] if i in first else np.nan for i in series["item_id"]])
    columns["unit_cost"] = cost.astype(float)
    lost = pd.unique(series["item_id"].to_numpy()[np.isnan(cost)]).tolist()
    if lost:
        warnings.append(
            {
                "kind": "unit_cost_missing",
                "items": lost,
                "message": f"no unit_cost for {len(lost)} item(s) ({', '.join(lost[:5])}): "
                "margins cannot be computed (add unit_cost to the items table)",
            }
        )
    return pd.DataFrame(columns)


def positive_elasticities(
    series: pd.DataFrame,
    categories: pd.DataFrame | None,
    level: float,
    warnings: list[dict[str, Any]],
) -> None:
    """Promoted series whose own-price elasticity is positive (a discount would sell fewer
    units: implausible, the effects flag it) take their category's shrunk elasticity when that
    one is negative; either way a warning per item says which value the simulation used.

    ``categories``: category, price_elasticity [, price_elasticity_lo / _hi] (the effects'
    category table). Changes ``series`` (price_elasticity, elasticity_sd) in place."""
    elasticity = series["price_elasticity"].to_numpy(float)
    bad = (series["role"].to_numpy() == "promoted") & (elasticity > 0)
    if not bad.any():
        return
    table = pd.DataFrame(columns=["price_elasticity"]) if categories is None else categories
    table = table.drop_duplicates("category").set_index("category") if len(table) else table
    by_item: dict[str, list[int]] = {}
    for k in np.flatnonzero(bad):
        by_item.setdefault(str(series["item_id"].iat[k]), []).append(k)
    for item, rows in by_item.items():
        category = series["category"].iat[rows[0]]
        own = float(elasticity[rows[0]])
        fallback = np.nan
        if category in table.index:
            fallback = float(pd.to_numeric(table.at[category, "price_elasticity"],
                                           errors="coerce"))
        entry: dict[str, Any] = {"kind": "positive_elasticity", "item_id": item,
                                 "category": None if str(category).startswith("(none):")
                                 else str(category),
                                 "item_elasticity": round(own, 4)}
        if np.isfinite(fallback) and fallback < 0:
            sd = 0.0
            if {"price_elasticity_lo", "price_elasticity_hi"} <= set(table.columns):
                sd = float(interval_sd(np.array([table.at[category, "price_elasticity_lo"]],
                                                dtype=float),
                                       np.array([table.at[category, "price_elasticity_hi"]],
                                                dtype=float), level)[0])
            series.loc[series.index[rows], "price_elasticity"] = fallback
            series.loc[series.index[rows], "elasticity_sd"] = sd
            entry.update(used_elasticity=round(fallback, 4), fallback="category")
            entry["message"] = (
                f"{item}: its own-price elasticity {own:+.2f} is positive (a discount would "
                f"sell fewer units; the effects flag it): the simulation uses its category "
                f"{category}'s shrunk elasticity {fallback:+.2f} instead")
        else:
            entry.update(used_elasticity=round(own, 4), fallback=None)
            entry["message"] = (
                f"{item}: its own-price elasticity {own:+.2f} is positive (a discount would "
                "sell fewer units; the effects flag it) and its category has no negative "
                "elasticity to fall back on: the simulated units of its discounts are not "
                "credible")
        warnings.append(entry)
