"""Stallion (Kaggle "Future volume prediction", AB InBev): monthly beer volumes per agency x SKU.

Layouts read:

* ``stallion.parquet`` (pytorch-forecasting's demo table, in ``../shared/data/stallion_beverage``):
  agency, sku, volume, date, industry_volume, soda_volume, avg_max_temp, price_regular,
  price_actual, discount, avg_population_2017, avg_yearly_household_income_2017, twelve event
  dummies (easter_day .. music_fest), discount_in_percent, timeseries.
* the original Kaggle CSVs in one folder (or give ``historical_volume.csv``):
  ``historical_volume.csv`` (Agency, SKU, YearMonth, Volume) and optionally
  ``price_sales_promotion.csv`` (Price, Sales, Promotions per agency, SKU and month),
  ``weather.csv``, ``industry_volume.csv``, ``industry_soda_sales.csv``, ``event_calendar.csv``,
  ``demographics.csv``. They are joined as pytorch-forecasting does: Price -> price_regular,
  Sales -> price_actual, Promotions -> discount, discount_in_percent = discount / price_regular.

Conventions (why each one is what it is):

* ``item_id`` = sku, ``store_id`` = agency (a wholesaler: the point of sale of these series),
  ``date`` = the first of the month (frequency ``MS``); ``units`` = volume (hectolitres), negative
  volumes (none in the shared file) clipped at 0.
* ``price`` = price_actual and ``base_price`` = price_regular, each empty when <= 0: about 2,600
  rows have no price (0: the SKU was not sold there that month) and a handful have a zero or
  negative actual price against a positive regular one, which is not a price.
* ``on_promo`` = 1 when discount > 0 and the actual price is valid (a "100 % discount" on a
  missing price is a data gap, not a promotion).
* exogenous: ``discount_amount`` (discount, currency per unit), ``discount_pct`` (the source's
  discount_in_percent, empty where either price is missing: there the source gives 0 or values
  above 100), industry_volume, soda_volume, avg_max_temp, avg_population_2017,
  avg_yearly_household_income_2017. ``timeseries`` is a row-group index and is dropped.
* the event dummies become events of every agency (``store_id`` = ``all``) dated on the first
  of each month they mark, named like the dummy (``easter_day``, ``music_fest``, ...).
* items: category ``beer``; no promotions table (the discounts are monthly trade prices, kept
  on the sales rows).
* stores: ``country`` = MX (Stallion's agencies are Mexican wholesalers; its event dummies are
  Mexican holidays), so ``--country auto`` takes Mexico's public holidays, not the default
  China's Spring Festival and Double 11.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from promocast.data.formats._common import find_file as _find
from promocast.exceptions import DataValidationError, RowError, UsageError

EVENTS = ["easter_day", "good_friday", "new_year", "christmas", "labor_day", "independence_day",
          "revolution_day_memorial", "regional_games", "fifa_u_17_world_cup", "football_gold_cup",
          "beer_capital", "music_fest"]
COVARIATES = ["industry_volume", "soda_volume", "avg_max_temp", "avg_population_2017",
              "avg_yearly_household_income_2017"]
CATEGORY = "beer"


def load(path: Path) -> dict[str, pd.DataFrame]:
    """Canonical sales, items, stores and events from the Stallion parquet or Kaggle CSVs."""
    path = Path(path)
    if path.is_file() and path.suffix.lower() == ".parquet":
        raw, source = pd.read_parquet(path), str(path)
    else:
        folder = path.parent if path.is_file() else path
        volume_file = _find(folder, "historical_volume")
        parquet = sorted(folder.glob("*.parquet"))
        if parquet and volume_file is None:
            raw, source = pd.read_parquet(parquet[0]), str(parquet[0])
        elif volume_file is not None:
            raw, source = _from_kaggle(folder, volume_file), str(volume_file)
        else:
            raise UsageError(f"no Stallion data in {folder}: expected stallion.parquet or "
                             "historical_volume.csv (+ the other Kaggle CSVs)")
    missing = [c for c in ("agency", "sku", "volume", "date") if c not in raw.columns]
    if missing:
        raise DataValidationError([RowError(source, None, c, None, "required column missing")
                                   for c in missing])
    return _tables(raw)




def _clean(frame: pd.DataFrame) -> pd.DataFrame:
    """Kaggle headers to snake_case (``"FIFA U-17 World Cup"`` -> ``fifa_u_17_world_cup``) and
    ``YearMonth`` (201301) to ``date``."""
    frame = frame.rename(columns=lambda c: re.sub(r"[\s\-]+", "_", str(c).strip()).lower())
    if "yearmonth" in frame:
        frame["date"] = pd.to_datetime(frame.pop("yearmonth").astype(str), format="%Y%m")
    return frame


def _from_kaggle(folder: Path, volume_file: Path) -> pd.DataFrame:
    """Join the competition files into the pytorch-forecasting table."""
    data = _clean(pd.read_csv(volume_file))
    joins = {
        "price_sales_promotion": ["date", "sku", "agency"],
        "weather": ["date", "agency"],
        "industry_volume": ["date"],
        "industry_soda_sales": ["date"],
        "event_calendar": ["date"],
        "demographics": ["agency"],
    }
    for stem, keys in joins.items():
        file = _find(folder, stem)
        if file is None:
            continue
        part = _clean(pd.read_csv(file))
        if stem == "price_sales_promotion":
            part = part.rename(columns={"sales": "price_actual", "price": "price_regular",
                                        "promotions": "discount"})
        data = data.merge(part, on=keys, how="left")
    if "discount" in data and "price_regular" in data:
        data["discount_in_percent"] = (data["discount"] / data["price_regular"]).fillna(0) * 100
    return data


def _numbers(raw: pd.DataFrame, column: str) -> pd.Series:
    if column not in raw:
        return pd.Series(np.nan, index=raw.index)
    return pd.to_numeric(raw[column], errors="coerce").astype("float64")


def _tables(raw: pd.DataFrame) -> dict[str, pd.DataFrame]:
    raw = raw.reset_index(drop=True)
    date = pd.to_datetime(raw["date"]).dt.to_period("M").dt.to_timestamp().astype("datetime64[ns]")
    price, base = _numbers(raw, "price_actual"), _numbers(raw, "price_regular")
    price, base = price.where(price > 0), base.where(base > 0)
    discount = _numbers(raw, "discount")
    sales = pd.DataFrame({
        "date": date,
        "item_id": raw["sku"].astype(str).to_numpy(dtype=object),
        "store_id": raw["agency"].astype(str).to_numpy(dtype=object),
        "units": _numbers(raw, "volume").clip(lower=0.0),
        "price": price,
        "base_price": base,
        "on_promo": ((discount > 0) & price.notna()).astype("float64"),
        "promo_id": None,
        "discount_amount": discount,
        "discount_pct": _numbers(raw, "discount_in_percent").where(price.notna() & base.notna()),
    })
    for column in COVARIATES:
        if column in raw:
            sales[column] = _numbers(raw, column)
    sales = sales.sort_values(["store_id", "item_id", "date"], kind="stable").reset_index(drop=True)

    present = [e for e in EVENTS if e in raw]
    marks = raw[present].apply(pd.to_numeric, errors="coerce").fillna(0).gt(0)
    marks["date"] = date
    by_month = marks.groupby("date").any()
    events = by_month.stack().rename("on").reset_index().rename(columns={"level_1": "event"})
    events = events[events["on"]].sort_values(["date", "event"])
    events = pd.DataFrame({"date": events["date"].astype("datetime64[ns]"),
                           "event": events["event"].astype(str).to_numpy(dtype=object),
                           "store_id": "all"}).reset_index(drop=True)

    skus = sorted(sales["item_id"].unique())
    agencies = sorted(sales["store_id"].unique())
    return {
        "stores": pd.DataFrame({"store_id": agencies, "name": agencies, "channel": "agency",
                                "country": "MX"}),
        "items": pd.DataFrame({"item_id": skus, "name": skus, "category": CATEGORY}),
        "events": events,
        "sales": sales,
    }
