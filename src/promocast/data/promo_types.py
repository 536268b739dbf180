"""The words shops use for a promotion's mechanism, mapped onto ``PROMO_TYPES`` (DESIGN §2).

Matched after lower-casing and joining spaces and dashes with "_". Besides the fixed words,
multi-buy deals written with their numbers are ``bundle``: 第二件半价, 第二件8折 (the second
piece at a price), 买一送一 / 买2送1 (the same item free with a purchase), 2件8折 (a price for
several pieces). promocast's ``bundle`` is a basket deal: the shelf price of one piece stays,
its lift is estimated from the sales, and its ``discount_pct`` is the share of the regular
price the buyer gets back on every piece (``promotions.simulate``: costed like a threshold).
So 第二件半价 is discount_pct 25 (two pieces for 1.5 prices), 买一送一 50, 第二件8折 10: a
deal without a discount_pct gets the one its words state (``implied_depth``), with a note.
A free gift of another product is ``gift`` (赠品, 买赠, 满赠).
"""

from __future__ import annotations

import re

import pandas as pd

from promocast.data.schema import PROMO_TYPES

PROMO_TYPE_SYNONYMS = {
    "满减": "threshold", "满额减": "threshold", "每满减": "threshold",
    "spend_save": "threshold", "spend_x_save_y": "threshold",
    "折扣": "percent_off", "打折": "percent_off", "discount": "percent_off", "percent": "percent_off",
    "直降": "amount_off", "立减": "amount_off", "coupon": "amount_off", "优惠券": "amount_off",
    "赠品": "gift", "买赠": "gift", "满赠": "gift", "gift_with_purchase": "gift",
    "秒杀": "flash_sale", "限时秒杀": "flash_sale", "限时抢购": "flash_sale", "闪购": "flash_sale",
    "flash": "flash_sale",
    "套装": "bundle", "组合": "bundle", "组合装": "bundle", "多件多折": "bundle", "bogo": "bundle",
    "陈列": "feature_display", "重点陈列": "feature_display", "首页推荐": "feature_display",
    "首页推荐/陈列": "feature_display", "feature": "feature_display", "display": "feature_display",
}
"""Fixed words (English aliases and the Chinese of back-ends and of promocast's own wording:
``advice_text.MECHANISM_ZH``, the web's ``mechanism.*`` labels)."""

_NUMBER = r"[0-9一二两三四五六七八九十.点]+"
BUNDLE_PATTERNS = (
    re.compile(r"第[二2两]件.+"),  # 第二件半价, 第二件8折, 第2件0元
    re.compile(rf"买{_NUMBER}送{_NUMBER}"),  # 买一送一, 买2送1
    re.compile(rf"{_NUMBER}件{_NUMBER}折"),  # 2件8折, 两件八折
)
"""Multi-buy deals written with their numbers (``bundle``)."""
BUNDLE_EXAMPLES = "第二件半价, 第二件N折, 买一送一, 买N送M, N件N折"


def normalise(kinds: pd.Series) -> pd.Series:
    """Each promo_type cell as its canonical type; unknown words are kept (lower-cased) for
    the refusal to show."""
    keys = kinds.str.lower().str.strip().str.replace(r"[\s\-]+", "_", regex=True)
    return keys.map(canonical, na_action="ignore")


def canonical(word: str) -> str:
    """One normalised word as its canonical type, or itself when unknown."""
    if word in PROMO_TYPE_SYNONYMS:
        return PROMO_TYPE_SYNONYMS[word]
    if any(pattern.fullmatch(word) for pattern in BUNDLE_PATTERNS):
        return "bundle"
    return word


def accepted_words() -> str:
    """The refusal's list: each type with the Chinese words read as it."""
    parts = []
    for kind in PROMO_TYPES:
        words = [w for w, k in PROMO_TYPE_SYNONYMS.items() if k == kind and not w.isascii()]
        if kind == "bundle":
            words.append(BUNDLE_EXAMPLES)
        parts.append(f"{kind} ({', '.join(words)})" if words else kind)
    return "; ".join(parts)


_CN_DIGITS = str.maketrans({"一": "1", "二": "2", "两": "2", "三": "3", "四": "4", "五": "5",
                            "六": "6", "七": "7", "八": "8", "九": "9", "零": "0", "点": "."})


def _paid(zhe: str) -> float | None:
    """The percent paid of a 折 number: 8 or 8.5 tenths, 85 itself (``data.percentages``)."""
    try:
        value = float(zhe)
    except ValueError:
        return None
    pay = value * 10 if value < 10 else value
    return pay if 0 <= pay < 100 and value != 10 else None


def implied_depth(word: str) -> float | None:
    """The ``discount_pct`` a multi-buy deal's words state, as ``bundle`` costs it (the share
    of the regular price given back on every piece, a buyer taking the deal whole): 第二件半价
    25, 第二件8折 10, 第二件0元 50, 买一送一 50, 买2送1 33.3, 2件8折 20. None for other words."""
    text = re.sub(r"\s+", "", str(word)).translate(_CN_DIGITS)
    if match := re.fullmatch(r"第2件(.+)", text):
        rest = match.group(1)
        if rest == "半价":
            return 25.0
        if rest in ("0元", "免费"):
            return 50.0
        if zhe := re.fullmatch(r"([0-9.]+)折", rest):
            pay = _paid(zhe.group(1))
            return None if pay is None else round((100 - pay) / 2, 4)
        return None
    if match := re.fullmatch(r"买([0-9]+)送([0-9]+)", text):
        bought, free = int(match.group(1)), int(match.group(2))
        return round(100 * free / (bought + free), 4) if bought + free else None
    if match := re.fullmatch(r"([0-9]+)件([0-9.]+)折", text):
        pay = _paid(match.group(2))
        return None if pay is None else round(100 - pay, 4)
    return None


def fill_implied_depths(words: pd.Series, depth: pd.Series) -> tuple[pd.Series, int]:
    """``depth`` with its empty cells filled from the deal's words where they state one
    (``implied_depth``), and how many were filled."""
    empty = depth.isna() & words.notna()
    if not empty.any():
        return depth, 0
    implied = words[empty].astype(object).map(implied_depth).astype("float64")
    filled = depth.copy()
    filled[empty] = implied
    return filled, int(implied.notna().sum())
