"""Order statuses that mean the sale did not happen, declared once.

Shop exports carry an order status (Shopify ``financial_status``, WooCommerce ``status``,
淘宝 / 天猫 ``订单状态``). An order that was cancelled, refunded, voided, never paid or closed
without payment is no sale: such lines stay in the store (they are what the shop exported) but
are left out of the sales derived from orders and of every customer analysis (RFM, lifetime
value, propensity, recommendations, target lists). Every other status, and an empty one, counts.

A status is compared after ``normalise_status``: Unicode NFKC (full-width letters and the
ideographic space become ASCII), lower case, runs of spaces, ``_`` and ``-`` read as one space,
trimmed, and WooCommerce's ``wc-`` prefix dropped; so ``Cancelled``, `` CANCELLED ``,
``wc-cancelled`` and ``pending_payment`` / ``Pending Payment`` match. The match is exact after
that: ``交易关闭`` is in the set, ``交易关闭(退款)`` is not (add it here when a shop needs it).

Deliberately counted (a sale happened, or may still): ``paid``, ``partially refunded`` (the
refunded lines, when exported, are negative quantities), ``authorized``, ``on hold`` (as
WooCommerce Analytics counts it), ``processing``, ``completed``, ``shipped``, and a bare
``closed``: Shopify closes (archives) fulfilled orders, so in English "closed" is a finished
sale; the Chinese 交易关闭 / 已关闭 is a trade closed without success and is left out.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd

NOT_SOLD: dict[str, str] = {
    # cancelled
    "cancelled": "cancelled", "canceled": "cancelled", "cancel": "cancelled",
    "order cancelled": "cancelled", "order canceled": "cancelled", "trash": "cancelled",
    "已取消": "cancelled", "取消": "cancelled", "订单取消": "cancelled", "交易取消": "cancelled",
    "已撤销": "cancelled",
    # voided
    "voided": "voided", "void": "voided", "已作废": "voided", "作废": "voided",
    # refunded / returned whole
    "refunded": "refunded", "fully refunded": "refunded", "refund": "refunded",
    "returned": "refunded", "退款成功": "refunded", "已退款": "refunded", "全额退款": "refunded",
    "退款完成": "refunded", "已退货": "refunded", "退货成功": "refunded", "退货完成": "refunded",
    # payment failed
    "failed": "failed", "payment failed": "failed", "declined": "failed",
    "payment declined": "failed", "expired": "failed", "付款失败": "failed", "支付失败": "failed",
    # never paid
    "unpaid": "unpaid", "not paid": "unpaid", "pending": "unpaid", "pending payment": "unpaid",
    "payment pending": "unpaid", "awaiting payment": "unpaid", "pay pending": "unpaid",
    "wait buyer pay": "unpaid", "trade no create pay": "unpaid", "draft": "unpaid",
    "checkout draft": "unpaid", "abandoned": "unpaid", "待付款": "unpaid", "等待付款": "unpaid",
    "等待买家付款": "unpaid", "未付款": "unpaid", "待支付": "unpaid", "未支付": "unpaid",
    # closed without a sale
    "closed without payment": "closed", "trade closed": "closed",
    "trade closed by taobao": "closed", "交易关闭": "closed", "已关闭": "closed",
    "订单关闭": "closed",
}
"""Normalised status -> why the sale did not happen (cancelled, voided, refunded, failed,
unpaid, closed). English statuses of Shopify (``financial_status``: refunded, voided, expired,
pending), WooCommerce (pending, failed, cancelled, refunded, checkout-draft, trash) and Taobao's
API (TRADE_CLOSED, TRADE_CLOSED_BY_TAOBAO, WAIT_BUYER_PAY, TRADE_NO_CREATE_PAY, PAY_PENDING);
Chinese statuses of 淘宝 / 天猫 / 京东 / 拼多多 back-end exports."""

REASONS: tuple[str, ...] = ("cancelled", "voided", "refunded", "failed", "unpaid", "closed")

_SEPARATORS = re.compile(r"[\s_\-]+")


def normalise_status(value: object) -> str:
    """The form a status is compared in (module docstring); "" for a missing value."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return ""
    text = _SEPARATORS.sub(" ", unicodedata.normalize("NFKC", str(value)).lower()).strip()
    return text.removeprefix("wc ")


def not_sold_reason(value: object) -> str | None:
    """Why an order with this status is no sale (a ``REASONS`` word), or None when it counts."""
    return NOT_SOLD.get(normalise_status(value))


def is_not_sold(value: object) -> bool:
    """True when an order with this status is no sale (cancelled, refunded, unpaid, ...)."""
    return not_sold_reason(value) is not None


def not_sold_mask(lines: pd.DataFrame) -> np.ndarray:
    """Per order line: True when its ``status`` says the sale did not happen; all False when
    the frame has no ``status`` column. Each distinct status is classified once."""
    if "status" not in lines:
        return np.zeros(len(lines), dtype=bool)
    codes, values = pd.factorize(lines["status"], use_na_sentinel=True)
    dropped = np.array([is_not_sold(v) for v in values], dtype=bool)
    return np.append(dropped, False)[codes]  # code -1 (missing) takes the appended False


def sold_lines(lines: pd.DataFrame) -> pd.DataFrame:
    """The order lines that count (every line when there is no ``status`` column)."""
    mask = not_sold_mask(lines)
    return lines[~mask] if mask.any() else lines
