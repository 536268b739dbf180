"""Order statuses that mean no sale (cancelled, refunded, unpaid, ...) and returns: left out of
derived sales and customer analyses, with exact numbers on hand-made order lines."""

from __future__ import annotations

import pandas as pd
import pytest

from promocast.customers.clv import clv_summary
from promocast.customers.orders import purchases_from_lines, returns_from_lines
from promocast.customers.recommend import bought_together, purchase_days
from promocast.customers.response import customer_responsiveness
from promocast.customers.rfm import customer_summary
from promocast.data.derive import sales_from_orders
from promocast.data.order_status import (
    NOT_SOLD,
    REASONS,
    is_not_sold,
    normalise_status,
    not_sold_mask,
    not_sold_reason,
)
from promocast.data.quality import not_sold_orders


@pytest.mark.parametrize(("status", "reason"), [
    ("cancelled", "cancelled"), ("Canceled", "cancelled"), ("  CANCELLED \t", "cancelled"),
    ("wc-cancelled", "cancelled"), ("refunded", "refunded"), ("Voided", "voided"),
    ("failed", "failed"), ("expired", "failed"), ("pending", "unpaid"),
    ("Pending Payment", "unpaid"), ("pending_payment", "unpaid"), ("pending-payment", "unpaid"),
    ("WAIT_BUYER_PAY", "unpaid"), ("TRADE_CLOSED_BY_TAOBAO", "closed"),
    ("已取消", "cancelled"), ("交易关闭", "closed"), ("退款成功", "refunded"),
    ("已退款", "refunded"), ("待付款", "unpaid"), ("\u3000已取消\u3000", "cancelled"),
    ("ＣＡＮＣＥＬＬＥＤ", "cancelled"),  # full-width letters (NFKC)
])
def test_statuses_that_mean_no_sale(status: str, reason: str) -> None:
    assert not_sold_reason(status) == reason
    assert is_not_sold(status)


@pytest.mark.parametrize("status", [
    "paid", "Paid", "completed", "processing", "shipped", "partially_refunded", "authorized",
    "on-hold", "closed", "交易成功", "已发货", "", None, float("nan"), pd.NA,
    "交易关闭(退款)",  # exact after normalising: not in the set
])
def test_every_other_status_counts(status: object) -> None:
    assert not is_not_sold(status)


def test_the_set_is_normalised_and_every_reason_is_known() -> None:
    assert all(normalise_status(s) == s for s in NOT_SOLD)
    assert set(NOT_SOLD.values()) == set(REASONS)
    assert normalise_status(" Pending__Payment ") == "pending payment"


def test_mask_without_a_status_column_keeps_every_line() -> None:
    lines = pd.DataFrame({"quantity": [1, 2]})
    assert not not_sold_mask(lines).any()
    mask = not_sold_mask(pd.DataFrame({"status": ["paid", None, "Cancelled", "cancelled"]}))
    assert mask.tolist() == [False, False, True, True]


def _lines() -> pd.DataFrame:
    """C1 buys 1,000 and returns 900 (a UCI-style ``C`` invoice); C2 buys 300 once; C3's only
    order was cancelled; C2's unpaid order and C1's refunded order never happened."""
    rows = [
        # order, customer, timestamp, item, quantity, unit_price, status
        ("O1", "C1", "2024-03-01 10:00", "A", 10, 100.0, "paid"),
        ("C9", "C1", "2024-03-05 10:00", "A", -9, 100.0, None),  # the return, no status
        ("O2", "C1", "2024-03-03 10:00", "B", 1, 50.0, "Refunded"),
        ("O3", "C2", "2024-03-02 10:00", "A", 3, 100.0, "completed"),
        ("O4", "C2", "2024-03-04 10:00", "B", 5, 50.0, "pending payment"),
        ("O5", "C3", "2024-03-04 11:00", "B", 2, 50.0, "已取消"),
        ("O6", None, "2024-03-04 12:00", "A", 1, 100.0, "paid"),  # a guest
    ]
    frame = pd.DataFrame(rows, columns=["order_id", "customer_id", "timestamp", "item_id",
                                        "quantity", "unit_price", "status"])
    frame["timestamp"] = pd.to_datetime(frame["timestamp"])
    frame["discount"] = 0.0
    frame["store_id"] = "all"
    return frame


def test_derived_sales_leave_out_orders_not_sold() -> None:
    sales = sales_from_orders(_lines()).set_index(["date", "item_id"])["units"]
    # A: 10 on the 1st, 3 on the 2nd, 1 (guest) on the 4th; the return is no demand
    # B: nothing at all (refunded, unpaid and cancelled orders)
    assert sales.to_dict() == {(pd.Timestamp("2024-03-01"), "A"): 10.0,
                               (pd.Timestamp("2024-03-02"), "A"): 3.0,
                               (pd.Timestamp("2024-03-04"), "A"): 1.0}
    # without the status column the same lines counted B's 1 + 5 + 2 units
    assert sales_from_orders(_lines().drop(columns="status"))["units"].sum() == 22.0


def test_purchases_and_returns_leave_out_orders_not_sold() -> None:
    purchases = purchases_from_lines(_lines())
    assert purchases[["customer_id", "order_id", "revenue"]].values.tolist() == [
        ["C1", "O1", 1000.0], ["C2", "O3", 300.0]]
    returns = returns_from_lines(_lines())
    assert returns[["customer_id", "order_id", "refund"]].values.tolist() == [["C1", "C9", 900.0]]


def test_rfm_monetary_is_net_of_returns_and_frequency_counts_purchases() -> None:
    lines = _lines()
    as_of = pd.Timestamp("2024-03-10")
    summary = customer_summary(purchases_from_lines(lines), as_of,
                               returns=returns_from_lines(lines)).set_index("customer_id")
    assert list(summary.index) == ["C1", "C2"]  # C3 bought nothing that counts
    assert summary.loc["C1", "frequency"] == 1  # the return and the refunded order are no orders
    assert summary.loc["C1", "monetary"] == pytest.approx(100.0)  # 1,000 bought, 900 returned
    assert summary.loc["C1", "returned"] == pytest.approx(900.0)
    assert summary.loc["C1", "avg_order_value"] == pytest.approx(100.0)
    assert summary.loc["C2", "monetary"] == pytest.approx(300.0)  # the unpaid order is no spend
    assert summary.loc["C2", "returned"] == 0.0
    # a return after the reference date is not known there; gross without returns
    early = customer_summary(purchases_from_lines(lines), pd.Timestamp("2024-03-04"),
                             returns=returns_from_lines(lines)).set_index("customer_id")
    assert early.loc["C1", "monetary"] == pytest.approx(1000.0)
    gross = customer_summary(purchases_from_lines(lines), as_of).set_index("customer_id")
    assert gross.loc["C1", "monetary"] == pytest.approx(1000.0)


def test_monetary_never_goes_below_zero() -> None:
    purchases = pd.DataFrame({"customer_id": ["C1"], "order_id": ["O1"], "revenue": [100.0],
                              "timestamp": [pd.Timestamp("2024-03-01")]})
    returns = pd.DataFrame({"customer_id": ["C1", "C1"], "order_id": ["R1", "R2"],
                            "timestamp": pd.to_datetime(["2024-03-02", "2024-03-03"]),
                            "refund": [80.0, 70.0]})  # returns of goods bought before the data
    summary = customer_summary(purchases, pd.Timestamp("2024-04-01"), returns=returns)
    assert summary["monetary"].tolist() == [0.0] and summary["returned"].tolist() == [100.0]


def test_clv_spend_is_net_of_returns() -> None:
    ts = pd.to_datetime(["2024-01-01", "2024-01-11", "2024-01-21", "2024-01-05", "2024-01-15"])
    purchases = pd.DataFrame({"customer_id": ["a", "a", "a", "b", "b"],
                              "order_id": list("12345"), "timestamp": ts,
                              "revenue": [100.0, 200.0, 300.0, 40.0, 60.0]})
    returns = pd.DataFrame({"customer_id": ["a"], "order_id": ["R"], "refund": [450.0],
                            "timestamp": [pd.Timestamp("2024-01-25")]})
    as_of = pd.Timestamp("2024-01-31")
    gross = clv_summary(purchases, as_of).set_index("customer_id")
    net = clv_summary(purchases, as_of, returns=returns).set_index("customer_id")
    assert gross.loc["a", "monetary_value"] == pytest.approx(250.0)  # (200 + 300) / 2 repeats
    # a paid 600 and kept 150: a quarter of each purchase day's spend
    assert net.loc["a", "monetary_value"] == pytest.approx(62.5)
    assert net.loc["a", "frequency"] == gross.loc["a", "frequency"] == 2
    assert net.loc["b", "monetary_value"] == pytest.approx(60.0)  # no returns: unchanged


def test_recommendations_and_responsiveness_leave_out_orders_not_sold() -> None:
    lines = _lines()
    days = purchase_days(lines)
    assert sorted(map(tuple, days[["customer_id", "item_id"]].values)) == [("C1", "A"),
                                                                           ("C2", "A")]
    assert customer_responsiveness(lines)["lines"].tolist() == [1.0, 1.0]
    basket = pd.DataFrame({"order_id": ["X", "X", "V", "V", "Y", "Y", "Z"],
                           "item_id": ["A", "B", "A", "B", "A", "B", "C"], "quantity": 1,
                           "status": ["paid"] * 4 + ["cancelled"] * 2 + ["paid"]})
    pair = bought_together(basket, min_orders=2).iloc[0]
    assert (pair["item_a"], pair["item_b"], pair["orders"]) == ("A", "B", 2)  # Y never happened
    assert pair["lift"] == pytest.approx(1.5)  # P(B | A) 1 over P(B) 2/3
    assert bought_together(basket.drop(columns="status"), min_orders=2).iloc[0]["orders"] == 3


def test_not_sold_warning_counts_lines_orders_and_reasons() -> None:
    warning = not_sold_orders(_lines())
    assert warning == {"kind": "not_sold_orders", "count": 3, "orders": 3,
                       "reasons": {"cancelled": 1, "refunded": 1, "unpaid": 1},
                       "statuses": {"Refunded": 1, "pending payment": 1, "已取消": 1},
                       "examples": ["order O2 (Refunded)", "order O4 (pending payment)",
                                    "order O5 (已取消)"]}
    assert not_sold_orders(_lines().drop(columns="status"))["count"] == 0
