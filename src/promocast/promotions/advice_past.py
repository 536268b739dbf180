"""Advice from what already happened: item advice summed per category, and mechanisms whose
past promotions lost (or clearly made) money, judged on the t-interval of their mean ROI."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from promocast.promotions.advice_text import (
    MECHANISM_EN,
    MECHANISM_ZH,
    MIXED_EN,
    MIXED_ZH,
    UNCERTAIN_EN,
    UNCERTAIN_ZH,
    Advice,
    make_advice,
    money,
)


def category_rollup(advice: list[Advice], category_of: pd.Series,
                    labels: dict[str, tuple[str, str]] | None = None) -> list[Advice]:
    """Per category and kind of item advice: how many items (named by ``labels``, see
    ``advice.item_labels``), the summed gain."""
    labels = labels or {}
    out = []
    frame = pd.DataFrame(
        [
            (a.subject, a.kind, a.expected_gain, a.gain_range[0], a.gain_range[1], a.confident)
            for a in advice
            if a.subject_kind == "item"
        ],
        columns=["item", "kind", "gain", "low", "high", "confident"],
    )
    if frame.empty:
        return out
    frame["category"] = frame["item"].map(category_of)
    n_items = category_of.value_counts()
    for (category, kind), g in frame.dropna(subset=["category"]).groupby(["category", "kind"]):
        if len(g) < 2:
            continue
        more = " ..." if len(g) > 5 else ""
        names = ", ".join(labels.get(i, (i, i))[0] for i in g["item"].head(5)) + more
        names_zh = "、".join(labels.get(i, (i, i))[1] for i in g["item"].head(5)) + more
        total = float(g["gain"].sum()) if g["gain"].notna().all() else None
        gains = np.array([g["low"].sum(), g["high"].sum()]) if total is not None else None
        what_en, what_zh = {
            "discount_depth": (
                "move discounts to their margin-maximising depth",
                "将折扣调整到利润最大化的深度",
            ),
            "stop_price_discounts": ("stop price discounts", "停止价格折扣"),
        }.get(
            kind,
            (f"stop {MECHANISM_EN.get(kind[5:], kind)}", f"停止{MECHANISM_ZH.get(kind[5:], kind)}"),
        )
        n = int(n_items.get(category, len(g)))
        out.append(
            make_advice(
                str(category),
                "category",
                kind,
                f"In {category}: {what_en} on {len(g)} of {n} items ({names})",
                f"item advice summed over the category ({int(g['confident'].sum())} of {len(g)} "
                "confident on their own)",
                f"{category}品类：对{n}个商品中的{len(g)}个{what_zh}（{names_zh}）",
                f"按品类汇总的单品建议（其中{int(g['confident'].sum())}个单独来看是可靠的）",
                total,
                gains,
                "per promotion week",
                bool(g["confident"].all()),
                note=_rollup_note(gains, bool(g["confident"].all())),
            )
        )
    return out


def _rollup_note(gains: np.ndarray | None, all_confident: bool) -> tuple[str, str]:
    if gains is not None and gains.min() <= 0 <= gains.max():
        return UNCERTAIN_EN, UNCERTAIN_ZH
    if not all_confident:
        return MIXED_EN, MIXED_ZH
    return "", ""


def evaluation_advice(evaluation: pd.DataFrame, min_promotions: int, level: float,
                      labels: dict[str, tuple[str, str]] | None = None) -> list[Advice]:
    """Stop a mechanism whose past promotions lost money; keep one that clearly paid (items
    named by ``labels``, see ``advice.item_labels``)."""
    labels = labels or {}
    ev = evaluation.dropna(subset=["roi"]).copy()
    out: list[Advice] = []
    if ev.empty:
        return out
    t_level = 0.5 + level / 2
    for kind_col in ("item_id", "category"):
        if kind_col not in ev:
            continue
        subject_kind = "item" if kind_col == "item_id" else "category"
        for (subject, mech), g in ev.dropna(subset=[kind_col]).groupby([kind_col, "promo_type"]):
            n = len(g)
            if n < min_promotions:
                continue
            roi = g["roi"].to_numpy(float)
            mean = float(roi.mean())
            half = float(stats.t.ppf(t_level, n - 1) * roi.std(ddof=1) / np.sqrt(n))
            lo, hi = mean - half, mean + half
            margin = g["incremental_margin"].to_numpy(float)
            per_promo = float(np.nanmean(margin))
            losing = int((margin < 0).sum())
            name_en, name_zh = (
                MECHANISM_EN.get(str(mech), str(mech)),
                MECHANISM_ZH.get(str(mech), str(mech)),
            )
            who, who_zh = (labels.get(str(subject), (subject, subject))
                           if subject_kind == "item" else (subject, subject))
            facts_en = (
                f"over {n} past promotions the mean ROI was {100 * mean:+.0f} % "
                f"({100 * level:.0f} % interval {100 * lo:+.0f} % to {100 * hi:+.0f} %), "
                f"{losing} of {n} lost money; together {money(float(np.nansum(margin)))} margin"
            )
            facts_zh = (
                f"过去{n}次促销的平均投资回报率为{100 * mean:+.0f}%（{100 * level:.0f}%区间"
                f"{100 * lo:+.0f}%至{100 * hi:+.0f}%），其中{losing}次亏损；"
                f"合计毛利{money(float(np.nansum(margin)))}"
            )
            margin_sd = float(np.nanstd(margin, ddof=1)) if n > 1 else 0.0
            m_half = float(stats.t.ppf(t_level, n - 1) * margin_sd / np.sqrt(n))
            if mean < 0 and per_promo < 0:
                gains = np.array([-(per_promo + m_half), -(per_promo - m_half)])
                out.append(
                    make_advice(
                        str(subject),
                        subject_kind,
                        f"stop_{mech}",
                        f"Stop {name_en} on {who}: ROI {100 * mean:+.0f} %",
                        facts_en,
                        f"停止对{who_zh}的{name_zh}促销：投资回报率{100 * mean:+.0f}%",
                        facts_zh,
                        -per_promo,
                        gains,
                        "per promotion",
                        bool(hi < 0 and gains.min() > 0),
                    )
                )
            elif mean > 0 and lo > 0 and per_promo > 0:
                gains = np.array([per_promo - m_half, per_promo + m_half])
                out.append(
                    make_advice(
                        str(subject),
                        subject_kind,
                        f"keep_{mech}",
                        f"Keep {name_en} on {who}: ROI {100 * mean:+.0f} %",
                        facts_en,
                        f"继续对{who_zh}使用{name_zh}：投资回报率{100 * mean:+.0f}%",
                        facts_zh,
                        per_promo,
                        gains,
                        "per promotion",
                        bool(gains.min() > 0),
                    )
                )
    return out
