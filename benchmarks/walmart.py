"""Walmart store sales (Kaggle 2014), side by side with plain statsforecast and mlforecast.

3,331 store x department weekly series (sales dollars; markdowns as store-wide promotions,
temperature, fuel price, CPI, unemployment and holiday weeks as known inputs), ingested with
``promocast ingest --format walmart`` into a temporary store. Backtest: horizon 13 weeks, 3
folds 13 weeks apart (``promocast backtest --horizon 13 --folds 3 --step 13``).

In the same run, on the same cutoffs and points: statsforecast ``AutoETS`` and
``SeasonalNaive`` (season 52; AutoETS non-seasonal, as statsforecast and R fit no ETS
season beyond 24 periods) and mlforecast's default ``LGBMRegressor`` on lags 1-4 and 52, a
4-week rolling mean and month / week of year (recursive, no inputs). Target: promocast's best
WAPE <= 0.90 x the best peer's, and its 80 % interval covering 75-85 % of the actuals.

Run: .venv/bin/python benchmarks/walmart.py [--models seasonal_naive,autoets,ridge,lgbm,lgbm_tweedie]
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

from _peers import PeerFeatures, compare, table  # noqa: E402

from _report import machine, peak_rss_mb, write_section  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "walmart_store_sales"
MODELS = "seasonal_naive,autoets,ridge,lgbm,lgbm_tweedie"


def main() -> None:
    from mlforecast.lag_transforms import RollingMean

    from promocast.services.ingest import ingest

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=MODELS, help=f"promocast models (default {MODELS})")
    parser.add_argument("--no-write", action="store_true",
                        help="print the section, leave BENCHMARKS.md as it is (experiments)")
    args = parser.parse_args()
    if not DATA.exists():
        raise SystemExit(f"data set not available: {DATA}")
    features = PeerFeatures(lags=[1, 2, 3, 4, 52], lag_transforms={1: [RollingMean(4)]},
                            date_features=["month", "week"])
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "walmart.duckdb"
        ingest([DATA], db, fmt="walmart")
        result = compare(db, horizon=13, folds=3, step=13, models=args.models.split(","),
                         features=features)
    body = "\n".join([
        table(result, coverage_target=(75.0, 85.0)), "",
        f"Scored points: {result.points:,} observed store-department-weeks of {result.series:,} "
        f"series (of {result.panel_series:,}: those running to the last week with more than "
        f"{13 + 2 * 13 + 2 * 13} weeks of history, so every peer forecasts them), cutoffs "
        f"{', '.join(str(c.date()) for c in result.cutoffs)}. Units are sales dollars (negative "
        "weeks clipped at 0 at ingest). promocast's wall time includes building its panel "
        "(inputs, promotions, calendar) once per model; the ensemble's is the sum of its "
        f"members'. Peak RSS {peak_rss_mb():.0f} MB. Timings contended: the 2 cores were "
        "shared with other jobs during the run."])
    if not args.no_write:
        write_section("walmart", "Walmart store sales: promocast vs plain peers (h=13, 3 folds, step 13)",
                      body, "python benchmarks/walmart.py")
    print(body)
    print(machine())


if __name__ == "__main__":
    main()
