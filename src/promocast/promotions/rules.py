"""The rules a promotion plan must keep (`promocast promo plan --rules FILE`).

A rules file is YAML or JSON; every key is optional (``--budget`` on the command line sets
the budget). Example::

    budget: 5000                  # money: what the shop gives away + fixed costs, whole plan
    objective: incremental_margin # or: revenue (then margin_floor applies)
    margin_floor: 0               # revenue objective: plan's expected incremental margin >= this
    start: 2026-06-01             # optional first and last day planned
    end: 2026-07-26
    period: W                     # W = plan in weeks (daily shops too); D = days; M = months
                                  # (the default, and the only choice, for a monthly shop)
                                  # (a weekly shop's week counts in the month it starts in)
    stores: [online]              # plan these stores only (default: every store)
    grid:                         # mechanism -> allowed depths
      percent_off: [10, 20, 30]   #   % off the regular price
      flash_sale: [40]            #   % off the regular price, plus the flash-sale lift
      threshold: [10]             #   spend X save Y: Y as % of the basket (every unit counted)
      gift: [15]                  #   gift value as % of the item's regular price
      amount_off: [5, 10]         #   money off per unit (options >= 90 % of a price skipped)
      feature_display: [0]        #   no depth: the feature / display lift only
    fixed_cost: {feature_display: 200, flash_sale: 300}   # money per promotion placed
                                  # (a mechanism not set here costs the median fixed_cost of
                                  # the shop's past promotions of that promo_type, if any)
    lifts: {feature_display: 0.2} # a lift the shop vouches for (units ratio - 1), used where
                                  # the data do not identify one (otherwise the mechanism is
                                  # left out for that item: see plan_lifts)
    max_per_category_period: 3    # or {snacks: 2, default: 3}: items of a category promoted
                                  # in one store and period
    min_gap_periods: 1            # quiet periods between two promotions of one item x store
    excluded_items: [SKU0007]
    respect_stock: true           # promotions may only sell the stock left over the baseline
    caution: 0.5                  # options are weighed at their margin less this many standard
                                  # deviations of their effects' uncertainty (default 0: the
                                  # mean alone)
    required:                     # festivals / dates that must carry promotions
      - event: double_11          # an event name of the events table ...
        min_promotions: 5         # ... at least 5 item x store promotions in its period(s)
        category: snacks          # optional: of this category (and store_id: of this store)
      - start: 2026-06-15         # ... or a date range
        end: 2026-06-18
        min_promotions: 2

How the shop's give-away is costed (the same in the plan and in the demo shop's truth):
``percent_off`` / ``flash_sale`` / ``amount_off`` cut the paid price, so the cost is
(regular - paid price) x units; ``threshold`` is costed as depth % of the regular price on
every unit sold under it (an upper bound: baskets below the bar get nothing); ``gift`` as the
gift's value (depth % of the regular price) per unit sold. ``fixed_cost`` is added per
promotion (item x store x period). The budget covers give-away plus fixed costs.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from promocast.exceptions import InvalidRules
from promocast.promotions.design import EVERY_STORE

PLANNABLE: tuple[str, ...] = (
    "percent_off",
    "amount_off",
    "threshold",
    "gift",
    "flash_sale",
    "feature_display",
)
"""Mechanisms the planner can place on one item (``bundle`` needs a partner item: not planned)."""
PERCENT_DEPTHS: tuple[str, ...] = ("percent_off", "flash_sale", "threshold", "gift")
"""Mechanisms whose depth is a percentage of the regular price (0 < depth <= 90)."""
MAX_DEPTH_PCT = 90.0
LIFT_MECHANISMS: tuple[str, ...] = ("threshold", "gift", "flash_sale", "feature_display")
"""Plannable mechanisms with a lift of their own (the others act through the price only)."""

DEFAULT_GRID: dict[str, list[float]] = {
    "percent_off": [10.0, 20.0, 30.0],
    "flash_sale": [40.0],
    "threshold": [10.0],
    "gift": [15.0],
    "feature_display": [0.0],
}


def period_offset(period: str) -> pd.DateOffset:
    """One plan period as a calendar offset: a day, a week or a month (``D``, ``W``, ``M``)."""
    return {"D": pd.DateOffset(days=1), "W": pd.DateOffset(weeks=1),
            "M": pd.DateOffset(months=1)}[period]


def period_end(starts: pd.Series | pd.DatetimeIndex, period: str) -> pd.Series | pd.DatetimeIndex:
    """The last day of each plan period starting on ``starts``."""
    return starts + period_offset(period) - pd.Timedelta(days=1)


class RequiredPromotions(BaseModel):
    """A festival or date range that must carry at least ``min_promotions`` promotions
    (item x store x period), optionally of one category and / or store."""

    model_config = ConfigDict(extra="forbid")

    event: str | None = None
    start: date | None = None
    end: date | None = None
    min_promotions: int = Field(default=1, ge=1)
    category: str | None = None
    store_id: str | None = None

    @model_validator(mode="after")
    def _window(self) -> RequiredPromotions:
        if self.event is None and self.start is None:
            raise ValueError("give an event name or a start date")
        if self.event is not None and self.start is not None:
            raise ValueError("give an event name or a date range, not both")
        if self.start is not None and self.end is not None and self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self

    def label(self, index: int) -> str:
        """How an error or explanation names this rule: ``required[0] 'double_11'``."""
        what = self.event or (f"{self.start}..{self.end or self.start}" if self.start else "window")
        scope = "".join(
            f", {key} {value}"
            for key, value in (("category", self.category), ("store", self.store_id))
            if value
        )
        return f"required[{index}] '{what}' (>= {self.min_promotions} promotions{scope})"


class PlanRules(BaseModel):
    """Everything a promotion plan must respect; see the module docstring for the file."""

    model_config = ConfigDict(extra="forbid")

    budget: float | None = Field(default=None, ge=0)
    objective: Literal["incremental_margin", "revenue"] = "incremental_margin"
    margin_floor: float | None = None
    start: date | None = None
    end: date | None = None
    period: Literal["W", "D", "M"] = "W"
    stores: list[str] | None = None
    grid: dict[str, list[float]] = Field(default_factory=lambda: dict(DEFAULT_GRID))
    fixed_cost: dict[str, float] = Field(default_factory=dict)
    lifts: dict[str, float] = Field(default_factory=dict)
    max_per_category_period: int | dict[str, int] | None = None
    min_gap_periods: int = Field(default=1, ge=0)
    excluded_items: list[str] = Field(default_factory=list)
    respect_stock: bool = True
    caution: float | None = Field(default=None, ge=0, le=3)
    required: list[RequiredPromotions] = Field(default_factory=list)

    @property
    def weight_caution(self) -> float:
        """The caution the optimiser applies (``plan_risk.cautious``): the rules' own, else 0.
        Opt-in: on the demo shop's benchmark 0.5 lifted the true margin of the plan made from
        estimated effects from 64.6 % to 73.7 % of the truth's plan at a 2 % budget (80.0 ->
        78.6 % at 5 %), but on a small shop with wide intervals it leaves nothing to plan, and
        a revenue plan's gains are small against the revenue they ride on."""
        if self.caution is not None:
            return float(self.caution)
        return 0.0

    @field_validator("grid")
    @classmethod
    def _grid(cls, grid: dict[str, list[float]]) -> dict[str, list[float]]:
        if not grid:
            raise ValueError("the grid is empty: allow at least one mechanism and depth")
        for kind, depths in grid.items():
            if kind == "bundle":
                raise ValueError("bundle needs a partner item and is not planned; remove it")
            if kind not in PLANNABLE:
                raise ValueError(f"unknown mechanism {kind!r}; use one of {', '.join(PLANNABLE)}")
            if not depths:
                raise ValueError(f"{kind}: no depth given")
            for depth in depths:
                if kind in PERCENT_DEPTHS and not 0 < depth <= MAX_DEPTH_PCT:
                    raise ValueError(f"{kind}: depth {depth:g} is outside 0-90 %")
                if kind == "amount_off" and not depth > 0:
                    raise ValueError(f"amount_off: amount {depth:g} must be > 0")
                if kind == "feature_display" and depth != 0:
                    raise ValueError(f"feature_display: depth {depth:g} must be 0 (no discount)")
        return {kind: sorted(set(map(float, depths))) for kind, depths in grid.items()}

    @field_validator("fixed_cost")
    @classmethod
    def _fixed_cost(cls, costs: dict[str, float]) -> dict[str, float]:
        for kind, cost in costs.items():
            if kind not in PLANNABLE:
                raise ValueError(f"unknown mechanism {kind!r}; use one of {', '.join(PLANNABLE)}")
            if cost < 0:
                raise ValueError(f"{kind}: fixed cost {cost:g} must be >= 0")
        return costs

    @field_validator("lifts")
    @classmethod
    def _lifts(cls, lifts: dict[str, float]) -> dict[str, float]:
        for kind, lift in lifts.items():
            if kind not in LIFT_MECHANISMS:
                raise ValueError(f"unknown lift mechanism {kind!r}; use one of "
                                 f"{', '.join(LIFT_MECHANISMS)} (discounts act through price)")
            if not lift > -1:
                raise ValueError(f"{kind}: lift {lift:g} must be > -1 (units ratio - 1)")
        return {kind: float(lift) for kind, lift in lifts.items()}

    @field_validator("max_per_category_period")
    @classmethod
    def _cap(cls, cap: int | dict[str, int] | None) -> int | dict[str, int] | None:
        values = cap.values() if isinstance(cap, dict) else [] if cap is None else [cap]
        for value in values:
            if value < 0:
                raise ValueError(f"cap {value} must be >= 0")
        return cap

    @model_validator(mode="after")
    def _consistent(self) -> PlanRules:
        if self.start is not None and self.end is not None and self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        if self.margin_floor is not None and self.objective != "revenue":
            raise ValueError("margin_floor applies to objective: revenue only")
        return self

    @property
    def offset(self) -> pd.DateOffset:
        """One plan period as a calendar offset (months vary in length)."""
        return period_offset(self.period)

    def category_cap(self, category: str) -> int | None:
        """Items of ``category`` that may be promoted in one store and period (None = no cap)."""
        cap = self.max_per_category_period
        if isinstance(cap, dict):
            return cap.get(category, cap.get("default"))
        return cap

    def with_fixed_costs(self, defaults: dict[str, float]) -> PlanRules:
        """A copy whose mechanisms without a fixed cost of the rules' own take ``defaults``
        (the shop's past promotions, ``historical_fixed_costs``): the rules override."""
        merged = {**{k: float(v) for k, v in defaults.items() if k in PLANNABLE and v >= 0},
                  **self.fixed_cost}
        return self.model_copy(update={"fixed_cost": merged})

    def with_budget(self, budget: float | None) -> PlanRules:
        """A copy with the budget set (``--budget`` overrides the file)."""
        return make_rules({**self.model_dump(exclude_unset=True), "budget": budget})


def historical_fixed_costs(promotions: pd.DataFrame | None, items: pd.DataFrame | None = None,
                           period_days: int | None = None, stores: int = 1,
                           ) -> dict[str, tuple[float, int]]:
    """Per plannable mechanism, the median ``fixed_cost`` of the shop's past promotions of that
    ``promo_type`` and how many promotions gave one (rows without a fixed cost left out): the
    default fixed cost of a planned promotion when the rules set none.

    A planned promotion is one item in one store and period; a past one often covered a
    category in every store (``stores`` of them: an empty store_id) for weeks. With ``items``
    (item_id, category) and the plan's ``period_days`` each past cost is first split over the
    items, stores and periods it covered."""
    if promotions is None or promotions.empty or not {"promo_type", "fixed_cost"} <= set(
            promotions.columns):
        return {}
    costs = pd.to_numeric(promotions["fixed_cost"], errors="coerce")
    if period_days and {"start_date", "end_date"} <= set(promotions.columns):
        days = (pd.to_datetime(promotions["end_date"])
                - pd.to_datetime(promotions["start_date"])).dt.days + 1
        periods = np.maximum(1, np.ceil(days.to_numpy(dtype=float) / period_days))
        width = np.ones(len(promotions))
        if items is not None and "category" in promotions and "category" in items:
            sizes = items.groupby("category")["item_id"].nunique()
            by_item = promotions["item_id"].notna() if "item_id" in promotions else False
            n = promotions["category"].map(sizes).to_numpy(dtype=float)
            width = np.where(by_item | ~np.isfinite(n), 1.0, np.maximum(n, 1.0))
        if "store_id" in promotions:
            every = promotions["store_id"].isna() | promotions["store_id"].astype(str).str.strip(
                ).str.lower().isin(EVERY_STORE)
            width = width * np.where(every, max(int(stores), 1), 1)
        costs = costs / (np.nan_to_num(periods, nan=1.0) * width)
    known = promotions.assign(fixed_cost=costs)[costs.notna() & (costs >= 0)]
    known = known[known["promo_type"].isin(PLANNABLE)]
    by_type = known.groupby("promo_type")["fixed_cost"]
    return {str(kind): (float(median), int(n))
            for (kind, median), n in zip(by_type.median().items(), by_type.size(), strict=True)}


def _key(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "rules"


def _errors(exc: ValidationError, source: str) -> InvalidRules:
    lines = []
    for err in exc.errors():
        message = str(err["msg"]).removeprefix("Value error, ")
        shown = err.get("input")
        value = "" if isinstance(shown, dict) else f" (got {shown!r})"
        if err["type"] == "extra_forbidden":
            message, value = "unknown key", ""
        lines.append(f"  - {_key(tuple(err['loc']))}: {message}{value}")
    return InvalidRules(f"bad plan rules in {source}:\n" + "\n".join(lines))


def make_rules(values: dict[str, Any] | None = None, *, source: str = "rules") -> PlanRules:
    """PlanRules from a mapping; InvalidRules names each bad key and value."""
    if values is not None and not isinstance(values, dict):
        raise InvalidRules(
            f"bad plan rules in {source}: expected a mapping of keys, got {type(values).__name__}"
        )
    try:
        return PlanRules.model_validate(values or {})
    except ValidationError as exc:
        raise _errors(exc, source) from None


def load_rules(path: str | Path) -> PlanRules:
    """Read a rules file (``.yaml`` / ``.yml`` / ``.json``; other suffixes tried as YAML)."""
    import yaml

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidRules(f"cannot read the rules file {path}: {exc.strerror}") from None
    try:
        values = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise InvalidRules(
            f"the rules file {path} is not valid "
            f"{'JSON' if path.suffix.lower() == '.json' else 'YAML'}: {exc}"
        ) from None
    return make_rules(values, source=str(path))


def check_rules(
    rules: PlanRules,
    *,
    item_ids: Iterable[str],
    categories: Iterable[str] = (),
    store_ids: Iterable[str] = (),
    events: pd.DataFrame | None = None,
) -> None:
    """Refuse rules that name what the shop does not have (items, categories, stores, events)."""
    items, cats, stores = set(item_ids), set(categories), set(store_ids)
    problems = [
        f"excluded_items: unknown item {item!r}"
        for item in rules.excluded_items
        if item not in items
    ]
    if stores:
        problems += [f"stores: unknown store {s!r}" for s in rules.stores or [] if s not in stores]
    if cats and isinstance(rules.max_per_category_period, dict):
        problems += [
            f"max_per_category_period: unknown category {c!r}"
            for c in rules.max_per_category_period
            if c != "default" and c not in cats
        ]
    known_events = set() if events is None else set(events["event"].astype(str))
    for k, req in enumerate(rules.required):
        if cats and req.category is not None and req.category not in cats:
            problems.append(f"required[{k}].category: unknown category {req.category!r}")
        if stores and req.store_id is not None and req.store_id not in stores:
            problems.append(f"required[{k}].store_id: unknown store {req.store_id!r}")
        if req.event is not None and req.event not in known_events:
            problems.append(
                f"required[{k}].event: unknown event {req.event!r}"
                + (
                    f" (known: {', '.join(sorted(known_events))})"
                    if known_events
                    else " (no events calendar given)"
                )
            )
    if problems:
        raise InvalidRules("bad plan rules:\n" + "\n".join(f"  - {p}" for p in problems))


def required_windows(
    rules: PlanRules, periods: pd.DatetimeIndex, events: pd.DataFrame | None = None
) -> list[pd.DatetimeIndex]:
    """For each required rule, the planned periods (by start) it covers; an event or range
    outside the planned periods is an error (the rule could never be met)."""
    starts = pd.DatetimeIndex(periods).sort_values()
    out = []
    for k, req in enumerate(rules.required):
        if req.event is not None:
            frame = events if events is not None else pd.DataFrame(columns=["date", "event"])
            dates = pd.to_datetime(frame.loc[frame["event"].astype(str) == req.event, "date"])
            ranges = [(d, d) for d in dates]
        else:
            first = pd.Timestamp(req.start)
            ranges = [(first, pd.Timestamp(req.end) if req.end else first)]
        hit = [p for p in starts if any(lo < p + rules.offset and hi >= p for lo, hi in ranges)]
        if not hit:
            span = (
                f"{starts[0].date()}..{period_end(starts, rules.period)[-1].date()}"
                if len(starts)
                else "(no periods)"
            )
            raise InvalidRules(
                f"bad plan rules:\n  - {req.label(k)}: falls on no planned period {span}"
            )
        out.append(pd.DatetimeIndex(hit))
    return out
