"""Stallion beverage data (monthly agency x SKU volumes, 2013-2017; pytorch-forecasting's demo).

Conventions: item_id = sku, store_id = agency, monthly dates (first of the month); units =
volume (negative volumes clipped at 0); price = price_actual, base_price = price_regular (values
<= 0 are missing); on_promo = discount > 0; discount_in_percent and the market covariates
(industry_volume, soda_volume, avg_max_temp, population, income) are exogenous columns; the event
dummies become events of every agency in the months they mark.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

EVENTS = ["easter_day", "good_friday", "new_year", "christmas", "labor_day", "independence_day",
          "revolution_day_memorial", "regional_games", "fifa_u_17_world_cup", "football_gold_cup",
          "beer_capital", "music_fest"]
EXOG = ["industry_volume", "soda_volume", "avg_max_temp", "discount_in_percent",
        "avg_population_2017", "avg_yearly_household_income_2017"]


def load(path: Path) -> dict[str, pd.DataFrame]:
    file = path if path.is_file() else sorted(path.glob("*.parquet"))[0]
    raw = pd.read_parquet(file)
    date = pd.to_datetime(raw["date"]).dt.to_period("M").dt.to_timestamp()
    price = raw["price_actual"].astype(float)
    base = raw["price_regular"].astype(float)
    sales = pd.DataFrame({
        "date": date, "item_id": raw["sku"].astype(str), "store_id": raw["agency"].astype(str),
        "units": raw["volume"].astype(float).clip(lower=0.0),
        "price": price.where(price > 0), "base_price": base.where(base > 0),
        "on_promo": (raw["discount"].astype(float) > 0).astype(int),
    })
    for col in EXOG:
        sales[col] = raw[col].astype(float)
    marks = raw.assign(date=date)[["date", *EVENTS]].groupby("date").max()
    events = marks.stack().reset_index()
    events.columns = ["date", "event", "flag"]
    events = events[events["flag"] > 0].assign(store_id="all")[["date", "event", "store_id"]]
    items = pd.DataFrame({"item_id": sorted(sales["item_id"].unique())})
    items["category"] = "beverages"
    return {"items": items, "events": events.reset_index(drop=True), "sales": sales}
