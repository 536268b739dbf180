"""Walmart store sales (Kaggle "Walmart Recruiting - Store Sales Forecasting", 2014).

Files: ``train.csv[.gz]`` (Store, Dept, Date, Weekly_Sales, IsHoliday), ``features.csv[.gz]``
(Temperature, Fuel_Price, MarkDown1-5, CPI, Unemployment per store and week) and ``stores.csv``
(Type, Size). ``test.csv`` has no labels and is not loaded.

Conventions: item_id = department, store_id = store; the weekly "units" are **sales dollars**
(the data set has no unit counts), dated by the week's Friday as published. The 1,285 negative
weekly sales are net returns: units are clipped at 0 and the raw figure is kept as the exogenous
column ``weekly_sales_raw``. Markdowns are store-wide promotions: one ``amount_off`` promotion per
store, week and markdown type with a positive amount, on category ``department`` (every
department of the store); the markdown dollars are also exogenous columns (missing = 0), with
temperature, fuel_price, cpi and unemployment. IsHoliday weeks become events (Super Bowl, Labor
Day, Thanksgiving, Christmas).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HOLIDAY_BY_MONTH = {2: "super_bowl", 9: "labor_day", 11: "thanksgiving", 12: "christmas"}
CATEGORY = "department"


def _file(path: Path, stem: str) -> Path:
    folder = path.parent if path.is_file() else path
    hits = sorted(folder.glob(f"{stem}.csv*"))
    if not hits:
        raise FileNotFoundError(f"no {stem}.csv in {folder}")
    return hits[0]


def load(path: Path) -> dict[str, pd.DataFrame]:
    train = pd.read_csv(_file(path, "train"), parse_dates=["Date"])
    features = pd.read_csv(_file(path, "features"), parse_dates=["Date"])
    stores = pd.read_csv(_file(path, "stores"))
    features = features.drop(columns="IsHoliday")
    markdowns = [f"MarkDown{k}" for k in range(1, 6)]
    features[markdowns] = features[markdowns].fillna(0.0)
    merged = train.merge(features, on=["Store", "Date"], how="left")
    sales = pd.DataFrame({
        "date": merged["Date"],
        "item_id": merged["Dept"].astype(str),
        "store_id": merged["Store"].astype(str),
        "units": merged["Weekly_Sales"].clip(lower=0.0),
        "on_promo": (merged[markdowns].sum(axis=1) > 0).astype(int),
        "weekly_sales_raw": merged["Weekly_Sales"].astype(float),
        "temperature": merged["Temperature"], "fuel_price": merged["Fuel_Price"],
        "cpi": merged["CPI"], "unemployment": merged["Unemployment"],
    })
    for k, col in enumerate(markdowns, start=1):
        sales[f"markdown_{k}"] = merged[col].astype(float)

    long = features.melt(id_vars=["Store", "Date"], value_vars=markdowns, var_name="markdown",
                         value_name="amount")
    long = long[long["amount"] > 0]
    promotions = pd.DataFrame({
        "promo_id": "md" + long["markdown"].str[-1] + "-" + long["Store"].astype(str) + "-"
                    + long["Date"].dt.strftime("%Y%m%d"),
        "promo_type": "amount_off",
        "start_date": long["Date"],
        "end_date": long["Date"] + pd.Timedelta(days=6),
        "category": CATEGORY,
        "store_id": long["Store"].astype(str),
        "amount_off": long["amount"].astype(float),
    })
    holidays = train.loc[train["IsHoliday"].astype(bool), "Date"].drop_duplicates()
    events = pd.DataFrame({"date": holidays, "event": holidays.dt.month.map(HOLIDAY_BY_MONTH),
                           "store_id": "all"}).dropna()
    items = pd.DataFrame({"item_id": sorted(sales["item_id"].unique(), key=int)})
    items["name"] = "Department " + items["item_id"]
    items["category"] = CATEGORY
    store_table = pd.DataFrame({"store_id": stores["Store"].astype(str),
                                "type": stores["Type"].astype(str),
                                "size": stores["Size"].astype(float), "country": "US",
                                "channel": "store"})
    return {"stores": store_table, "items": items, "promotions": promotions.reset_index(drop=True),
            "events": events.reset_index(drop=True), "sales": sales.replace([np.inf, -np.inf], np.nan)}
