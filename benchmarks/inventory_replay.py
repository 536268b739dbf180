"""Inventory replay: the (R, S) policy driven by promocast's quantile forecasts, replayed day by
day over held-out folds with the demand that came, on the demo shop and the M5 subset.

Targets: cycle service level 0.90 and 0.95; the achieved cycle service level must fall within
+-3 points of each. Policy: lead time 3 days, review every 7 days; rolling folds 21 days apart
(3 reviews each, forecast over 24 days, LightGBM quantiles), 2 warm-up folds that only measure
the forecast errors' calibration and day-to-day dependence, then 6 scored folds (126 days).

* demo shop: 100 items x 2 stores x 2 years, generated with seed 0 and ingested. Its history
  has stock-outs (censored sales); the generator also knows the uncensored demand, so the same
  policy is replayed a second time against the true demand ("demo shop, true demand").
* M5 subset (``tiny_m5``: 28 items x 10 stores, 1,913 days), ``promocast ingest --format m5``.

Run: OMP_NUM_THREADS=1 .venv/bin/python benchmarks/inventory_replay.py [--skip-m5] [--items 100]
Equivalent CLI per data set: promocast inventory --replay --service-level 0.95 --lead-time 3
--review-period 7 --folds 6 --warmup-folds 2
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

from _report import machine, peak_rss_mb  # noqa: E402

M5 = Path(__file__).resolve().parents[2] / "shared" / "data" / "m5_tiny_subset"
TARGETS = (0.90, 0.95)


def _row(name: str, summary: dict, series: int, seconds: float) -> str:
    def pct(key: str) -> str:
        value = summary.get(key)
        return "-" if value is None else f"{100 * value:.1f} %"

    return (f"| {name} | {100 * summary['target_value']:.0f} % | {pct('cycle_service_level')} | "
            f"{pct('cycle_service_level_observed')} | {pct('window_coverage')} | "
            f"{pct('fill_rate')} | {summary['avg_on_hand']:.2f} | "
            f"{summary['avg_demand_per_period']:.2f} | {summary['cycles']:,} | {series} | "
            f"{seconds:.0f} |")


def _replay(db: Path, name: str, args: argparse.Namespace, truth=None) -> list[str]:
    from promocast.inventory.policy import InventoryParams
    from promocast.services.inventory import replay_folds, replay_targets

    started = time.perf_counter()
    folds = replay_folds(db, lead_time=args.lead_time, review_period=args.review_period,
                         folds=args.folds, warmup=args.warmup, reviews_per_fold=3,
                         progress=lambda m: print(f"  {name}: {m}", flush=True))
    params = [InventoryParams(service_level=t, lead_time=args.lead_time,
                              review_period=args.review_period) for t in TARGETS]
    series = folds.forecasts["unique_id"].nunique()
    rows = [_row(name, s, series, time.perf_counter() - started)
            for s in replay_targets(folds, params)]
    if truth is not None:
        rows += [_row(f"{name}, true demand", s, series, time.perf_counter() - started)
                 for s in replay_targets(folds, params, demand=truth)]
    dep = folds.dependence[folds.cutoffs[-1]]
    print(f"  {name}: window rho {dep.window_rho(args.lead_time + args.review_period):.3f}, "
          f"score mean {dep.shift:+.2f} sd {dep.scale:.2f} ({dep.points:,} scores)", flush=True)
    return rows


def _demo_truth(root: Path):
    import pandas as pd

    truth = pd.read_parquet(root / "ground_truth_baseline.parquet")
    return pd.DataFrame({"unique_id": truth["item_id"] + "/" + truth["store_id"],
                         "ds": pd.to_datetime(truth["date"]),
                         "y": truth["demand_units"].astype(float), "observed": 1})


def main() -> None:
    from promocast.services.ingest import ingest
    from promocast.testing.demo_shop import generate

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100)
    parser.add_argument("--years", type=float, default=2.0)
    parser.add_argument("--lead-time", type=int, default=3)
    parser.add_argument("--review-period", type=int, default=7)
    parser.add_argument("--folds", type=int, default=6)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--skip-demo", action="store_true")
    parser.add_argument("--skip-m5", action="store_true")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_demo:
            shop = generate(Path(tmp) / "demo", seed=0, n_items=args.items, years=args.years)
            db = Path(tmp) / "demo.duckdb"
            ingest([shop.files[t] for t in ("stores", "items", "promotions", "events", "sales",
                                            "inventory") if t in shop.files], db)
            rows += _replay(db, f"demo shop {args.items}x2x{args.years:g}y", args,
                            truth=_demo_truth(Path(tmp) / "demo"))
        if not args.skip_m5:
            if not M5.exists():
                raise SystemExit(f"data set not available: {M5}")
            db = Path(tmp) / "m5.duckdb"
            ingest([M5], db, fmt="m5")
            rows += _replay(db, "M5 subset", args)
    header = ("| data | target CSL | achieved CSL | CSL, fully observed cycles | window coverage | "
              "fill rate | avg on hand | avg demand / day | cycles | series | seconds |\n"
              "|---|---|---|---|---|---|---|---|---|---|---|")
    print()
    print(f"Inventory replay: (R, S) policy, lead time {args.lead_time} d, review every "
          f"{args.review_period} d, {args.folds} scored folds after {args.warmup} warm-up folds")
    print(header)
    print("\n".join(rows))
    print()
    print("Command: OMP_NUM_THREADS=1 .venv/bin/python benchmarks/inventory_replay.py")
    print(f"Peak RSS {peak_rss_mb():.0f} MB. {machine()}")


if __name__ == "__main__":
    main()
