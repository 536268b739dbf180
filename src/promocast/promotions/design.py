"""The treatment design of promotion effects: which mechanisms touch each panel row.

``treatment_design`` turns the promotions table (DESIGN §2: a row covers one item or a whole
category, one store or every store, a date range) into per-row exposures aligned with the long
panel (``unique_id, item_id, store_id, category, ds``):

- ``lift_<mechanism>`` for the mechanisms that multiply demand at a given price (threshold,
  gift, flash_sale, bundle, feature_display). A promotion's ``feature`` / ``display`` flags switch
  on ``feature_display`` whatever its type; percent_off and amount_off act through the price and
  get no lift column;
- ``on_promotion``: any promotion (or the sales table's own ``on_promo``) covers the row;
- ``after_promotion``: one of the ``dip_periods`` periods right after a promotion of the same
  item x store ended, while not on promotion again (pantry loading, pull-forward);
- ``rivals_on_promotion``: other items of the category on promotion in the same store under a
  different promotion (items sharing one category-wide promotion do not count against each
  other), capped at ``rival_cap`` because a shopper's attention saturates.

Exposures are fractions of the period's days (1/0 on daily data; 3/7 for a three-day promotion
in a weekly row), so weekly and daily shops go through the same model.

Which promotion holds when several cover a day: an item's own promotion beats a category-wide
one (a category promotion lists the category, but shops exclude items already on their own
deal), and when the sales table records ``on_promo`` a category-wide promotion only counts on
rows the sales table marks as on promotion.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

LIFT_MECHANISMS: tuple[str, ...] = ("threshold", "gift", "flash_sale", "bundle", "feature_display")
"""Mechanisms with a lift of their own (units with it / units without it at the same price - 1)."""
PRICE_MECHANISMS: tuple[str, ...] = ("percent_off", "amount_off")
"""Mechanisms that act only through the price paid (flash_sale cuts the price *and* lifts)."""
EVERY_STORE = {"", "all", "*", "none", "nan"}
"""``store_id`` values of a promotion that mean every store."""


def period_days(freq: str) -> int:
    """Calendar days in one period of ``freq`` (1 for daily, 7 for weekly, 30 otherwise)."""
    if freq.upper().startswith("D"):
        return 1
    if freq.upper().startswith("W"):
        return 7
    return 30


def period_end(labels: pd.Series | pd.Timestamp, freq: str) -> pd.Series | pd.Timestamp:
    """The last calendar day of the periods ``labels`` start (``period_label``'s labels):
    the day itself, the week's seventh day, or the month's last day (28 to 31 days on: a month
    is not 30 days when a promotion ends on the 31st)."""
    if freq.upper().startswith("D"):
        return labels
    if freq.upper().startswith("W"):
        return labels + pd.Timedelta(days=6)
    return labels + pd.offsets.MonthEnd(0)


def period_label(days: pd.Series, freq: str, anchor: pd.Series) -> pd.Series:
    """The panel date labelling the period that contains each calendar day.

    Daily: the day itself; weekly: the last week start (same weekday as the panel's dates in
    ``anchor``) on or before the day; otherwise the month start.
    """
    if freq.upper().startswith("D"):
        return days
    if freq.upper().startswith("W"):
        start_weekday = int(pd.Series(pd.DatetimeIndex(anchor).weekday).mode()[0])
        back = (days.dt.weekday - start_weekday) % 7
        return days - pd.to_timedelta(back, unit="D")
    return days.dt.to_period("M").dt.start_time


def _promotion_days(
    promotions: pd.DataFrame,
    items: pd.DataFrame,
    stores: list[str],
    on_promo_days: pd.DataFrame | None,
) -> pd.DataFrame:
    """One row per (item_id, store_id, day, promo_id) a promotion covers, with its mechanisms.

    Category rows expand to the category's items, store-less rows to every store; the precedence
    rules of the module docstring are applied here.
    """
    promos = promotions.copy()
    for col in ("item_id", "category", "store_id"):
        if col not in promos:
            promos[col] = None
    for col in ("feature", "display"):
        promos[col] = pd.to_numeric(promos[col], errors="coerce").fillna(0) if col in promos else 0
    promos["item_id"] = promos["item_id"].where(promos["item_id"].notna(), None)
    item_level = promos["item_id"].notna() & (promos["item_id"].astype(str).str.strip() != "")
    promos["level"] = np.where(item_level, 0, 1)  # 0 = item's own promotion, 1 = category-wide
    direct = promos[item_level].assign(item_id=lambda f: f["item_id"].astype(str))
    by_category = (
        promos[~item_level & promos["category"].notna()]
        .drop(columns="item_id")
        .merge(items[["item_id", "category"]].astype({"item_id": str}), on="category")
    )
    promos = pd.concat([direct, by_category], ignore_index=True)
    if promos.empty:
        return pd.DataFrame(
            columns=[
                "item_id",
                "store_id",
                "day",
                "promo_id",
                "level",
                "promo_type",
                "feature_display",
            ]
        )
    store = promos["store_id"].astype(str).str.strip().str.lower()
    everywhere = promos["store_id"].isna() | store.isin(EVERY_STORE)
    promos = pd.concat(
        [
            promos[~everywhere].assign(store_id=lambda f: f["store_id"].astype(str)),
            promos[everywhere]
            .drop(columns="store_id")
            .merge(pd.DataFrame({"store_id": stores}), how="cross"),
        ],
        ignore_index=True,
    )
    start = pd.to_datetime(promos["start_date"]).dt.normalize()
    end = pd.to_datetime(promos["end_date"]).dt.normalize()
    length = ((end - start).dt.days.clip(lower=0) + 1).to_numpy()
    rows = promos.index.repeat(length)
    days = promos.loc[rows, ["item_id", "store_id", "promo_id", "level", "promo_type"]].reset_index(
        drop=True
    )
    offset = np.arange(len(days)) - np.repeat(np.cumsum(length) - length, length)
    days["day"] = start.to_numpy()[rows] + pd.to_timedelta(offset, unit="D")
    days["feature_display"] = (
        (promos["feature"].to_numpy()[rows] > 0)
        | (promos["display"].to_numpy()[rows] > 0)
        | (days["promo_type"] == "feature_display").to_numpy()
    )
    days["promo_id"] = days["promo_id"].astype(str)
    # An item's own promotion beats a category-wide one on the same day.
    best = days.groupby(["item_id", "store_id", "day"])["level"].transform("min")
    days = days[days["level"] == best]
    if on_promo_days is not None:
        flagged = days.merge(on_promo_days, on=["item_id", "store_id", "day"], how="left")
        keep = (flagged["level"] == 0) | (flagged["on_promo"].fillna(0) > 0)
        days = days[keep.to_numpy()]
    return days.drop_duplicates(["item_id", "store_id", "day", "promo_id"]).reset_index(drop=True)


def treatment_design(
    frame: pd.DataFrame,
    promotions: pd.DataFrame | None,
    items: pd.DataFrame | None,
    *,
    freq: str,
    dip_periods: int | None = None,
    rival_cap: int = 3,
) -> pd.DataFrame:
    """Per-row treatment exposures, indexed like ``frame`` (see the module docstring).

    ``frame`` needs unique_id, item_id, store_id, ds and optionally category and on_promo;
    ``dip_periods`` defaults to one week (7 daily periods, 1 weekly period).
    """
    width = period_days(freq)
    if dip_periods is None:
        dip_periods = max(1, 7 // width)
    keys = frame[["unique_id", "item_id", "store_id", "ds"]].astype(
        {"item_id": str, "store_id": str}
    )
    category = (
        frame["category"].astype(str)
        if "category" in frame
        else pd.Series("all", index=frame.index)
    )
    out = pd.DataFrame(index=frame.index)
    for m in LIFT_MECHANISMS:
        out[f"lift_{m}"] = 0.0
    on_days = pd.DataFrame(columns=["item_id", "store_id", "day", "promo_id", "n_days"])
    if promotions is not None and len(promotions):
        if items is None or "category" not in items:
            items = (
                frame[["item_id", "category"]].drop_duplicates("item_id")
                if "category" in frame
                else pd.DataFrame({"item_id": [], "category": []})
            )
        has_on_promo = "on_promo" in frame and bool((frame["on_promo"] > 0).any())
        on_promo_days = None
        if has_on_promo and width == 1:
            on_promo_days = keys[["item_id", "store_id"]].assign(
                day=keys["ds"], on_promo=frame["on_promo"].to_numpy()
            )
        days = _promotion_days(promotions, items, sorted(keys["store_id"].unique()), on_promo_days)
        days["period"] = period_label(days["day"], freq, keys["ds"])
        present = keys[["item_id", "store_id", "ds"]].rename(columns={"ds": "period"})
        days = days.merge(present.reset_index(), on=["item_id", "store_id", "period"])
        for m in LIFT_MECHANISMS:
            hit = days["feature_display"] if m == "feature_display" else days["promo_type"] == m
            share = days[hit].drop_duplicates(["index", "day"]).groupby("index").size() / width
            out.loc[share.index, f"lift_{m}"] = share.clip(upper=1.0).to_numpy()
        on_days = days
    on_share = pd.Series(0.0, index=frame.index)
    if len(on_days):
        share = on_days.drop_duplicates(["index", "day"]).groupby("index").size() / width
        on_share.loc[share.index] = share.clip(upper=1.0).to_numpy()
    if "on_promo" in frame:
        on_share = np.maximum(on_share, frame["on_promo"].fillna(0).clip(0, 1).astype(float))
    out["on_promotion"] = on_share.astype(float)
    out["after_promotion"] = _after(keys["unique_id"], on_share > 0, dip_periods)
    out["rivals_on_promotion"] = _rivals(on_days, keys, category, width, rival_cap)
    return out


def _after(series: pd.Series, on: pd.Series, periods: int) -> pd.Series:
    """1.0 on the ``periods`` periods after a run of promotion ends in each series, when not on
    promotion (rows are consecutive periods per series: the regular panel)."""
    on_values = on.to_numpy(dtype=bool)
    codes = pd.factorize(series)[0]
    same_next = np.r_[codes[1:] == codes[:-1], False]
    ended = on_values & ~np.r_[on_values[1:], False] & same_next
    after = np.zeros(len(on_values), dtype=bool)
    for k in range(1, periods + 1):
        shifted = (
            np.r_[np.zeros(k, dtype=bool), ended[:-k]] if k < len(ended) else np.zeros_like(ended)
        )
        same = (
            np.r_[np.zeros(k, dtype=bool), codes[k:] == codes[:-k]]
            if k < len(codes)
            else np.zeros_like(ended)
        )
        after |= shifted & same
    return pd.Series((after & ~on_values).astype(float), index=series.index)


def _rivals(
    days: pd.DataFrame, keys: pd.DataFrame, category: pd.Series, width: int, cap: int
) -> pd.Series:
    """Other items of the category on promotion in the store, under another promotion; mean
    over the period's days of the capped daily count."""
    out = pd.Series(0.0, index=keys.index)
    if days.empty:
        return out
    cat = category.groupby(keys["item_id"]).first()
    d = days[["index", "item_id", "store_id", "day", "promo_id"]].copy()
    d["category"] = d["item_id"].map(cat)
    d = d.drop_duplicates(["item_id", "store_id", "day"])  # one promotion per item-day
    per_cell = d.groupby(["category", "store_id", "day"]).size().rename("on_promotion")
    same = d.groupby(["promo_id", "store_id", "day"]).size().rename("same")
    # Rows on promotion: their own day-level count; every row: the category count per day.
    rows = keys[["item_id", "store_id"]].assign(category=category.to_numpy(), period=keys["ds"])
    cells = per_cell.reset_index()
    if width == 1:
        cells["period"] = cells["day"]
    else:
        cells["period"] = period_label(cells["day"], "W" if width == 7 else "M", keys["ds"])
    merged = rows.reset_index().merge(cells, on=["category", "store_id", "period"])
    mine = d.merge(same.reset_index(), on=["promo_id", "store_id", "day"])[["index", "day", "same"]]
    merged = merged.merge(mine, on=["index", "day"], how="left")
    merged["rivals"] = (merged["on_promotion"] - merged["same"].fillna(0)).clip(0, cap)
    total = merged.groupby("index")["rivals"].sum() / width
    out.loc[total.index] = total.to_numpy()
    return out


def with_sold_units(frame: pd.DataFrame, sales: pd.DataFrame) -> pd.DataFrame:
    """The panel plus ``sold``: units the sales table records for each row.

    The forecasting panel blanks ``y`` on stock-out rows (demand was censored); the effects
    model still learns from them, because the units sold that day are a lower bound of demand
    (``item_model``). ``sales`` holds date (or ds), item_id, store_id, units."""
    table = sales.rename(columns={"date": "ds", "units": "sold"})
    table = table[["ds", "item_id", "store_id", "sold"]].astype({"item_id": str, "store_id": str})
    table["ds"] = pd.to_datetime(table["ds"])
    keys = frame[["ds", "item_id", "store_id"]].astype({"item_id": str, "store_id": str})
    merged = keys.merge(table.drop_duplicates(["ds", "item_id", "store_id"]), how="left")
    out = frame.drop(columns="sold", errors="ignore").copy()
    out["sold"] = pd.to_numeric(merged["sold"], errors="coerce").to_numpy(float)
    return out
