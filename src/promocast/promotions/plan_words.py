"""The plan's notes and caveats in English and Chinese, each pair built from the same numbers
(QA finding 18, after the explanations' ``zh``).

Every builder returns a ``Said`` (``en``, ``zh``). The plan JSON keeps its English ``notes``
list and ``caveat`` text as they were (DESIGN §3) and gains ``zh.notes`` (aligned with
``notes``) and, per promotion, ``zh.caveat``: the same ``zh`` object convention as the
explanations' ``zh.why_not_deeper``. Mechanisms are named as the dashboard names them
(``mechanism.*`` of the web catalogue, ``plan_explain.mechanism_zh``).
"""

from __future__ import annotations

import re
from typing import NamedTuple

from promocast.promotions.plan_explain import mechanism_zh


class Said(NamedTuple):
    en: str
    zh: str


def join(parts: list[Said]) -> Said | None:
    """Sentences joined as each language punctuates a list; None when there are none."""
    if not parts:
        return None
    return Said("; ".join(p.en for p in parts), "；".join(p.zh for p in parts))


def add_note(document: dict, said: Said) -> None:
    """Append a note to ``notes`` and its Chinese to ``zh.notes`` (kept aligned: notes added
    before in English only are repeated in English there)."""
    notes = document.setdefault("notes", [])
    zh = document.setdefault("zh", {}).setdefault("notes", [])
    zh.extend(notes[len(zh):])
    notes.append(said.en)
    zh.append(said.zh)


# -- notes of the plan -----------------------------------------------------------------------
def standing(n: int, periods: int) -> Said:
    return Said(
        f"{n} item x store series sold on promotion in each of their last {periods} periods "
        "(a standing discount): their baseline is at the price they usually sell at, and a "
        "promotion's depth comes off that price",
        f"{n} 个商品×门店序列在最近 {periods} 期每期都在促销（常态折扣）：其基线按它们通常的"
        "售价计算，促销力度在该价格上再减")


def fixed_costs(borrowed: dict[str, tuple[float, int]]) -> Said:
    en = ", ".join(f"{m} {value:,.2f} ({n} promotions)" for m, (value, n) in borrowed.items())
    zh = "，".join(f"{mechanism_zh(m)} {value:,.2f}（{n} 次促销）"
                  for m, (value, n) in borrowed.items())
    return Said(
        "fixed cost per planned promotion from the shop's past promotions (median per "
        "mechanism of their cost per item, store and period; fixed_cost in the rules "
        "overrides): " + en,
        "每次计划促销的固定成本取自本店的历史促销（按促销方式取每个商品、门店和期间成本的中位数；"
        "规则中的 fixed_cost 优先）：" + zh)


def costless_left_out(items: list[str]) -> Said:
    shown = ", ".join(items[:10]) + (" ..." if len(items) > 10 else "")
    return Said(f"{len(items)} items without unit_cost left out of the plan: " + shown,
                f"{len(items)} 个商品没有单位成本（unit_cost），未纳入计划：" + shown)


def costless_at_zero(n: int) -> Said:
    return Said(f"{n} items without unit_cost are costed at 0 (revenue plan)",
                f"{n} 个商品没有单位成本（unit_cost），按 0 计（销售额计划）")


WHY_ZH = {"not_estimated": "未估计：该商品及其品类在历史中都没有做过这种促销"}
"""``plan_lifts.WHY`` in Chinese, by reason: the plan's ``left_out[].zh.why``. Kept here with
the other Chinese texts; a reason added to ``WHY`` needs its entry (a unit test checks)."""


def left_out_why(entry: dict) -> str:
    """A ``left_out`` entry's reason in Chinese: its ``zh.why``, else by its reason, else the
    English (a plan kept before ``zh.why`` existed)."""
    return ((entry.get("zh") or {}).get("why") or WHY_ZH.get(entry.get("reason", ""))
            or entry["why"])


def left_out(summary: list[dict]) -> Said | None:
    """The mechanisms left out of (or given by the rules to) the plan (``left_out_summary``)."""
    dropped = [s for s in summary if s["rules_lift"] is None]
    given = [s for s in summary if s["rules_lift"] is not None]
    parts = []
    if dropped:
        parts.append(Said(
            "mechanisms left out where their lift is not estimated: " + "; ".join(
                f"{s['mechanism']} for {s['series']} item(s) ({s['why']})" for s in dropped)
            + " (give lifts: {mechanism: value} in the rules to plan them)",
            "提升度未估计的促销方式未纳入计划：" + "；".join(
                f"{mechanism_zh(s['mechanism'])}，{s['series']} 个商品"
                f"（{left_out_why(s)}）" for s in dropped)
            + "（在规则中给出 lifts: {促销方式: 值} 即可纳入）"))
    if given:
        parts.append(Said(
            "the rules' lift used where the data estimate none: " + "; ".join(
                f"{s['mechanism']} {s['rules_lift']:+.2f} for {s['series']} item(s) ({s['why']})"
                for s in given),
            "数据未估计出提升度时采用规则给出的值：" + "；".join(
                f"{mechanism_zh(s['mechanism'])} {s['rules_lift']:+.2f}，{s['series']} 个商品"
                f"（{left_out_why(s)}）" for s in given)))
    return join(parts)


STOCK_NOT_ENFORCED = Said(
    "stock is not enforced: the store knows units on hand, not receipts due; set "
    "respect_stock: true in the rules to cap promotions by stock on hand now",
    "未按库存限制：库中只有现有库存，没有在途到货；在规则中设置 respect_stock: true 可按当前库存"
    "限制促销")


def caution(weight: float) -> Said:
    return Said(
        f"options are weighed at their expected margin less {weight:g} standard deviation(s) "
        "of their effects' uncertainty, so a sure gain beats an equally large unsure one (the "
        "margins shown are the expected ones; caution: 0 in the rules plans on the mean alone)",
        f"各方案按预期毛利减去效果不确定性的 {weight:g} 个标准差来权衡，因此同样大小的收益，"
        "确定的优先于不确定的（显示的毛利为预期值；规则中设 caution: 0 则只按均值计划）")


def costless_mechanism(placed: int, total: int) -> Said:
    """Feature / display placed at no cost (``services.promotions.costless_mechanism_note``)."""
    return Said(
        f"{placed} of {total} planned promotions are feature / display, costed at 0 (no "
        "fixed_cost for it in the rules nor in the shop's past promotions), so the plan uses "
        "it wherever it lifts sales; if slots or ads cost money or are few, set fixed_cost: "
        "{feature_display: ...} and max_per_category_period in the rules",
        f"{placed} / {total} 个计划促销为{mechanism_zh('feature_display')}，成本按 0 计（规则和"
        "本店历史促销中都没有它的 fixed_cost），所以计划在能提升销量的地方都会用它；若展位或广告"
        "要花钱或数量有限，请在规则中设置 fixed_cost: {feature_display: ...} 和 "
        "max_per_category_period")


def marked(n: int, total: int) -> Said:
    return Said(
        f"{n} of {total} planned promotions rest on an effect the item's own data did not "
        "identify (or its past promotions sold out) or that looks implausible (see caveat): "
        "their expected margin is the least certain; try them on a few stores first",
        f"{n} / {total} 个计划促销所依据的效果不是由该商品自身数据识别的（或其历史促销已售罄），"
        "或看起来不合理（见注意）：其预期毛利最不确定，建议先在几家门店试行")


def forced(n: int, total: int) -> Said:
    return Said(
        f"{n} of {total} planned promotions lose money and are there only to meet the rules' "
        "required promotions (see caveat): the rule costs their loss; relax it to save it",
        f"{n} / {total} 个计划促销会亏钱，只是为了满足规则要求的促销（见注意）：亏损由该规则造成，"
        "放宽规则即可省下")


def unsure(n: int, total: int, chance: float) -> Said:
    return Said(
        f"{n} of {total} planned promotions have less than a {chance:.0%} chance to pay "
        "(chance_profitable, from the effects' intervals): the plan keeps them for their "
        "expected margin, but they are the first to drop or to trial if a loss matters more "
        "than the average",
        f"{n} / {total} 个计划促销的盈利概率低于 {chance:.0%}（chance_profitable，来自效果的区间）："
        "计划因其预期毛利而保留它们，但如果更在意亏损而非平均值，应首先去掉或试行它们")


# -- caveats of a planned promotion ----------------------------------------------------------
def rule_zh(label: str) -> str:
    """``required[0] 'x' (>= 2 promotions)`` (``RequiredPromotions.label``) in Chinese."""
    return re.sub(r"\(>= (\d+) promotions(.*)\)$", r"（至少 \1 次促销\2）", label)


def kept_for_rule(label: str, margin: float) -> Said:
    return Said(f"kept to meet {label}: expected {margin:+,.2f}, a loss the rule asks for",
                f"为满足 {rule_zh(label)} 而保留：预期 {margin:+,.2f}，这是规则要求承担的亏损")


FLAG_ZH = [
    (r"not identified: the item's data do not move it, the category's value is used",
     "未识别：该商品自身数据看不出效果，采用品类的值"),
    (r"not identified in the item or its category", "该商品及其品类都未识别出"),
    (r"positive own-price elasticity in the item's own data \(shrunk value (\S+)\)",
     r"该商品自身数据中的价格弹性为正（收缩后为 \1）"),
    (r"lift below -50 % in the item's own data", "该商品自身数据中的提升度低于 -50 %"),
    (r"(\d+) of (\d+) promotion periods sold out: .*",
     r"\1 / \2 个促销期售罄：超出售出数量的需求未知，提升度主要依赖品类；多备货才能测出"),
]
"""Flag reasons (``promotions.flags``, ``effects``) in Chinese; the effects keep them in
English, and a reason not listed here is shown as it is."""


def parameter_zh(parameter: str) -> str:
    if parameter == "price_elasticity":
        return "价格弹性"
    if parameter.startswith("lift_"):
        return f"{mechanism_zh(parameter[5:])}提升度"
    return parameter


def flag_zh(reason: str) -> str:
    for pattern, zh in FLAG_ZH:
        if re.fullmatch(pattern, reason, flags=re.S):
            return re.sub(pattern, zh, reason, flags=re.S)
    return reason


def flagged(parameter: str, reason: str) -> Said:
    return Said(f"{parameter}: {reason}", f"{parameter_zh(parameter)}：{flag_zh(reason)}")


def break_even(chance: float, low: object, high: object, level: float) -> Said:
    return Said(
        f"close to break-even: {chance:.0%} chance it pays, its margin could be anywhere from "
        f"{low} to {high} ({level:.0%} range)",
        f"接近盈亏平衡：盈利概率 {chance:.0%}，毛利可能在 {low} 到 {high} 之间（{level:.0%} 区间）")
