"""The advice record and its wording: one statement in English and Chinese with the money at
stake (``make_advice`` writes the range and the caveats the same way for every source)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from promocast.promotions.plan_explain import mechanism_zh

MECHANISM_EN = {
    "percent_off": "percent-off discounts",
    "amount_off": "money-off deals",
    "threshold": "spend-and-save (threshold) deals",
    "gift": "gifts",
    "flash_sale": "flash sales",
    "bundle": "bundles",
    "feature_display": "feature / display",
}
MECHANISM_ZH = {kind: mechanism_zh(kind) for kind in MECHANISM_EN}
"""Each mechanism as the dashboard names it (``mechanism.*`` of the web catalogue): one name
for each, in the advice, the plan and the pages."""
UNCERTAIN_EN = (
    " The estimate is too uncertain to promise a gain (its range crosses zero): test it in "
    "one store or a few weeks first."
)
UNCERTAIN_ZH = "估计不确定性过大，无法承诺收益（区间跨越零）：建议先在一家门店或几周内试行。"
INDICATIVE_EN = " The lift estimate carries no interval here: treat this as indicative."
INDICATIVE_ZH = "该销量提升估计没有置信区间：仅供参考。"
MIXED_EN = " Not every item's estimate is firm: treat the total as indicative."
MIXED_ZH = "并非每个商品的估计都可靠：汇总结果仅供参考。"
UNIT_ZH = {"per promotion week": "每个促销周", "per promotion": "每次促销", "per week": "每周"}


@dataclass(frozen=True)
class Advice:
    """One recommendation: who it is about, what to do, why, and the money at stake
    (``expected_gain`` per ``gain_unit``, None when volumes are unknown; ``gain_range`` over
    the estimate's interval). ``confident`` False: the range crosses zero or the effect has
    no interval (the reason says so)."""

    subject_kind: str  # "item" | "category"
    subject: str
    kind: str
    action: str
    reason: str
    action_zh: str
    reason_zh: str
    expected_gain: float | None
    gain_range: tuple[float | None, float | None]
    gain_unit: str
    confident: bool

    def to_json(self) -> dict[str, Any]:
        def money(x: float | None) -> float | None:
            return None if x is None or not np.isfinite(x) else round(float(x), 2)

        return {
            "subject_kind": self.subject_kind,
            "subject": self.subject,
            "kind": self.kind,
            "language": "en",
            "action": self.action,
            "reason": self.reason,
            "expected_gain": money(self.expected_gain),
            "gain_range": [money(self.gain_range[0]), money(self.gain_range[1])],
            "gain_unit": self.gain_unit,
            "confident": self.confident,
            "zh": {
                "action": self.action_zh,
                "reason": self.reason_zh,
                "gain_unit": UNIT_ZH.get(self.gain_unit, self.gain_unit),
            },
        }


def advice_table(advice: list[Advice]) -> pd.DataFrame:
    """The advice as a frame (one row each), e.g. for CSV / Excel export."""
    rows = [a.to_json() for a in advice]
    for r in rows:
        zh = r.pop("zh")
        r["action_zh"], r["reason_zh"] = zh["action"], zh["reason"]
        r["gain_low"], r["gain_high"] = r.pop("gain_range")
    return pd.DataFrame(rows)


def money(x: float) -> str:
    """Money with sign and thousands separators (the shop's currency)."""
    return f"{x:+,.0f}"


def make_advice(
    subject: str,
    subject_kind: str,
    kind: str,
    action: str,
    reason: str,
    action_zh: str,
    reason_zh: str,
    gain: float | None,
    gains: np.ndarray | None,
    unit: str,
    confident: bool,
    *,
    note: tuple[str, str] | None = None,
) -> Advice:
    low = None if gains is None else float(np.min(gains))
    high = None if gains is None else float(np.max(gains))
    if gain is not None and low is not None and high is not None:
        # a "stop" gain is the margin the promotions lost, which stopping saves; said as
        # "expected +10,459 margin per promotion" next to "together -19,663,484" it read as
        # the promotion's own margin (Dominick's OJ)
        stop = kind.startswith("stop_")
        what_en = "stopping saves" if stop else "expected"
        what_zh = f"停止后{UNIT_ZH[unit]}少损失毛利" if stop else f"预计{UNIT_ZH[unit]}毛利"
        range_en = f"; {what_en} {money(gain)} margin {unit} (range {money(low)} to {money(high)})"
        range_zh = f"；{what_zh}{money(gain)}（区间{money(low)}至{money(high)}）"
        if low == high:
            range_en = f"; {what_en} {money(gain)} margin {unit}"
            range_zh = f"；{what_zh}{money(gain)}"
        reason, reason_zh = reason + range_en, reason_zh + range_zh
    reason, reason_zh = reason.rstrip(".") + ".", reason_zh.rstrip("。") + "。"
    if note is None:  # default: the only doubt is a range that crosses zero
        note = ("", "") if confident else (UNCERTAIN_EN, UNCERTAIN_ZH)
    reason, reason_zh = reason + note[0], reason_zh + note[1]
    return Advice(
        subject_kind,
        subject,
        kind,
        action,
        reason,
        action_zh,
        reason_zh,
        gain,
        (low, high),
        unit,
        confident,
    )


def missing_inputs(items: pd.DataFrame, promotions: pd.DataFrame) -> list[dict[str, str]]:
    """What keeps advice from being given, in English and Chinese: depths need margins (the
    items' unit_cost), mechanisms need past promotions. Without these notes a shop missing
    both (Stallion: no costs, no promotions table) got an empty answer and no reason."""
    notes = []
    costs = items["unit_cost"] if "unit_cost" in items else pd.Series(dtype=float)
    if not pd.to_numeric(costs, errors="coerce").notna().any():
        notes.append({"en": "no item has a unit_cost: advice on discount depths needs margins "
                            "(load items with unit_cost)",
                      "zh": "没有商品提供单位成本（unit_cost）：折扣力度建议需要毛利，请导入带单位成本的商品表"})
    if promotions.empty:
        notes.append({"en": "the store holds no past promotions: no advice on promotion "
                            "mechanisms (ingest a promotions file)",
                      "zh": "库中没有历史促销记录：无法给出促销机制建议（请导入促销表）"})
    return notes
