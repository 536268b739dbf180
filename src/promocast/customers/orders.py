"""Order lines -> purchases: the one conversion every customer analysis starts from.

A *purchase* is an order of a known customer with a positive value: the lines with a positive
quantity and a positive unit price, summed. Guest lines (no ``customer_id``) cannot be tied to a
customer and are left out. Lines whose ``status`` says the sale did not happen (cancelled,
refunded, unpaid, ...: ``data.order_status``) are no purchase and no return: left out whole.
Lines with a negative quantity are returns of earlier purchases (UCI's ``C...`` cancellations):
they are neither purchases nor orders placed, so frequency never counts them; their value is a
*return* (``returns_from_lines``) that nets a customer's monetary value and spend
(``rfm.customer_summary``, ``clv.clv_summary``). ``services.customers`` builds the same frames
with SQL in DuckDB (so the lines never sit in memory); the functions here are the pandas twins
for frames already in memory and for tests.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from promocast.data.order_status import sold_lines

PURCHASE_COLUMNS = ["customer_id", "order_id", "timestamp", "revenue", "units", "lines",
                    "discount"]
"""One row per (customer, order): revenue = sum(quantity x unit_price) over positive lines
(money actually paid), units, lines and discount (money off) over the same lines."""

RETURN_COLUMNS = ["customer_id", "order_id", "timestamp", "refund"]
"""One row per (customer, order) with returned lines: refund = sum(-quantity x unit_price) over
its negative lines with a positive unit price (money given back, > 0)."""


def line_revenue(lines: pd.DataFrame) -> pd.Series:
    """quantity x unit_price (the price paid); missing prices count as 0."""
    return lines["quantity"] * lines["unit_price"].fillna(0.0)


def purchases_from_lines(lines: pd.DataFrame) -> pd.DataFrame:
    """Order lines (canonical ``orders`` columns) -> one row per purchase, ``PURCHASE_COLUMNS``.

    Orders whose positive lines add up to nothing (returns only, free samples) are dropped:
    they are not a decision to buy; so are lines whose status says the sale did not happen."""
    lines = sold_lines(lines)
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


def returns_from_lines(lines: pd.DataFrame) -> pd.DataFrame:
    """Order lines -> one row per (customer, order) with returned lines, ``RETURN_COLUMNS``
    (known customers, statuses that count, negative quantities with a positive unit price)."""
    lines = sold_lines(lines)
    returned = lines[lines["customer_id"].notna() & (lines["quantity"] < 0)
                     & (lines["unit_price"].fillna(0.0) > 0)]
    frame = pd.DataFrame({"customer_id": returned["customer_id"].astype(str),
                          "order_id": returned["order_id"].astype(str),
                          "timestamp": pd.to_datetime(returned["timestamp"]),
                          "refund": -line_revenue(returned)})
    out = frame.groupby(["customer_id", "order_id"], as_index=False, sort=True).agg(
        timestamp=("timestamp", "min"), refund=("refund", "sum"))
    return out[RETURN_COLUMNS].sort_values(["timestamp", "order_id"]).reset_index(drop=True)


def refunds_by_customer(returns: pd.DataFrame | None, as_of: pd.Timestamp) -> pd.Series:
    """Money returned per customer strictly before ``as_of`` (a return after it is not known
    standing there); empty when ``returns`` is None."""
    if returns is None or returns.empty:
        return pd.Series(dtype=float)
    seen = returns[returns["timestamp"] < as_of]
    return seen.groupby(seen["customer_id"].astype(str))["refund"].sum().astype(float)


def net_share(gross: pd.Series, refunds: pd.Series) -> pd.Series:
    """Per customer (``gross``'s index): the share of money paid that was kept,
    max(gross - returned, 0) / gross, in [0, 1]; 1 without returns, 0 when nothing was paid."""
    returned = refunds.reindex(gross.index, fill_value=0.0).to_numpy(float)
    paid = gross.to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(paid > 0, np.clip(1.0 - returned / paid, 0.0, 1.0), 0.0)
    return pd.Series(share, index=gross.index)


def before(purchases: pd.DataFrame, cutoff: pd.Timestamp) -> pd.DataFrame:
    """Purchases strictly before ``cutoff``: what is known when standing at the cutoff."""
    return purchases[purchases["timestamp"] < cutoff]
