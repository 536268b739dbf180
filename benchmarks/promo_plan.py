"""Promotion plan optimiser on the demo shop's ground truth (DESIGN §5, issue 4).

For each seed: a demo shop (200 items, 2 stores, one year of history by default, ``--years``),
the next 8 weeks' true no-promotion demand as the baseline, the same rules for every plan.
Plan A is optimised with the TRUE effect parameters; plan B with the parameters under test. By default plan B's
parameters are ESTIMATED by promocast from the shop's own history: the shop's files are
ingested into a DuckDB store and ``services.promotions.effect_estimates`` fits them, exactly
as ``promocast promo effects`` would. ``--plans noise`` adds the truth plus noise of an
estimator's size instead (10 % on elasticities, +-0.05 on lifts, +-0.03 on dips, +-0.01 on
cannibalisation, x 0.25 / 0.5 / 1): how sensitive the plan is, apart from any estimator.
Every plan is priced with the truth, day by day
(promocast.testing.demo.plan_truth.true_plan_value): the score is true margin of B / true
margin of A (target >= 95 %). Also reported: the MIP gap, solve time, and how far the
planner's own (linearised) margin of A is from its true margin.

``--ablate`` attributes a shortfall: plans optimised with the truth except ONE estimated
parameter group ("truth + est. X": what the errors of X alone cost) and with the estimates
except one true group ("est. + true X": what fixing X alone would win back).

Run: .venv/bin/python benchmarks/promo_plan.py [--seeds 0,1,2] [--items 200]
     [--plans estimated|noise|both] [--ablate] [--years 1] [--no-write]
Other parameters plug in through ``run_seed(seed, plans_b={label: fn})``, fn a function
(shop, items) -> EffectParams frame (shop: the generated ``DemoShop``, its files still on disk).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from _promo_plan_report import (  # noqa: E402
    HISTORY_YEARS,
    PLAN_START,
    WEEKS,
    history_start,
    report,
)

from _report import write_section  # noqa: E402

REQUIRED_DAY = "2025-11-11"  # Double 11: its plan week must carry >= 30 promotions
ParamsFn = Callable[..., pd.DataFrame]  # (shop: DemoShop, items: DataFrame) -> EffectParams
TABLES = ("stores", "items", "promotions", "events", "sales", "inventory")
# parameter groups of EffectParams, for the ablation
GROUPS: dict[str, list[str]] = {
    "elasticity": ["price_elasticity", "price_elasticity_lo", "price_elasticity_hi"],
    "lift threshold": ["lift_threshold"],
    "lift gift": ["lift_gift"],
    "lift flash_sale": ["lift_flash_sale"],
    "lift bundle": ["lift_bundle"],
    "lift feature_display": ["lift_feature_display"],
    "post_promo_dip": ["post_promo_dip"],
    "cannibalisation": ["cannibalisation_rate"],
}


def true_params(shop, items: pd.DataFrame) -> pd.DataFrame:
    """The generator's own parameters as EffectParams (plan A's input)."""
    from promocast.testing.demo.plan_truth import effect_params_from_truth

    return effect_params_from_truth(shop.ground_truth, items["item_id"])


_ESTIMATES: dict[Path, pd.DataFrame] = {}


def estimated_params(shop, items: pd.DataFrame) -> pd.DataFrame:
    """EffectParams estimated by promocast from the shop's own history: its files ingested
    into ``shop.duckdb`` beside them, then ``effect_estimates`` as ``promo effects`` runs it.
    Kept per shop, so the ablation variants reuse one fit. ``attrs['seconds']``: fit time."""
    from promocast.services.ingest import ingest
    from promocast.services.promotions import effect_estimates
    from promocast.services.shop import read_shop

    key = Path(shop.out_dir)
    if key not in _ESTIMATES:
        db = key / "shop.duckdb"
        ingest([shop.files[t] for t in TABLES if t in shop.files], db)
        started = time.perf_counter()
        _document, params, _id = effect_estimates(db, read_shop(db))
        params.attrs["seconds"] = time.perf_counter() - started
        _ESTIMATES[key] = params
    return _ESTIMATES[key].copy()


def identified_params(shop, items: pd.DataFrame) -> pd.DataFrame:
    """The estimated parameters as ``promo plan`` uses them: a lift the data did not estimate
    is left out of the plan (``plan_lifts.identified_lifts`` without rules' lifts)."""
    from promocast.promotions.plan_lifts import identified_lifts

    params = estimated_params(shop, items)
    out, _changed = identified_lifts(params)
    out.attrs["seconds"] = params.attrs.get("seconds", 0.0)
    return out


def swap(base: pd.DataFrame, donor: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """``base`` with ``columns`` taken from ``donor`` item by item (pooled store ``all`` rows;
    items the donor lacks keep their own values)."""
    pooled = donor[donor["store_id"] == "all"].drop_duplicates("item_id").set_index("item_id")
    out = base.copy()
    for col in columns:
        out[col] = out["item_id"].map(pooled[col]).fillna(out[col])
    return out


def ablation(groups: Sequence[str] = tuple(GROUPS)) -> dict[str, ParamsFn]:
    """Plan B variants for attributing the estimate's shortfall, per parameter group:
    'truth + est. X' (the truth, X estimated) and 'est. + true X' (the estimate, X true)."""
    variants: dict[str, ParamsFn] = {}
    for group in groups:
        cols = GROUPS[group]

        def one_wrong(shop, items, cols=cols):
            return swap(true_params(shop, items), estimated_params(shop, items), cols)

        def one_right(shop, items, cols=cols):
            return swap(estimated_params(shop, items), true_params(shop, items), cols)

        variants[f"truth + est. {group}"] = one_wrong
        variants[f"est. + true {group}"] = one_right
    return variants


def perturbed_truth(
    seed: int = 0,
    *,
    scale: float = 1.0,
    elasticity_rel: float = 0.10,
    lift_abs: float = 0.05,
    dip_abs: float = 0.03,
    cannibal_abs: float = 0.01,
) -> ParamsFn:
    """True parameters plus noise of the size an estimator makes: normal with sd
    ``elasticity_rel`` x |elasticity|, ``lift_abs`` on each lift, ``dip_abs`` on the dip,
    ``cannibal_abs`` on the cannibalisation rate, all times ``scale`` (the same draws for
    every scale, so scales are comparable)."""

    def params(shop, items: pd.DataFrame) -> pd.DataFrame:
        rng = np.random.default_rng(10_000 + seed)
        frame = true_params(shop, items)
        n = len(frame)
        noise = scale * rng.normal(0, elasticity_rel, n)
        frame["price_elasticity"] *= 1 + noise
        half = 1.645 * scale * elasticity_rel * frame["price_elasticity"].abs()
        frame["price_elasticity_lo"] = frame["price_elasticity"] - half
        frame["price_elasticity_hi"] = frame["price_elasticity"] + half
        for col in [c for c in frame if c.startswith("lift_")]:
            frame[col] = np.maximum(frame[col] + scale * rng.normal(0, lift_abs, n), -0.5)
        frame["post_promo_dip"] = np.clip(
            frame["post_promo_dip"] + scale * rng.normal(0, dip_abs, n), 0, 0.9
        )
        frame["cannibalisation_rate"] = np.clip(
            frame["cannibalisation_rate"] + scale * rng.normal(0, cannibal_abs, n), 0, 0.5
        )
        return frame

    return params


def rule_of_thumb(cand: pd.DataFrame, rules, event_day: str) -> pd.DataFrame:
    """What a shop might do by hand: 20 % off on each category's best sellers (up to the
    category cap, online store) in the festival week, biggest baseline revenue first, until
    the budget is spent."""
    week = cand[(cand["period_start"] <= event_day) & (cand["period_end"] >= event_day)]
    pick = week[
        (week["promo_type"] == "percent_off")
        & (week["depth"] == 20)
        & (week["store_id"] == "online")
        & ~week["item_id"].isin(rules.excluded_items)
    ].sort_values("baseline_revenue", ascending=False)
    pick = pick.groupby("category").head(rules.max_per_category_period)
    return pick[pick["giveaway"].cumsum() <= rules.budget]


def plan_rules(baseline: pd.DataFrame, prices: pd.DataFrame, budget_pct: float = 2.0) -> dict:
    """The same rules for every plan: a budget of ``budget_pct`` % of the baseline revenue, at most 4
    items of a category per store and week, a quiet week between promotions, Double 11 must
    carry 30 promotions, two items excluded, fixed costs for feature / display and flash
    sales."""
    revenue = baseline.merge(prices, on="item_id").eval("baseline_units * regular_price").sum()
    return {
        "budget": round(budget_pct / 100 * float(revenue), -1),
        "max_per_category_period": 4,
        "min_gap_periods": 1,
        "excluded_items": list(prices["item_id"].iloc[:2]),
        "required": [{"event": "double_11", "min_promotions": 30}],
        "fixed_cost": {"feature_display": 150.0, "flash_sale": 300.0},
        "grid": {
            "percent_off": [10, 20, 30],
            "flash_sale": [30, 40, 50],
            "threshold": [10],
            "gift": [15],
            "feature_display": [0],
        },
    }


NOISE_SCALES = (0.25, 0.5, 1.0)


def noise_plans(seed: int) -> dict[str, ParamsFn]:
    """The truth with estimator-sized noise x 0.25, 0.5 and 1."""
    return {f"noise x{k:g}": perturbed_truth(seed, scale=k) for k in NOISE_SCALES}


def run_seed(
    seed: int,
    *,
    n_items: int = 200,
    plans_b: dict[str, ParamsFn] | None = None,
    budgets: Sequence[float] = (2.0,),
    root: Path | None = None,
    years: int = HISTORY_YEARS,
) -> dict[float, dict]:
    """Per budget level (% of the baseline revenue): plan A (true parameters) and each plan B
    (``plans_b``: label -> function (shop, items) -> EffectParams; default: the parameters
    promocast estimates from the shop's history), all priced with the truth. One shop per
    seed, kept on disk until every plan is scored, so estimators can ingest its files."""
    from promocast.promotions.plan import build_candidates, optimise_plan
    from promocast.promotions.rules import make_rules
    from promocast.testing.demo import generate
    from promocast.testing.demo.plan_truth import festival_events, true_baseline, true_plan_value

    plans_b = {"estimated": estimated_params} if plans_b is None else plans_b
    with tempfile.TemporaryDirectory(dir=root) as tmp:
        shop = generate(
            Path(tmp) / "data", seed=seed, n_items=n_items, years=years, start=history_start(years)
        )
        items = pd.read_csv(shop.files["items"])
        truth = shop.ground_truth
        baseline = true_baseline(truth, items, PLAN_START, WEEKS)
        prices = items.rename(columns={"base_price": "regular_price"})[
            ["item_id", "regular_price", "unit_cost"]
        ]
        events = festival_events(truth)
        variants = {"A": true_params(shop, items)}
        params_seconds: dict[str, float] = {}
        for label, fn in plans_b.items():
            started = time.perf_counter()
            variants[label] = fn(shop, items)
            params_seconds[label] = variants[label].attrs.get(
                "seconds", time.perf_counter() - started
            )
        _ESTIMATES.pop(Path(shop.out_dir), None)

    grid = plan_rules(baseline, prices)["grid"]
    candidates, build_seconds = {}, {}
    for label, params in variants.items():
        started = time.perf_counter()
        candidates[label] = build_candidates(baseline, params, prices, grid=grid)
        build_seconds[label] = time.perf_counter() - started

    out: dict[float, dict] = {}
    for pct in budgets:
        rules = make_rules(plan_rules(baseline, prices, pct))

        def true_margin(promotions: pd.DataFrame, rules=rules) -> float:
            value = true_plan_value(
                truth, items, promotions, PLAN_START, WEEKS, fixed_cost=rules.fixed_cost
            )
            return value["incremental_margin"]

        res: dict = {"seed": seed, "budget": rules.budget, "B": {}}
        for label, cand in candidates.items():
            started = time.perf_counter()
            plan = optimise_plan(cand, rules, events=events)
            result = {
                "candidates": plan.n_candidates,
                "promotions": len(plan.chosen),
                "status": plan.status,
                "gap": plan.mip_gap,
                "solve_seconds": plan.solve_seconds,
                "seconds": build_seconds[label] + time.perf_counter() - started,
                "params_seconds": params_seconds.get(label, 0.0),
                "budget_used": plan.budget_used,
                "predicted_margin": plan.expected_incremental_margin,
                "true_margin": true_margin(plan.chosen),
                "mechanisms": plan.chosen["promo_type"].value_counts().to_dict(),
            }
            if label == "estimated":
                result["risk"] = chance_check(plan.chosen, true_margin, result["true_margin"])
            if label == "A":
                res["A"] = result
                thumb = rule_of_thumb(cand.assign(fixed_cost=0.0), rules, REQUIRED_DAY)
                res["rule_of_thumb"] = true_margin(thumb)
            else:
                ratio = result["true_margin"] / res["A"]["true_margin"]
                res["B"][label] = {**result, "ratio": ratio}
        out[float(pct)] = res
    return out


def chance_check(chosen: pd.DataFrame, true_margin: Callable, full: float) -> dict:
    """How the plan's ``chance_profitable`` fared: each promotion's true worth (the plan's
    true margin with it minus without it), and the plan's true margin without the ones under
    ``UNSURE_CHANCE``."""
    from promocast.services.promotions import UNSURE_CHANCE

    worth = np.array([full - true_margin(chosen.drop(index=i)) for i in chosen.index])
    sure = chosen["chance_profitable"].to_numpy() >= UNSURE_CHANCE
    double_11 = pd.Timestamp(REQUIRED_DAY)
    required = ((chosen["period_start"] <= double_11) & (double_11 <= chosen["period_end"]))
    return {"chance": chosen["chance_profitable"].to_numpy(), "worth": worth,
            "required": required.to_numpy(),
            "without_unsure": true_margin(chosen[sure]) if not sure.all() else full,
            "full": full}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--budgets", default="2,5", help="budgets, %% of the baseline revenue")
    parser.add_argument(
        "--plans",
        choices=("estimated", "noise", "both"),
        default="estimated",
        help="plan B parameters: estimated from the shop's history (default), the truth + "
        "estimator-sized noise, or both",
    )
    parser.add_argument(
        "--ablate", action="store_true", help="also plans with one estimated parameter group"
    )
    parser.add_argument("--years", type=int, default=HISTORY_YEARS,
                        help="years of history before the planned weeks (default 1)")
    parser.add_argument("--no-write", action="store_true", help="print, do not touch BENCHMARKS.md")
    args = parser.parse_args()
    budgets = [float(p) for p in args.budgets.split(",")]
    results: dict[float, list[dict]] = {p: [] for p in budgets}
    for s in args.seeds.split(","):
        plans_b: dict[str, ParamsFn] = {}
        if args.plans in ("estimated", "both"):
            plans_b["estimated"] = estimated_params
            plans_b["identified"] = identified_params
        if args.plans in ("noise", "both"):
            plans_b.update(noise_plans(int(s)))
        if args.ablate:
            plans_b.update(ablation())
        started = time.perf_counter()
        per_budget = run_seed(int(s), n_items=args.items, plans_b=plans_b, budgets=budgets,
                              years=args.years)
        print(f"seed {s}: {time.perf_counter() - started:.0f} s", flush=True)
        for pct, res in per_budget.items():
            results[pct].append(res)
    body = report(results, args.items, args.years)
    print(body)
    if not args.no_write:
        flags = "" if args.plans == "estimated" else f" --plans {args.plans}"
        flags += " --ablate" if args.ablate else ""
        flags += f" --years {args.years}" if args.years != HISTORY_YEARS else ""
        # one section per history length: one year (the default, the harder case) and the
        # demo's own three years sit side by side
        key, title = "promo_plan", "Promotion plan vs the plan that knows the truth"
        if args.years != HISTORY_YEARS:
            key, title = f"promo_plan_{args.years}y", f"{title}, {args.years} years of history"
        write_section(
            key,
            f"{title} (demo shop, issue 4)",
            body,
            f"python benchmarks/promo_plan.py{flags}",
        )


if __name__ == "__main__":
    main()
