"""UCI Online Retail (a UK online shop's invoice lines, 2010-12-01 .. 2011-12-09).

Layouts read: the Parquet copy in ../shared/data, the original ``Online Retail.xlsx`` or a CSV
with the same columns (InvoiceNo, StockCode, Description, Quantity, InvoiceDate, UnitPrice,
CustomerID, Country).

Conventions: every invoice line is an order line (order_id = InvoiceNo, line = position in the
invoice, store_id ``online``); cancellations ("C..." invoices) keep their negative quantity as
returns; lines without CustomerID are guest orders (customer_id empty). Daily sales per item are
derived from the positive lines only (returns are not negative demand on their day): units = sum
of quantities, price = revenue / units where positive.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

STORE = "online"


def _read(path: Path) -> pd.DataFrame:
    if path.is_dir():
        for pattern in ("*.parquet", "*.xlsx", "*.csv*"):
            hits = sorted(path.glob(pattern))
            if hits:
                path = hits[0]
                break
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    if path.suffix == ".xlsx":
        return pd.read_excel(path, dtype={"InvoiceNo": str, "StockCode": str})
    return pd.read_csv(path, dtype={"InvoiceNo": str, "StockCode": str}, encoding_errors="replace")


def load(path: Path) -> dict[str, pd.DataFrame]:
    raw = _read(path)
    customer = pd.to_numeric(raw["CustomerID"], errors="coerce").astype("Int64").astype("string")
    orders = pd.DataFrame({
        "order_id": raw["InvoiceNo"].astype(str),
        "line": raw.groupby("InvoiceNo", sort=False).cumcount().astype(float) + 1,
        "customer_id": customer,
        "timestamp": pd.to_datetime(raw["InvoiceDate"]),
        "item_id": raw["StockCode"].astype(str).str.strip(),
        "quantity": raw["Quantity"].astype(float),
        "unit_price": raw["UnitPrice"].astype(float),
        "store_id": STORE,
    })
    sold = orders[orders["quantity"] > 0].assign(
        date=orders["timestamp"].dt.normalize(),
        revenue=orders["quantity"] * orders["unit_price"].clip(lower=0))
    daily = sold.groupby(["date", "item_id"], as_index=False).agg(
        units=("quantity", "sum"), revenue=("revenue", "sum"))
    with np.errstate(divide="ignore", invalid="ignore"):
        price = (daily["revenue"] / daily["units"]).round(4)
    sales = pd.DataFrame({"date": daily["date"], "item_id": daily["item_id"], "store_id": STORE,
                          "units": daily["units"], "price": price.where(price > 0)})
    described = raw.assign(item_id=orders["item_id"]).dropna(subset=["Description"])
    names = (described.groupby("item_id")["Description"]
             .agg(lambda d: d.value_counts().index[0]).rename("name").reset_index())
    items = pd.DataFrame({"item_id": orders["item_id"].unique()}).merge(names, on="item_id", how="left")
    stores = pd.DataFrame({"store_id": [STORE], "channel": ["online"], "country": ["GB"]})
    return {"stores": stores, "items": items, "sales": sales, "orders": orders}
