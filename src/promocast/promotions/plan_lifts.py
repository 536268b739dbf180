"""Which mechanism lifts a plan may rest on: those the data identified (or the rules give).

An optimiser picks exactly the options whose effects look best, so a lift the data never
measured is both the least certain and the most likely to be chosen: a shop whose history
never ran feature / display got it planned at no lift, or at its category's borrowed value.
A plan offers a mechanism (``threshold``, ``gift``, ``flash_sale``, ``feature_display``) for
an item only when its lift

- was estimated (not null: the item or its category ran the mechanism),
- is not flagged by the effects (``Effects.flags``: borrowed from the category because the
  item's own data do not move it, its promotions mostly sold out, or implausible), and
- has an interval that excludes 0 (``lift_<m>_lo`` > 0 or ``lift_<m>_hi`` < 0): an interval
  holding 0 gives no evidence that the mechanism moves units at all.

Otherwise the lift is set to null (``plan.build_candidates`` marks the option ``lift_missing``
and ``plan.optimise_plan`` leaves it out), unless the rules give a lift for the mechanism
(``lifts: {feature_display: 0.2}``, what the shop vouches for), which is then used as known.
Discounts (percent_off, amount_off) act through the price elasticity and are not affected.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from promocast.promotions.rules import LIFT_MECHANISMS

NOT_ESTIMATED = "not_estimated"
FLAGGED = "flagged"
INTERVAL_HOLDS_ZERO = "interval_holds_zero"
WHY = {
    NOT_ESTIMATED: "not estimated: neither the item nor its category ran it in the history",
    FLAGGED: "flagged by the effects",
    INTERVAL_HOLDS_ZERO: "its interval holds 0: no evidence that it moves units",
}
LEFT_OUT_COLUMNS = ["item_id", "store_id", "mechanism", "reason", "detail", "rules_lift"]


def identified_lifts(
    params: pd.DataFrame,
    flags: pd.DataFrame | list[dict] | None = None,
    *,
    rule_lifts: dict[str, float] | None = None,
    mechanisms: tuple[str, ...] = LIFT_MECHANISMS,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """EffectParams with every lift the data do not identify set to null (or to the rules'
    lift), and one row per (item, store, mechanism) changed: ``reason`` (``NOT_ESTIMATED``,
    ``FLAGGED``, ``INTERVAL_HOLDS_ZERO``), ``detail`` (the flag's reason or the interval) and
    ``rules_lift`` (the rules' value used instead, or NaN: left out of the plan).

    ``flags``: the effects' flags (item_id, parameter, reason); ``mechanisms``: those planned."""
    rule_lifts = rule_lifts or {}
    out = params.copy()
    flags = pd.DataFrame(flags if flags is not None else [])
    flagged: dict[tuple[str, str], str] = {}
    if len(flags) and {"item_id", "parameter", "reason"} <= set(flags.columns):
        for item, parameter, reason in zip(flags["item_id"].astype(str), flags["parameter"],
                                           flags["reason"], strict=True):
            flagged.setdefault((item, str(parameter)), str(reason))
    items = out["item_id"].astype(str).to_numpy()
    stores = (out["store_id"].astype(str).to_numpy() if "store_id" in out
              else np.full(len(out), "all", dtype=object))
    rows = []
    for m in mechanisms:
        col, lo_col, hi_col = f"lift_{m}", f"lift_{m}_lo", f"lift_{m}_hi"
        value = (pd.to_numeric(out[col], errors="coerce").to_numpy(float) if col in out
                 else np.full(len(out), np.nan))
        lo = (pd.to_numeric(out[lo_col], errors="coerce").to_numpy(float) if lo_col in out
              else np.full(len(out), np.nan))
        hi = (pd.to_numeric(out[hi_col], errors="coerce").to_numpy(float) if hi_col in out
              else np.full(len(out), np.nan))
        changed = np.zeros(len(out), dtype=bool)
        for k in range(len(out)):
            flag = flagged.get((items[k], col))
            if not np.isfinite(value[k]):
                reason, detail = NOT_ESTIMATED, WHY[NOT_ESTIMATED]
            elif flag is not None:
                reason, detail = FLAGGED, flag
            elif np.isfinite(lo[k]) and np.isfinite(hi[k]) and lo[k] <= 0 <= hi[k]:
                reason, detail = INTERVAL_HOLDS_ZERO, (
                    f"lift {value[k]:+.3f}, interval {lo[k]:+.3f} .. {hi[k]:+.3f} holds 0")
            else:
                continue
            changed[k] = True
            rows.append((items[k], stores[k], m, reason, detail, rule_lifts.get(m, np.nan)))
        replacement = rule_lifts.get(m, np.nan)
        out[col] = np.where(changed, replacement, value)
        # a lift the shop vouches for is taken as known: no interval
        out[lo_col] = np.where(changed, replacement, lo)
        out[hi_col] = np.where(changed, replacement, hi)
    return out, pd.DataFrame(rows, columns=LEFT_OUT_COLUMNS)


def left_out_summary(left_out: pd.DataFrame, shown: int = 10) -> list[dict]:
    """The plan's ``left_out`` list: per mechanism and reason, the effects rows (items, or
    item x store where the effects are per store) whose lift the plan did not use
    (``series``, the first ``shown`` item ids, an example detail), and whether the rules'
    lift stood in (``rules_lift``)."""
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
            "series": int(len(g)),
            "items": items[:shown],
            "example": str(g["detail"].iloc[0]),
            "rules_lift": None if not np.isfinite(rules_lift) else float(rules_lift),
        })
    return out


def _why(entry: dict) -> str:
    return f"{entry['why']}: {entry['example']}" if entry["reason"] == FLAGGED else entry["why"]


def left_out_note(summary: list[dict]) -> str | None:
    """One line naming the mechanisms left out of (or given by the rules to) the plan."""
    dropped = [s for s in summary if s["rules_lift"] is None]
    given = [s for s in summary if s["rules_lift"] is not None]
    parts = []
    if dropped:
        parts.append("mechanisms left out where their lift is not identified: " + "; ".join(
            f"{s['mechanism']} for {s['series']} item(s) ({_why(s)})" for s in dropped) + " (give lifts: {mechanism: value} in the rules to plan them)")
    if given:
        parts.append("the rules' lift used where the data identify none: " + "; ".join(
            f"{s['mechanism']} {s['rules_lift']:+.2f} for {s['series']} item(s) ({_why(s)})"
            for s in given))
    return "; ".join(parts) or None
