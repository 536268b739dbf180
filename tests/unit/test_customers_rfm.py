"""RFM scores and segments on hand-made purchases; order lines -> purchases."""

from __future__ import annotations

import pandas as pd
import pytest

from promocast.customers.orders import purchases_from_lines
from promocast.customers.rfm import (
    SEGMENT_ORDER,
    customer_summary,
    quintile_score,
    rfm_table,
    segment_of,
    segment_report,
)

AS_OF = pd.Timestamp("2024-07-01")


@pytest.mark.parametrize(("r", "f", "segment"), [
    (5, 5, "champions"), (5, 4, "champions"), (4, 5, "loyal"), (3, 4, "loyal"),
    (5, 1, "new"), (4, 1, "promising"), (5, 2, "potential loyalist"), (4, 3, "potential loyalist"),
    (3, 3, "need attention"), (3, 1, "about to sleep"), (3, 2, "about to sleep"),
    (2, 3, "at risk"), (1, 4, "at risk"), (1, 5, "can't lose them"), (2, 5, "can't lose them"),
    (1, 1, "hibernating"), (2, 2, "hibernating"),
])
def test_segment_grid(r: int, f: int, segment: str) -> None:
    assert segment_of(r, f) == segment


def test_every_cell_of_the_grid_has_a_known_segment() -> None:
    cells = {segment_of(r, f) for r in range(1, 6) for f in range(1, 6)}
    assert cells == set(SEGMENT_ORDER)


def test_quintiles_give_ties_one_score() -> None:
    values = pd.Series([1, 1, 1, 1, 1, 1, 2, 3, 4, 10])
    scores = quintile_score(values)
    assert scores.iloc[:6].nunique() == 1  # six one-off buyers share a score
    assert scores.iloc[-1] == 5
    assert list(quintile_score(pd.Series([5.0, 1.0, 3.0, 2.0, 4.0]), higher_is_better=False)) \
        == [1, 5, 3, 4, 2]


def _purchases() -> pd.DataFrame:
    """Five customers with known recency / frequency / money at AS_OF."""
    rows = []
    plan = {"A": (2, 8, 100.0), "B": (5, 1, 40.0), "C": (200, 6, 80.0), "D": (300, 1, 10.0),
            "E": (60, 3, 50.0)}
    for customer, (days_ago, n, value) in plan.items():
        for k in range(n):
            rows.append({"customer_id": customer, "order_id": f"{customer}{k}",
                         "timestamp": AS_OF - pd.Timedelta(days=days_ago + 10 * k),
                         "revenue": value, "units": 1.0, "lines": 1.0, "discount": 0.0})
    rows.append({"customer_id": "A", "order_id": "late", "timestamp": AS_OF, "revenue": 1e6,
                 "units": 1.0, "lines": 1.0, "discount": 0.0})  # on the reference day: ignored
    return pd.DataFrame(rows)


def test_summary_scores_and_segments() -> None:
    summary = customer_summary(_purchases(), AS_OF).set_index("customer_id")
    assert summary.loc["A", "frequency"] == 8
    assert summary.loc["A", "monetary"] == pytest.approx(800.0)
    assert summary.loc["A", "recency_days"] == pytest.approx(2.0)
    assert summary.loc["D", "tenure_days"] == pytest.approx(300.0)
    table = rfm_table(summary.reset_index()).set_index("customer_id")
    assert table.loc["A", "segment"] == "champions"
    assert table.loc["B", "f_score"] == table.loc["D", "f_score"]  # both bought once
    assert table.loc["B", "r_score"] == 4 and table.loc["B", "segment"] == "potential loyalist"
    assert table.loc["D", "segment"] == "hibernating"
    assert table.loc["C", "segment"] in ("at risk", "can't lose them")
    assert table.loc["A", "rfm"] == "555"


def test_segment_report_adds_up() -> None:
    table = rfm_table(customer_summary(_purchases(), AS_OF))
    report = segment_report(table)
    assert report["customers"].sum() == 5
    assert report["revenue"].sum() == pytest.approx(table["monetary"].sum())
    assert report["revenue_share"].sum() == pytest.approx(1.0)
    order = [SEGMENT_ORDER.index(s) for s in report["segment"]]
    assert order == sorted(order)


def test_purchases_from_lines_drop_guests_returns_and_free_lines() -> None:
    lines = pd.DataFrame({
        "order_id": ["1", "1", "2", "C3", "4", "5"],
        "customer_id": ["a", "a", None, "a", "b", "b"],
        "timestamp": pd.to_datetime(["2024-01-01 10:00", "2024-01-01 10:00", "2024-01-02 00:00",
                                     "2024-01-03 00:00", "2024-01-04 00:00", "2024-01-05 00:00"]),
        "item_id": ["x", "y", "x", "x", "z", "z"],
        "quantity": [2.0, 1.0, 5.0, -2.0, 3.0, 1.0],
        "unit_price": [1.5, 4.0, 1.0, 1.5, 2.0, 0.0],
        "discount": [0.5, None, 0.0, 0.0, 0.0, 0.0],
    })
    out = purchases_from_lines(lines).set_index("order_id")
    assert list(out.index) == ["1", "4"]  # guest order, return and free-only order dropped
    assert out.loc["1", "revenue"] == pytest.approx(7.0)
    assert out.loc["1", "lines"] == 2
    assert out.loc["1", "discount"] == pytest.approx(0.5)
    assert out.loc["4", "units"] == 3
