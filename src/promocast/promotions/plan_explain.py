"""Why the optimiser chose each promotion: its lift and margin, why not deeper, why not more often.

Reasons name the rule that blocks an alternative (``min_gap_periods``,
``max_per_category_period``, ``budget``, ``respect_stock``) or its economics
(``no_gain``: the best option of that period would lose money; ``caution``: it gains on
average but not once the uncertainty of its effects is counted, ``PlanRules.caution``).

Every explanation carries its sentences in Chinese too (``zh``: ``why_not_deeper`` and
``why_not_more_often`` as text, the same numbers), as the advice does; mechanisms are named
as the dashboard names them (``mechanism.*`` of the web catalogue).
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd

from promocast.catalogues import catalogue
from promocast.promotions.rules import PlanRules

KEY = ["item_id", "store_id", "period_start"]


def option_label(kind: str, depth: float) -> str:
    """``percent_off 20 %``, ``amount_off 5``, ``feature_display``."""
    if kind == "feature_display":
        return kind
    if kind == "amount_off":
        return f"{kind} {depth:g}"
    return f"{kind} {depth:g} %"


def mechanism_zh(kind: str) -> str:
    return catalogue("zh").get(f"mechanism.{kind}", kind)


def option_label_zh(kind: str, depth: float) -> str:
    """``打折 20 %``: ``option_label`` with the mechanism named in Chinese."""
    return mechanism_zh(kind) + option_label(kind, depth)[len(kind):]


PERIOD_NAME = {"D": "day", "W": "week", "M": "month"}
"""A plan period in words (``PlanRules.period``)."""
PERIOD_ZH = {"D": "天", "W": "周", "M": "个月"}
EVERY_ZH = {"D": "每天", "W": "每周", "M": "每月"}
REASON_ZH = {"no_gain": "没有收益", "caution": "效果不够确定", "min_gap_periods": "最短间隔",
             "max_per_category_period": "品类每期上限", "respect_stock": "库存不足",
             "budget": "预算", "other_rules": "其他规则", "deepest": "已是最深"}


def how_often_zh(blocked: list[dict], rules: PlanRules) -> str:
    """``how_often`` in Chinese, the same counts."""
    unit = PERIOD_ZH.get(rules.period, "期")
    if not blocked:
        return f"{EVERY_ZH.get(rules.period, '每期')}都在促销"
    gap = int(rules.min_gap_periods)
    parts = []
    for reason, n in Counter(b["reason"] for b in blocked).most_common():
        text = f"{REASON_ZH.get(reason, reason)}：其他 {n} {unit}"
        if reason == "min_gap_periods":
            text += f"（规则要求同一商品×门店的两次促销之间至少间隔 {gap} {unit}）"
        parts.append(text)
    return "；".join(parts)


def how_often(blocked: list[dict], rules: PlanRules) -> str:
    """Why an item x store is not promoted in its other periods, in plan periods (weeks for a
    weekly plan), stating the minimum gap the MILP kept (``min_gap_periods`` of the rules)."""
    unit = PERIOD_NAME.get(rules.period, "period")
    if not blocked:
        return f"promoted in every {unit}"
    gap = int(rules.min_gap_periods)
    parts = []
    for reason, n in Counter(b["reason"] for b in blocked).most_common():
        text = f"{reason}: {n} other {unit}(s)"
        if reason == "min_gap_periods":
            text += (f" (the rules keep at least {gap} quiet {unit}{'s' if gap != 1 else ''} "
                     "between two promotions of an item x store)")
        parts.append(text)
    return "; ".join(parts)


def _spare_left(cand: pd.DataFrame, chosen: pd.DataFrame, rules: PlanRules) -> pd.Series:
    """Units of stock still free per (item, store) after the plan (inf when unknown)."""
    if not rules.respect_stock or "stock_units" not in cand:
        return pd.Series(dtype=float)
    spare = (
        cand.groupby(["item_id", "store_id"])
        .apply(
            lambda g: g["stock_units"].iloc[0] - g["horizon_baseline_units"].iloc[0],
            include_groups=False,
        )
        .clip(lower=0)
    )
    extra = (
        (chosen["expected_units"] - chosen["baseline_units"])
        .groupby([chosen["item_id"], chosen["store_id"]])
        .sum()
    )
    return spare.sub(extra, fill_value=0.0).fillna(np.inf)


def explain_choices(
    cand: pd.DataFrame, chosen_mask: np.ndarray, rules: PlanRules, value_column: str
) -> list[dict]:
    """One explanation per chosen candidate, in the order of ``cand[chosen_mask]``."""
    chosen = cand[chosen_mask]
    if chosen.empty:
        return []
    what = "incremental margin" if value_column == "incremental_margin" else "incremental revenue"
    what_zh = "增量毛利" if value_column == "incremental_margin" else "增量销售额"
    budget_left = (
        np.inf if rules.budget is None else float(rules.budget) - float(chosen["promo_cost"].sum())
    )
    free = cand[~cand["item_id"].isin(rules.excluded_items)]
    best = free.loc[free.groupby(KEY, sort=False)[value_column].idxmax()].set_index(KEY)
    used = chosen.groupby(["category", "store_id", "period_start"]).size()
    spare = _spare_left(cand, chosen, rules)
    periods = np.sort(cand["period_start"].unique())
    ordinal = {p: k for k, p in enumerate(pd.DatetimeIndex(periods))}
    chosen_periods = chosen.groupby(["item_id", "store_id"])["period_start"].agg(list)
    by_cell = {key: rows for key, rows in cand.groupby(KEY, sort=False)}

    out = []
    for _, r in chosen.iterrows():
        series = (r["item_id"], r["store_id"])
        value, cost = float(r[value_column]), float(r["promo_cost"])
        cell = by_cell[(r["item_id"], r["store_id"], r["period_start"])]
        left_stock = float(spare.get(series, np.inf))

        same = cell[(cell["promo_type"] == r["promo_type"]) & (cell["depth"] > r["depth"])]
        if same.empty:
            deeper = {
                "option": None,
                "reason": "deepest",
                "text": f"no deeper {r['promo_type']} option in the grid",
            }
            deeper_zh = f"网格中没有更深的{mechanism_zh(r['promo_type'])}方案"
        else:
            d = same.sort_values("depth").iloc[0]
            label, v2 = option_label(d["promo_type"], d["depth"]), float(d[value_column])
            label_zh = option_label_zh(d["promo_type"], d["depth"])
            extra_cost = float(d["promo_cost"]) - cost
            extra_units = float(d["expected_units"] - r["expected_units"])
            if v2 < value:
                reason = "no_gain"
                text = (
                    f"{label} would bring {what} {v2:.2f} instead of {value:.2f}: the extra "
                    f"discount costs more than the extra units earn"
                )
                deeper_zh = (f"{label_zh}的{what_zh}为 {v2:.2f}，而不是 {value:.2f}："
                             "多给的折扣成本高于多卖的收益")
            elif "cautious_value" in d and d["cautious_value"] < r["cautious_value"]:
                reason = "caution"
                text = (
                    f"{label} would bring {v2:.2f} on average, but its effects are less sure: "
                    f"counted {rules.weight_caution:g} standard deviation(s) on the safe side it brings "
                    f"{float(d['cautious_value']):.2f} against {float(r['cautious_value']):.2f}"
                )
                deeper_zh = (f"{label_zh}平均带来 {v2:.2f}，但效果更不确定：按保守方向扣除 "
                             f"{rules.weight_caution:g} 个标准差后为 "
                             f"{float(d['cautious_value']):.2f}，当前方案为 "
                             f"{float(r['cautious_value']):.2f}")
            elif extra_cost > budget_left + 1e-9:
                reason = "budget"
                text = (
                    f"{label} would bring {v2:.2f} but costs {extra_cost:.2f} more than the "
                    f"{max(budget_left, 0):.2f} of budget left"
                )
                deeper_zh = (f"{label_zh}可带来 {v2:.2f}，但需多花 {extra_cost:.2f}，超过剩余预算 "
                             f"{max(budget_left, 0):.2f}")
            elif extra_units > left_stock + 1e-9:
                reason = "respect_stock"
                text = f"{label} would sell {extra_units:.1f} more units than the stock left"
                deeper_zh = f"{label_zh}会多卖 {extra_units:.1f} 件，超过剩余库存"
            else:
                reason = "budget"
                text = (
                    f"{label} would bring {v2:.2f} for {extra_cost:.2f} more spend: the "
                    f"budget earns more elsewhere"
                )
                deeper_zh = (f"{label_zh}可带来 {v2:.2f}，但需多花 {extra_cost:.2f}："
                             "这笔预算用在别处收益更高")
            deeper = {
                "option": label,
                "expected_value": round(v2, 2),
                "reason": reason,
                "text": text,
            }

        others = cell[cell["promo_type"] != r["promo_type"]]
        alternative = None
        if not others.empty:
            o = others.loc[others[value_column].idxmax()]
            alternative = {
                "option": option_label(o["promo_type"], o["depth"]),
                "expected_value": round(float(o[value_column]), 2),
            }

        mine = [ordinal[pd.Timestamp(p)] for p in chosen_periods[series]]
        blocked = []
        for p in pd.DatetimeIndex(periods):
            k = ordinal[p]
            if k in mine:
                continue
            key = (r["item_id"], r["store_id"], p)
            if key not in best.index:
                continue
            b = best.loc[key]
            cap = rules.category_cap(r["category"])
            # a period whose best option loses money was never wanted: the gap rule did not
            # keep it out (QA5: min_gap_periods blamed for weeks that were losses anyway)
            if float(b[value_column]) <= 0:
                reason = "no_gain"
            elif "cautious_value" in b and float(b["cautious_value"]) <= 0:
                reason = "caution"
            elif rules.min_gap_periods and any(
                    0 < abs(k - m) <= rules.min_gap_periods for m in mine):
                reason = "min_gap_periods"
            elif cap is not None and used.get((r["category"], r["store_id"], p), 0) >= cap:
                reason = "max_per_category_period"
            elif float(b["expected_units"] - b["baseline_units"]) > left_stock + 1e-9:
                reason = "respect_stock"
            elif rules.budget is not None:
                reason = "budget"
            else:
                reason = "other_rules"
            blocked.append(
                {
                    "period_start": p.strftime("%Y-%m-%d"),
                    "reason": reason,
                    "best_option": option_label(b["promo_type"], b["depth"]),
                    "best_value": round(float(b[value_column]), 2),
                }
            )
        often = how_often(blocked, rules)
        out.append(
            {
                "lift": round(float(r["lift"]), 4),
                "lift_missing": bool(r.get("lift_missing", False)),
                "expected_margin": round(float(r["margin"]), 2),
                "baseline_margin": round(float(r["baseline_margin"]), 2),
                "dip_loss": round(float(r["dip_loss"]), 2),
                "cannibalisation_loss": round(float(r["cannibalisation_loss"]), 2),
                "fixed_cost": round(float(r["fixed_cost"]), 2),
                "why_not_deeper": deeper,
                "best_other_mechanism": alternative,
                "why_not_more_often": often,
                "min_gap_periods": int(rules.min_gap_periods),
                "period": rules.period,
                "other_periods": blocked,
                "zh": {"why_not_deeper": deeper_zh,
                       "why_not_more_often": how_often_zh(blocked, rules)},
            }
        )
    return out
