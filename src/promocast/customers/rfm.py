"""RFM: recency, frequency and monetary scores (1-5) and the named segments shops act on.

Scores are quintiles of the customers' ranks, with ties sharing one score (a shop where half the
customers bought once must not split them into "frequency 1" and "frequency 2" by file order):
score = ceil(5 x average percentile rank). Recency scores the other way round: 5 = bought most
recently. Segments follow the widely used recency x frequency grid (Putler / the "RFM
segmentation" map used across retail analytics), so the names mean what marketers expect:

* R 5: F 1 new, F 2-3 potential loyalist, F 4-5 champions
* R 4: F 1 promising, F 2-3 potential loyalist, F 4-5 loyal
* R 3: F 1-2 about to sleep, F 3 need attention, F 4-5 loyal
* R 1-2: F 1-2 hibernating, F 3-4 at risk, F 5 can't lose them
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from promocast.customers.orders import net_share, refunds_by_customer

SEGMENT_ORDER = ("champions", "loyal", "potential loyalist", "new", "promising",
                 "need attention", "about to sleep", "at risk", "can't lose them", "hibernating")
"""Best to worst: the order segment tables are shown in."""


def customer_summary(purchases: pd.DataFrame, as_of: pd.Timestamp,
                     returns: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per customer, from purchases before ``as_of``: first and last purchase, recency_days
    (days from the last purchase to ``as_of``), frequency (purchase orders: a return is no
    order placed), monetary (revenue net of the customer's returns before ``as_of``, never
    below 0; ``returned``: the money given back), average order value (net monetary /
    frequency) and tenure_days (days since the first purchase).

    ``returns``: ``customers.orders.RETURN_COLUMNS`` rows; without them monetary is gross.
    A customer who bought 1,000 and returned 900 spent 100, not 1,000."""
    seen = purchases[purchases["timestamp"] < as_of]
    grouped = seen.groupby("customer_id", sort=True)
    summary = grouped.agg(first_purchase=("timestamp", "min"), last_purchase=("timestamp", "max"),
                          frequency=("order_id", "count"), monetary=("revenue", "sum"))
    gross = summary["monetary"].astype(float)
    summary["monetary"] = gross * net_share(gross, refunds_by_customer(returns, as_of))
    summary["returned"] = gross - summary["monetary"]
    summary["recency_days"] = (as_of - summary["last_purchase"]).dt.total_seconds() / 86400.0
    summary["tenure_days"] = (as_of - summary["first_purchase"]).dt.total_seconds() / 86400.0
    summary["avg_order_value"] = summary["monetary"] / summary["frequency"]
    return summary.reset_index()


def quintile_score(values: pd.Series, *, higher_is_better: bool = True, bins: int = 5
                   ) -> pd.Series:
    """1..bins by percentile rank; equal values get the same score."""
    ranked = (values if higher_is_better else -values).rank(method="average", pct=True)
    return np.ceil(ranked * bins).clip(1, bins).astype(int)


def segment_of(recency_score: int, frequency_score: int) -> str:
    """The named segment of one (R, F) cell of the grid in the module docstring."""
    r, f = int(recency_score), int(frequency_score)
    if r <= 2:
        return "hibernating" if f <= 2 else ("at risk" if f <= 4 else "can't lose them")
    if r == 3:
        return "about to sleep" if f <= 2 else ("need attention" if f == 3 else "loyal")
    if f >= 4:
        return "champions" if r == 5 else "loyal"
    if f >= 2:
        return "potential loyalist"
    return "new" if r == 5 else "promising"


def rfm_table(summary: pd.DataFrame) -> pd.DataFrame:
    """``customer_summary`` plus r_score, f_score, m_score, rfm ("545") and segment."""
    table = summary.copy()
    table["r_score"] = quintile_score(table["recency_days"], higher_is_better=False)
    table["f_score"] = quintile_score(table["frequency"])
    table["m_score"] = quintile_score(table["monetary"])
    table["rfm"] = (table["r_score"].astype(str) + table["f_score"].astype(str)
                    + table["m_score"].astype(str))
    table["segment"] = [segment_of(r, f) for r, f in zip(table["r_score"], table["f_score"],
                                                        strict=True)]
    return table


def segment_report(table: pd.DataFrame) -> pd.DataFrame:
    """Per segment (best first): customers, revenue, revenue share, mean recency, frequency
    and monetary value."""
    total = float(table["monetary"].sum()) or 1.0
    report = table.groupby("segment").agg(
        customers=("customer_id", "count"), revenue=("monetary", "sum"),
        mean_recency_days=("recency_days", "mean"), mean_frequency=("frequency", "mean"),
        mean_monetary=("monetary", "mean"))
    report["revenue_share"] = report["revenue"] / total
    report["customer_share"] = report["customers"] / max(len(table), 1)
    order = {name: i for i, name in enumerate(SEGMENT_ORDER)}
    report = report.reset_index()
    report = report.iloc[report["segment"].map(order).argsort(kind="stable")]
    return report.reset_index(drop=True)
