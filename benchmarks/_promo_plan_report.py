"""The promotion plan benchmark's setting and its Markdown report (``promo_plan.py``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

PLAN_START = "2025-10-01"  # the 8 planned weeks hold Double 11
HISTORY_YEARS = 1  # default history before PLAN_START (``--years``)
WEEKS = 8


def history_start(years: int) -> str:
    """First day of ``years`` whole calendar years of history ending the day before
    PLAN_START (the demo shop counts history in calendar years)."""
    return str((pd.Timestamp(PLAN_START) - pd.DateOffset(years=years)).date())


def chance_summary(risks: list[dict]) -> str:
    """One line: predicted chance to pay against the share of promotions that paid in truth,
    overall and under UNSURE_CHANCE, and what dropping those would have done."""
    from promocast.services.promotions import UNSURE_CHANCE

    chance = np.concatenate([r["chance"] for r in risks])
    paid = np.concatenate([r["worth"] for r in risks]) > 0
    low = chance < UNSURE_CHANCE
    required = np.concatenate([r["required"] for r in risks])
    delta = sum(r["without_unsure"] - r["full"] for r in risks)

    def group(rows: np.ndarray, name: str) -> str:
        if not rows.any():
            return f"{name}: none"
        return (f"{name}: {rows.sum()} promotions, mean chance {chance[rows].mean():.2f}, "
                f"share that paid {paid[rows].mean():.2f}")

    return (
        f"B estimated, `chance_profitable` against the truth (a promotion paid when the plan's "
        f"true margin with it beats that without it; all seeds): "
        f"{group(~low, f'at least {UNSURE_CHANCE:.0%}')}; {group(low, 'below')} "
        f"({(low & required).sum()} of them in the Double 11 week, which must carry "
        f">= 30 promotions); dropping those below would change the true "
        f"margin by {delta:+.0f} over the seeds, but break the festival rule."
    )


SETTING = (
    "Demo shop, {n} items x 2 stores, {history} of history ({start} on); the next {weeks} weeks "
    "({plan} on, Double 11 inside) planned in weeks. Rules: a budget (give-aways + fixed "
    "costs) of {budgets} % of the baseline revenue, <= 4 items per category x store x week, "
    "one quiet week between promotions of an item, >= 30 promotions in the Double 11 week, "
    "2 items excluded, fixed cost 150 per feature/display and 300 per flash sale; grid "
    "percent_off 10/20/30 %, flash_sale 30/40/50 %, threshold 10 %, gift 15 %, "
    "feature_display. Baseline = true calendar demand at the regular price (the same for "
    "every plan, so only the effect parameters differ). Plan A: optimised with the true "
    "parameters. Rule of thumb: 20 % off on each category's 4 best sellers online in the "
    "Double 11 week within the budget. Every plan is priced with the truth day by day "
    "(exact dips, compounding capped cannibalisation, the rivals of a category x store x day "
    "losing no more units than its promoted items gain, as the planner assumes); margins are "
    "incremental over no "
    "promotion, after give-aways and fixed costs. 'Planner margin' is the optimiser's own "
    "(linearised) estimate from the parameters it was given."
)
PLAN_B_TEXT = {
    "estimated": "B estimated: optimised with the effects promocast estimates from the shop's "
    "own history (files ingested into DuckDB, `effect_estimates` = `promocast promo "
    "effects`: Poisson GLM, censored stock-outs, EB shrinkage to the category).",
    "identified": "B identified: the same estimates as `promocast promo plan` uses them, a "
    "lift the data did not estimate left out of the plan.",
    "noise": "B noise x k: optimised with the truth + noise of an estimator's size (normal: "
    "elasticity x (1 + N(0, 0.10)), lifts + N(0, 0.05), dip + N(0, 0.03), cannibalisation "
    "+ N(0, 0.01)) times k.",
}


def _ablation_label(label: str) -> bool:
    return label.startswith(("truth + est.", "est. + true"))


def report(results: dict[float, list[dict]], n_items: int, years: int = HISTORY_YEARS) -> str:
    """Markdown: the setting once, then per budget level the plans' scores per seed, the
    plan B details and (when run) the ablation table."""
    first = next(iter(results.values()))
    all_labels = list(first[0]["B"])
    labels = [lb for lb in all_labels if not _ablation_label(lb)]
    ablated = [lb for lb in all_labels if _ablation_label(lb)]
    setting = SETTING.format(
        n=n_items,
        history="one year" if years == 1 else f"{years} years",
        start=history_start(years),
        weeks=WEEKS,
        plan=PLAN_START,
        budgets=" % or ".join(f"{p:g}" for p in results),
    )
    texts = [PLAN_B_TEXT["noise" if lb.startswith("noise") else lb if lb in PLAN_B_TEXT
                         else "estimated"] for lb in labels]
    lines = [" ".join([setting, *dict.fromkeys(texts)])]
    for pct, rows in results.items():
        lines += [
            "",
            f"### Budget {pct:g} % of the baseline revenue",
            "",
            "| seed | candidates | promotions A | MIP gap A | solve s A | budget used A | "
            "planner margin A | true margin A | rule of thumb (/ A) | "
            + " | ".join(f"B {label} / A" for label in labels)
            + " |",
            "|---|---|---|---|---|---|---|---|---|" + "---|" * len(labels),
        ]
        for r in rows:
            a = r["A"]
            lines.append(
                f"| {r['seed']} | {a['candidates']} | {a['promotions']} | {a['gap']:.1e} | "
                f"{a['solve_seconds']:.2f} | {a['budget_used']:.0f} / {r['budget']:.0f} | "
                f"{a['predicted_margin']:.0f} | {a['true_margin']:.0f} | "
                f"{r['rule_of_thumb']:.0f} ({100 * r['rule_of_thumb'] / a['true_margin']:.0f} %) | "
                + " | ".join(f"{100 * r['B'][label]['ratio']:.1f} %" for label in labels)
                + " |"
            )
        lines += [
            "",
            "| seed | plan B | promotions | MIP gap | solve s | plan s (candidates + MIP) | "
            "parameters s | budget used | planner margin | true margin | true B / A |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for r in rows:
            for label in labels:
                b = r["B"][label]
                lines.append(
                    f"| {r['seed']} | {label} | {b['promotions']} | {b['gap']:.1e} | "
                    f"{b['solve_seconds']:.2f} | {b['seconds']:.1f} | {b['params_seconds']:.0f} | "
                    f"{b['budget_used']:.0f} | {b['predicted_margin']:.0f} | "
                    f"{b['true_margin']:.0f} | {100 * b['ratio']:.1f} % |"
                )
        lines.append("")
        for label in labels:
            ratios = [r["B"][label]["ratio"] for r in rows]
            verdict = "met" if min(ratios) >= 0.95 else "**NOT met**"
            lines.append(
                f"- B {label}: true margin / A mean {100 * np.mean(ratios):.1f} %, worst "
                f"{100 * min(ratios):.1f} % (target >= 95 %: {verdict})."
            )
        risks = [r["B"]["estimated"]["risk"] for r in rows
                 if "risk" in r["B"].get("estimated", {})]
        if risks:
            lines.append("- " + chance_summary(risks))
        for r in rows[:1]:
            lines.append(f"- Mechanisms in plan A (seed {r['seed']}): {r['A']['mechanisms']}.")
            for label in labels:
                lines.append(
                    f"- Mechanisms in plan B {label} (seed {r['seed']}): "
                    f"{r['B'][label]['mechanisms']}."
                )
        if ablated:
            lines += [
                "",
                "Ablation, true margin / A: 'truth + est. X' = the truth with only X estimated "
                "(what X's errors cost); 'est. + true X' = the estimates with only X true "
                "(what fixing X alone wins back).",
                "",
                "| plan B | " + " | ".join(f"seed {r['seed']}" for r in rows) + " | mean |",
                "|---|" + "---|" * (len(rows) + 1),
            ]
            for label in ablated:
                ratios = [r["B"][label]["ratio"] for r in rows]
                lines.append(
                    f"| {label} | "
                    + " | ".join(f"{100 * v:.1f} %" for v in ratios)
                    + f" | {100 * np.mean(ratios):.1f} % |"
                )
    return "\n".join(lines)
