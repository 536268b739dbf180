"""Plain-language promotion advice per item and per category, in English and Chinese.

Two sources, each turned into short, checkable statements with the money at stake:

1. **Effects** (EffectParams + unit cost + regular price + weekly baseline units). With demand
   ``units = baseline x (paid / regular price) ** elasticity x (1 + lift)``, a promotion week
   earns ``(regular - giveaway - unit cost) x units - (regular - unit cost) x baseline``
   (``plan.promo_terms`` costs each mechanism), less the post-promotion dip (``post_promo_dip``
   x the next week's baseline margin) and what the category's other items lose
   (``cannibalisation_rate`` x their baseline margin), as the planner charges them. Advice:
   the margin-maximising percent-off depth on a grid (the constant-elasticity optimum
   ``price = cost x e / (1 + e)``, rounded to ``step``) against the depth usually used; stop
   price discounts when even the best depth loses money; stop a gift / threshold deal whose
   lift is below the break-even lift ``giveaway / (regular - giveaway - cost)``.
2. **Past promotions** (an evaluation frame: promo_id, promo_type, item_id, category,
   discount_pct, incremental_margin, roi): stop a mechanism whose promotions lost money on an
   item or category, keep one that clearly paid.

Money claims are careful: a gain is reported with its range over the elasticity's interval
(or the t-interval of the mean ROI of past promotions); when that range crosses zero the
advice says the estimate is too uncertain to promise a gain (``confident`` False). Lifts carry
no interval in EffectParams, so lift-based advice is confident only with a wide margin (lift
below half the break-even lift) and otherwise marked indicative.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from promocast.promotions.plan import promo_terms

MECHANISM_ZH = {
    "percent_off": "折扣",
    "amount_off": "立减",
    "threshold": "满减",
    "gift": "赠品",
    "flash_sale": "限时秒杀",
    "bundle": "组合装",
    "feature_display": "重点陈列",
}
MECHANISM_EN = {
    "percent_off": "percent-off discounts",
    "amount_off": "money-off deals",
    "threshold": "spend-and-save (threshold) deals",
    "gift": "gifts",
    "flash_sale": "flash sales",
    "bundle": "bundles",
    "feature_display": "feature / display",
}
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


def _m(x: float) -> str:
    """Money with sign and thousands separators (the shop's currency)."""
    return f"{x:+,.0f}"


def week_margin(
    kind: str,
    depth: float,
    elasticity: np.ndarray | float,
    lift: float,
    unit_cost: float,
    regular_price: float,
    weekly_units: float,
) -> np.ndarray:
    """Incremental margin of one promotion week against none, before the dip and
    cannibalisation (``plan.promo_terms`` prices the mechanism). Vectorised over
    ``elasticity``."""
    terms = promo_terms(kind, depth, np.asarray([regular_price], dtype=float))
    shelf, give = float(terms["shelf_price"][0]), float(terms["giveaway"][0])
    units = weekly_units * (shelf / regular_price) ** np.asarray(elasticity, dtype=float)
    units = units * (1 + lift)
    return (regular_price - give - unit_cost) * units - (regular_price - unit_cost) * weekly_units


def best_depth(
    elasticity: float, unit_cost: float, regular_price: float, *, max_depth: float, step: float
) -> float:
    """The percent-off depth (multiple of ``step``, up to ``max_depth``) that earns the most
    margin in a promotion week; 0 when no discount pays (inelastic demand, thin margin)."""
    depths = np.arange(step, max_depth + step / 2, step)
    gains = [
        float(week_margin("percent_off", d, elasticity, 0.0, unit_cost, regular_price, 1.0))
        for d in depths
    ]
    k = int(np.argmax(gains))
    return float(depths[k]) if gains[k] > 0 else 0.0


def _item_frame(
    params: pd.DataFrame,
    items: pd.DataFrame,
    prices: pd.DataFrame | None,
    weekly_units: pd.Series | pd.DataFrame | None,
    usual: pd.Series | None,
) -> pd.DataFrame:
    """One row per item: effects, category, unit cost, regular price, weekly units, usual
    percent-off depth, and the week's dip + cannibalisation overhead."""
    p = params.assign(item_id=params["item_id"].astype(str))
    if "store_id" in p:
        p = p.assign(_all=p["store_id"].astype(str) != "all").sort_values("_all")
    frame = p.drop_duplicates("item_id").set_index("item_id")
    info = items.assign(item_id=items["item_id"].astype(str)).drop_duplicates("item_id")
    info = info.set_index("item_id")
    if "category" in info:
        frame["category"] = info["category"].reindex(frame.index).fillna(frame["category"])
    frame["unit_cost"] = info["unit_cost"].reindex(frame.index) if "unit_cost" in info else np.nan
    regular = info["base_price"].reindex(frame.index) if "base_price" in info else np.nan
    if prices is not None:
        table = prices.rename(columns={"base_price": "regular_price"})
        table = table.assign(item_id=table["item_id"].astype(str)).drop_duplicates("item_id")
        regular = table.set_index("item_id")["regular_price"].reindex(frame.index)
    frame["regular_price"] = regular
    if isinstance(weekly_units, pd.DataFrame):
        weekly_units = weekly_units.assign(item_id=weekly_units["item_id"].astype(str))
        weekly_units = weekly_units.groupby("item_id")["weekly_units"].sum()
    frame["weekly_units"] = (
        np.nan if weekly_units is None else weekly_units.rename(index=str).reindex(frame.index)
    )
    frame["usual_depth"] = np.nan if usual is None else usual.rename(index=str).reindex(frame.index)
    frame["depths_known"] = usual is not None
    for col in ("post_promo_dip", "cannibalisation_rate"):
        frame[col] = frame[col].fillna(0.0) if col in frame else 0.0
    unit_margin = frame["regular_price"] - frame["unit_cost"]
    base_margin = (frame["weekly_units"] * unit_margin).fillna(0.0)
    taken = (
        (frame["cannibalisation_rate"] * base_margin).groupby(frame["category"]).transform("sum")
    )
    frame["overhead"] = (
        frame["post_promo_dip"] * frame["weekly_units"] * unit_margin
        + taken
        - frame["cannibalisation_rate"] * base_margin
    )
    return frame


def _interval(row: pd.Series) -> np.ndarray:
    """Elasticities spanning the item's interval (the point alone when there is none)."""
    lo, hi = row.get("price_elasticity_lo", np.nan), row.get("price_elasticity_hi", np.nan)
    if pd.isna(lo) or pd.isna(hi):
        return np.array([row["price_elasticity"]])
    return np.unique(np.r_[np.linspace(lo, hi, 5), row["price_elasticity"]])


def _depth_advice(item: str, r: pd.Series, max_depth: float, step: float) -> list[Advice]:
    """Depth vs the usual one; or stop price discounts when no depth pays."""
    e, c, p0, q0 = r["price_elasticity"], r["unit_cost"], r["regular_price"], r["weekly_units"]
    if any(pd.isna(v) for v in (e, c, p0)):
        return []
    grid = _interval(r)
    best = best_depth(e, c, p0, max_depth=max_depth, step=step)
    volume = 1.0 if pd.isna(q0) else q0
    known = not pd.isna(q0)
    e_text = f"{e:.2f}"
    if len(grid) > 1:
        e_text += f" (interval {grid.min():.2f} to {grid.max():.2f})"
    facts_en = f"price elasticity {e_text}, unit cost {c:,.2f}, regular price {p0:,.2f}"
    e_zh = f"{e:.2f}" + (f"（区间{grid.min():.2f}至{grid.max():.2f}）" if len(grid) > 1 else "")
    facts_zh = f"价格弹性{e_zh}，单位成本{c:,.2f}，常规价{p0:,.2f}"
    out = []
    overhead = 0.0 if pd.isna(r["overhead"]) else float(r["overhead"])
    at_best = (
        week_margin("percent_off", best, grid, 0.0, c, p0, volume) - overhead
        if best > 0
        else np.array([-overhead])
    )
    usual = r["usual_depth"]
    if best == 0 or (at_best.max() < 0):
        if pd.isna(usual) and r["depths_known"]:
            return out  # the item gets no percent-off promotions: nothing to stop
        loss = float(week_margin("percent_off", best or step, e, 0.0, c, p0, volume) - overhead)
        why_en = (
            f"demand is not price-sensitive enough ({facts_en}): the extra units never pay for "
            "the discount"
            if best == 0
            else f"even at the best depth ({best:.0f} %) a promotion week loses "
            f"{_m(loss)} margin after the post-promotion dip and the sales taken from other "
            f"items ({facts_en})"
        )
        why_zh = (
            f"需求对价格不够敏感（{facts_zh}）：增加的销量无法弥补折扣让利"
            if best == 0
            else f"即使采用最佳折扣（{best:.0f}%），扣除促销后回落和对同类商品的蚕食后，"
            f"每个促销周仍损失毛利{_m(-loss)}（{facts_zh}）"
        )
        if best == 0:
            gains = -np.array(
                [week_margin("percent_off", step, g, 0.0, c, p0, volume) - overhead for g in grid]
            ).ravel()
        else:
            gains = -at_best
        confident = bool(gains.min() > 0)
        out.append(
            _make(
                item,
                "item",
                "stop_price_discounts",
                f"Stop price discounts on {item}",
                why_en,
                f"停止对{item}的价格折扣",
                why_zh,
                float(-loss) if known else None,
                gains if known else None,
                "per promotion week",
                confident,
            )
        )
        return out
    if pd.isna(usual) or abs(best - usual) < step:
        return out
    gains = week_margin("percent_off", best, grid, 0.0, c, p0, volume) - week_margin(
        "percent_off", usual, grid, 0.0, c, p0, volume
    )
    gain = float(
        week_margin("percent_off", best, e, 0.0, c, p0, volume)
        - week_margin("percent_off", usual, e, 0.0, c, p0, volume)
    )
    up = best > usual
    verb_en, verb_zh = ("Raise", "提高") if up else ("Lower", "降低")
    action = f"{verb_en} the discount on {item} from {usual:.0f} % to {best:.0f} %"
    action_zh = f"将{item}的折扣从{usual:.0f}%{verb_zh}到{best:.0f}%"
    why_en = f"{facts_en}: the margin-maximising discount is {best:.0f} %"
    why_zh = f"{facts_zh}：利润最大化的折扣为{best:.0f}%"
    out.append(
        _make(
            item,
            "item",
            "discount_depth",
            action,
            why_en,
            action_zh,
            why_zh,
            gain if known else None,
            gains if known else None,
            "per promotion week",
            bool(gains.min() > 0),
        )
    )
    return out


def _mechanism_advice(
    item: str, r: pd.Series, giveaway_pct: dict[str, float], used: set[tuple[str, str]] | None
) -> list[Advice]:
    """Gift / threshold deals whose lift is below the break-even lift (only mechanisms the
    item ran, when ``used`` lists them)."""
    c, p0, q0 = r["unit_cost"], r["regular_price"], r["weekly_units"]
    if pd.isna(c) or pd.isna(p0):
        return []
    out = []
    for kind, pct in giveaway_pct.items():
        lift = r.get(f"lift_{kind}", np.nan)
        if pd.isna(lift) or (used is not None and (item, kind) not in used):
            continue
        give = p0 * pct / 100
        room = p0 - give - c
        need = give / room if room > 0 else np.inf
        if lift >= need:
            continue
        volume = 1.0 if pd.isna(q0) else q0
        overhead = 0.0 if pd.isna(r["overhead"]) else float(r["overhead"])
        loss = float(week_margin(kind, pct, 0.0, lift, c, p0, volume)) - overhead
        need_en = f"a sales lift of {100 * need:.0f} %" if np.isfinite(need) else "more than it can"
        need_zh = f"销量提升{100 * need:.0f}%" if np.isfinite(need) else "无法达到的销量提升"
        confident = bool(lift < 0.5 * need)
        name_en, name_zh = MECHANISM_EN[kind], MECHANISM_ZH[kind]
        why_en = (
            f"{name_en} worth {pct:g} % of the price need {need_en} to pay; on {item} "
            f"they bring {100 * lift:+.0f} % (estimated)"
        )
        why_zh = f"{name_zh}价值为售价的{pct:g}%，需要{need_zh}才能回本；{item}的估计提升为{100 * lift:+.0f}%"
        known = not pd.isna(q0)
        out.append(
            _make(
                item,
                "item",
                f"stop_{kind}",
                f"Stop {name_en} on {item}",
                why_en,
                f"停止对{item}使用{name_zh}",
                why_zh,
                -loss if known else None,
                np.array([-loss]) if known else None,
                "per promotion week",
                confident,
                note=("", "") if confident else (INDICATIVE_EN, INDICATIVE_ZH),
            )
        )
    return out


def _make(
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
        range_en = f"; expected {_m(gain)} margin {unit} (range {_m(low)} to {_m(high)})"
        range_zh = f"；预计{UNIT_ZH[unit]}毛利{_m(gain)}（区间{_m(low)}至{_m(high)}）"
        if low == high:
            range_en = f"; expected {_m(gain)} margin {unit}"
            range_zh = f"；预计{UNIT_ZH[unit]}毛利{_m(gain)}"
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


def _category_rollup(advice: list[Advice], category_of: pd.Series) -> list[Advice]:
    """Per category and kind of item advice: how many items, the summed gain."""
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
        names = ", ".join(g["item"].head(5)) + (" ..." if len(g) > 5 else "")
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
            _make(
                str(category),
                "category",
                kind,
                f"In {category}: {what_en} on {len(g)} of {n} items ({names})",
                f"item advice summed over the category ({int(g['confident'].sum())} of {len(g)} "
                "confident on their own)",
                f"{category}品类：对{n}个商品中的{len(g)}个{what_zh}（{names}）",
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


def _evaluation_advice(evaluation: pd.DataFrame, min_promotions: int, level: float) -> list[Advice]:
    """Stop a mechanism whose past promotions lost money; keep one that clearly paid."""
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
            facts_en = (
                f"over {n} past promotions the mean ROI was {100 * mean:+.0f} % "
                f"({100 * level:.0f} % interval {100 * lo:+.0f} % to {100 * hi:+.0f} %), "
                f"{losing} of {n} lost money; together {_m(float(np.nansum(margin)))} margin"
            )
            facts_zh = (
                f"过去{n}次促销的平均投资回报率为{100 * mean:+.0f}%（{100 * level:.0f}%区间"
                f"{100 * lo:+.0f}%至{100 * hi:+.0f}%），其中{losing}次亏损；"
                f"合计毛利{_m(float(np.nansum(margin)))}"
            )
            margin_sd = float(np.nanstd(margin, ddof=1)) if n > 1 else 0.0
            m_half = float(stats.t.ppf(t_level, n - 1) * margin_sd / np.sqrt(n))
            if mean < 0 and per_promo < 0:
                gains = np.array([-(per_promo + m_half), -(per_promo - m_half)])
                out.append(
                    _make(
                        str(subject),
                        subject_kind,
                        f"stop_{mech}",
                        f"Stop {name_en} on {subject}: ROI {100 * mean:+.0f} %",
                        facts_en,
                        f"停止对{subject}的{name_zh}促销：投资回报率{100 * mean:+.0f}%",
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
                    _make(
                        str(subject),
                        subject_kind,
                        f"keep_{mech}",
                        f"Keep {name_en} on {subject}: ROI {100 * mean:+.0f} %",
                        facts_en,
                        f"继续对{subject}使用{name_zh}：投资回报率{100 * mean:+.0f}%",
                        facts_zh,
                        per_promo,
                        gains,
                        "per promotion",
                        bool(gains.min() > 0),
                    )
                )
    return out


def usual_depths(promotions: pd.DataFrame) -> pd.Series:
    """The percent-off depth each item usually gets (median discount_pct of its past
    percent_off promotions), from a promotions table or an evaluation frame."""
    pct = promotions[(promotions["promo_type"] == "percent_off") & promotions["item_id"].notna()]
    pct = pct.dropna(subset=["discount_pct"])
    return pct.groupby(pct["item_id"].astype(str))["discount_pct"].median()


def advise(
    params: pd.DataFrame,
    items: pd.DataFrame,
    *,
    prices: pd.DataFrame | None = None,
    weekly_units: pd.Series | pd.DataFrame | None = None,
    usual: pd.Series | None = None,
    evaluation: pd.DataFrame | None = None,
    max_depth: float = 50.0,
    step: float = 5.0,
    giveaway_pct: dict[str, float] | None = None,
    min_promotions: int = 3,
    level: float = 0.9,
) -> list[Advice]:
    """Advice per item and per category, most money first (confident advice before the rest).

    ``params``: EffectParams (the pooled ``store_id == "all"`` row per item is used).
    ``items``: item_id, category, unit_cost [, base_price]; ``prices``: item_id,
    regular_price (overrides base_price). ``weekly_units``: baseline units per week per
    item (Series by item_id, or a frame item_id, weekly_units summed over stores); without
    it gains are not stated in money. ``usual``: usual percent-off depth per item (default:
    from ``evaluation`` via ``usual_depths``). ``giveaway_pct``: the gift / threshold depth
    to judge (% of the regular price; default gift 15, threshold 10, as the planner's grid).
    ``evaluation``: past promotions (promo_id, promo_type, item_id, category, discount_pct,
    incremental_margin, roi as a fraction). When ``usual`` is known, "stop price discounts"
    is said only of items that get them; when ``evaluation`` is given, gift / threshold
    advice only of items that ran them.
    """
    giveaway_pct = {"gift": 15.0, "threshold": 10.0} if giveaway_pct is None else giveaway_pct
    if usual is None and evaluation is not None and "discount_pct" in evaluation:
        usual = usual_depths(evaluation)
    frame = _item_frame(params, items, prices, weekly_units, usual)
    used = None
    if evaluation is not None and {"item_id", "promo_type"} <= set(evaluation):
        ran = evaluation.dropna(subset=["item_id"])
        used = set(zip(ran["item_id"].astype(str), ran["promo_type"].astype(str), strict=True))
    advice: list[Advice] = []
    for item, r in frame.iterrows():
        advice += _depth_advice(str(item), r, max_depth, step)
        advice += _mechanism_advice(str(item), r, giveaway_pct, used)
    advice += _category_rollup(advice, frame["category"])
    if evaluation is not None and len(evaluation):
        advice += _evaluation_advice(evaluation, min_promotions, level)
    return sorted(
        advice,
        key=lambda a: (not a.confident, -abs(a.expected_gain or 0.0), a.subject_kind, a.subject),
    )
