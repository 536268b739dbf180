"""The synthetic demo shop: a Chinese e-commerce shop with known truth, deterministic by seed.

``generate`` writes the canonical files (DESIGN §2) plus ``ground_truth.json`` and
``ground_truth_baseline.parquet``: the true elasticities, lifts, dips, cannibalisation and the
baseline demand, so estimates and plans can be scored against the truth (``demo_model`` holds
the demand formula). Vectorised over items x stores x days; the stock and order simulations loop
over days only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from promocast.testing.demo_model import (
    DIP_DAYS,
    DISPERSION,
    LIFT_MECHANISMS,
    MECHANISMS,
    Catalogue,
    expected_demand,
    festival_calendar,
    festival_multiplier,
    make_catalogue,
    seasonal_multiplier,
)

PROMO_WEIGHTS = {"percent_off": 0.26, "amount_off": 0.12, "threshold": 0.16, "gift": 0.12,
                 "flash_sale": 0.10, "bundle": 0.10, "feature_display": 0.14}
LEAD_DAYS = 2
SUPPLY_FAILURE = 0.05


@dataclass
class DemoShop:
    """What ``generate`` wrote: the folder, each table's file and the truth."""

    out_dir: Path
    files: dict[str, Path]
    ground_truth: dict


@dataclass
class _Promos:
    rows: list[dict]
    price: np.ndarray  # (I, S, D) paid price
    lifts: np.ndarray  # (I, S, D, L) bool
    active: np.ndarray  # (I, S, D) bool
    promo_id: np.ndarray  # (I, S, D) object


def _base_prices(rng: np.random.Generator, cat: Catalogue, n_days: int) -> np.ndarray:
    """(I, D) regular price with 2-4 permanent steps per item (identifies elasticity apart
    from promotions)."""
    n_items = len(cat.items)
    path = np.repeat(cat.reference_price[:, None], n_days, axis=1)
    for i in range(n_items):
        for day in np.sort(rng.integers(30, n_days - 10, rng.integers(2, 5))):
            path[i, day:] = np.round(path[i, day] * rng.uniform(0.88, 1.15), 1)
    return path


def _schedule(rng: np.random.Generator, cat: Catalogue, dates: pd.DatetimeIndex,
              base_price: np.ndarray, n_stores: int) -> _Promos:
    n_items, n_days = base_price.shape
    price = np.repeat(base_price[:, None, :], n_stores, axis=1).astype(float)
    lifts = np.zeros((n_items, n_stores, n_days, len(LIFT_MECHANISMS)), dtype=bool)
    active = np.zeros((n_items, n_stores, n_days), dtype=bool)
    promo_id = np.full((n_items, n_stores, n_days), None, dtype=object)
    rows: list[dict] = []
    types, weights = list(PROMO_WEIGHTS), np.array(list(PROMO_WEIGHTS.values()))
    festival_days = festival_calendar(dates)
    big = festival_days[festival_days["event"].isin(["festival_618", "double_11"])]
    launch_idx = np.searchsorted(dates, cat.items["launch_date"].to_numpy())

    def add(i: int | None, items: np.ndarray, kind: str, start: int, end: int, stores: list[int],
            category: str | None = None) -> None:
        pid = f"P{len(rows) + 1:05d}"
        row: dict = {"promo_id": pid, "promo_type": kind, "start_date": dates[start],
                     "end_date": dates[end], "item_id": None if i is None else cat.items.item_id[i],
                     "category": category,
                     "store_id": None if len(stores) == n_stores else cat.stores.store_id[stores[0]]}
        span = slice(start, end + 1)
        sel = np.ix_(items, stores, np.arange(start, end + 1))
        if kind in ("percent_off", "flash_sale"):
            pct = float(rng.choice([30, 40, 50] if kind == "flash_sale" else [10, 15, 20, 25, 30]))
            row["discount_pct"] = pct
            price[sel] = np.round(base_price[items][:, None, span] * (1 - pct / 100), 2)
        elif kind == "amount_off":
            off = float(np.round(cat.reference_price[items[0]] * rng.uniform(0.05, 0.2)))
            off = max(off, 1.0)
            row["amount_off"] = off
            price[sel] = np.maximum(base_price[items][:, None, span] - off, 0.5)
        elif kind == "threshold":
            row["threshold_amount"], row["amount_off"] = [(99.0, 15.0), (199.0, 30.0), (299.0, 50.0)][rng.integers(0, 3)]
        elif kind == "gift":
            row["gift_value"] = float(np.round(cat.reference_price[items[0]] * rng.uniform(0.1, 0.3), 1))
        elif kind == "feature_display":
            row["feature"], row["display"] = 1, int(rng.random() < 0.5)
        if kind in LIFT_MECHANISMS:
            m = LIFT_MECHANISMS.index(kind)
            lifts[items[:, None, None], np.array(stores)[None, :, None],
                  np.arange(start, end + 1)[None, None, :], m] = True
        if rng.random() < 0.3:
            row["fixed_cost"] = float(np.round(rng.uniform(50, 500)))
        active[sel] = True
        promo_id[sel] = pid
        rows.append(row)

    for i in range(n_items):
        busy = np.zeros(n_days, dtype=bool)
        busy[: launch_idx[i] + 14] = True
        for _, fest in big.iterrows():
            if rng.random() < 0.5:
                end = int(np.searchsorted(dates, fest["date"]))
                start = max(end - int(rng.integers(2, 6)), 0)
                if not busy[start: end + DIP_DAYS + 1].any():
                    add(i, np.array([i]), str(rng.choice(["percent_off", "threshold"])), start, end,
                        list(range(n_stores)))
                    busy[max(start - 14, 0): end + 15] = True
        day = int(rng.integers(7, 40))
        while day < n_days - 2:
            kind = str(rng.choice(types, p=weights / weights.sum()))
            length = int(rng.integers(1, 3)) if kind == "flash_sale" else int(rng.integers(3, 11))
            end = min(day + length - 1, n_days - 1)
            if not busy[day: end + DIP_DAYS + 1].any():
                stores = list(range(n_stores)) if rng.random() < 0.6 else [int(rng.integers(0, n_stores))]
                add(i, np.array([i]), kind, day, end, stores)
                busy[max(day - 14, 0): end + 15] = True
            day = end + int(rng.integers(21, 60))
    # A few category-wide spend-X-save-Y promotions on items with no promotion of their own.
    for category in cat.items["category"].unique():
        members = np.flatnonzero(cat.items["category"].to_numpy() == category)
        for _ in range(max(1, n_days // 365) * 2):
            start = int(rng.integers(20, n_days - 8))
            end = start + int(rng.integers(3, 7))
            free = members[~active[members, :, start: end + DIP_DAYS + 1].any(axis=(1, 2))]
            free = free[launch_idx[free] < start]
            if len(free):
                add(None, free, "threshold", start, end, list(range(n_stores)), category=category)
    return _Promos(rows, price, lifts, active, promo_id)


def _dip_flags(active: np.ndarray) -> np.ndarray:
    """True on the DIP_DAYS days after a promotion ends (and not on promotion)."""
    ended = np.zeros_like(active)
    ended[..., :-1] = active[..., :-1] & ~active[..., 1:]
    after = np.zeros_like(active)
    for k in range(1, DIP_DAYS + 1):
        after[..., k:] |= ended[..., :-k]
    return after & ~active


def _cannibal_counts(cat: Catalogue, active: np.ndarray) -> np.ndarray:
    codes = pd.Categorical(cat.items["category"]).codes
    per_cat = np.zeros((codes.max() + 1,) + active.shape[1:], dtype=int)
    np.add.at(per_cat, codes, active.astype(int))
    return per_cat[codes] - active.astype(int)


def _simulate_stock(rng: np.random.Generator, demand: np.ndarray, mean: np.ndarray,
                    launched: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Periodic review (weekly, staggered), order-up-to 18 days of the coming fortnight's
    expected demand, 2-day lead time and 5 % failed deliveries. Returns (units sold, on hand)."""
    n_items, n_stores, n_days = demand.shape
    sold = np.zeros_like(demand)
    on_hand_log = np.zeros(demand.shape)
    cover = np.stack([mean[..., d: d + 14].mean(axis=-1) for d in range(n_days)], axis=-1)
    on_hand = np.ceil(18 * cover[..., 0])
    pipeline = np.zeros((LEAD_DAYS + 1, n_items, n_stores))
    review = (np.arange(n_items) % 7)[:, None]
    for d in range(n_days):
        on_hand += pipeline[d % (LEAD_DAYS + 1)]
        pipeline[d % (LEAD_DAYS + 1)] = 0
        sold[..., d] = np.minimum(demand[..., d], on_hand)
        on_hand -= sold[..., d]
        due = (d % 7 == review) & launched[..., d]
        target = np.ceil(18 * cover[..., d] + 2 * np.sqrt(cover[..., d]))
        qty = np.where(due, np.maximum(target - on_hand - pipeline.sum(axis=0), 0), 0)
        qty[rng.random(qty.shape) < SUPPLY_FAILURE] = 0
        pipeline[(d + LEAD_DAYS) % (LEAD_DAYS + 1)] += qty
        on_hand_log[..., d] = on_hand
    return sold, on_hand_log


def _orders(rng: np.random.Generator, cat: Catalogue, dates: pd.DatetimeIndex, units: np.ndarray,
            price: np.ndarray, base: np.ndarray, on_promo: np.ndarray, n_customers: int) -> pd.DataFrame:
    """Order lines of the online store whose quantities add up exactly to its daily units."""
    n_items, n_days = units.shape
    codes = pd.Categorical(cat.items["category"]).codes
    n_cats = codes.max() + 1
    activity = rng.lognormal(0, 1.0, n_customers)
    join = rng.integers(0, int(0.75 * n_days), n_customers)
    join[: n_customers // 3] = 0
    churn = np.where(rng.random(n_customers) < 0.35, join + rng.integers(30, n_days, n_customers), n_days + 1)
    preference = rng.dirichlet(np.full(n_cats, 0.4), n_customers)
    responsive = rng.uniform(0, 2.5, n_customers) ** 2
    parts = []
    for d in range(n_days):
        items = np.flatnonzero(units[:, d] > 0)
        if not len(items):
            continue
        q = units[items, d].astype(int)
        n_lines = np.ceil(q / 2).astype(int)
        item_rep = np.repeat(items, n_lines)
        idx = np.arange(n_lines.sum()) - np.repeat(np.cumsum(n_lines) - n_lines, n_lines)
        per, rem = np.repeat(q // n_lines, n_lines), np.repeat(q % n_lines, n_lines)
        qty = per + (idx < rem)
        alive = np.flatnonzero((join <= d) & (churn > d))
        customer = np.empty(len(item_rep), dtype=int)
        for c in range(n_cats):
            for promo in (False, True):
                sel = (codes[item_rep] == c) & (on_promo[item_rep, d] == promo)
                if sel.any():
                    w = activity[alive] * preference[alive, c] * (1 + responsive[alive] * promo)
                    customer[sel] = alive[rng.choice(len(alive), size=sel.sum(), p=w / w.sum())]
        parts.append(pd.DataFrame({"day": d, "customer": customer, "item": item_rep, "quantity": qty}))
    lines = pd.concat(parts, ignore_index=True)
    lines["order_id"] = ("O" + lines["day"].astype(str).str.zfill(4) + "-"
                         + lines["customer"].astype(str).str.zfill(6))
    lines = lines.sort_values(["order_id", "item"], kind="stable").reset_index(drop=True)
    lines["line"] = lines.groupby("order_id").cumcount() + 1
    seconds = pd.Series(rng.integers(8 * 3600, 24 * 3600, lines["order_id"].nunique()),
                        index=lines["order_id"].unique())
    paid = price[lines["item"], lines["day"]]
    return pd.DataFrame({
        "order_id": lines["order_id"], "line": lines["line"],
        "customer_id": "C" + lines["customer"].astype(str).str.zfill(6),
        "timestamp": (dates[lines["day"]] + pd.to_timedelta(seconds[lines["order_id"]].to_numpy(), unit="s")
                      ).strftime("%Y-%m-%d %H:%M:%S"),
        "item_id": cat.items["item_id"].to_numpy()[lines["item"]],
        "quantity": lines["quantity"],
        "unit_price": np.round(paid, 2),
        "discount": np.round((base[lines["item"], lines["day"]] - paid) * lines["quantity"], 2),
        "store_id": "online",
    })


def _truth(cat: Catalogue, seed: int, dates: pd.DatetimeIndex) -> dict:
    items = {}
    for i, row in cat.items.iterrows():
        lift = {m: 0.0 for m in MECHANISMS}
        lift.update({m: round(float(cat.lift[i, k]), 4) for k, m in enumerate(LIFT_MECHANISMS)})
        items[row.item_id] = {
            "category": row.category, "price_elasticity": round(float(cat.elasticity[i]), 4),
            "lift": lift, "post_promo_dip": round(float(cat.dip[i]), 4),
            "cannibalisation_rate": round(float(cat.cannibalisation[i]), 4),
            "reference_price": float(cat.reference_price[i]),
            "base_level": {s: round(float(cat.level[i, k]), 4)
                           for k, s in enumerate(cat.stores.store_id)},
        }
    categories = {}
    for category, members in cat.items.groupby("category").groups.items():
        idx = np.asarray(list(members))
        lift = {m: 0.0 for m in MECHANISMS}
        lift.update({m: round(float(cat.lift[idx, k].mean()), 4) for k, m in enumerate(LIFT_MECHANISMS)})
        categories[category] = {"price_elasticity": round(float(cat.elasticity[idx].mean()), 4),
                                "lift": lift}
    return {
        "seed": seed, "start": str(dates[0].date()), "end": str(dates[-1].date()),
        "items": items, "categories": categories,
        "baseline_file": "ground_truth_baseline.parquet",
        "demand_model": (demo_model_doc()),
    }


def demo_model_doc() -> str:
    from promocast.testing import demo_model

    return (demo_model.__doc__ or "").strip()


def generate(out_dir: Path, *, seed: int = 0, n_items: int = 200, n_stores: int = 2,
             years: float = 3.0, start: str = "2023-01-01", n_customers: int | None = None,
             ) -> DemoShop:
    """Write the demo shop's canonical files and its ground truth into ``out_dir``.

    Same seed, same bytes. Default size: 200 items in 8 categories, 2 channels (online, a
    Shanghai store), 3 years daily from 2023-01-01.
    """
    rng = np.random.default_rng(seed)
    dates = pd.date_range(start, periods=int(round(365 * years)), freq="D")
    n_days = len(dates)
    cat = make_catalogue(rng, n_items, n_stores, dates)
    base_price = _base_prices(rng, cat, n_days)
    promos = _schedule(rng, cat, dates, base_price, n_stores)
    launched = np.broadcast_to((dates.to_numpy()[None, :] >= cat.items["launch_date"].to_numpy()[:, None])[:, None, :],
                               promos.active.shape)
    calendar = seasonal_multiplier(cat, dates) * festival_multiplier(dates, n_stores)[None, :, :]
    calendar = cat.level[:, :, None] * calendar * launched
    base_prices3 = np.repeat(base_price[:, None, :], n_stores, axis=1)
    no_lift = np.zeros_like(promos.lifts)
    zeros = np.zeros(promos.active.shape)
    baseline = expected_demand(cat, calendar, base_prices3, no_lift, zeros, zeros)
    mean = expected_demand(cat, calendar, promos.price, promos.lifts, _dip_flags(promos.active),
                           _cannibal_counts(cat, promos.active))
    demand = rng.poisson(mean * rng.gamma(DISPERSION, 1 / DISPERSION, mean.shape)).astype(float)
    units, on_hand = _simulate_stock(rng, demand, mean, launched)

    out_dir.mkdir(parents=True, exist_ok=True)
    i_idx, s_idx, d_idx = np.nonzero(launched)
    item_ids = cat.items["item_id"].to_numpy()
    store_ids = cat.stores["store_id"].to_numpy()
    date_str = dates.strftime("%Y-%m-%d").to_numpy()
    sales = pd.DataFrame({
        "date": date_str[d_idx], "item_id": item_ids[i_idx], "store_id": store_ids[s_idx],
        "units": units[i_idx, s_idx, d_idx].astype(int),
        "price": np.round(promos.price[i_idx, s_idx, d_idx], 2),
        "base_price": np.round(base_prices3[i_idx, s_idx, d_idx], 2),
        "on_promo": promos.active[i_idx, s_idx, d_idx].astype(int),
        "promo_id": promos.promo_id[i_idx, s_idx, d_idx],
    })
    inventory = pd.DataFrame({"date": sales["date"], "item_id": sales["item_id"],
                              "store_id": sales["store_id"],
                              "on_hand": on_hand[i_idx, s_idx, d_idx].astype(int)})
    promotions = pd.DataFrame(promos.rows).reindex(columns=[
        "promo_id", "promo_type", "start_date", "end_date", "item_id", "category", "store_id",
        "discount_pct", "threshold_amount", "amount_off", "gift_value", "feature", "display",
        "fixed_cost"])
    for col in ("start_date", "end_date"):
        promotions[col] = pd.to_datetime(promotions[col]).dt.strftime("%Y-%m-%d")
    for col in ("feature", "display"):
        promotions[col] = promotions[col].fillna(0).astype(int)
    online = 0
    orders = _orders(rng, cat, dates, units[:, online, :], promos.price[:, online, :],
                     base_price, promos.active[:, online, :], n_customers or 40 * n_items)
    items = cat.items.assign(base_price=np.round(base_price[:, -1], 2),
                             launch_date=cat.items["launch_date"].dt.strftime("%Y-%m-%d"))
    events = festival_calendar(dates).assign(store_id="all")
    events["date"] = events["date"].dt.strftime("%Y-%m-%d")
    tables = {"stores": cat.stores, "items": items, "promotions": promotions, "events": events,
              "sales": sales, "inventory": inventory, "orders": orders}
    files = {}
    for name, frame in tables.items():
        files[name] = out_dir / f"{name}.csv"
        frame.to_csv(files[name], index=False, lineterminator="\n")
    truth = _truth(cat, seed, dates)
    pd.DataFrame({
        "item_id": sales["item_id"], "store_id": sales["store_id"], "date": sales["date"],
        "baseline_units": np.round(baseline[i_idx, s_idx, d_idx], 4),
        "expected_units": np.round(mean[i_idx, s_idx, d_idx], 4),
    }).to_parquet(out_dir / truth["baseline_file"], index=False)
    (out_dir / "ground_truth.json").write_text(json.dumps(truth, indent=1, ensure_ascii=False),
                                               encoding="utf-8")
    return DemoShop(out_dir, files, truth)
