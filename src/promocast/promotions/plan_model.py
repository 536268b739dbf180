"""The promotion plan as a MILP for HiGHS (scipy.optimize.milp), and why a plan is infeasible.

One binary x[c] per candidate (item x store x period x mechanism x depth). Each rule of
``PlanRules`` becomes a named group of linear rows so that, when HiGHS finds no plan, the
model can be re-solved with each group dropped in turn and the error can name the rule(s)
that make it infeasible.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix, csr_matrix

from promocast.exceptions import InfeasiblePlan, PromocastError
from promocast.promotions.rules import PlanRules

STATUS = {0: "optimal", 1: "time_limit", 2: "infeasible", 3: "unbounded", 4: "error"}


@dataclass
class RuleRows:
    """Linear rows lb <= A x <= ub that together express one rule."""

    label: str
    matrix: csr_matrix
    lower: np.ndarray
    upper: np.ndarray


@dataclass
class PlanModel:
    """Objective (to maximise), fixed-to-zero candidates and the rules as named row groups."""

    value: np.ndarray
    excluded: np.ndarray  # bool per candidate
    groups: dict[str, RuleRows] = field(default_factory=dict)
    excluded_label: str = "excluded_items"


@dataclass
class Solution:
    status: str
    chosen: np.ndarray  # bool per candidate
    objective: float
    gap: float | None
    seconds: float
    found: bool = True  # False: the solver returned no plan at all


@contextmanager
def _quiet_stdout() -> Iterator[None]:
    """Silence C-level writes to stdout while HiGHS runs: some HiGHS builds print a stray
    debug line ("HighsMipSolverData::transformNewIntegerFeasibleSolution ...") there, which
    would corrupt JSON written to stdout."""
    try:
        sys.stdout.flush()
        saved = os.dup(1)
    except (OSError, ValueError):
        yield
        return
    try:
        with open(os.devnull, "w") as sink:
            os.dup2(sink.fileno(), 1)
            yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _rows(row_of: np.ndarray, n_rows: int, coef: np.ndarray | None = None) -> csr_matrix:
    """A (n_rows x n_candidates) matrix with coef[c] at (row_of[c], c); row_of < 0 = absent."""
    n = len(row_of)
    keep = row_of >= 0
    data = np.ones(n) if coef is None else np.asarray(coef, dtype=float)
    return coo_matrix((data[keep], (row_of[keep], np.flatnonzero(keep))), shape=(n_rows, n)).tocsr()


def build_model(cand: pd.DataFrame, rules: PlanRules, windows: list[pd.DatetimeIndex]) -> PlanModel:
    """Every rule of ``rules`` as rows over the candidates ``cand`` (index 0..n-1)."""
    n = len(cand)
    value_column = "incremental_revenue" if rules.objective == "revenue" else "incremental_margin"
    model = PlanModel(
        value=cand[value_column].to_numpy(float),
        excluded=cand["item_id"].isin(rules.excluded_items).to_numpy(),
    )
    cell = cand.groupby(["item_id", "store_id", "period_start"], sort=False).ngroup().to_numpy()
    model.groups["one_option"] = RuleRows(
        "one option per item x store x period",
        _rows(cell, cell.max() + 1 if n else 0),
        np.full(cell.max() + 1 if n else 0, -np.inf),
        np.ones(cell.max() + 1 if n else 0),
    )
    gap = rules.min_gap_periods
    if gap > 0 and n:
        periods = np.sort(cand["period_start"].unique())
        ordinal = np.searchsorted(periods, cand["period_start"].to_numpy())
        series = cand.groupby(["item_id", "store_id"], sort=False).ngroup().to_numpy()
        n_periods = len(periods)
        parts = []
        for offset in range(gap + 1):
            window = ordinal - offset
            parts.append(
                _rows(
                    np.where(window >= 0, series * n_periods + window, -1),
                    (series.max() + 1) * n_periods,
                )
            )
        matrix = sum(parts[1:], parts[0]).tocsr()
        matrix = matrix[np.diff(matrix.indptr) > 1]  # windows holding two periods or more
        model.groups["min_gap_periods"] = RuleRows(
            f"min_gap_periods ({gap})",
            matrix,
            np.full(matrix.shape[0], -np.inf),
            np.ones(matrix.shape[0]),
        )
    if rules.max_per_category_period is not None and n:
        keys = cand.groupby(["category", "store_id", "period_start"], sort=False)
        row_of = keys.ngroup().to_numpy()
        caps = cand.groupby(row_of)["category"].first().map(rules.category_cap)
        capped = caps.notna().to_numpy()
        # a cap counts items: one row per (category, store, period), cell sums are <= 1
        matrix = _rows(row_of, len(caps))[capped]
        model.groups["max_per_category_period"] = RuleRows(
            f"max_per_category_period ({rules.max_per_category_period})",
            matrix,
            np.full(matrix.shape[0], -np.inf),
            caps.to_numpy(float)[capped],
        )
    if rules.budget is not None:
        # scaled to a right-hand side of 1 (HiGHS prefers coefficients near 1)
        scale = max(float(rules.budget), 1.0)
        model.groups["budget"] = RuleRows(
            f"budget ({rules.budget:g})",
            _rows(np.zeros(n, dtype=int), 1, cand["promo_cost"].to_numpy(float) / scale),
            np.array([-np.inf]),
            np.array([float(rules.budget) / scale]),
        )
    if rules.respect_stock and "stock_units" in cand and cand["stock_units"].notna().any():
        known = cand["stock_units"].notna().to_numpy()
        series = cand.groupby(["item_id", "store_id"], sort=False).ngroup().to_numpy()
        extra = (cand["expected_units"] - cand["baseline_units"]).to_numpy(float)
        spare = (cand["stock_units"] - cand["horizon_baseline_units"]).clip(lower=0)
        spare_of = pd.Series(spare.to_numpy(), index=series).groupby(level=0).first()
        spare_all = spare_of.reindex(range(series.max() + 1)).to_numpy(float)
        rows = np.flatnonzero(np.isfinite(spare_all))
        scale = np.maximum(spare_all[rows], 1.0)  # right-hand sides near 1 for HiGHS
        matrix = _rows(np.where(known, series, -1), series.max() + 1, extra)[rows]
        model.groups["respect_stock"] = RuleRows(
            "respect_stock (promotions sell only the stock left over the baseline)",
            csr_matrix(matrix.multiply(1.0 / scale[:, None])),
            np.full(len(rows), -np.inf),
            spare_all[rows] / scale,
        )
    for k, (req, window) in enumerate(zip(rules.required, windows, strict=True)):
        inside = cand["period_start"].isin(window)
        if req.category is not None:
            inside &= cand["category"] == req.category
        if req.store_id is not None:
            inside &= cand["store_id"] == req.store_id
        row_of = np.where(inside.to_numpy(), 0, -1)
        model.groups[f"required[{k}]"] = RuleRows(
            req.label(k),
            _rows(row_of, 1),
            np.array([float(req.min_promotions)]),
            np.array([np.inf]),
        )
    if rules.objective == "revenue":
        floor = 0.0 if rules.margin_floor is None else float(rules.margin_floor)
        model.groups["margin_floor"] = RuleRows(
            f"margin_floor ({floor:g})",
            _rows(np.zeros(n, dtype=int), 1, cand["incremental_margin"].to_numpy(float)),
            np.array([floor]),
            np.array([np.inf]),
        )
    return model


def solve(
    model: PlanModel,
    *,
    drop: tuple[str, ...] = (),
    feasibility_only: bool = False,
    time_limit: float = 60.0,
    mip_rel_gap: float = 1e-4,
) -> Solution:
    """Solve the model without the groups in ``drop`` (``excluded_items`` frees the excluded
    candidates); ``feasibility_only`` uses a zero objective (fast infeasibility checks)."""
    n = len(model.value)
    started = time.perf_counter()
    if n == 0:
        return Solution("optimal", np.zeros(0, dtype=bool), 0.0, 0.0, 0.0)
    upper = np.ones(n)
    if model.excluded_label not in drop:
        upper[model.excluded] = 0.0
    constraints = [
        LinearConstraint(rows.matrix, rows.lower, rows.upper)
        for name, rows in model.groups.items()
        if name not in drop and rows.matrix.shape[0]
    ]
    cost = np.zeros(n) if feasibility_only else -model.value
    with _quiet_stdout():
        result = milp(
            cost,
            integrality=np.ones(n),
            bounds=Bounds(np.zeros(n), upper),
            constraints=constraints,
            options={"time_limit": time_limit, "mip_rel_gap": mip_rel_gap, "disp": False},
        )
    seconds = time.perf_counter() - started
    status = STATUS.get(result.status, "error")
    if result.x is None:
        return Solution(status, np.zeros(n, dtype=bool), float("nan"), None, seconds, False)
    chosen = result.x > 0.5
    gap = getattr(result, "mip_gap", None)
    gap = float(gap) if gap is not None and np.isfinite(gap) else None
    if status == "optimal" and gap is None:
        gap = 0.0
    return Solution(status, chosen, float(model.value[chosen].sum()), gap, seconds)


def relaxable(model: PlanModel) -> list[tuple[str, str]]:
    """(group name, label) of every rule that can be relaxed, in a fixed order."""
    out = [(name, rows.label) for name, rows in model.groups.items() if name != "one_option"]
    if model.excluded.any():
        out.append((model.excluded_label, model.excluded_label))
    return out


def explain_infeasible(model: PlanModel, *, time_limit: float = 20.0) -> InfeasiblePlan:
    """Re-solve with each rule (then each pair of rules) relaxed; name those that unblock it."""
    rules = relaxable(model)
    singles = [
        label
        for name, label in rules
        if solve(model, drop=(name,), feasibility_only=True, time_limit=time_limit).status
        != "infeasible"
    ]
    if singles:
        which = singles[0] if len(singles) == 1 else "any one of: " + "; ".join(singles)
        return InfeasiblePlan(
            "no promotion plan satisfies every rule. The conflict comes from "
            + ("the rule " if len(singles) == 1 else "these rules (relaxing ")
            + which
            + (
                " (relaxing it makes a plan possible)."
                if len(singles) == 1
                else " makes a plan possible)."
            )
        )
    pairs = [
        f"{a} + {b}"
        for (name_a, a), (name_b, b) in combinations(rules, 2)
        if solve(model, drop=(name_a, name_b), feasibility_only=True, time_limit=time_limit).status
        != "infeasible"
    ]
    if pairs:
        return InfeasiblePlan(
            "no promotion plan satisfies every rule; no single rule is to blame, but relaxing "
            "one of these pairs makes a plan possible: " + "; ".join(pairs)
        )
    return InfeasiblePlan(
        "no promotion plan satisfies every rule, even with any two of them relaxed: "
        + "; ".join(label for _, label in rules)
    )


def check_solution(solution: Solution) -> None:
    """Turn solver failures other than infeasibility into an error."""
    if solution.status in ("optimal", "time_limit") and solution.found:
        return
    raise PromocastError(
        f"the MILP solver stopped with status {solution.status!r} and no plan"
        + (" (raise the time limit)" if solution.status == "time_limit" else "")
    )
