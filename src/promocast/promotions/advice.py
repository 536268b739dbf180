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

Source 2 and the category sums are ``advice_past``'s; the record and its wording
``advice_text``'s.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from promocast.promotions.advice_past import category_rollup, evaluation_advice
from promocast.promotions.advice_text import (
    INDICATIVE_EN,
    INDICATIVE_ZH,
    MECHANISM_EN,
    MECHANISM_ZH,
    Advice,
    make_advice,
    money,
)
from promocast.promotions.plan import promo_terms


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
    labels: dict[str, tuple[str, str]] | None = None,
) -> pd.DataFrame:
    """One row per item: effects, category, unit cost, regular price, weekly units, usual
    percent-off depth, the week's dip + cannibalisation overhead, and how the advice names it
    (``labels``, ``item_labels``)."""
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
    labels = item_labels(items) if labels is None else labels
    frame["label"] = [labels.get(i, (i, i))[0] for i in frame.index]
    frame["label_zh"] = [labels.get(i, (i, i))[1] for i in frame.index]
    for col in ("post_promo_dip", "cannibalisation_rate"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").fillna(0.0) if col in frame else 0.0
    unit_margin = frame["regular_price"] - frame["unit_cost"]
    base_margin = (frame["weekly_units"] * unit_margin).fillna(0.0)
    taken = (
        (frame["cannibalisation_rate"] * base_margin).groupby(frame["category"]).transform("sum")
    )
    # a negative dip (sales above the baseline after a promotion) is implausible and flagged
    # by the effects; it must not make a losing discount look paying
    frame["overhead"] = (
        frame["post_promo_dip"].clip(lower=0.0) * frame["weekly_units"] * unit_margin
        + taken
        - frame["cannibalisation_rate"] * base_margin
    )
    return frame


def item_labels(items: pd.DataFrame) -> dict[str, tuple[str, str]]:
    """Per item_id, how the advice names it (English, Chinese): "name (id)" where the items
    table gives a name, the id alone otherwise. A planner knows "Tropicana Premium 64 oz",
    not item "1" (Dominick's ids are brand numbers); the id stays for the lookup."""
    if "name" not in items:
        return {}
    out = {}
    for item_id, name in zip(items["item_id"].astype(str), items["name"], strict=True):
        text = "" if pd.isna(name) else str(name).strip()
        if text and text != item_id:
            out[item_id] = (f"{text} ({item_id})", f"{text}（{item_id}）")
    return out


def _interval(row: pd.Series) -> np.ndarray:
    """Elasticities spanning the item's interval (the point alone when there is none)."""
    lo, hi = row.get("price_elasticity_lo", np.nan), row.get("price_elasticity_hi", np.nan)
    if pd.isna(lo) or pd.isna(hi):
        return np.array([row["price_elasticity"]])
    return np.unique(np.r_[np.linspace(lo, hi, 5), row["price_elasticity"]])


def _depth_advice(item: str, r: pd.Series, max_depth: float, step: float) -> list[Advice]:
    """Depth vs the usual one; or stop price discounts when no depth pays."""
    e, c, p0, q0 = r["price_elasticity"], r["unit_cost"], r["regular_price"], r["weekly_units"]
    name, name_zh = r.get("label", item), r.get("label_zh", item)
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
        if loss >= 0:
            return out  # the week pays after all (rivals gain from it): nothing to stop
        why_en = (
            f"demand is not price-sensitive enough ({facts_en}): the extra units never pay for "
            "the discount"
            if best == 0
            else f"even at the best depth ({best:.0f} %) a promotion week loses "
            f"{money(loss)} margin after the post-promotion dip and the sales taken from other "
            f"items ({facts_en})"
        )
        why_zh = (
            f"需求对价格不够敏感（{facts_zh}）：增加的销量无法弥补折扣让利"
            if best == 0
            else f"即使采用最佳折扣（{best:.0f}%），扣除促销后回落和对同类商品的蚕食后，"
            f"每个促销周仍损失毛利{money(-loss)}（{facts_zh}）"
        )
        if best == 0:
            gains = -np.array(
                [week_margin("percent_off", step, g, 0.0, c, p0, volume) - overhead for g in grid]
            ).ravel()
        else:
            gains = -at_best
        confident = bool(gains.min() > 0)
        out.append(
            make_advice(
                item,
                "item",
                "stop_price_discounts",
                f"Stop price discounts on {name}",
                why_en,
                f"停止对{name_zh}的价格折扣",
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
    action = f"{verb_en} the discount on {name} from {usual:.0f} % to {best:.0f} %"
    action_zh = f"将{name_zh}的折扣从{usual:.0f}%{verb_zh}到{best:.0f}%"
    why_en = f"{facts_en}: the margin-maximising discount is {best:.0f} %"
    why_zh = f"{facts_zh}：利润最大化的折扣为{best:.0f}%"
    out.append(
        make_advice(
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
    item: str, r: pd.Series, giveaway_pct: dict[str, float], used: set[tuple[str, str]] | None,
    ran: dict[tuple[str, str], float] | None = None,
) -> list[Advice]:
    """Gift / threshold deals whose lift is below the break-even lift (only mechanisms the
    item ran, when ``used`` lists them), judged at the depth the item ran (``ran``) or else
    the default ``giveaway_pct``."""
    c, p0, q0 = r["unit_cost"], r["regular_price"], r["weekly_units"]
    if pd.isna(c) or pd.isna(p0):
        return []
    name, name_zh = r.get("label", item), r.get("label_zh", item)
    out = []
    for kind, default in giveaway_pct.items():
        lift = r.get(f"lift_{kind}", np.nan)
        if pd.isna(lift) or (used is not None and (item, kind) not in used):
            continue
        pct = round((ran or {}).get((item, kind), default), 1)
        give = p0 * pct / 100
        room = p0 - give - c
        need = give / room if room > 0 else np.inf
        if lift >= need:
            continue
        volume = 1.0 if pd.isna(q0) else q0
        overhead = 0.0 if pd.isna(r["overhead"]) else float(r["overhead"])
        loss = float(week_margin(kind, pct, 0.0, lift, c, p0, volume)) - overhead
        if not pd.isna(q0) and loss >= 0:  # the week's whole margin says it pays: no "stop"
            continue
        need_en = f"a sales lift of {100 * need:.0f} %" if np.isfinite(need) else "more than it can"
        need_zh = f"销量提升{100 * need:.0f}%" if np.isfinite(need) else "无法达到的销量提升"
        confident = bool(lift < 0.5 * need)
        name_en, mech_zh = MECHANISM_EN[kind], MECHANISM_ZH[kind]
        why_en = (
            f"{name_en} worth {pct:g} % of the price need {need_en} to pay; on {name} "
            f"they bring {100 * lift:+.0f} % (estimated)"
        )
        why_zh = (f"{mech_zh}价值为售价的{pct:g}%，需要{need_zh}才能回本；{name_zh}的估计提升为"
                  f"{100 * lift:+.0f}%")
        known = not pd.isna(q0)
        out.append(
            make_advice(
                item,
                "item",
                f"stop_{kind}",
                f"Stop {name_en} on {name}",
                why_en,
                f"停止对{name_zh}使用{mech_zh}",
                why_zh,
                -loss if known else None,
                np.array([-loss]) if known else None,
                "per promotion week",
                confident,
                note=("", "") if confident else (INDICATIVE_EN, INDICATIVE_ZH),
            )
        )
    return out


def usual_giveaways(
    promotions: pd.DataFrame, items: pd.DataFrame, prices: pd.DataFrame | None = None
) -> dict[tuple[str, str], float]:
    """(item, gift | threshold) -> the depth the item's past deals gave away, as % of its
    regular price per unit sold (median over its deals; category-wide deals count for every
    item of the category). A threshold deal gives amount_off per threshold_amount spent; a
    gift gift_value per threshold_amount spent, or per unit without a threshold. The same
    measure as the planner's depth grid and the evaluation's cost."""
    cols = ("item_id", "category", "discount_pct", "threshold_amount", "amount_off", "gift_value")
    deals = promotions[promotions["promo_type"].isin(["gift", "threshold"])].reindex(
        columns=["promo_type", *cols])
    if deals.empty:
        return {}
    for col in cols[2:]:
        deals[col] = pd.to_numeric(deals[col], errors="coerce")
    members = items[["item_id", "category"]].dropna().astype(str)
    direct = deals[deals["item_id"].notna()].assign(item_id=lambda d: d["item_id"].astype(str))
    wide = deals[deals["item_id"].isna() & deals["category"].notna()].drop(columns="item_id")
    wide = wide.assign(category=wide["category"].astype(str)).merge(members, on="category")
    deals = pd.concat([direct, wide], ignore_index=True)
    regular = items.set_index(items["item_id"].astype(str)).get("base_price")
    if prices is not None and len(prices):
        regular = prices.set_index(prices["item_id"].astype(str))["regular_price"]
    price = deals["item_id"].map(regular) if regular is not None else np.nan
    threshold = deals["threshold_amount"].where(deals["threshold_amount"] > 0)
    per_unit = np.where(threshold.notna(), 1.0 / threshold, 1.0 / price)
    given = np.where(deals["promo_type"] == "threshold", deals["amount_off"], deals["gift_value"])
    deals["pct"] = 100 * given * per_unit
    share = (deals["promo_type"] == "threshold") & ~np.isfinite(deals["pct"])
    deals.loc[share, "pct"] = deals.loc[share, "discount_pct"]  # spend X get N % off
    deals = deals[np.isfinite(deals["pct"]) & (deals["pct"] > 0)]
    usual = deals.groupby(["item_id", "promo_type"])["pct"].median()
    return {key: float(v) for key, v in usual.items()}


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
    ran: dict[tuple[str, str], float] | None = None,
) -> list[Advice]:
    """Advice per item and per category, most money first (confident advice before the rest).

    ``params``: EffectParams (the pooled ``store_id == "all"`` row per item is used).
    ``items``: item_id, category, unit_cost [, base_price]; ``prices``: item_id,
    regular_price (overrides base_price). ``weekly_units``: baseline units per week per
    item (Series by item_id, or a frame item_id, weekly_units summed over stores); without
    it gains are not stated in money. ``usual``: usual percent-off depth per item (default:
    from ``evaluation`` via ``usual_depths``). ``giveaway_pct``: the gift / threshold depth
    to judge (% of the regular price; default gift 15, threshold 10, as the planner's grid)
    where ``ran`` (``usual_giveaways``) does not give the depth the item's own deals gave.
    ``evaluation``: past promotions (promo_id, promo_type, item_id, category, discount_pct,
    incremental_margin, roi as a fraction). When ``usual`` is known, "stop price discounts"
    is said only of items that get them; when ``evaluation`` is given, gift / threshold
    advice only of items that ran them.
    """
    giveaway_pct = {"gift": 15.0, "threshold": 10.0} if giveaway_pct is None else giveaway_pct
    if usual is None and evaluation is not None and "discount_pct" in evaluation:
        usual = usual_depths(evaluation)
    labels = item_labels(items)
    frame = _item_frame(params, items, prices, weekly_units, usual, labels)
    used = None
    if evaluation is not None and {"item_id", "promo_type"} <= set(evaluation):
        past = evaluation.dropna(subset=["item_id"])
        used = set(zip(past["item_id"].astype(str), past["promo_type"].astype(str), strict=True))
    advice: list[Advice] = []
    for item, r in frame.iterrows():
        advice += _depth_advice(str(item), r, max_depth, step)
        advice += _mechanism_advice(str(item), r, giveaway_pct, used, ran)
    advice += category_rollup(advice, frame["category"], labels)
    if evaluation is not None and len(evaluation):
        # the shop's own record of a mechanism on an item beats the model's view of it: one
        # "stop gifts on X", not one from each source (QA5 gave both, +554 and -445)
        past = evaluation_advice(evaluation, min_promotions, level, labels)
        said = {(a.subject, a.kind) for a in past}
        advice = [a for a in advice if (a.subject, a.kind) not in said] + past
    return sorted(
        advice,
        key=lambda a: (not a.confident, -abs(a.expected_gain or 0.0), a.subject_kind, a.subject),
    )
