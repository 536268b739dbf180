"""Promotion responsiveness: how much of each customer's (and segment's) buying happens on
promotion.

An order line is *on promotion* when it carries a discount (``discount > 0``: money off that
line) or when a promotion of the promotions table covers its item on its date: the promotion
names the item (or the item's category, through the items table), the line's day lies within
``start_date .. end_date`` and the promotion is for the line's store or for every store. Both
are needed: a threshold or gift promotion often leaves the line's price and discount untouched,
and a shop's order export may carry discounts no promotion row explains.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from promocast.data.order_status import sold_lines

DEAL_SEEKER_SHARE = 0.5
"""A customer who buys at least half of their lines on promotion is called a deal seeker."""


def promotion_items(promotions: pd.DataFrame, items: pd.DataFrame | None) -> pd.DataFrame:
    """Promotions as (item_id, store_id or None, start_date, end_date) rows: category-wide
    promotions expanded to the category's items."""
    cols = ["item_id", "store_id", "start_date", "end_date"]
    if promotions is None or promotions.empty:
        return pd.DataFrame(columns=cols)
    promos = promotions.copy()
    if "store_id" not in promos:
        promos["store_id"] = None
    by_item = promos[promos["item_id"].notna()][cols] if "item_id" in promos else None
    parts = [by_item] if by_item is not None else []
    if "category" in promos and items is not None and "category" in items:
        by_cat = promos[promos["category"].notna()
                        & (promos["item_id"].isna() if "item_id" in promos else True)]
        if len(by_cat):
            expanded = by_cat.drop(columns=["item_id"], errors="ignore").merge(
                items[["item_id", "category"]].dropna(), on="category")
            parts.append(expanded[cols])
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)
    out["start_date"] = pd.to_datetime(out["start_date"]).dt.normalize()
    out["end_date"] = pd.to_datetime(out["end_date"]).dt.normalize()
    out["item_id"] = out["item_id"].astype(str)
    return out


def on_promotion(lines: pd.DataFrame, promotions: pd.DataFrame | None = None,
                 items: pd.DataFrame | None = None) -> pd.Series:
    """Boolean per order line (same index): discounted, or covered by a promotion."""
    flag = pd.Series(False, index=lines.index)
    if "discount" in lines:
        flag |= lines["discount"].fillna(0.0) > 0
    covering = promotion_items(promotions, items)
    if covering.empty or lines.empty:
        return flag
    probe = pd.DataFrame({"position": np.arange(len(lines)),
                          "item_id": lines["item_id"].astype(str).to_numpy(),
                          "day": pd.to_datetime(lines["timestamp"]).dt.normalize().to_numpy(),
                          "line_store": (lines["store_id"].astype(str).to_numpy()
                                         if "store_id" in lines else None)})
    probe = probe[~flag.to_numpy()]
    matched = probe.merge(covering, on="item_id")
    inside = (matched["day"] >= matched["start_date"]) & (matched["day"] <= matched["end_date"])
    store_ok = matched["store_id"].isna() | (matched["store_id"].astype(str)
                                             == matched["line_store"].astype(str))
    hit = np.unique(matched.loc[inside & store_ok, "position"].to_numpy())
    values = flag.to_numpy().copy()
    values[hit] = True
    return pd.Series(values, index=lines.index)


def customer_responsiveness(lines: pd.DataFrame, promotions: pd.DataFrame | None = None,
                            items: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per customer (known customers' purchase lines): lines, promo_lines, promo_share (of
    lines), revenue, promo_revenue, promo_revenue_share and deal_seeker. Lines not sold
    (cancelled, unpaid, ...: ``data.order_status``) are left out."""
    lines = sold_lines(lines)
    bought = lines[lines["customer_id"].notna() & (lines["quantity"] > 0)]
    promo = on_promotion(bought, promotions, items)
    revenue = bought["quantity"] * bought["unit_price"].fillna(0.0)
    frame = pd.DataFrame({"customer_id": bought["customer_id"].astype(str), "lines": 1.0,
                          "promo_lines": promo.astype(float), "revenue": revenue,
                          "promo_revenue": revenue.where(promo, 0.0)})
    out = frame.groupby("customer_id").sum()
    out["promo_share"] = out["promo_lines"] / out["lines"]
    out["promo_revenue_share"] = (out["promo_revenue"] / out["revenue"]).where(
        out["revenue"] > 0, 0.0)
    out["deal_seeker"] = out["promo_share"] >= DEAL_SEEKER_SHARE
    return out.reset_index()


def segment_responsiveness(per_customer: pd.DataFrame, segments: pd.DataFrame) -> pd.DataFrame:
    """Per segment: customers, lines, promo_lines, promo_share (pooled lines), mean customer
    promo share, promo_revenue_share, share of deal seekers, and ``index`` = the segment's
    promo share / the shop's (above 1: buys on promotion more than the average customer)."""
    joined = per_customer.merge(segments[["customer_id", "segment"]], on="customer_id")
    grouped = joined.groupby("segment")
    out = grouped.agg(customers=("customer_id", "count"), lines=("lines", "sum"),
                      promo_lines=("promo_lines", "sum"), revenue=("revenue", "sum"),
                      promo_revenue=("promo_revenue", "sum"),
                      mean_customer_promo_share=("promo_share", "mean"),
                      deal_seekers=("deal_seeker", "mean"))
    out["promo_share"] = out["promo_lines"] / out["lines"]
    out["promo_revenue_share"] = (out["promo_revenue"] / out["revenue"]).where(
        out["revenue"] > 0, 0.0)
    shop = joined["promo_lines"].sum() / max(joined["lines"].sum(), 1.0)
    out["index"] = out["promo_share"] / shop if shop > 0 else np.nan
    return out.reset_index()
