"""M5 subset (``tiny_m5`` of the CRAN package m5), side by side with plain statsforecast and
mlforecast.

280 item x store daily unit-sales series (28 items x 10 stores, all of them: no sampling) with
sell prices, SNAP days and events, ingested with ``promocast ingest --format m5`` into a
temporary store. Backtest: horizon 28 days, 3 folds 28 days apart
(``promocast backtest --horizon 28 --folds 3 --step 28``).

In the same run, on the same cutoffs and points: statsforecast ``AutoETS`` and
``SeasonalNaive`` (season 7) and mlforecast's default ``LGBMRegressor`` on lags 1, 7, 14, 28,
rolling means of 7 (lag 1) and 28 (lag 7) days, day of week and month (recursive, no inputs).
Target: promocast's best WAPE <= 0.90 x the best peer's.

Run: .venv/bin/python benchmarks/m5_subset.py [--models seasonal_naive,autoets,croston,ridge,lgbm,lgbm_tweedie]
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

from _peers import PeerFeatures, compare, table  # noqa: E402

from _report import machine, peak_rss_mb, write_section  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "m5_tiny_subset"
MODELS = "seasonal_naive,autoets,croston,ridge,lgbm,lgbm_tweedie"


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
    features = PeerFeatures(lags=[1, 7, 14, 28],
                            lag_transforms={1: [RollingMean(7)], 7: [RollingMean(28)]},
                            date_features=["dayofweek", "month"])
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "m5.duckdb"
        ingest([DATA], db, fmt="m5")
        result = compare(db, horizon=28, folds=3, step=28, models=args.models.split(","),
                         features=features)
    body = "\n".join([
        table(result, coverage_target=(75.0, 85.0)), "",
        f"Scored points: {result.points:,} observed item-store-days of {result.series:,} series "
        f"(of {result.panel_series:,}; all 280 series of the subset, no sample), cutoffs "
        f"{', '.join(str(c.date()) for c in result.cutoffs)}. MAPE counts only days with sales "
        "(most days of slow items sell 0, so WAPE is the headline). promocast's wall time "
        "includes building its panel once per model; the ensemble's is the sum of its members'. "
        f"Peak RSS {peak_rss_mb():.0f} MB. Timings contended: the 2 cores were shared with other "
        "jobs during the run."])
    if not args.no_write:
        write_section("m5_subset", "M5 subset: promocast vs plain peers (h=28, 3 folds, step 28)",
                      body, "python benchmarks/m5_subset.py")
    print(body)
    print(machine())


if __name__ == "__main__":
    main()
