"""What-if simulation speed and exactness on the demo shop (issue 4: <= 2 s for 20 items x 14
days, no retraining).

A demo shop (200 items, 2 stores, one year of history); the baseline is the true no-promotion
demand per item x store x day over the next 21 days with quantiles of the demo's own noise
(Poisson-Gamma = negative binomial with the item's dispersion); the parameters are the truth
(``plan_truth.effect_params_from_truth``) with a 90 % elasticity interval of +-15 %. The
scenario puts 20 items (spread over the categories, every mechanism) on promotion for 14 days
in both stores. Timed: ``check_scenario`` + ``simulate`` (best and median of ``--repeat``
runs, one thread). Exactness: the simulated expected incremental margin against the demo's
day-by-day valuation of the same promotions (``plan_truth.true_plan_value``).

Run: .venv/bin/python benchmarks/promo_simulate.py [--items 200] [--repeat 5] [--samples 1000]
     [--no-write]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from _report import peak_rss_mb, write_section  # noqa: E402

HISTORY_START = "2024-10-01"
FIRST_DAY = "2025-10-01"
PROMO_DAYS = 14
KINDS = ("percent_off", "gift", "threshold", "flash_sale", "amount_off", "feature_display")


def setup(seed: int, n_items: int, root: Path) -> dict:
    """The shop, its true daily baseline with quantiles, the truth as EffectParams, the
    scenario (20 items x 14 days x every store) and the matching plan for the truth."""
    from scipy import stats

    from promocast.testing.demo import generate
    from promocast.testing.demo.plan_truth import effect_params_from_truth, true_baseline

    shop = generate(root, seed=seed, n_items=n_items, years=1.0, start=HISTORY_START)
    items = pd.read_csv(shop.files["items"])
    truth = shop.ground_truth
    stores = list(truth["stores"])
    base = true_baseline(truth, items, FIRST_DAY, PROMO_DAYS + 7, period_days=1)
    base = base.rename(columns={"period_start": "ds"})
    k = base["item_id"].map({i: v["dispersion"] for i, v in truth["items"].items()}).to_numpy()
    mu = np.maximum(base["baseline_units"].to_numpy(), 1e-9)
    for q in (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95):
        base[f"q{q:g}"] = stats.nbinom.ppf(q, k, k / (k + mu))
    params = effect_params_from_truth(truth, items["item_id"])
    half = 0.15 * params["price_elasticity"].abs()
    params["price_elasticity_lo"] = params["price_elasticity"] - half
    params["price_elasticity_hi"] = params["price_elasticity"] + half
    chosen = items.groupby("category").head(3).head(20)
    rows, plan = [], []
    for n, item in enumerate(chosen["item_id"]):
        kind = KINDS[n % len(KINDS)]
        depth = {"amount_off": 1.0, "feature_display": 0.0, "flash_sale": 40.0}.get(kind, 20.0)
        rows.append(
            {
                "promo_id": f"S{n:03d}",
                "promo_type": kind,
                "start_date": pd.Timestamp(FIRST_DAY),
                "end_date": pd.Timestamp(FIRST_DAY) + pd.Timedelta(days=PROMO_DAYS - 1),
                "item_id": item,
                "category": None,
                "store_id": None,
                "discount_pct": depth if kind not in ("amount_off", "feature_display") else np.nan,
                "threshold_amount": np.nan,
                "amount_off": depth if kind == "amount_off" else np.nan,
                "gift_value": np.nan,
                "feature": 0,
                "display": 0,
                "fixed_cost": np.nan,
                "planned_price": np.nan,
            }
        )
        for store in stores:
            for week in range(PROMO_DAYS // 7):
                plan.append(
                    {
                        "item_id": item,
                        "store_id": store,
                        "period_start": pd.Timestamp(FIRST_DAY) + pd.Timedelta(days=7 * week),
                        "promo_type": kind,
                        "depth": depth,
                    }
                )
    stock = base.groupby(["item_id", "store_id"], as_index=False)["baseline_units"].sum()
    stock["on_hand"] = np.round(stock["baseline_units"] * 1.2)
    return {
        "truth": truth,
        "items": items,
        "stores": stores,
        "baseline": base,
        "params": params,
        "scenario": pd.DataFrame(rows),
        "plan": pd.DataFrame(plan),
        "stock": stock[["item_id", "store_id", "on_hand"]],
    }


def run(seed: int = 0, n_items: int = 200, repeat: int = 5, samples: int = 1000) -> dict:
    from promocast.promotions.scenario import check_scenario
    from promocast.promotions.simulate import simulate
    from promocast.testing.demo.plan_truth import true_plan_value

    with tempfile.TemporaryDirectory() as tmp:
        s = setup(seed, n_items, Path(tmp))
    items = s["items"]
    categories = dict(zip(items["item_id"], items["category"], strict=True))
    seconds, cpu, sim = [], [], None
    for _ in range(repeat):
        started, cpu_started = time.perf_counter(), time.process_time()
        expanded = check_scenario(
            s["scenario"], item_ids=items["item_id"], categories=categories, store_ids=s["stores"]
        )
        sim = simulate(
            expanded,
            s["baseline"],
            s["params"],
            items,
            prices=items[["item_id", "base_price"]],
            stock=s["stock"],
            n_samples=samples,
        )
        seconds.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_started)
    assert sim is not None
    truth_value = true_plan_value(s["truth"], items, s["plan"], FIRST_DAY, PROMO_DAYS // 7)
    totals = sim.totals
    return {
        "seed": seed,
        "items": n_items,
        "promoted": int(s["scenario"]["item_id"].nunique()),
        "rows": len(sim.rows),
        "series": len(sim.series),
        "samples": samples,
        "best_s": min(seconds),
        "median_s": statistics.median(seconds),
        "cpu_s": statistics.median(cpu),
        "load": os.getloadavg()[0],
        "expected_margin": totals["incremental_margin"]["expected"],
        "true_margin": truth_value["incremental_margin"],
        "margin_q05": totals["incremental_margin"]["q0.05"],
        "margin_q95": totals["incremental_margin"]["q0.95"],
        "other_items_units": totals["other_items_incremental_units"]["expected"],
        "stock_warnings": sum(w["kind"].startswith("stock_") for w in sim.warnings),
        "peak_rss_mb": peak_rss_mb(),
    }


def report(r: dict) -> str:
    return "\n".join(
        [
            f"Demo shop seed {r['seed']}, {r['items']} items x 2 stores, one year of history; "
            f"scenario: {r['promoted']} items x {PROMO_DAYS} days x 2 stores, every mechanism; "
            f"baseline = true daily no-promotion demand over {PROMO_DAYS + 7} days with "
            "negative-binomial quantiles; parameters = the truth (elasticity interval +-15 %). "
            f"Simulated: {r['series']} item x store series (promoted items and their category "
            f"rivals), {r['rows']} rows, {r['samples']} joint draws; one thread.",
            "",
            "| check_scenario + simulate, best s | median s | median CPU s | load avg | "
            "expected incremental margin | true (demo valuation) | 90 % band | rivals' units | "
            "stock warnings | peak RSS MB |",
            "|---|---|---|---|---|---|---|---|---|---|",
            f"| {r['best_s']:.2f} | {r['median_s']:.2f} | {r['cpu_s']:.2f} | {r['load']:.1f} | "
            f"{r['expected_margin']:,.0f} | "
            f"{r['true_margin']:,.0f} | {r['margin_q05']:,.0f} .. {r['margin_q95']:,.0f} | "
            f"{r['other_items_units']:,.0f} | {r['stock_warnings']} | {r['peak_rss_mb']:.0f} |",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--no-write", action="store_true", help="print, do not touch BENCHMARKS.md")
    args = parser.parse_args()
    body = report(run(args.seed, args.items, args.repeat, args.samples))
    print(body)
    if not args.no_write:
        write_section(
            "promo_simulate",
            "What-if simulation speed (demo shop, 20 items x 14 days)",
            body,
            "python benchmarks/promo_simulate.py",
        )


if __name__ == "__main__":
    main()
