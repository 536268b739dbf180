"""Promotion calendar optimisation: which items get which mechanism and depth in which periods.

``build_candidates`` prices every allowed option (item x store x period x mechanism x depth)
from the no-promotion baseline forecast and the estimated effects (EffectParams);
``optimise_plan`` chooses among them with a MILP (HiGHS through scipy.optimize.milp) under
``PlanRules`` and explains each choice. The demand of an option is

    expected_units = baseline_units x (paid / regular price) ** price_elasticity
                     x prod(1 + lift_m for the option's non-price mechanisms m)

(the demo shop's true model, promocast.testing.demo.model). Its incremental margin is

    (net price - unit cost) x expected_units - giveaway_cost(gifts) - fixed_cost
    - (regular price - unit cost) x baseline_units                    # what it sells anyway
    - post_promo_dip x baseline of the next ``dip_periods`` period(s) x unit margin
    - sum over category rivals r in the store and period of
      cannibalisation_rate_r x baseline margin_r                       # linearised, see below

Cannibalisation is linearised per candidate: a promotion costs each rival its first-order loss
(rate x the rival's baseline margin), as if the rivals were not promoted themselves. The true
loss compounds, (1 - rate) ** rivals on promotion capped at 3 in the demo shop, so the
approximation overstates the loss when many rivals run at once, which the category cap keeps
rare. Either way a cell's promotions move at most their own incremental units away from
the category (``cannibal_bound``, as in the what-if): a slow item's option is charged no
more of its rivals' units than it gains itself. The dip is charged on the baseline of the
next period whether or not that period is promoted (with min_gap_periods >= 1 it never is);
past the horizon the last period's baseline stands in for the next one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from promocast.promotions.plan_candidates import (  # noqa: F401  (re-exported: the plan's API)
    KEY,
    LIFT_COLUMNS,
    LIFT_OF,
    build_candidates,
    effect_rows,
    promo_terms,
)
from promocast.promotions.plan_explain import explain_choices
from promocast.promotions.plan_model import (
    PlanModel,
    Solution,
    build_model,
    check_solution,
    explain_infeasible,
    solve,
)
from promocast.promotions.plan_refine import (
    applicable,
    attributed_values,
    marginal_values,
    plan_value,
)
from promocast.promotions.plan_risk import cautious, margin_risk
from promocast.promotions.rules import PlanRules, check_rules, required_windows


@dataclass
class PlanResult:
    """What the optimiser chose, how good it is and why (``to_json`` per DESIGN §3)."""

    status: str
    objective: str
    objective_value: float
    mip_gap: float | None
    budget: float | None
    budget_used: float
    expected_incremental_margin: float
    expected_incremental_revenue: float
    chosen: pd.DataFrame
    explanations: list[dict] = field(default_factory=list)
    solve_seconds: float = 0.0
    n_candidates: int = 0
    period: str = "W"

    def promotions_table(self) -> pd.DataFrame:
        """The plan in the canonical promotions columns (DESIGN §2): a scenario for
        ``promo simulate`` / ``forecast --scenario``."""
        c = self.chosen
        pct = c["promo_type"].isin(["percent_off", "flash_sale", "threshold"])
        return pd.DataFrame(
            {
                "promo_id": [f"PLAN{k + 1:05d}" for k in range(len(c))],
                "promo_type": c["promo_type"].to_numpy(),
                "start_date": c["period_start"].dt.strftime("%Y-%m-%d").to_numpy(),
                "end_date": c["period_end"].dt.strftime("%Y-%m-%d").to_numpy(),
                "item_id": c["item_id"].to_numpy(),
                "category": None,
                "store_id": c["store_id"].to_numpy(),
                "discount_pct": np.where(pct, c["depth"], np.nan),
                "threshold_amount": np.nan,
                "amount_off": np.where(c["promo_type"] == "amount_off", c["depth"], np.nan),
                "gift_value": np.where(
                    c["promo_type"] == "gift",
                    np.round(c["regular_price"] * c["depth"] / 100, 2),
                    np.nan,
                ),
                "feature": (c["promo_type"] == "feature_display").astype(int).to_numpy(),
                "display": 0,
                "fixed_cost": c["fixed_cost"].to_numpy(),
            }
        )

    def to_json(self) -> dict[str, Any]:
        def money(x: float | None) -> float | None:
            return None if x is None or not np.isfinite(x) else round(float(x), 2)

        rows = []
        for (_, r), why in zip(self.chosen.iterrows(), self.explanations, strict=True):
            kind = r["promo_type"]
            rows.append(
                {
                    "item_id": r["item_id"],
                    "store_id": r["store_id"],
                    "category": r["category"],
                    "promo_type": kind,
                    "depth": float(r["depth"]),
                    "discount_pct": float(r["depth"])
                    if kind in ("percent_off", "flash_sale", "threshold")
                    else None,
                    "amount_off": float(r["depth"]) if kind == "amount_off" else None,
                    "gift_value": money(r["regular_price"] * r["depth"] / 100)
                    if kind == "gift"
                    else None,
                    "start_date": r["period_start"].strftime("%Y-%m-%d"),
                    "end_date": r["period_end"].strftime("%Y-%m-%d"),
                    "regular_price": money(r["regular_price"]),
                    "price": money(r["shelf_price"]),
                    "expected_units": round(float(r["expected_units"]), 1),
                    "baseline_units": round(float(r["baseline_units"]), 1),
                    "expected_incremental_margin": money(r["incremental_margin"]),
                    "expected_incremental_revenue": money(r["incremental_revenue"]),
                    "promo_cost": money(r["promo_cost"]),
                    "expected_incremental_margin_range": [money(r["margin_lo"]),
                                                          money(r["margin_hi"])],
                    "chance_profitable": None if not np.isfinite(r["chance_profitable"])
                    else round(float(r["chance_profitable"]), 3),
                    "explanation": why,
                }
            )
        def total(column: str, exact: float) -> float | None:
            """The rows' sum as printed (cents), so the headline adds up to the cent."""
            values = [row[column] for row in rows]
            if not values or any(v is None for v in values):
                return money(exact)
            return round(sum(values), 2)

        return {
            "objective": self.objective,
            "status": self.status,
            "gap": None if self.mip_gap is None else round(float(self.mip_gap), 6),
            "expected_incremental_margin": total("expected_incremental_margin",
                                                 self.expected_incremental_margin),
            "expected_incremental_revenue": total("expected_incremental_revenue",
                                                  self.expected_incremental_revenue),
            "budget": self.budget,
            "budget_used": money(self.budget_used),
            "period": self.period,
            "candidates": self.n_candidates,
            "solve_seconds": round(self.solve_seconds, 3),
            "promotions": rows,
        }


def _select(candidates: pd.DataFrame, rules: PlanRules) -> pd.DataFrame:
    """The candidates the rules allow to be considered, with the rules' fixed costs; options
    whose mechanism lift is unknown (``lift_missing``) are left out."""
    cand = candidates
    if rules.stores is not None:
        cand = cand[cand["store_id"].isin(rules.stores)]
    if rules.start is not None:
        cand = cand[cand["period_start"] >= pd.Timestamp(rules.start)]
    if rules.end is not None:
        cand = cand[cand["period_start"] <= pd.Timestamp(rules.end)]
    allowed = {(k, float(d)) for k, depths in rules.grid.items() for d in depths}
    pairs = pd.Series(
        list(zip(cand["promo_type"], cand["depth"].astype(float), strict=True)),
        index=cand.index,
        dtype=object,
    )
    keep = pairs.isin(allowed)
    if "lift_missing" in cand:  # a lift the data do not identify is never planned (plan_lifts)
        keep &= ~cand["lift_missing"].astype(bool)
    cand = cand[keep].reset_index(drop=True).copy()
    cand["fixed_cost"] = cand["promo_type"].map(rules.fixed_cost).fillna(0.0).astype(float)
    cand["promo_cost"] = cand["giveaway"] + cand["fixed_cost"]
    cand["incremental_margin"] = cand["gross_incremental_margin"] - cand["fixed_cost"]
    return cand


def _refine(
    cand: pd.DataFrame,
    model: PlanModel,
    first: Solution,
    rules: PlanRules,
    rounds: int,
    **options: float,
) -> tuple[Solution, float]:
    """Re-solve with every candidate priced as its marginal value given the previous plan
    (promotions of a category cannibalising each other), keep the best plan by its value
    with compounding, capped cannibalisation. Returns it and the solving time spent."""
    objective = "revenue" if rules.objective == "revenue" else "margin"
    best, best_value = first, plan_value(cand, first.chosen, objective)
    current, seconds = first, 0.0
    for _ in range(rounds):
        model.value = marginal_values(cand, current.chosen, objective)
        nxt = solve(model, **options)
        seconds += nxt.seconds
        if not nxt.found or np.array_equal(nxt.chosen, current.chosen):
            break
        value = plan_value(cand, nxt.chosen, objective)
        if value > best_value + 1e-9:
            best, best_value = nxt, value
        current = nxt
    return best, seconds


def _required_by(chosen: pd.DataFrame, rules: PlanRules,
                 windows: list[pd.DatetimeIndex]) -> list[list[str]]:
    """Per chosen promotion, the ``required`` rules it counts toward (their labels): a
    promotion that loses money is then there for the rule, and its explanation says so."""
    out: list[list[str]] = [[] for _ in range(len(chosen))]
    for k, (req, window) in enumerate(zip(rules.required, windows, strict=True)):
        inside = chosen["period_start"].isin(window).to_numpy()
        if req.category is not None:
            inside &= (chosen["category"].astype(str) == str(req.category)).to_numpy()
        if req.store_id is not None:
            inside &= (chosen["store_id"].astype(str) == str(req.store_id)).to_numpy()
        for i in np.flatnonzero(inside):
            out[i].append(req.label(k))
    return out


def optimise_plan(
    candidates: pd.DataFrame,
    rules: PlanRules,
    *,
    events: pd.DataFrame | None = None,
    validate: bool = True,
    time_limit: float = 60.0,
    mip_rel_gap: float = 1e-4,
    refine_rounds: int = 2,
) -> PlanResult:
    """The best plan under ``rules`` (InfeasiblePlan names the rule(s) in the way).

    ``events``: date, event (resolves ``required`` festivals by name). ``validate`` checks the
    rules against the candidates' items, categories and stores (pass False after checking
    them against the whole shop with ``check_rules``). ``refine_rounds``: re-solves pricing
    each option given the rest of the plan (cannibalisation between promotions of a category
    that run together, see plan_refine); 0 keeps the linear first solve. The plan's
    expected margin and revenue, and each promotion's (its value given the rest of the
    plan), are priced with compounding, capped cannibalisation."""
    if validate:
        check_rules(
            rules,
            item_ids=candidates["item_id"].unique(),
            categories=candidates["category"].unique(),
            store_ids=candidates["store_id"].unique(),
            events=events,
        )
    cand = _select(candidates, rules)
    weighed = cautious(cand, rules.weight_caution)  # what the solver values; reports use ``cand``
    periods = pd.DatetimeIndex(sorted(cand["period_start"].unique()))
    windows = required_windows(rules, periods, events)
    model = build_model(weighed, rules, windows)
    options = {"time_limit": time_limit, "mip_rel_gap": mip_rel_gap}
    solution = solve(model, **options)
    if solution.status == "infeasible":
        raise explain_infeasible(model)
    check_solution(solution)
    seconds = solution.seconds
    refined = False
    if refine_rounds > 0 and applicable(cand):
        solution, extra = _refine(weighed, model, solution, rules, refine_rounds, **options)
        seconds += extra
        refined = True
        cand["incremental_margin"] = marginal_values(cand, solution.chosen, "margin")
        cand["incremental_revenue"] = marginal_values(cand, solution.chosen, "revenue")
    value_column = "incremental_revenue" if rules.objective == "revenue" else "incremental_margin"
    # alternatives are explained by their marginal values (comparable within a cell) ...
    if weighed is not cand:  # why an option with a higher mean lost: its uncertainty
        objective = "revenue" if rules.objective == "revenue" else "margin"
        cand["cautious_value"] = (marginal_values(weighed, solution.chosen, objective)
                                  if refined else weighed[value_column].to_numpy(float))
    explanations = explain_choices(cand, solution.chosen, rules, value_column)
    chosen = cand[solution.chosen].reset_index(drop=True)
    if refined:
        # ... the plan's rows by their shares of its exact value, so they add up to it
        chosen["incremental_margin"], loss = attributed_values(cand, solution.chosen, "margin")
        chosen["cannibalisation_loss"] = loss
        chosen["incremental_revenue"], _ = attributed_values(cand, solution.chosen, "revenue")
        for why, value in zip(explanations, loss, strict=True):
            why["cannibalisation_loss"] = round(float(value), 2)
    chosen = pd.concat([chosen, margin_risk(chosen)], axis=1)
    for why, rules_met in zip(explanations, _required_by(chosen, rules, windows), strict=True):
        why["required_by"] = rules_met
    return PlanResult(
        status=solution.status,
        objective=rules.objective,
        objective_value=float(chosen[value_column].sum()),
        mip_gap=solution.gap,
        budget=rules.budget,
        budget_used=float(chosen["promo_cost"].sum()),
        # the rows' sum: plan_value (margin, revenue) when refined, to rounding
        expected_incremental_margin=float(chosen["incremental_margin"].sum()),
        expected_incremental_revenue=float(chosen["incremental_revenue"].sum()),
        chosen=chosen,
        explanations=explanations,
        solve_seconds=seconds,
        n_candidates=len(cand),
        period=rules.period,
    )
