"""Which mechanism lifts a plan may rest on: those the data estimated (or the rules give).

A plan offers a mechanism (``threshold``, ``gift``, ``flash_sale``, ``feature_display``) for
an item only when its lift was estimated: the item, or its category, ran the mechanism in the
history. A lift the data never measured used to be priced as no lift at all, and an optimiser
that must fill a festival week picked such options at a margin of 0.00 (QA shop5: 25 of 28
planned promotions). Those are left out (``plan.build_candidates`` marks the option
``lift_missing``, ``plan.optimise_plan`` skips it), unless the rules give a lift for the
mechanism (``lifts: {feature_display: 0.2}``, what the shop vouches for).

Estimated lifts stay in even when uncertain (a category's value borrowed by an item whose
own data do not move it, an interval holding 0): the shrunk estimate is the expected lift,
which is what a plan maximising expected margin needs; the effects' flags say how sure it
is. Leaving out every lift whose 90 % interval holds 0 or that is borrowed was measured and
rejected: on the demo shop's ground truth (``benchmarks/promo_plan.py``, 1 year, 2 % budget,
seeds 0-2) the plan's true margin fell from 64.6 % of the margin of the plan that knows the
truth to -14.7 %, since the festival week then had to be filled with the few mechanisms left.
Discounts (percent_off, amount_off) act through the price elasticity and are not affected.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from promocast.promotions.plan_words import WHY_ZH
from promocast.promotions.plan_words import left_out as left_out_said
from promocast.promotions.rules import LIFT_MECHANISMS

NOT_ESTIMATED = "not_estimated"
WHY = {
    NOT_ESTIMATED: "not estimated: neither the item nor its category ran it in the history",
}
LEFT_OUT_COLUMNS = ["item_id", "store_id", "mechanism", "reason", "detail", "rules_lift"]


def identified_lifts(
    params: pd.DataFrame,
    *,
    rule_lifts: dict[str, float] | None = None,
    mechanisms: tuple[str, ...] = LIFT_MECHANISMS,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """EffectParams with every lift the data did not estimate set to the rules' lift (or left
    null: out of the plan), and one row per (item, store, mechanism) changed: ``reason``
    (``NOT_ESTIMATED``), ``detail`` and ``rules_lift`` (the rules' value used, or NaN).

    ``mechanisms``: those planned."""
    rule_lifts = rule_lifts or {}
    out = params.copy()
    items = out["item_id"].astype(str).to_numpy()
    stores = (out["store_id"].astype(str).to_numpy() if "store_id" in out
              else np.full(len(out), "all", dtype=object))
    frames = []
    for m in mechanisms:
        col = f"lift_{m}"
        value = (pd.to_numeric(out[col], errors="coerce").to_numpy(float) if col in out
                 else np.full(len(out), np.nan))
        missing = ~np.isfinite(value)
        if not missing.any():
            continue
        replacement = rule_lifts.get(m, np.nan)
        frames.append(pd.DataFrame({
            "item_id": items[missing], "store_id": stores[missing], "mechanism": m,
            "reason": NOT_ESTIMATED, "detail": WHY[NOT_ESTIMATED], "rules_lift": replacement}))
        # a lift the shop vouches for is taken as known: no interval
        for column in (col, f"{col}_lo", f"{col}_hi"):
            kept = (pd.to_numeric(out[column], errors="coerce").to_numpy(float)
                    if column in out else np.full(len(out), np.nan))
            out[column] = np.where(missing, replacement, kept)
    left_out = (pd.concat(frames, ignore_index=True) if frames
                else pd.DataFrame(columns=LEFT_OUT_COLUMNS))
    return out, left_out[LEFT_OUT_COLUMNS]


def left_out_summary(left_out: pd.DataFrame, shown: int = 10) -> list[dict]:
    """The plan's ``left_out`` list: per mechanism and reason, the effects rows (items, or
    item x store where the effects are per store) whose lift the plan did not use
    (``series``, the first ``shown`` item ids, an example detail), and whether the rules'
    lift stood in (``rules_lift``). ``why`` stays English (DESIGN §3); its Chinese is
    ``zh.why``, the plan's ``zh`` convention (``zh.notes``, ``zh.caveat``), so the page and the
    CLI in Chinese need not translate a reason they do not know."""
    out = []
    if left_out.empty:
        return out
    for (m, reason), g in left_out.groupby(["mechanism", "reason"], sort=True):
        rules_lift = g["rules_lift"].iloc[0]
        items = sorted(g["item_id"].astype(str).unique())
        out.append({
            "mechanism": m,
            "reason": reason,
            "why": WHY[reason],
            "zh": {"why": WHY_ZH[reason]},
            "series": int(len(g)),
            "items": items[:shown],
            "example": str(g["detail"].iloc[0]),
            "rules_lift": None if not np.isfinite(rules_lift) else float(rules_lift),
        })
    return out


def left_out_note(summary: list[dict]) -> str | None:
    """One line naming the mechanisms left out of (or given by the rules to) the plan (its
    Chinese too: ``plan_words.left_out``)."""
    said = left_out_said(summary)
    return None if said is None else said.en
