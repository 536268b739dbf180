"""The demo shop's true demand model: catalogue, parameters, calendar effects and promotions.

Everything here is known exactly, so benchmarks can score estimated elasticities, lifts and plans
against the truth. Demand per item x store x day is multiplicative (log-linear):

    mean = level[item, store] x trend x weekly x yearly x festival
           x (price / reference_price) ** elasticity          # own price, regular or promoted
           x prod(1 + lift[mechanism] for non-price mechanisms active)
           x (1 - post_promo_dip during 7 days after a promotion)
           x (1 - cannibalisation_rate x min(other items of the category on promotion, 5) / 5)

units ~ Poisson(mean x Gamma(shape 8, scale 1/8)) (over-dispersed), then censored by stock.
percent_off, amount_off and flash_sale cut the price (the price acts through the elasticity);
flash_sale adds a lift on top; threshold, gift, bundle and feature_display leave the unit price
unchanged and act as lifts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

MECHANISMS = ("percent_off", "amount_off", "threshold", "gift", "flash_sale", "bundle",
              "feature_display")
LIFT_MECHANISMS = ("threshold", "gift", "flash_sale", "bundle", "feature_display")
"""Mechanisms that act as a lift at a given price (percent_off and amount_off act via price)."""

CATEGORIES = {
    # name: (daily level, elasticity mean, price range, brands, lift means per LIFT_MECHANISMS)
    "beverages": (6.0, -2.2, (3, 15), ("Nongfu", "Wahaha", "Genki"), (0.20, 0.08, 0.50, 0.15, 0.30)),
    "snacks": (5.0, -1.8, (5, 30), ("ThreeSquirrels", "Bestore", "Oishi"), (0.25, 0.10, 0.60, 0.20, 0.35)),
    "dairy": (4.0, -1.5, (8, 60), ("Yili", "Mengniu", "Bright"), (0.15, 0.06, 0.40, 0.10, 0.25)),
    "personal_care": (2.5, -2.6, (15, 120), ("Pechoin", "Kans", "Marubi"), (0.30, 0.12, 0.70, 0.18, 0.40)),
    "household": (2.0, -1.9, (10, 80), ("Liby", "Blue Moon", "Mind Act"), (0.22, 0.07, 0.50, 0.15, 0.28)),
    "baby": (1.5, -1.2, (40, 300), ("Feihe", "Babycare", "Goodbaby"), (0.12, 0.10, 0.35, 0.08, 0.20)),
    "electronics_accessories": (1.0, -3.0, (20, 200), ("Anker", "Ugreen", "Baseus"), (0.35, 0.05, 0.90, 0.25, 0.45)),
    "apparel": (1.2, -2.8, (30, 300), ("Uniqlo", "Anta", "Li-Ning"), (0.28, 0.09, 0.80, 0.12, 0.38)),
}
SPRING_FESTIVAL = {2021: "2021-02-12", 2022: "2022-02-01", 2023: "2023-01-22", 2024: "2024-02-10",
                   2025: "2025-01-29", 2026: "2026-02-17", 2027: "2027-02-06"}
FESTIVALS = {
    # event: (month, day or None for Spring Festival, run-up days, peak lift online, peak lift offline)
    "festival_38": (3, 8, 3, 0.35, 0.10),
    "festival_520": (5, 20, 2, 0.25, 0.10),
    "festival_618": (6, 18, 7, 1.20, 0.25),
    "double_11": (11, 11, 10, 2.00, 0.30),
    "double_12": (12, 12, 4, 0.60, 0.15),
}
HANGOVER_DAYS = 4
HANGOVER_DIP = 0.25
DIP_DAYS = 7
DISPERSION = 8.0


@dataclass
class Catalogue:
    """Items, stores and their true parameters (arrays aligned with ``items`` rows)."""

    items: pd.DataFrame  # item_id, name, category, brand, unit_cost, base_price, launch_date
    stores: pd.DataFrame  # store_id, name, channel, type, size, country
    level: np.ndarray  # (n_items, n_stores) daily mean units at reference price
    elasticity: np.ndarray  # (n_items,)
    lift: np.ndarray  # (n_items, len(LIFT_MECHANISMS))
    dip: np.ndarray  # (n_items,)
    cannibalisation: np.ndarray  # (n_items,)
    trend: np.ndarray  # (n_items,) yearly growth of log demand
    yearly_amp: np.ndarray  # (n_items,)
    yearly_phase: np.ndarray  # (n_items,)
    weekly: np.ndarray  # (n_categories, n_stores, 7) multipliers by weekday
    reference_price: np.ndarray  # (n_items,) the first base price


def make_catalogue(rng: np.random.Generator, n_items: int, n_stores: int, dates: pd.DatetimeIndex,
                   ) -> Catalogue:
    names = list(CATEGORIES)
    category_idx = np.arange(n_items) % len(names)
    rng.shuffle(category_idx)
    cats = [names[c] for c in category_idx]
    levels = np.array([CATEGORIES[c][0] for c in cats])
    lo = np.array([CATEGORIES[c][2][0] for c in cats], dtype=float)
    hi = np.array([CATEGORIES[c][2][1] for c in cats], dtype=float)
    base_price = np.round(np.exp(rng.uniform(np.log(lo), np.log(hi))), 1) + 0.9
    unit_cost = np.round(base_price * rng.uniform(0.4, 0.8, n_items), 2)
    level = levels * rng.lognormal(0.0, 0.6, n_items)
    slow = rng.random(n_items) < 0.15  # slow movers: intermittent demand
    level[slow] = rng.uniform(0.08, 0.5, slow.sum())
    launch = np.full(n_items, dates[0])
    new = rng.random(n_items) < 0.08
    offsets = rng.integers(int(0.2 * len(dates)), int(0.6 * len(dates)), new.sum())
    launch[new] = dates[offsets]
    store_ids = ["online", "store_sh", *[f"store_{k}" for k in range(3, n_stores + 1)]][:n_stores]
    store_scale = np.array([1.0, 0.55, *([0.4] * max(0, n_stores - 2))])[:n_stores]
    stores = pd.DataFrame({
        "store_id": store_ids,
        "name": ["Tmall flagship", "Shanghai store", *[f"Store {k}" for k in range(3, n_stores + 1)]][:n_stores],
        "channel": ["online", *(["offline"] * (n_stores - 1))],
        "type": ["marketplace", *(["supermarket"] * (n_stores - 1))],
        "size": [np.nan, *([1200.0] * (n_stores - 1))],
        "country": "CN",
    })
    elasticity = np.clip(np.array([CATEGORIES[c][1] for c in cats]) + rng.normal(0, 0.35, n_items),
                         -4.5, -0.4)
    lift_means = np.array([CATEGORIES[c][4] for c in cats])
    lift = lift_means * rng.lognormal(0.0, 0.25, lift_means.shape)
    brands = [CATEGORIES[c][3][rng.integers(0, 3)] for c in cats]
    items = pd.DataFrame({
        "item_id": [f"SKU{k + 1:04d}" for k in range(n_items)],
        "name": [f"{b} {c.replace('_', ' ')} #{k + 1}" for k, (b, c) in enumerate(zip(brands, cats, strict=True))],
        "category": cats, "brand": brands, "unit_cost": unit_cost, "base_price": base_price,
        "launch_date": launch,
    })
    weekly = np.ones((len(names), n_stores, 7))
    for c in range(len(names)):
        weekly[c, 0, :] = 1 + rng.normal(0, 0.05, 7) + np.array([0, 0, 0, 0, 0.05, 0.12, 0.10])
        if n_stores > 1:
            weekly[c, 1:, :] = 1 + rng.normal(0, 0.05, 7) + np.array([-.1, -.1, -.05, 0, .1, .35, .3])
    return Catalogue(
        items=items, stores=stores,
        level=np.outer(level, store_scale) * rng.lognormal(0, 0.15, (n_items, n_stores)),
        elasticity=elasticity, lift=lift, dip=rng.uniform(0.05, 0.25, n_items),
        cannibalisation=rng.uniform(0.02, 0.12, n_items), trend=rng.normal(0.05, 0.12, n_items),
        yearly_amp=rng.uniform(0.0, 0.3, n_items), yearly_phase=rng.uniform(0, 2 * np.pi, n_items),
        weekly=weekly, reference_price=base_price.astype(float),
    )


def festival_calendar(dates: pd.DatetimeIndex) -> pd.DataFrame:
    """Festival days inside the dates (date, event): the shop's events.csv."""
    rows = []
    for year in sorted(set(dates.year)):
        for event, (month, day, *_rest) in FESTIVALS.items():
            rows.append((pd.Timestamp(year, month, day), event))
        if year in SPRING_FESTIVAL:
            rows.append((pd.Timestamp(SPRING_FESTIVAL[year]), "spring_festival"))
    frame = pd.DataFrame(rows, columns=["date", "event"])
    return frame[frame["date"].between(dates[0], dates[-1])].sort_values("date").reset_index(drop=True)


def festival_multiplier(dates: pd.DatetimeIndex, n_stores: int) -> np.ndarray:
    """(n_stores, n_days) demand multiplier: run-ups, peaks and hangovers of the festivals;
    around Spring Festival offline stores gain before the holiday and online orders stall."""
    mult = np.ones((n_stores, len(dates)))
    day_index = {d: i for i, d in enumerate(dates)}
    for year in sorted(set(dates.year)):
        for month, day, runup, peak_online, peak_offline in FESTIVALS.values():
            centre = pd.Timestamp(year, month, day)
            for s in range(n_stores):
                peak = peak_online if s == 0 else peak_offline
                for k in range(-runup, HANGOVER_DAYS + 1):
                    i = day_index.get(centre + pd.Timedelta(days=k))
                    if i is None:
                        continue
                    if k <= 0:
                        mult[s, i] *= 1 + peak * (runup + 1 + k) / (runup + 1)
                    else:
                        mult[s, i] *= 1 - HANGOVER_DIP * peak / (1 + peak) * (HANGOVER_DAYS + 1 - k) / HANGOVER_DAYS
        if year in SPRING_FESTIVAL:
            centre = pd.Timestamp(SPRING_FESTIVAL[year])
            for k in range(-14, 8):
                i = day_index.get(centre + pd.Timedelta(days=k))
                if i is None:
                    continue
                for s in range(n_stores):
                    if k < -7:
                        mult[s, i] *= 1.3 if s else 1.15
                    elif k < 0:
                        mult[s, i] *= 1.5 if s else 0.6  # couriers stop before the holiday
                    else:
                        mult[s, i] *= 0.6 if s else 0.45
    return mult


def seasonal_multiplier(cat: Catalogue, dates: pd.DatetimeIndex) -> np.ndarray:
    """(n_items, n_stores, n_days): trend x weekly x yearly."""
    years = (dates - dates[0]).days.to_numpy() / 365.25
    trend = np.exp(np.outer(cat.trend, years))
    doy = 2 * np.pi * dates.dayofyear.to_numpy() / 365.25
    yearly = 1 + cat.yearly_amp[:, None] * np.sin(doy[None, :] + cat.yearly_phase[:, None])
    cat_idx = pd.Categorical(cat.items["category"], categories=list(CATEGORIES)).codes
    weekly = cat.weekly[cat_idx][:, :, dates.weekday.to_numpy()]  # (items, stores, days)
    return (trend * yearly)[:, None, :] * weekly


def expected_demand(cat: Catalogue, base: np.ndarray, price: np.ndarray, lift_flags: np.ndarray,
                    dip_flags: np.ndarray, cannibal_count: np.ndarray) -> np.ndarray:
    """True mean demand (items, stores, days) given the calendar part ``base`` (level x trend x
    seasons x festivals), the paid ``price`` (items, stores, days), the active non-price mechanisms
    ``lift_flags`` (items, stores, days, len(LIFT_MECHANISMS)), days after a promotion ``dip_flags``
    and the number of other category items on promotion ``cannibal_count``."""
    relative = price / cat.reference_price[:, None, None]
    mean = base * relative ** cat.elasticity[:, None, None]
    mean = mean * np.prod(1 + lift_flags * cat.lift[:, None, None, :], axis=-1)
    mean = mean * (1 - dip_flags * cat.dip[:, None, None])
    return mean * (1 - cat.cannibalisation[:, None, None] * np.minimum(cannibal_count, 5) / 5)
