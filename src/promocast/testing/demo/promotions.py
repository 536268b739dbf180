"""Regular prices and the promotion calendar of the demo shop.

Regular prices step a few times a year (cost pass-through, competitor matching), so the price
elasticity is identified apart from promotions. Promotions of every mechanism run item by item
at random times and cluster around the shopping festivals; a few run category-wide (category
set, item_id empty). One item x store carries at most one promotion a day, and promotions of
the same item x store are spaced so that each post-promotion dip is seen cleanly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd

from promocast.testing.demo.catalogue import retail_price
from promocast.testing.demo.model import DIP_DAYS, LIFT_MECHANISMS

PROMO_COLUMNS = [
    "promo_id",
    "promo_type",
    "start_date",
    "end_date",
    "item_id",
    "category",
    "store_id",
    "discount_pct",
    "threshold_amount",
    "amount_off",
    "gift_value",
    "feature",
    "display",
    "fixed_cost",
]
RANDOM_WEIGHTS = {
    "percent_off": 0.24,
    "amount_off": 0.12,
    "threshold": 0.14,
    "gift": 0.12,
    "flash_sale": 0.10,
    "bundle": 0.10,
    "feature_display": 0.18,
}
FESTIVAL_WEIGHTS = {
    "percent_off": 0.35,
    "amount_off": 0.15,
    "threshold": 0.15,
    "gift": 0.10,
    "flash_sale": 0.15,
    "bundle": 0.10,
}
CATEGORY_FESTIVAL_WEIGHTS = {"threshold": 0.6, "percent_off": 0.25, "gift": 0.15}
CATEGORY_RANDOM_WEIGHTS = {"threshold": 0.5, "feature_display": 0.3, "gift": 0.2}
ITEM_FESTIVAL_ODDS = {
    "festival_38": 0.15,
    "festival_520": 0.15,
    "festival_618": 0.45,
    "double_11": 0.55,
    "double_12": 0.30,
}
CATEGORY_FESTIVAL_ODDS = {
    "festival_38": 0.15,
    "festival_520": 0.15,
    "festival_618": 0.6,
    "double_11": 0.7,
    "double_12": 0.3,
}
GAP_DAYS = DIP_DAYS + 3
"""Minimum quiet days between two promotions of the same item x store."""
NICE_AMOUNTS = np.array([1, 2, 3, 5, 8, 10, 15, 20, 30, 50, 80, 100], dtype=float)
NICE_THRESHOLDS = np.array(
    [29, 49, 59, 69, 99, 129, 149, 199, 249, 299, 399, 499, 599, 799, 999, 1499, 1999], dtype=float
)


@dataclass
class PromotionPlan:
    """What happened: regular prices, which promotion covers each item x store x day, and the
    promotions table. The paid price is derived per block of items (``paid_price``) so the
    full (items, stores, days) float array never has to exist."""

    base_price: np.ndarray  # (I, D) regular price
    promo_index: np.ndarray  # (I, S, D) row of ``rows`` active that day, -1 when none
    shared: np.ndarray  # (I, S, D) items covered by the same promotion that day (0 when none)
    rows: list[dict] = field(default_factory=list)
    mechanisms: list[tuple[str, ...]] = field(default_factory=list)  # non-price mechanisms per row

    def table(self) -> pd.DataFrame:
        """promotions.csv rows in canonical columns."""
        frame = pd.DataFrame(self.rows).reindex(columns=PROMO_COLUMNS)
        for col in ("feature", "display"):
            frame[col] = frame[col].fillna(0).astype(int)
        return frame

    def _column(self, name: str, kinds: tuple[str, ...]) -> np.ndarray:
        """Per promotion (plus a trailing "none" row): the value of ``name`` for ``kinds``."""
        values = [
            float(r[name]) if r["promo_type"] in kinds and r.get(name) is not None else np.nan
            for r in self.rows
        ]
        return np.array([*values, np.nan])

    def paid_price(self, items: slice) -> np.ndarray:
        """(B, S, D) unit price paid: the regular price, cut by percent_off / flash_sale
        (discount_pct) or amount_off (never below 10 % of the regular price), to the cent."""
        base = np.broadcast_to(self.base_price[items, None, :], self.promo_index[items].shape)
        index = self.promo_index[items]
        pct = self._column("discount_pct", ("percent_off", "flash_sale"))[index]
        off = self._column("amount_off", ("amount_off",))[index]
        price = np.where(np.isnan(pct), base, np.round(base * (1 - np.nan_to_num(pct) / 100), 2))
        return np.where(
            np.isnan(off), price, np.round(np.maximum(base - np.nan_to_num(off), 0.1 * base), 2)
        )

    def mechanism_flags(self, index: np.ndarray) -> np.ndarray:
        """Booleans index.shape + (len(LIFT_MECHANISMS),): the non-price mechanisms active."""
        table = np.zeros((len(self.rows) + 1, len(LIFT_MECHANISMS)), dtype=bool)
        for r, mechs in enumerate(self.mechanisms):
            for m in mechs:
                table[r, LIFT_MECHANISMS.index(m)] = True
        return table[np.where(index >= 0, index, len(self.rows))]

    def category_counts(self, categories: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(codes per item, (n_categories, S, D) items of each category on promotion)."""
        codes, uniques = pd.factorize(categories)
        active = self.promo_index >= 0
        counts = np.stack(
            [active[codes == c].sum(axis=0, dtype=np.int16) for c in range(len(uniques))]
        )
        return codes, counts


def regular_prices(
    rng: np.random.Generator, reference: np.ndarray, unit_cost: np.ndarray, n_days: int
) -> np.ndarray:
    """(I, D) regular price: about 2.5 steps a year per item, mean-reverting around the first
    price, never within 8 % of the unit cost."""
    n_items = len(reference)
    path = np.repeat(reference[:, None], n_days, axis=1)
    floor = np.log(unit_cost * 1.08 / reference)
    rate = 2.5 * n_days / 365.0
    for i in range(n_items):
        n_steps = max(int(rng.poisson(rate)), 1 if n_days >= 60 else 0)
        if not n_steps or n_days < 30:
            continue
        days = np.sort(
            rng.choice(np.arange(14, n_days - 7), size=min(n_steps, n_days - 21), replace=False)
        )
        deviation = 0.0
        for day in days:
            deviation = float(
                np.clip(0.4 * deviation + rng.normal(0.0, 0.13), max(floor[i], -0.3), 0.3)
            )
            path[i, day:] = retail_price(reference[i] * np.exp(deviation))
    return path


class _Scheduler:
    """Places promotions on free item x store x day cells and records their effects."""

    def __init__(
        self,
        rng: np.random.Generator,
        items: pd.DataFrame,
        base_price: np.ndarray,
        launch: np.ndarray,
        channels: list[str],
        store_ids: list[str],
        dates: pd.DatetimeIndex,
    ) -> None:
        self.rng, self.items, self.base, self.launch = rng, items, base_price, launch
        self.channels, self.store_ids, self.dates = channels, store_ids, dates
        self.date_text = list(dates.strftime("%Y-%m-%d"))
        n_items, n_days = base_price.shape
        shape = (n_items, len(store_ids), n_days)
        self.plan = PromotionPlan(
            base_price, np.full(shape, -1, dtype=np.int32), np.zeros(shape, dtype=np.int16)
        )
        self.busy = np.zeros(shape, dtype=bool)

    def stores_for(self, kind: str) -> list[int]:
        """Flash sales run online; others in every store, online only or one shop."""
        n = len(self.store_ids)
        if n == 1 or kind == "flash_sale":
            return [0]
        draw = self.rng.random()
        if draw < 0.6:
            return list(range(n))
        return [0] if draw < 0.85 else [int(self.rng.integers(1, n))]

    def free(
        self, members: np.ndarray, stores: list[int], start: int, end: int, settle_days: int = 7
    ) -> np.ndarray:
        """The members launched ``settle_days`` before ``start`` with no promotion nearby in
        those stores."""
        taken = np.zeros(len(members), dtype=bool)
        for s in stores:
            taken |= self.busy[members, s, start : end + 1].any(axis=1)
        return members[~taken & (self.launch[members] + settle_days <= start)]

    def add(
        self,
        kind: str,
        members: np.ndarray,
        stores: list[int],
        start: int,
        end: int,
        category: str | None = None,
    ) -> None:
        """Record one promotion on ``members`` (item rows) x ``stores`` over days start..end."""
        plan, rng = self.plan, self.rng
        ref = float(
            self.base[members[0], start]
            if len(members) == 1
            else np.median(self.base[members, start])
        )
        row: dict = {
            "promo_id": f"P{len(plan.rows) + 1:05d}",
            "promo_type": kind,
            "start_date": self.date_text[start],
            "end_date": self.date_text[end],
            "item_id": None if category else self.items["item_id"].iat[int(members[0])],
            "category": category,
            "store_id": None if len(stores) == len(self.store_ids) else self.store_ids[stores[0]],
        }
        span = slice(start, end + 1)
        if kind in ("percent_off", "flash_sale"):
            options = (30, 40, 50) if kind == "flash_sale" else (10, 15, 20, 25, 30, 35, 40)
            row["discount_pct"] = float(options[rng.integers(0, len(options))])
        elif kind == "amount_off":
            amounts = NICE_AMOUNTS
            fits = amounts[(amounts >= 0.08 * ref) & (amounts <= 0.3 * ref)]
            off = (
                float(fits[rng.integers(0, len(fits))])
                if len(fits)
                else max(round(0.15 * ref, 1), 0.1)
            )
            row["amount_off"] = off
        elif kind == "threshold":
            bars = NICE_THRESHOLDS
            above = bars[bars >= ref * rng.uniform(1.5, 3.0)]
            threshold = float(above[0] if len(above) else bars[-1])
            row["threshold_amount"] = threshold
            row["amount_off"] = float(max(np.round(threshold * rng.uniform(0.1, 0.2) / 5) * 5, 5.0))
        elif kind == "gift":
            row["gift_value"] = float(max(np.round(ref * rng.uniform(0.1, 0.3), 1), 1.0))
        online = [self.channels[s] == "online" for s in stores]
        feature = kind == "feature_display" and any(online)
        display = kind == "feature_display" and not all(online)
        if kind != "feature_display" and rng.random() < (
            0.25 if kind in ("percent_off", "amount_off", "flash_sale") else 0.1
        ):
            feature = True
        row["feature"], row["display"] = int(feature), int(display)
        if kind in ("feature_display", "flash_sale") or rng.random() < 0.3:
            # per item, store and week about what the demo's plan rules charge (150 a
            # feature / display, 300 a flash sale; 100 for the others' ad spend), so that
            # the medians a plan borrows from this table (rules.historical_fixed_costs) match
            # the world the demo's ground truth is planned in
            weeks = -(-(end - start + 1) // 7)
            per_week = {"feature_display": 150.0, "flash_sale": 300.0}.get(kind, 100.0)
            row["fixed_cost"] = float(np.round(
                per_week * weeks * len(stores) * (1 if category is None else 4)
                * rng.uniform(0.6, 1.4), -1))
        mechs = tuple(
            m
            for m in LIFT_MECHANISMS
            if m == kind or (m == "feature_display" and (feature or display))
        )
        index = len(plan.rows)
        plan.rows.append(row)
        plan.mechanisms.append(mechs)
        quiet = slice(max(start - GAP_DAYS, 0), end + GAP_DAYS + 1)
        for s in stores:
            plan.promo_index[members, s, span] = index
            plan.shared[members, s, span] = len(members)
            self.busy[members, s, quiet] = True


@lru_cache(maxsize=16)
def _cumulative(weights: tuple[tuple[str, float], ...]) -> tuple[tuple[str, ...], np.ndarray]:
    return tuple(k for k, _ in weights), np.cumsum([w for _, w in weights])


def _choice(rng: np.random.Generator, weights: dict[str, float]) -> str:
    """One key drawn with the given weights (cheaper than Generator.choice for one draw)."""
    keys, cumulative = _cumulative(tuple(weights.items()))
    pick = int(np.searchsorted(cumulative, rng.random() * cumulative[-1], side="right"))
    return keys[min(pick, len(keys) - 1)]


def schedule_promotions(
    rng: np.random.Generator,
    items: pd.DataFrame,
    base_price: np.ndarray,
    launch: np.ndarray,
    stores: pd.DataFrame,
    dates: pd.DatetimeIndex,
    festivals: dict,
) -> PromotionPlan:
    """Place every promotion: category-wide ones first (festivals and a few random), then the
    item-level festival promotions, then random item promotions through the year."""
    n_items, n_days = base_price.shape
    sched = _Scheduler(
        rng, items, base_price, launch, list(stores["channel"]), list(stores["store_id"]), dates
    )
    first, last = dates[0].strftime("%Y-%m-%d"), dates[-1].strftime("%Y-%m-%d")
    festival_days = sorted(
        (int((pd.Timestamp(day) - dates[0]).days), event)
        for event in ITEM_FESTIVAL_ODDS
        for day in festivals[event]["dates"]
        if first <= day <= last
    )
    categories = items["category"].to_numpy()

    for category in sorted(set(categories)):
        members_all = np.flatnonzero(categories == category)
        for day, event in festival_days:
            if rng.random() < CATEGORY_FESTIVAL_ODDS[event]:
                start, kind = (
                    max(day - int(rng.integers(2, 6)), 0),
                    _choice(rng, CATEGORY_FESTIVAL_WEIGHTS),
                )
                stores_ = sched.stores_for(kind)
                members = sched.free(members_all, stores_, start, day)
                if len(members) >= 2:
                    sched.add(kind, members, stores_, start, day, category=category)
        for _ in range(int(rng.poisson(n_days / 365.0))):
            start = int(rng.integers(14, max(n_days - 10, 15)))
            end = min(start + int(rng.integers(3, 8)), n_days - 1)
            kind = _choice(rng, CATEGORY_RANDOM_WEIGHTS)
            stores_ = sched.stores_for(kind)
            members = sched.free(members_all, stores_, start, end)
            if len(members) >= 2:
                sched.add(kind, members, stores_, start, end, category=category)

    for i in range(n_items):
        one = np.array([i])
        if launch[i] > 0 and rng.random() < 0.5:  # new launches featured on arrival
            start, end = int(launch[i]), min(int(launch[i]) + int(rng.integers(7, 15)), n_days - 1)
            stores_ = sched.stores_for("feature_display")
            if len(sched.free(one, stores_, start, end, settle_days=0)):
                sched.add("feature_display", one, stores_, start, end)
        for day, event in festival_days:
            if rng.random() < ITEM_FESTIVAL_ODDS[event]:
                kind = _choice(rng, FESTIVAL_WEIGHTS)
                start = day if kind == "flash_sale" else max(day - int(rng.integers(1, 6)), 0)
                stores_ = sched.stores_for(kind)
                if len(sched.free(one, stores_, start, day)):
                    sched.add(kind, one, stores_, start, day)
        day = int(launch[i]) + int(rng.integers(7, 40))
        while day < n_days - 2:
            kind = _choice(rng, RANDOM_WEIGHTS)
            length = {
                "flash_sale": int(rng.integers(1, 3)),
                "feature_display": int(rng.integers(5, 15)),
            }.get(kind, int(rng.integers(3, 11)))
            end = min(day + length - 1, n_days - 1)
            stores_ = sched.stores_for(kind)
            if len(sched.free(one, stores_, day, end)):
                sched.add(kind, one, stores_, day, end)
            day = end + int(rng.integers(15, 50))
    return sched.plan


def after_promotion(promo_index: np.ndarray) -> np.ndarray:
    """(…, D) True on the DIP_DAYS days after a promotion ends, when not on promotion."""
    active = promo_index >= 0
    ended = np.zeros_like(active)
    ended[..., :-1] = active[..., :-1] & ~active[..., 1:]
    after = np.zeros_like(active)
    for k in range(1, DIP_DAYS + 1):
        after[..., k:] |= ended[..., :-k]
    return after & ~active
