"""The demo shop's catalogue: categories, brands, items, stores and their true parameters.

Item parameters are drawn around per-category means (a two-level hierarchy), so an estimator
that shrinks items toward their category is rewarded, as on real data. Everything drawn here
ends up in ``ground_truth.json``; the simulation reads it back from there, so the truth and
the data cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from promocast.testing.demo.model import LIFT_MECHANISMS, MECHANISMS


@dataclass(frozen=True)
class CategorySpec:
    """Population means of one category (what the shop's items are drawn around)."""

    level: float  # typical daily units of an item online at its first price
    price_elasticity: float  # d log units / d log price
    price_range: tuple[float, float]  # regular price range, CNY
    brands: tuple[str, ...]
    products: tuple[str, ...]
    lift: tuple[float, ...]  # mean lift per LIFT_MECHANISMS
    post_promo_dip: float  # pantry loading: stockable goods dip more
    cannibalisation_rate: float  # share of units lost per rival promotion
    yearly_peak_day: int  # day of year of the seasonal peak
    yearly_amplitude: float  # log amplitude of the yearly cycle
    festival_sensitivity: float  # scales the shopping-festival peaks and hangovers
    spring_festival_sensitivity: float  # scales the Spring Festival stock-up
    dispersion: float  # Gamma shape of the demand noise (smaller = noisier)


CATEGORIES: dict[str, CategorySpec] = {
    "beverages": CategorySpec(
        6.0,
        -2.0,
        (3.0, 15.0),
        ("Nongfu Spring", "Wahaha", "Genki Forest", "Master Kong"),
        (
            "Mineral Water 550ml x24",
            "Green Tea 500ml",
            "Cola 330ml x6",
            "Orange Juice 1L",
            "Sparkling Water 480ml",
            "Oolong Tea 500ml",
            "Coconut Milk 245ml x10",
            "Energy Drink 250ml",
        ),
        (0.22, 0.08, 0.55, 0.15, 0.30),
        0.15,
        0.05,
        200,
        0.30,
        0.8,
        1.3,
        6.0,
    ),
    "snacks": CategorySpec(
        5.0,
        -1.8,
        (5.0, 40.0),
        ("Three Squirrels", "Bestore", "Liangpin Puzi", "Oishi"),
        (
            "Mixed Nuts Gift Box",
            "Dried Mango 200g",
            "Spicy Duck Neck",
            "Seaweed Crisps",
            "Beef Jerky 100g",
            "Sunflower Seeds 500g",
            "Rice Crackers",
            "Pork Floss Rolls",
        ),
        (0.25, 0.10, 0.60, 0.20, 0.35),
        0.12,
        0.05,
        30,
        0.20,
        1.0,
        1.6,
        6.0,
    ),
    "dairy": CategorySpec(
        4.0,
        -1.3,
        (8.0, 70.0),
        ("Yili", "Mengniu", "Bright Dairy", "Junlebao"),
        (
            "Pure Milk 250ml x12",
            "Greek Yogurt 4-pack",
            "Milk Powder 800g",
            "Cheese Sticks",
            "Probiotic Drink x5",
            "Organic Milk 1L",
            "Kids Milk 125ml x20",
            "Almond Milk 1L",
        ),
        (0.15, 0.06, 0.40, 0.12, 0.25),
        0.10,
        0.04,
        25,
        0.15,
        0.7,
        1.4,
        8.0,
    ),
    "personal_care": CategorySpec(
        2.5,
        -2.4,
        (15.0, 150.0),
        ("Pechoin", "Kans", "Proya", "Marubi"),
        (
            "Face Cream 50g",
            "Toner 150ml",
            "Sheet Masks x10",
            "Sunscreen SPF50",
            "Shampoo 750ml",
            "Body Lotion 400ml",
            "Eye Serum 20ml",
            "Cleansing Foam 120g",
        ),
        (0.30, 0.12, 0.70, 0.18, 0.40),
        0.18,
        0.06,
        150,
        0.15,
        1.3,
        0.8,
        5.0,
    ),
    "household": CategorySpec(
        2.5,
        -1.6,
        (10.0, 90.0),
        ("Liby", "Blue Moon", "Mind Act Upon Mind", "Vinda"),
        (
            "Laundry Liquid 3kg",
            "Dish Soap 1.5kg",
            "Tissues 24 packs",
            "Kitchen Towels x6",
            "Floor Cleaner 2L",
            "Laundry Pods x52",
            "Toilet Paper 27 rolls",
            "Wet Wipes x10",
        ),
        (0.22, 0.07, 0.50, 0.15, 0.28),
        0.22,
        0.04,
        350,
        0.10,
        1.0,
        0.9,
        7.0,
    ),
    "baby": CategorySpec(
        1.5,
        -0.9,
        (40.0, 300.0),
        ("Feihe", "Babycare", "Goodbaby", "Beingmate"),
        (
            "Infant Formula Stage 1",
            "Diapers L 54pcs",
            "Baby Wipes x12",
            "Feeding Bottle 240ml",
            "Teething Biscuits",
            "Baby Lotion 200ml",
            "Pull-up Pants XL",
            "Rice Cereal 250g",
        ),
        (0.12, 0.10, 0.35, 0.10, 0.20),
        0.08,
        0.03,
        100,
        0.05,
        1.1,
        0.7,
        9.0,
    ),
    "electronics_accessories": CategorySpec(
        1.2,
        -3.0,
        (20.0, 250.0),
        ("Anker", "Ugreen", "Baseus", "Xiaomi"),
        (
            "USB-C Cable 1m",
            "65W GaN Charger",
            "Power Bank 20000mAh",
            "Wireless Earbuds",
            "Phone Stand",
            "Car Charger",
            "HDMI Adapter",
            "Bluetooth Speaker",
        ),
        (0.35, 0.05, 0.90, 0.25, 0.45),
        0.05,
        0.07,
        320,
        0.10,
        1.5,
        0.6,
        4.0,
    ),
    "apparel": CategorySpec(
        1.2,
        -2.6,
        (30.0, 400.0),
        ("Anta", "Li-Ning", "Bosideng", "Semir"),
        (
            "Running Shoes",
            "Down Jacket",
            "Cotton T-shirt",
            "Track Pants",
            "Hoodie",
            "Sports Socks x5",
            "Windbreaker",
            "Thermal Underwear",
        ),
        (0.28, 0.09, 0.80, 0.12, 0.38),
        0.05,
        0.06,
        330,
        0.35,
        1.4,
        0.9,
        4.0,
    ),
}

STORE_TEMPLATES = (
    ("online", "Tmall flagship store", "online", "marketplace", None, 1.0),
    ("store_sh", "Shanghai Jing'an supermarket", "offline", "supermarket", 1200.0, 0.5),
    ("store_bj", "Beijing Chaoyang supermarket", "offline", "supermarket", 1500.0, 0.55),
    ("store_gz", "Guangzhou Tianhe store", "offline", "convenience", 300.0, 0.3),
    ("store_sz", "Shenzhen Futian store", "offline", "supermarket", 900.0, 0.4),
    ("store_hz", "Hangzhou Xihu store", "offline", "convenience", 250.0, 0.25),
    ("store_cd", "Chengdu Jinjiang supermarket", "offline", "supermarket", 1100.0, 0.45),
    ("store_wh", "Wuhan Jianghan store", "offline", "convenience", 280.0, 0.25),
)
"""store_id, name, channel, type, size (m2), demand scale relative to the online store."""

WEEKLY = {
    # Monday .. Sunday, before per-category noise
    "online": (1.04, 0.98, 0.96, 0.96, 0.98, 1.02, 1.06),
    "offline": (0.88, 0.86, 0.88, 0.92, 1.05, 1.25, 1.16),
}
LAUNCH_RAMP_DAYS = 21.0
SWITCHING_RIVALS = 5
"""Rivals in a category at which the specs' cannibalisation rates hold (``switching_share``)."""


@dataclass
class Catalogue:
    """The drawn shop: item and store tables plus the truth dictionaries they came from."""

    items: pd.DataFrame  # item_id, name, category, brand, unit_cost, base_price, launch_date
    stores: pd.DataFrame  # store_id, name, channel, type, size, country
    truth_items: dict[str, dict]
    truth_categories: dict[str, dict]
    truth_stores: dict[str, dict]


def retail_price(value: np.ndarray) -> np.ndarray:
    """Prices as shops print them: x.9 from 10 yuan up, one decimal below (never below 0.5)."""
    value = np.asarray(value, dtype=float)
    return np.where(value >= 10, np.round(value) - 0.1, np.maximum(np.round(value, 1), 0.5))


def make_stores(n_stores: int) -> tuple[pd.DataFrame, dict[str, dict], np.ndarray]:
    """Stores table, their truth and their demand scale; the first store is always online."""
    rows = []
    for k in range(n_stores):
        if k < len(STORE_TEMPLATES):
            rows.append(STORE_TEMPLATES[k])
        else:
            rows.append(
                (f"store_{k + 1:02d}", f"Store {k + 1}", "offline", "convenience", 250.0, 0.25)
            )
    stores = pd.DataFrame(rows, columns=["store_id", "name", "channel", "type", "size", "scale"])
    stores["country"] = "CN"
    truth = {
        r.store_id: {"channel": r.channel, "demand_scale": r.scale} for r in stores.itertuples()
    }
    return stores.drop(columns="scale"), truth, stores["scale"].to_numpy(dtype=float)


def _categories_of(rng: np.random.Generator, n_items: int) -> np.ndarray:
    """Every category gets its share; the leftover items go to the busier categories."""
    names = list(CATEGORIES)
    codes = np.arange(n_items) % len(names)
    return rng.permutation(codes)


def _names(rng: np.random.Generator, cats: list[str], brands: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    names = []
    for category, brand in zip(cats, brands, strict=True):
        products = CATEGORIES[category].products
        name = f"{brand} {products[rng.integers(0, len(products))]}"
        seen[name] = seen.get(name, 0) + 1
        names.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return names


def switching_share(category_size: np.ndarray | int) -> np.ndarray:
    """Factor on the category specs' cannibalisation rates for a category of this many items.

    The specs' rates (share of units an item loses per rival promotion) hold in a category of
    1 + SWITCHING_RIVALS items. In a larger one each rival loses proportionally less, so the
    units one promotion takes from its rivals (about rate x their summed demand) do not grow
    with the number of rivals: 24 rivals losing 5 % each would lose more than a promoted item
    typically gains, which no shopper switching to it can do (the bound of model.expected_demand then cuts
    most of it, and the rate an estimator sees is no longer the rate in the truth)."""
    rivals = np.maximum(np.asarray(category_size) - 1, 1)
    return np.minimum(1.0, SWITCHING_RIVALS / rivals)


def make_catalogue(
    rng: np.random.Generator, n_items: int, n_stores: int, dates: pd.DatetimeIndex
) -> Catalogue:
    """Draw the items and stores of the shop and every true parameter.

    Roughly 15 % of items are slow movers (intermittent: most days sell nothing), 4 % long-tail
    items (a handful of units a year) and 8 % (at least one from 8 items) new launches in the
    middle of the history.
    """
    names = list(CATEGORIES)
    cats = [names[c] for c in _categories_of(rng, n_items)]
    spec = [CATEGORIES[c] for c in cats]
    lo = np.array([s.price_range[0] for s in spec])
    hi = np.array([s.price_range[1] for s in spec])
    price = retail_price(np.exp(rng.uniform(np.log(lo), np.log(hi))))
    margin = rng.uniform(0.2, 0.6, n_items)
    unit_cost = np.round(price * (1 - margin), 2)
    brands = [s.brands[rng.integers(0, len(s.brands))] for s in spec]

    level = np.array([s.level for s in spec]) * rng.lognormal(0.0, 0.6, n_items)
    kind = rng.random(n_items)
    level = np.where(kind < 0.15, rng.uniform(0.08, 0.45, n_items), level)  # slow movers
    level = np.where(kind > 0.96, rng.uniform(0.01, 0.05, n_items), level)  # long tail
    stores, truth_stores, scale = make_stores(n_stores)
    store_level = np.outer(level, scale) * rng.lognormal(0.0, 0.25, (n_items, n_stores))
    store_level[:, 0] = level  # the online store is the reference channel

    n_days = len(dates)
    launch = np.zeros(n_items, dtype=int)
    n_new = int(round(0.08 * n_items)) if n_days >= 120 else 0
    n_new = max(n_new, 1) if n_items >= 8 and n_days >= 120 else n_new
    new = rng.permutation(n_items)[:n_new]
    launch[new] = rng.integers(int(0.2 * n_days), int(0.7 * n_days), n_new)

    elasticity = np.clip(
        np.array([s.price_elasticity for s in spec]) + rng.normal(0, 0.3, n_items), -4.5, -0.4
    )
    lift = np.array([s.lift for s in spec]) * rng.lognormal(
        0.0, 0.3, (n_items, len(LIFT_MECHANISMS))
    )
    dip = np.clip(
        np.array([s.post_promo_dip for s in spec]) * rng.lognormal(0, 0.3, n_items), 0, 0.5
    )
    sizes = pd.Series(cats).map(pd.Series(cats).value_counts()).to_numpy()
    cannibal = np.clip(
        np.array([s.cannibalisation_rate for s in spec])
        * rng.lognormal(0, 0.3, n_items)
        * switching_share(sizes),
        0,
        0.2,
    )
    trend = rng.normal(0.04, 0.08, n_items)
    amplitude = np.array([s.yearly_amplitude for s in spec]) * rng.uniform(0.5, 1.5, n_items)

    item_ids = [f"SKU{k + 1:04d}" for k in range(n_items)]
    store_ids = list(stores["store_id"])
    truth_items: dict[str, dict] = {}
    for i, item_id in enumerate(item_ids):
        lifts = {m: 0.0 for m in MECHANISMS}
        lifts.update({m: round(float(lift[i, k]), 4) for k, m in enumerate(LIFT_MECHANISMS)})
        truth_items[item_id] = {
            "category": cats[i],
            "brand": brands[i],
            "reference_price": float(price[i]),
            "launch_date": dates[launch[i]].strftime("%Y-%m-%d"),
            "new_launch": bool(launch[i] > 0),
            "demand_class": "long_tail"
            if kind[i] > 0.96
            else "slow"
            if kind[i] < 0.15
            else "regular",
            "price_elasticity": round(float(elasticity[i]), 4),
            "lift": lifts,
            "post_promo_dip": round(float(dip[i]), 4),
            "cannibalisation_rate": round(float(cannibal[i]), 4),
            "base_level": {s: round(float(store_level[i, k]), 4) for k, s in enumerate(store_ids)},
            "trend": round(float(trend[i]), 4),
            "yearly_amplitude": round(float(amplitude[i]), 4),
            "dispersion": spec[i].dispersion,
        }
    items = pd.DataFrame(
        {
            "item_id": item_ids,
            "name": _names(rng, cats, brands),
            "category": cats,
            "brand": brands,
            "unit_cost": unit_cost,
            "base_price": price,
            "launch_date": [truth_items[i]["launch_date"] for i in item_ids],
        }
    )
    return Catalogue(items, stores, truth_items, _category_truth(rng, truth_items), truth_stores)


def _category_truth(rng: np.random.Generator, truth_items: dict[str, dict]) -> dict[str, dict]:
    """Per category: the means over the shop's items (what shrinkage should find), the
    population means they were drawn around, the weekly profiles and festival sensitivities."""
    out: dict[str, dict] = {}
    for name, spec in CATEGORIES.items():
        members = [v for v in truth_items.values() if v["category"] == name]
        weekly = {}
        for channel, profile in WEEKLY.items():
            week = np.array(profile) * rng.lognormal(0.0, 0.03, 7)
            weekly[channel] = [round(float(x), 4) for x in week / week.mean()]
        if not members:
            continue

        def mean(key: str, rows: list[dict] = members) -> float:
            return round(float(np.mean([r[key] for r in rows])), 4)

        out[name] = {
            "price_elasticity": mean("price_elasticity"),
            "lift": {
                m: round(float(np.mean([r["lift"][m] for r in members])), 4) for m in MECHANISMS
            },
            "post_promo_dip": mean("post_promo_dip"),
            "cannibalisation_rate": mean("cannibalisation_rate"),
            "prior": {
                "price_elasticity": spec.price_elasticity,
                "lift": dict(zip(LIFT_MECHANISMS, spec.lift, strict=True)),
                "post_promo_dip": spec.post_promo_dip,
                "cannibalisation_rate": round(
                    spec.cannibalisation_rate * float(switching_share(len(members))), 4
                ),
            },
            "n_items": len(members),
            "yearly_peak_day": spec.yearly_peak_day,
            "weekly": weekly,
            "festival_sensitivity": spec.festival_sensitivity,
            "spring_festival_sensitivity": spec.spring_festival_sensitivity,
        }
    return out
