"""Known-future inputs of the forecasters: price, promotion mechanisms and calendar events.

Everything here is a pure function of a long frame (``unique_id, ds`` plus the shop's columns).
These inputs are known ahead (a planned price, a planned promotion, the calendar), so a
backtest feeds their actual values over the forecast window and a forecast takes them from a
scenario. Columns created:

- ``price``, ``base_price`` (filled per series), ``rel_price`` = price / base price,
  ``discount_depth`` = 1 - rel_price, ``log_price``,
  ``price_momentum_1`` = price / last period's price, ``price_momentum_4`` = price / mean of
  the last 4 periods' prices (a new low price sells more than a permanent one);
- ``promo`` and one flag ``promo_<mechanism>`` per promotion type of DESIGN §2;
- calendar: ``days_to_<event>`` / ``days_from_<event>`` (run-up and hangover), ``is_holiday``,
  ``is_workday_override``, ``is_festival``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from promocast.data.schema import PROMO_TYPES
from promocast.features.calendar import event_features

PROMO_FLAGS = [f"promo_{t}" for t in PROMO_TYPES]


def price_features(frame: pd.DataFrame) -> pd.DataFrame:
    """Add filled price columns and relative price / momentum features (sorted by series, ds)."""
    out = frame.sort_values(["unique_id", "ds"]).copy()
    by = out.groupby("unique_id", sort=False)
    if "price" not in out:
        out["price"] = np.nan
    if "base_price" not in out:
        out["base_price"] = np.nan
    # Missing paid price: the series' last known price; missing base price: the highest
    # price of the last 8 periods (the regular shelf price that promotions cut from).
    out["price"] = by["price"].ffill()
    out["price"] = out.groupby("unique_id", sort=False)["price"].bfill()
    by = out.groupby("unique_id", sort=False)
    rolling_max = by["price"].rolling(8, min_periods=1).max().reset_index(level=0, drop=True)
    out["base_price"] = out["base_price"].fillna(rolling_max)
    out["base_price"] = np.fmax(out["base_price"], out["price"])
    has_price = out["price"].notna()
    out["rel_price"] = (out["price"] / out["base_price"]).where(has_price, 1.0).astype("float32")
    out["discount_depth"] = (1.0 - out["rel_price"]).clip(lower=0.0).astype("float32")
    out["log_price"] = np.log(out["price"]).astype("float32")
    prev = by["price"].shift(1)
    out["price_momentum_1"] = (out["price"] / prev).fillna(1.0).astype("float32")
    mean4 = prev.groupby(out["unique_id"], sort=False).rolling(4, min_periods=1).mean(
    ).reset_index(level=0, drop=True)
    out["price_momentum_4"] = (out["price"] / mean4).fillna(1.0).astype("float32")
    return out


def promo_flags(frame: pd.DataFrame, promotions: pd.DataFrame, items: pd.DataFrame | None = None,
                ) -> pd.DataFrame:
    """Add ``promo_<mechanism>`` flags: 1 where a promotion of that type covers the row's item
    (directly or through its category) and store (or every store) on that date."""
    out = frame.copy()
    for flag in PROMO_FLAGS:
        out[flag] = np.int8(0)
    if promotions is None or promotions.empty:
        out["promo"] = out.get("on_promo", pd.Series(0, index=out.index)).fillna(0).astype("int8")
        return out
    promos = promotions.copy()
    if items is not None and "category" in items and promos["category"].notna().any():
        by_cat = promos[promos["item_id"].isna() & promos["category"].notna()].merge(
            items[["item_id", "category"]], on="category", suffixes=("_drop", ""))
        by_cat = by_cat.drop(columns=[c for c in by_cat.columns if c.endswith("_drop")])
        promos = pd.concat([promos[promos["item_id"].notna()], by_cat], ignore_index=True)
    promos = promos[promos["item_id"].notna()]
    days = _covered_days(promos)
    keys = out[["item_id", "store_id", "ds"]].reset_index()
    everywhere = days[days["store_id"].isna()].drop(columns="store_id")
    local = days[days["store_id"].notna()]
    hits = pd.concat([keys.merge(everywhere, on=["item_id", "ds"]),
                      keys.merge(local, on=["item_id", "store_id", "ds"])], ignore_index=True)
    for kind, rows in hits.groupby("promo_type"):
        out.loc[rows["index"].unique(), f"promo_{kind}"] = 1
    any_flag = out[PROMO_FLAGS].max(axis=1)
    if "on_promo" in out:
        any_flag = np.maximum(any_flag, out["on_promo"].fillna(0))
    out["promo"] = any_flag.astype("int8")
    return out


def _covered_days(promos: pd.DataFrame) -> pd.DataFrame:
    """One row per promotion and calendar day it covers (item_id, store_id, promo_type, ds):
    an exact join then finds the panel rows it covers, whatever the panel's frequency."""
    length = (promos["end_date"] - promos["start_date"]).dt.days.clip(lower=0) + 1
    repeat = promos.loc[promos.index.repeat(length), ["item_id", "store_id", "promo_type", "start_date"]]
    offset = repeat.groupby(level=0).cumcount()
    repeat["ds"] = repeat["start_date"] + pd.to_timedelta(offset.to_numpy(), unit="D")
    return repeat.drop(columns="start_date").drop_duplicates().reset_index(drop=True)


def calendar_features(frame: pd.DataFrame, calendar: pd.DataFrame, window: int = 14) -> pd.DataFrame:
    """Add the event features of each distinct date (computed once per date, then joined)."""
    dates = pd.Series(np.sort(frame["ds"].unique()))
    feats = event_features(dates, calendar, window=window)
    feats.insert(0, "ds", dates.to_numpy())
    return frame.merge(feats, on="ds", how="left")
