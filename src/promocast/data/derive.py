"""Sales derived from order lines, for shops that export orders only (DESIGN §2: "sales can be
derived from orders when only orders exist")."""

from __future__ import annotations

import numpy as np
import pandas as pd

from promocast.data.order_status import sold_lines


def sales_from_orders(orders: pd.DataFrame, zeros: bool = False) -> pd.DataFrame:
    """Daily sales per item and store from canonical order lines.

    ``units``: the sum of the **positive** quantities (cancellations and returns are negative
    lines: returns of earlier sales, not demand; they stay in orders). Lines whose ``status``
    says the sale did not happen (cancelled, refunded, unpaid, ...: ``data.order_status``) are
    no sales at all and are left out whole. ``price``: revenue /
    units over the day's positive lines with a positive unit price (free and adjustment lines
    do not set a price), empty when there is none. ``on_promo``: 1 when a line of the day
    carried a discount. ``base_price`` is left empty: the regular price is the features'
    business (the usual price of the series).

    ``zeros``: a day without an order of an item is a day it sold nothing: every item gets a
    row (0 units, no price) for each day from its first order to its store's last one.
    Without them the days would read as missing (unobserved), and a slow seller's forecast
    would learn from its selling days only."""
    orders = sold_lines(orders)
    sold = orders[orders["quantity"] > 0]
    price = (pd.to_numeric(sold["unit_price"], errors="coerce") if "unit_price" in sold
             else pd.Series(np.nan, index=sold.index))
    priced = price > 0
    discount = (pd.to_numeric(sold["discount"], errors="coerce").fillna(0.0)
                if "discount" in sold else pd.Series(0.0, index=sold.index))
    store = (sold["store_id"].fillna("all").astype(str) if "store_id" in sold
             else pd.Series("all", index=sold.index))
    lines = pd.DataFrame({
        "date": pd.to_datetime(sold["timestamp"]).dt.normalize(),
        "item_id": sold["item_id"].astype(str),
        "store_id": store,
        "units": sold["quantity"].astype("float64"),
        "priced_units": sold["quantity"].where(priced, 0.0),
        "revenue": (sold["quantity"] * price).where(priced, 0.0),
        "on_promo": (discount > 0).astype("float64"),
    })
    daily = lines.groupby(["date", "item_id", "store_id"], sort=True).agg(
        units=("units", "sum"), priced_units=("priced_units", "sum"),
        revenue=("revenue", "sum"), on_promo=("on_promo", "max")).reset_index()
    if zeros and len(daily):
        ends = daily.groupby("store_id")["date"].max()
        firsts = daily.groupby(["item_id", "store_id"], sort=True)["date"].min().reset_index()
        grid = pd.concat([
            pd.DataFrame({"date": pd.date_range(first, ends[store], freq="D"),
                          "item_id": item, "store_id": store})
            for item, store, first in zip(firsts["item_id"], firsts["store_id"],
                                          firsts["date"], strict=True)], ignore_index=True)
        daily = grid.merge(daily, on=["date", "item_id", "store_id"], how="left")
        daily[["units", "on_promo"]] = daily[["units", "on_promo"]].fillna(0.0)
    return pd.DataFrame({
        "date": daily["date"].astype("datetime64[ns]"),
        "item_id": daily["item_id"].astype(object),
        "store_id": daily["store_id"].astype(object),
        "units": daily["units"].astype("float64"),
        "price": (daily["revenue"] / daily["priced_units"]).where(daily["priced_units"] > 0
                                                                 ).astype("float64"),
        "base_price": np.nan,
        "on_promo": daily["on_promo"].astype("float64"),
        "promo_id": None,
    })
