"""What-if scenarios: check a planned promotions list and expand it to item x store x day.

A scenario file has the promotions table's columns (DESIGN §2), optionally a planned
``price`` per row; ``services.scenarios.read_scenario`` parses it against that schema. This
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
from dataclasses import dataclass

import numpy as np
import pandas as pd

from promocast.exceptions import DataValidationError, RowError
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


@dataclass
class InvalidScenario(DataValidationError):
    """A what-if scenario names what the shop does not have or an impossible promotion, or
    breaks the promotions table's rules: one kind of refusal for every scenario problem (exit
    1, HTTP 422), as the bad input it is, with each row, column and reason."""

    outcome: str = "nothing was simulated"

    def headline(self) -> str:
        return f"bad scenario: {self.total} problem(s); {self.outcome}."


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
        elif bar > 0:
            return 100.0 * gift / bar  # a gift per X spent: its share of the basket, as evaluate
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
    blocks: list[_Block] = []

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
        feature, display = int(_number(r.get("feature")) == 1), int(_number(r.get("display")) == 1)
        price_factor = (
            1 - depth / 100
            if kind in PRICE_CUT
            else (1.0 if kind in ("threshold", "bundle", "feature_display") else np.nan)
        )
        gift_value = np.nan
        if kind == "gift" and np.isnan(depth):
            gift_value, price_factor = _number(r.get("gift_value")), 1.0
        if not np.isnan(planned):
            price_factor = np.nan  # the regular price decides it
        fixed = _number(r.get("fixed_cost"))
        days = pd.date_range(start, end, freq="D")
        values: dict[str, object] = {
            "row": row,
            "scope": "item" if item is not None else "category",
            "promo_id": promo_id,
            "promo_type": kind,
            "depth": depth,
            "price_factor": price_factor,
            "amount_off": _number(r.get("amount_off")) if kind == "amount_off" else np.nan,
            "planned_price": planned,
            "feature": feature,
            "display": display,
            "fixed_cost": 0.0 if np.isnan(fixed) else fixed,
            "days": len(days),
            "gift_value": gift_value,
            **{
                f"use_{m}": kind == m or (m == "feature_display" and bool(feature or display))
                for m in LIFT_MECHANISMS
            },
        }
        blocks.append(_Block(members, row_stores or [], days.to_numpy(), values))

    if not blocks:
        expanded = pd.DataFrame(columns=EXPANDED_COLUMNS).assign(gift_value=np.nan)
    else:
        columns = _grid(blocks, category_of)
        key = _cell_codes(columns)
        item_scope = columns.pop("scope") == "item"
        if not item_scope.all():  # an item's own row beats its category's on the same days
            keep = item_scope | ~np.isin(key, key[item_scope])
            columns = {name: values[keep] for name, values in columns.items()}
            key = key[keep]
        expanded = pd.DataFrame(columns)[[*EXPANDED_COLUMNS, "gift_value"]]
        if len(np.unique(key)) < len(key):
            errors += _overlaps(expanded, source)
    if errors:
        raise InvalidScenario(sorted(errors, key=lambda e: (e.row or 0, e.column or "")))
    expanded.attrs["warnings"] = warnings
    return expanded


@dataclass
class _Block:
    """One valid scenario row: its items x stores x days and its per-row values."""

    members: list[str]
    stores: list[str]
    days: np.ndarray
    values: dict[str, object]


def _grid(blocks: list[_Block], category_of: Mapping[str, str]) -> dict[str, np.ndarray]:
    """All blocks' item x store x day grids as one column per name (item slowest, day fastest,
    blocks in file order): built from arrays at once, not frame by frame."""
    sizes = [len(b.members) * len(b.stores) * len(b.days) for b in blocks]
    items = [
        np.repeat(np.asarray(b.members, dtype=object), len(b.stores) * len(b.days)) for b in blocks
    ]
    columns: dict[str, np.ndarray] = {
        "item_id": np.concatenate(items),
        "store_id": np.concatenate(
            [
                np.tile(np.repeat(np.asarray(b.stores, dtype=object), len(b.days)), len(b.members))
                for b in blocks
            ]
        ),
        "ds": np.concatenate(
            [np.tile(b.days, len(b.members) * len(b.stores)) for b in blocks]
        ).astype("datetime64[ns]"),
    }
    columns["category"] = np.array(
        [category_of.get(i, np.nan) for i in columns["item_id"]], dtype=object
    )
    for name in blocks[0].values:
        values = [b.values[name] for b in blocks]
        kind = object if isinstance(values[0], str) else None
        columns[name] = np.repeat(np.array(values, dtype=kind), sizes)
    return columns


def _cell_codes(columns: dict[str, np.ndarray]) -> np.ndarray:
    """One integer per item x store x day: equal codes, same cell."""
    code = np.zeros(len(columns["ds"]), dtype=np.int64)
    for name in ("item_id", "store_id", "ds"):
        part, uniques = pd.factorize(columns[name])
        code = code * len(uniques) + part
    return code


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


def outside_horizon(scenario: pd.DataFrame, first: pd.Timestamp, last: pd.Timestamp,
                    freq: str) -> dict | None:
    """The scenario rows a forecast over the periods ``first`` .. ``last`` (their labels)
    passes over: no day of theirs falls in the horizon, from ``first`` to the end of the
    period ``last`` starts. None when every row has a day inside.

    ``{"rows", "file_rows", "promo_ids", "first_date", "last_date", "horizon_start",
    "horizon_end", "message"}`` (ids and rows: the first 20)."""
    first, last = pd.Timestamp(first), pd.Timestamp(last)
    kind = freq.upper()[:1]
    horizon_end = (last if kind == "D" else last + pd.Timedelta(days=6) if kind == "W"
                   else last + pd.offsets.MonthEnd(0))
    start = pd.to_datetime(scenario["start_date"]).reset_index(drop=True)
    end = pd.to_datetime(scenario["end_date"]).reset_index(drop=True)
    outside = ((end < first) | (start > horizon_end)).to_numpy()
    if not outside.any():
        return None
    first_row = int(scenario.attrs.get("first_row", 2))
    rows = [first_row + int(pos) for pos in np.flatnonzero(outside)]
    ids = [str(i) for i in scenario["promo_id"].to_numpy()[outside]]
    found = {"rows": len(rows), "file_rows": rows[:20], "promo_ids": ids[:20],
             "first_date": str(start[outside].min().date()),
             "last_date": str(end[outside].max().date()),
             "horizon_start": str(first.date()), "horizon_end": str(horizon_end.date())}
    shown = ", ".join(found["promo_ids"]) + (" ..." if len(ids) > 20 else "")
    found["message"] = (
        f"{len(rows)} scenario row(s) ({shown}) fall outside the forecast horizon "
        f"{found['horizon_start']} .. {found['horizon_end']}: they run "
        f"{found['first_date']} .. {found['last_date']} and were not used. Forecast a longer "
        "--horizon, or plan them inside it")
    return found
