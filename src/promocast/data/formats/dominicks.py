"""Dominick's Finer Foods refrigerated orange juice (weekly, store x brand).

Two public layouts load:

* **bayesm** ``orangeJuice$yx`` (``bayesm_orangeJuice_yx.csv[.gz]`` in ``../shared/data``, or
  ``yx.csv`` as exported by microsoft/forecasting): store, brand (1-11), week (40-160), logmove,
  constant, price1..price11 (dollars per ounce of every brand), deal, feat, profit. The optional
  ``orangeJuice$storedemo`` file (``bayesm_orangeJuice_storedemo.csv`` / ``storedemo.csv``) feeds
  the stores table.
* **oj.csv** (Taddy's ``oj.csv``, EconML ``oj_large.csv``, ``oj_3brands_store_week.csv.gz``):
  store, brand (names such as ``tropicana``), week, logmove, feat (0/1), price (dollars per 64-oz
  carton), optionally the store demographics.

Conventions (why each one is what it is):

* ``date``: week ``w`` starts on 1989-09-14 + 7 (w - 1) days (Dominick's weeks run Thursday to
  Wednesday), so every date is a Thursday and labels the week by its first day (DESIGN §2).
* ``units`` = round(exp(logmove)): the unit count of the published benchmark protocol.
* ``price``: dollars per **carton** (the unit that ``units`` counts), i.e. price per ounce x the
  brand's carton size (64, 96 or 128 oz). This is the price a shopper paid, so units x price is
  dollar sales, and it equals the oj.csv ``price`` for the 64-oz brands. The eleven brands' prices
  are kept as exogenous columns ``price_1`` .. ``price_11`` in the same unit (dollars per carton
  of that brand), so ``price == price_<brand>`` exactly. Logs of the two units differ by a constant
  per brand, so log-log elasticities are the same in either unit.
* ``deal`` (in-store coupon) -> ``on_promo`` and one promotion of type ``amount_off`` (a coupon
  takes an amount off the shelf price; the amount is not in the data) per run of consecutive deal
  weeks of one brand in one store; ``sales.promo_id`` names that promotion on its weeks.
* ``feat`` (share of the brand featured in the store's ad, 0-1) is kept as the exogenous ``feat``
  and every run of consecutive weeks with feat > 0 becomes a ``feature_display`` promotion with
  feature = 1. A week missing from the source ends a run (nothing is known about it).
* ``profit`` (the store's gross margin, percent) is kept as exogenous ``profit_margin_pct``; the
  items table's ``unit_cost`` is the brand's median price x (1 - margin / 100).
* The source is not complete (4,334 of 110,473 store-brand-weeks have no row); the gaps are left
  as gaps, never filled with zeros.
* In the oj.csv layout there is no ``deal``: feature ads are the only promotion, so there
  ``on_promo`` = feat and ``promo_id`` names the feature promotion. Store demographics are not part
  of the canonical stores table and are dropped in both layouts.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from promocast.data.formats._common import find_file as _find
from promocast.data.formats._common import require_columns as _require
from promocast.exceptions import DataValidationError, RowError, UsageError

WEEK_ONE = pd.Timestamp("1989-09-14")
"""First day of Dominick's week 1 (a Thursday)."""

CATEGORY = "refrigerated_juice"

BRANDS: dict[int, tuple[str, str, int]] = {
    1: ("Tropicana Premium 64 oz", "Tropicana", 64),
    2: ("Tropicana Premium 96 oz", "Tropicana", 96),
    3: ("Florida's Natural 64 oz", "Florida's Natural", 64),
    4: ("Tropicana 64 oz", "Tropicana", 64),
    5: ("Minute Maid 64 oz", "Minute Maid", 64),
    6: ("Minute Maid 96 oz", "Minute Maid", 96),
    7: ("Citrus Hill 64 oz", "Citrus Hill", 64),
    8: ("Tree Fresh 64 oz", "Tree Fresh", 64),
    9: ("Florida Gold 64 oz", "Florida Gold", 64),
    10: ("Dominicks 64 oz", "Dominick's", 64),
    11: ("Dominicks 128 oz", "Dominick's", 128),
}
"""bayesm brand number -> (name, brand, carton size in oz), from the bayesm ``orangeJuice`` docs."""

OJ_BRANDS: dict[str, tuple[str, str]] = {
    "tropicana": ("Tropicana Premium 64 oz", "Tropicana"),
    "minute.maid": ("Minute Maid 64 oz", "Minute Maid"),
    "dominicks": ("Dominicks 64 oz", "Dominick's"),
}
"""oj.csv brand names (bayesm brands 1, 5 and 10) -> (name, brand)."""

YX_NAMES = ("bayesm_orangeJuice_yx", "orangeJuice_yx", "yx")
OJ_NAMES = ("oj_3brands_store_week", "oj_large", "oj")
DEMO_NAMES = ("bayesm_orangeJuice_storedemo", "orangeJuice_storedemo", "storedemo")


def load(path: Path) -> dict[str, pd.DataFrame]:
    """Canonical sales, items, promotions and stores from a Dominick's OJ folder or file.

    A folder is searched for the bayesm ``yx`` file first, then an oj.csv-style file; a file's
    layout is told from its columns (``price1`` -> bayesm, ``price`` -> oj.csv).
    """
    path = Path(path)
    main = (_find(path, YX_NAMES) or _find(path, OJ_NAMES)) if path.is_dir() else path
    if main is None:
        raise UsageError(
            f"no Dominick's OJ file in {path}: expected one of "
            + ", ".join(n + ".csv[.gz]" for n in YX_NAMES + OJ_NAMES)
        )
    raw = pd.read_csv(main)
    raw = raw.drop(columns=[c for c in raw.columns if str(c).startswith("Unnamed")])
    raw.columns = [str(c).strip().lower() for c in raw.columns]
    if "price1" in raw.columns:
        tables = _from_bayesm(raw, str(main))
    elif "price" in raw.columns:
        tables = _from_oj(raw, str(main))
    else:
        raise DataValidationError([RowError(
            str(main), None, None, None,
            "not a Dominick's OJ layout: expected columns price1..price11 (bayesm) or price (oj.csv)")])
    demo = _find(main.parent, DEMO_NAMES)
    stores = pd.DataFrame({"store_id": sorted(tables["sales"]["store_id"].unique(), key=int)})
    if demo is not None:
        demo_stores = pd.read_csv(demo, usecols=lambda c: str(c).strip().lower() == "store")
        known = demo_stores.iloc[:, 0].astype(int).astype(str)
        stores = pd.DataFrame({"store_id": sorted(set(stores["store_id"]) | set(known), key=int)})
    stores["name"] = "Dominick's store " + stores["store_id"]
    stores["channel"] = "store"
    stores["country"] = "US"
    tables["stores"] = stores
    return tables


def week_to_date(week: pd.Series) -> pd.Series:
    """Dominick's week number -> the Thursday that starts it (datetime64[ns])."""
    days = (week.astype("int64") - 1) * 7
    return (WEEK_ONE + pd.to_timedelta(days, unit="D")).astype("datetime64[ns]")






def _from_bayesm(raw: pd.DataFrame, source: str) -> dict[str, pd.DataFrame]:
    price_cols = [f"price{b}" for b in BRANDS]
    _require(raw, ["store", "brand", "week", "logmove", "deal", "feat", *price_cols], source)
    raw = raw.sort_values(["store", "brand", "week"], kind="stable").reset_index(drop=True)
    brand = raw["brand"].astype(int)
    sizes = pd.Series({b: size for b, (_, _, size) in BRANDS.items()})
    per_oz = raw[price_cols].to_numpy(dtype="float64")
    own_per_oz = per_oz[np.arange(len(raw)), brand.to_numpy() - 1]
    carton = sizes.to_numpy(dtype="float64")

    sales = pd.DataFrame({
        "date": week_to_date(raw["week"]),
        "item_id": brand.astype(str),
        "store_id": raw["store"].astype(int).astype(str),
        "units": np.round(np.exp(raw["logmove"].to_numpy(dtype="float64"))),
        "price": own_per_oz * brand.map(sizes).to_numpy(dtype="float64"),
        "base_price": np.nan,
        "on_promo": (raw["deal"] > 0).astype("float64"),
    })
    deal_ids = _run_ids(raw, raw["deal"] > 0, "deal")
    sales["promo_id"] = deal_ids.where(raw["deal"] > 0, None)
    for b in BRANDS:
        sales[f"price_{b}"] = per_oz[:, b - 1] * carton[b - 1]
    sales["feat"] = raw["feat"].astype("float64")
    if "profit" in raw.columns:
        sales["profit_margin_pct"] = raw["profit"].astype("float64")

    promotions = pd.concat([
        _runs(raw, raw["deal"] > 0, deal_ids, "amount_off", feature=0.0),
        _runs(raw, raw["feat"] > 0, _run_ids(raw, raw["feat"] > 0, "feat"), "feature_display",
              feature=1.0),
    ], ignore_index=True)

    items = pd.DataFrame({
        "item_id": [str(b) for b in BRANDS],
        "name": [v[0] for v in BRANDS.values()],
        "category": CATEGORY,
        "brand": [v[1] for v in BRANDS.values()],
    })
    if "profit" in raw.columns:
        cost = sales["price"] * (1.0 - raw["profit"].astype("float64") / 100.0)
        median_cost = cost.groupby(sales["item_id"]).median()
        items["unit_cost"] = items["item_id"].map(median_cost).astype("float64")
    return {"items": items, "promotions": promotions, "sales": sales}


def _from_oj(raw: pd.DataFrame, source: str) -> dict[str, pd.DataFrame]:
    _require(raw, ["store", "brand", "week", "logmove", "price"], source)
    raw = raw.sort_values(["store", "brand", "week"], kind="stable").reset_index(drop=True)
    feat = raw["feat"].astype("float64") if "feat" in raw.columns else pd.Series(0.0, index=raw.index)
    featured = feat > 0
    feat_ids = _run_ids(raw, featured, "feat")
    brand = raw["brand"].astype(str).str.strip()
    sales = pd.DataFrame({
        "date": week_to_date(raw["week"]),
        "item_id": brand,
        "store_id": raw["store"].astype(int).astype(str),
        "units": np.round(np.exp(raw["logmove"].to_numpy(dtype="float64"))),
        "price": raw["price"].astype("float64"),
        "base_price": np.nan,
        "on_promo": featured.astype("float64"),
        "promo_id": feat_ids.where(featured, None),
        "feat": feat,
    })
    promotions = _runs(raw.assign(brand=brand), featured, feat_ids, "feature_display", feature=1.0)
    names = sorted(brand.unique())
    items = pd.DataFrame({
        "item_id": names,
        "name": [OJ_BRANDS.get(n, (n, n))[0] for n in names],
        "category": CATEGORY,
        "brand": [OJ_BRANDS.get(n, (n, n))[1] for n in names],
    })
    return {"items": items, "promotions": promotions, "sales": sales}


def run_start_week(raw: pd.DataFrame, flag: pd.Series) -> pd.Series:
    """For each flagged row, the first week of its run of consecutive flagged weeks.

    ``raw`` is sorted by store, brand, week. A run continues while the next row is the same
    store and brand, the very next week, and flagged.
    """
    same_series = raw["store"].eq(raw["store"].shift()) & raw["brand"].eq(raw["brand"].shift())
    continues = flag & flag.shift(fill_value=False) & same_series & raw["week"].diff().eq(1)
    run = (flag & ~continues).cumsum()
    start = raw["week"].where(flag & ~continues).groupby(run).transform("first")
    return start.where(flag)


def _run_ids(raw: pd.DataFrame, flag: pd.Series, kind: str) -> pd.Series:
    """``deal-<store>-<brand>-w<first week>``: unique because one run starts per series-week."""
    start = run_start_week(raw, flag)
    label = (kind + "-" + raw["store"].astype(int).astype(str) + "-" + raw["brand"].astype(str)
             + "-w" + start.fillna(0).astype(int).astype(str))
    return label.where(flag, None)


def _runs(raw: pd.DataFrame, flag: pd.Series, ids: pd.Series, promo_type: str,
          feature: float) -> pd.DataFrame:
    """One promotion per run: from the first week's Thursday to the last week's Wednesday."""
    rows = raw.loc[flag, ["store", "brand", "week"]].assign(promo_id=ids[flag])
    runs = rows.groupby("promo_id", sort=False).agg(
        store=("store", "first"), brand=("brand", "first"),
        first_week=("week", "min"), last_week=("week", "max")).reset_index()
    return pd.DataFrame({
        "promo_id": runs["promo_id"].astype(str),
        "promo_type": promo_type,
        "start_date": week_to_date(runs["first_week"]),
        "end_date": week_to_date(runs["last_week"]) + pd.Timedelta(days=6),
        "item_id": runs["brand"].astype(str).str.strip(),
        "category": None,
        "store_id": runs["store"].astype(int).astype(str),
        "feature": feature,
        "display": 0.0,
    })
