"""Walmart store sales (Kaggle "Walmart Recruiting - Store Sales Forecasting", 2014).

Files (in a folder, or give ``train.csv`` itself; each may be plain, ``.gz`` or Kaggle's
``.csv.zip``): ``train.csv`` (Store, Dept, Date, Weekly_Sales, IsHoliday), ``features.csv``
(Store, Date, Temperature, Fuel_Price, MarkDown1-5, CPI, Unemployment, IsHoliday) and
``stores.csv`` (Store, Type, Size; the original has CR line endings, which read the same).
``test.csv`` has no labels and is not loaded. Only ``train.csv`` is required.

Conventions (why each one is what it is):

* ``item_id`` = Dept, ``store_id`` = Store (as text): a series is a store-level department.
* ``units`` are **sales dollars**: the data set has no unit counts, only Weekly_Sales. There is no
  price, so ``price`` and ``base_price`` are empty.
* The 1,285 negative weekly sales are net returns (more refunded than sold that week). Units must
  be >= 0, so they are clipped at 0; the raw figure is kept as the exogenous ``weekly_sales_raw``.
* ``date``: Kaggle's Date is the Friday that **ends** each Saturday-to-Friday Walmart week (the
  Christmas 2010 week is dated 2010-12-31). The contract labels a week by its first day, so dates
  are moved back 6 days to the Saturday that starts the week (2010-02-05 -> 2010-01-30); calendar
  features then see the right holidays in each week. ``load(path, week_label="end")`` keeps
  Kaggle's Fridays instead.
* Markdowns are store-wide promotional markdowns (anonymised, dollars, only from 2011-11): each
  store x week x markdown type with a positive amount becomes one ``amount_off`` promotion for
  category ``all_departments`` (the category every department has in the items table, so the
  promotion covers the whole store) with ``amount_off`` = the markdown dollars, also in the weeks
  of ``test.csv`` (they are known ahead). The few negative markdowns are adjustments, not
  promotions. The five markdowns are also exogenous columns ``markdown_1`` .. ``markdown_5`` on
  the sales rows (missing = 0, negatives kept as given). ``on_promo`` stays 0: no markdown names
  a department.
* temperature, fuel_price, cpi and unemployment are exogenous columns.
* IsHoliday weeks become events for every store (``store_id`` = ``all``), named by month:
  ``super_bowl`` (Feb), ``labor_day`` (Sep), ``thanksgiving`` (Nov), ``christmas`` (Dec).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from promocast.data.formats._common import find_file as _find
from promocast.data.formats._common import require_columns as _require
from promocast.exceptions import UsageError

CATEGORY = "all_departments"
HOLIDAY_BY_MONTH = {2: "super_bowl", 9: "labor_day", 11: "thanksgiving", 12: "christmas"}
MARKDOWNS = [f"MarkDown{k}" for k in range(1, 6)]
COVARIATES = {"Temperature": "temperature", "Fuel_Price": "fuel_price", "CPI": "cpi",
              "Unemployment": "unemployment"}


def load(path: Path, week_label: Literal["start", "end"] = "start") -> dict[str, pd.DataFrame]:
    """Canonical sales, items, stores, promotions and events from the Walmart Kaggle files.

    ``week_label``: ``"start"`` (default, the contract) dates a week by its Saturday;
    ``"end"`` keeps Kaggle's Friday.
    """
    if week_label not in ("start", "end"):
        raise UsageError(f"week_label must be 'start' or 'end', got {week_label!r}")
    path = Path(path)
    folder = path.parent if path.is_file() else path
    train_file = path if path.is_file() else _find(folder, "train")
    if train_file is None:
        raise UsageError(f"no Walmart train.csv[.gz|.zip] in {folder}")
    shift = pd.Timedelta(days=6 if week_label == "start" else 0)

    train = pd.read_csv(train_file)
    _require(train, ["Store", "Dept", "Date", "Weekly_Sales"], str(train_file))
    train["Date"] = pd.to_datetime(train["Date"]).astype("datetime64[ns]")
    features_file = _find(folder, "features")
    features = None
    if features_file is not None:
        features = pd.read_csv(features_file)
        features["Date"] = pd.to_datetime(features["Date"]).astype("datetime64[ns]")
        keep = ["Store", "Date", *[c for c in [*COVARIATES, *MARKDOWNS] if c in features]]
        train = train.merge(features[keep], on=["Store", "Date"], how="left")
    train = train.sort_values(["Store", "Dept", "Date"], kind="stable").reset_index(drop=True)

    raw_sales = train["Weekly_Sales"].astype("float64")
    sales = pd.DataFrame({
        "date": train["Date"] - shift,
        "item_id": train["Dept"].astype(int).astype(str),
        "store_id": train["Store"].astype(int).astype(str),
        "units": raw_sales.clip(lower=0.0),
        "price": np.nan,
        "base_price": np.nan,
        "on_promo": 0.0,
        "promo_id": None,
        "weekly_sales_raw": raw_sales,
    })
    for source, name in COVARIATES.items():
        if source in train:
            sales[name] = train[source].astype("float64")
    for k, source in enumerate(MARKDOWNS, start=1):
        if source in train:
            sales[f"markdown_{k}"] = train[source].astype("float64").fillna(0.0)

    depts = sorted(train["Dept"].astype(int).unique())
    items = pd.DataFrame({"item_id": [str(d) for d in depts],
                          "name": [f"Department {d}" for d in depts], "category": CATEGORY})
    tables: dict[str, pd.DataFrame] = {
        "stores": _stores(folder, sales["store_id"]),
        "items": items,
        "sales": sales,
    }
    if features is not None:
        tables["promotions"] = _markdown_promotions(features, shift)
    tables["events"] = _events(train, features, shift)
    return tables






def _stores(folder: Path, store_ids: pd.Series) -> pd.DataFrame:
    """Stores seen in the sales, with Type and Size from ``stores.csv`` when present."""
    ids = sorted(store_ids.unique(), key=int)
    stores = pd.DataFrame({"store_id": ids, "name": [f"Walmart store {s}" for s in ids],
                           "country": "US"})
    stores_file = _find(folder, "stores")
    if stores_file is not None:
        info = pd.read_csv(stores_file)
        info = pd.DataFrame({"store_id": info["Store"].astype(int).astype(str),
                             "type": info["Type"].astype(str),
                             "size": info["Size"].astype("float64")})
        stores = stores.merge(info, on="store_id", how="left")
    return stores


def _markdown_promotions(features: pd.DataFrame, shift: pd.Timedelta) -> pd.DataFrame:
    """One ``amount_off`` promotion per store, week and markdown type with a positive amount."""
    present = [c for c in MARKDOWNS if c in features]
    long = features.melt(id_vars=["Store", "Date"], value_vars=present, var_name="markdown",
                         value_name="amount")
    long = long[long["amount"] > 0].sort_values(["Store", "Date", "markdown"], kind="stable")
    start = long["Date"] - shift
    store = long["Store"].astype(int).astype(str)
    kind = long["markdown"].str.replace("MarkDown", "", regex=False)
    return pd.DataFrame({
        "promo_id": "md" + kind + "-" + store + "-" + start.dt.strftime("%Y-%m-%d"),
        "promo_type": "amount_off",
        "start_date": start,
        "end_date": start + pd.Timedelta(days=6),
        "item_id": None,
        "category": CATEGORY,
        "store_id": store,
        "amount_off": long["amount"].astype("float64"),
        "feature": 0.0,
        "display": 0.0,
    }).reset_index(drop=True)


def _events(train: pd.DataFrame, features: pd.DataFrame | None,
            shift: pd.Timedelta) -> pd.DataFrame:
    """Holiday weeks (train and features, which runs into the test period) for every store."""
    dates = []
    for frame in (train, features):
        if frame is not None and "IsHoliday" in frame:
            flag = frame["IsHoliday"].astype(str).str.lower().isin(["true", "1"])
            dates.append(frame.loc[flag, "Date"])
    if not dates:
        return pd.DataFrame({"date": pd.Series(dtype="datetime64[ns]"),
                             "event": pd.Series(dtype="object"), "store_id": pd.Series(dtype="object")})
    kaggle_dates = pd.Series(sorted(pd.concat(dates).unique())).astype("datetime64[ns]")
    return pd.DataFrame({
        "date": kaggle_dates - shift,
        "event": kaggle_dates.dt.month.map(HOLIDAY_BY_MONTH).fillna("holiday"),
        "store_id": "all",
    })
