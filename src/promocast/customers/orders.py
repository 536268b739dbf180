"""Order lines -> purchases: the one conversion every customer analysis starts from.

A *purchase* is an order of a known customer with a positive value: the lines with a positive
quantity and a positive unit price, summed. Guest lines (no ``customer_id``) cannot be tied to a
customer and are left out. Lines with a negative quantity are returns of earlier purchases (UCI's
``C...`` cancellations): they are neither purchases nor money paid, and are left out too.
``services.customers`` builds the same frame with SQL in DuckDB (so the lines never sit in
memory); ``purchases_from_lines`` is the pandas twin for frames already in memory and for tests.
"""

from __future__ import annotations

import pandas as pd

PURCHASE_COLUMNS = ["customer_id", "order_id", "timestamp", "revenue", "units", "lines",
                    "discount"]
"""One row per (customer, order): revenue = sum(quantity x unit_price) over positive lines
(money actually paid), units, lines and discount (money off) over the same lines."""


def line_revenue(lines: pd.DataFrame) -> pd.Series:
    """quantity x unit_price (the price paid); missing prices count as 0."""
    return lines["quantity"] * lines["unit_price"].fillna(0.0)


def purchases_from_lines(lines: pd.DataFrame) -> pd.DataFrame:
    """Order lines (canonical ``orders`` columns) -> one row per purchase, ``PURCHASE_COLUMNS``.

    Orders whose positive lines add up to nothing (returns only, free samples) are dropped:
    they are not a decision to buy."""
    known = lines[lines["customer_id"].notna()]
    bought = (known["quantity"] > 0) & (known["unit_price"].fillna(0.0) > 0)
    discount = known.get("discount", 0.0)
    frame = pd.DataFrame({
        "customer_id": known["customer_id"].astype(str),
        "order_id": known["order_id"].astype(str),
        "timestamp": pd.to_datetime(known["timestamp"]),
        "revenue": line_revenue(known).where(bought, 0.0),
        "units": known["quantity"].where(bought, 0.0),
        "lines": bought.astype(float),
        "discount": pd.Series(discount, index=known.index).fillna(0.0).where(bought, 0.0),
    })
    out = frame.groupby(["customer_id", "order_id"], as_index=False, sort=True).agg(
        timestamp=("timestamp", "min"), revenue=("revenue", "sum"), units=("units", "sum"),
        lines=("lines", "sum"), discount=("discount", "sum"))
    out = out[out["revenue"] > 0]
    return out[PURCHASE_COLUMNS].sort_values(["timestamp", "order_id"]).reset_index(drop=True)


def before(purchases: pd.DataFrame, cutoff: pd.Timestamp) -> pd.DataFrame:
    """Purchases strictly before ``cutoff``: what is known when standing at the cutoff."""
    return purchases[purchases["timestamp"] < cutoff]
