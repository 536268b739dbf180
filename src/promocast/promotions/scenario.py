"""What-if scenarios: check a planned promotions list and expand it to item x store x day.

A scenario file has the promotions table's columns (DESIGN §2), optionally a planned
``price`` per row; ``services.forecast.read_scenario`` parses it against that schema. This
module adds the rules that need the shop (``check_scenario``): the items, categories and
stores named must exist, a promotion must end on or after its start, a depth must lie in
0-90 %, a mechanism must carry the depth it needs, and one item x store runs at most one
promotion a day (the demand model, like the demo shop's, has no rule for stacking two).

Dates before the end of the history (``history_end``): a what-if is priced on the
forecast, which starts the day after the history, so

* a promotion that ends on or before ``history_end`` is an **error** (nothing to simulate;
  past promotions are for ``promo evaluate``);
* one that started earlier but runs past ``history_end`` is kept for its future days only,
  with a **warning** (``frame.attrs["warnings"]``) naming the row.

Every problem is collected before raising, so one run lists all bad rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import numpy as np
import pandas as pd

from promocast.exceptions import RowError, UsageError
from promocast.promotions.rules import MAX_DEPTH_PCT

LIFT_MECHANISMS: tuple[str, ...] = ("threshold", "gift", "flash_sale", "bundle", "feature_display")
"""Non-price mechanisms, each with an EffectParams ``lift_<m>`` column."""
PRICE_CUT: tuple[str, ...] = ("percent_off", "flash_sale")
"""Mechanisms whose ``discount_pct`` cuts the shelf price."""
EXPANDED_COLUMNS = [
    "row",
    "promo_id",
    "promo_type",
    "item_id",
    "category",
    "store_id",
    "ds",
    "depth",
    "price_factor",
    "amount_off",
    "planned_price",
    "feature",
    "display",
    "fixed_cost",
    "days",
    *(f"use_{m}" for m in LIFT_MECHANISMS),
]
"""Columns of the expanded scenario (one row per item x store x day under a promotion)."""


class InvalidScenario(UsageError):
    """A what-if scenario names what the shop does not have or an impossible promotion."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        lines = [f"bad scenario: {len(errors)} problem(s); nothing was simulated."]
        lines += [f"  - {e}" for e in errors[:20]]
        if len(errors) > 20:
            lines.append(f"  ... and {len(errors) - 20} more")
        super().__init__("\n".join(lines))


def _text(value: object) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    text = str(value).strip()
    return text or None


def _number(value: object) -> float:
    try:
        out = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return float("nan")
    return out


def _depth(r: Mapping, problem: Callable[[str, object, str], None]) -> float:
    """Depth in the planner's convention (``plan.promo_terms``): % of the regular price for
    percent_off / flash_sale / threshold / gift / bundle, money per unit for amount_off,
    0 for feature_display. NaN when the regular price is needed (gift given as money) or
    when a planned price sets the shelf price."""
    kind = r["promo_type"]
    pct, off = _number(r.get("discount_pct")), _number(r.get("amount_off"))
    bar, gift = _number(r.get("threshold_amount")), _number(r.get("gift_value"))
    planned = _number(r.get("planned_price"))
    if not np.isnan(pct) and not 0 <= pct <= MAX_DEPTH_PCT:
        problem("discount_pct", pct, f"depth {pct:g} % is outside 0-{MAX_DEPTH_PCT:g} %")
        return float("nan")
    if kind in PRICE_CUT:
        if np.isnan(pct) and np.isnan(planned):
            problem("discount_pct", None, f"{kind} needs discount_pct (or a planned price)")
        elif not np.isnan(pct) and pct == 0 and np.isnan(planned):
            problem("discount_pct", pct, f"{kind} with 0 % off is no promotion")
        return pct
    if kind == "amount_off":
        if not off > 0 and np.isnan(planned):
            problem("amount_off", None if np.isnan(off) else off, "amount_off needs an amount > 0")
        return off
    if kind == "threshold":
        if not np.isnan(pct):
            return pct
        if bar > 0 and off > 0:
            if off >= bar:
                problem("amount_off", off, f"saving {off:g} is not below the threshold {bar:g}")
                return float("nan")
            return 100.0 * off / bar  # spend X save Y: Y / X of the basket back
        problem(
            "discount_pct", None, "threshold needs discount_pct or threshold_amount + amount_off"
        )
        return float("nan")
    if kind == "gift":
        if not np.isnan(pct):
            return pct
        if not gift > 0:
            problem("gift_value", None if np.isnan(gift) else gift, "gift needs gift_value > 0")
        return float("nan")  # gift_value is money: its % needs the regular price
    if kind == "bundle":
        return 0.0 if np.isnan(pct) else pct
    return 0.0  # feature_display


def _stores(value: str | None, known: list[str]) -> list[str] | None:
    if value is None or (value.lower() == "all" and "all" not in known):
        return known
    return [value] if value in known else None


def check_scenario(
    scenario: pd.DataFrame,
    *,
    item_ids: Iterable[str],
    categories: Mapping[str, str] | pd.Series,
    store_ids: Iterable[str],
    history_end: str | pd.Timestamp | None = None,
    first_row: int = 2,
    source: str = "scenario",
) -> pd.DataFrame:
    """One row per item x store x day under a planned promotion (``EXPANDED_COLUMNS``).

    ``scenario``: promotions-table columns as read by ``read_scenario`` (rows in file
    order; ``planned_price`` optional). ``categories``: the category of every item
    (item_id -> category), used to expand category-wide rows and to check categories.
    A row without store_id (or with ``all`` when no store is called so) covers every store.
    ``first_row``: file line of the first data row (2 for a CSV with a header), so errors
    name the line a user sees. ``depth`` follows ``plan.promo_terms``; ``price_factor`` is
    paid / regular price where the scenario alone fixes it (percent cuts), else NaN;
    ``use_<m>`` flags the non-price mechanisms switched on (feature / display switch on
    ``feature_display`` whatever the type). Raises InvalidScenario listing every problem.
    """
    if not isinstance(categories, Mapping | pd.Series):
        raise TypeError("categories must map item_id -> category (a dict or a Series)")
    items = [str(i) for i in item_ids]
    known_items = set(items)
    category_of = {str(k): str(v) for k, v in dict(categories).items() if _text(v) is not None}
    known_categories = set(category_of.values())
    stores = [str(s) for s in store_ids]
    end_of_history = None if history_end is None else pd.Timestamp(history_end)
    errors: list[RowError] = []
    warnings: list[str] = []
    blocks: list[pd.DataFrame] = []

    for pos, r in enumerate(scenario.to_dict("records")):
        row = first_row + pos

        def problem(column: str, value: object, rule: str, _row: int = row) -> None:
            shown = (
                None
                if value is None
                else (f"{value:g}" if isinstance(value, float) else str(value))
            )
            errors.append(RowError(source, _row, column, shown, rule))

        promo_id = _text(r.get("promo_id")) or f"row{row}"
        kind = _text(r.get("promo_type")) or ""
        r["promo_type"] = kind
        item, category, store = (_text(r.get(c)) for c in ("item_id", "category", "store_id"))
        start, end = pd.Timestamp(r["start_date"]), pd.Timestamp(r["end_date"])
        n_errors = len(errors)
        if end < start:
            problem("end_date", end.date(), f"end_date is before start_date {start.date()}")
        if item is not None and item not in known_items:
            problem("item_id", item, "unknown item (not in the shop's items or sales)")
        if category is not None and category not in known_categories:
            problem("category", category, "unknown category")
        if (
            item is not None
            and category is not None
            and item in known_items
            and category in known_categories
            and category_of.get(item) != category
        ):
            problem("category", category, f"item {item} is in category {category_of.get(item)!r}")
        if item is None and category is None:
            problem("item_id", None, "a promotion needs item_id or category")
        row_stores = _stores(store, stores)
        if row_stores is None:
            problem("store_id", store, f"unknown store (known: {', '.join(stores)})")
        planned = _number(r.get("planned_price"))
        if not np.isnan(planned) and planned <= 0:
            problem("price", planned, "a planned price must be > 0")
        depth = _depth(r, problem)
        if end_of_history is not None and end >= start and end <= end_of_history:
            problem(
                "end_date",
                end.date(),
                f"the promotion ends on or before the last day of history "
                f"({end_of_history.date()}): nothing to simulate (use promo evaluate)",
            )
        if len(errors) > n_errors:
            continue
        if end_of_history is not None and start <= end_of_history:
            warnings.append(
                f"{source}, row {row}: promotion {promo_id} started before the end of history "
                f"({end_of_history.date()}); only its days from "
                f"{(end_of_history + pd.Timedelta(days=1)).date()} are simulated"
            )
            start = end_of_history + pd.Timedelta(days=1)
        members = (
            [item]
            if item is not None
            else sorted(i for i in items if category_of.get(i) == category)
        )
        days = pd.date_range(start, end, freq="D")
        feature, display = int(_number(r.get("feature")) == 1), int(_number(r.get("display")) == 1)
        grid = pd.MultiIndex.from_product([members, row_stores or [], days]).to_frame(
            index=False, name=["item_id", "store_id", "ds"]
        )
        grid["row"] = row
        grid["scope"] = "item" if item is not None else "category"
        grid["promo_id"] = promo_id
        grid["promo_type"] = kind
        grid["category"] = grid["item_id"].map(category_of)
        grid["depth"] = depth
        grid["price_factor"] = (
            1 - depth / 100
            if kind in PRICE_CUT
            else (1.0 if kind in ("threshold", "bundle", "feature_display") else np.nan)
        )
        if kind == "gift" and np.isnan(depth):
            grid["gift_value"] = _number(r.get("gift_value"))
            grid["price_factor"] = 1.0
        grid["amount_off"] = _number(r.get("amount_off")) if kind == "amount_off" else np.nan
        grid["planned_price"] = planned
        if not np.isnan(planned):
            grid["price_factor"] = np.nan  # the regular price decides it
        grid["feature"], grid["display"] = feature, display
        fixed = _number(r.get("fixed_cost"))
        grid["fixed_cost"] = 0.0 if np.isnan(fixed) else fixed
        grid["days"] = len(days)
        for m in LIFT_MECHANISMS:
            grid[f"use_{m}"] = kind == m or (m == "feature_display" and (feature or display))
        blocks.append(grid)

    expanded = (
        pd.concat(blocks, ignore_index=True) if blocks else pd.DataFrame(columns=EXPANDED_COLUMNS)
    )
    if "gift_value" not in expanded:
        expanded["gift_value"] = np.nan
    if len(expanded):
        key = ["item_id", "store_id", "ds"]
        own = expanded.loc[expanded["scope"] == "item", key].drop_duplicates()
        shadowed = expanded[key].merge(own.assign(_own=True), on=key, how="left")["_own"]
        keep = (expanded["scope"] == "item").to_numpy() | shadowed.isna().to_numpy()
        expanded = expanded[keep].reset_index(drop=True)
        errors += _overlaps(expanded, source)
    if errors:
        raise InvalidScenario(sorted(errors, key=lambda e: (e.row or 0, e.column or "")))
    out = expanded[[*EXPANDED_COLUMNS, "gift_value"]].reset_index(drop=True)
    out.attrs["warnings"] = warnings
    return out


def _overlaps(expanded: pd.DataFrame, source: str) -> list[RowError]:
    """One error per scenario row that puts a second promotion on an item x store x day."""
    key = ["item_id", "store_id", "ds"]
    clash = expanded[expanded.duplicated(key, keep=False)]
    if clash.empty:
        return []
    first = clash.sort_values(["row", "ds"]).drop_duplicates(key)
    later = clash.merge(first[[*key, "row", "promo_id"]], on=key, suffixes=("", "_first"))
    later = later[later["row"] != later["row_first"]].sort_values(["row", "ds"])
    errors = []
    for (row, other), hit in later.groupby(["row", "row_first"], sort=True):
        h = hit.iloc[0]
        errors.append(
            RowError(
                source,
                int(row),
                "start_date",
                str(h["promo_id"]),
                f"overlaps promotion {h['promo_id_first']} (row {int(other)}) on item "
                f"{h['item_id']} in store {h['store_id']} from {h['ds'].date()} "
                f"({hit['ds'].nunique()} day(s)): one promotion per item, store and day",
            )
        )
    return errors
