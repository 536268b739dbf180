"""Ingest benchmark: a 1,000,000-row sales CSV read, validated and stored.

Side by side in the same run: plain DuckDB (`read_csv` straight into a table: no validation) and
plain pandas `read_csv`. Results and the machine go to BENCHMARKS.md (section "ingest").

Run: .venv/bin/python benchmarks/ingest.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
import gc
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from _report import machine, peak_rss_mb, write_section


def make_sales_csv(path: Path, rows: int, seed: int = 0) -> None:
    """Daily sales of ~1,000 items x 2 stores with prices and promotion flags."""
    rng = np.random.default_rng(seed)
    n_series = 1000
    days = rows // n_series
    dates = pd.date_range("2022-01-01", periods=days, freq="D").strftime("%Y-%m-%d")
    item = np.repeat(np.arange(n_series), days)
    frame = pd.DataFrame({
        "date": np.tile(dates, n_series),
        "item_id": np.char.add("SKU", (item // 2).astype(str)),
        "store_id": np.where(item % 2 == 0, "online", "store_sh"),
        "units": rng.poisson(4.0, n_series * days),
        "price": np.round(rng.uniform(5, 50, n_series * days), 2),
        "base_price": 50.0,
        "on_promo": rng.integers(0, 2, n_series * days),
    })
    frame.to_csv(path, index=False)


def main() -> None:
    from promocast.services.ingest import ingest

    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "sales.csv"
        make_sales_csv(csv, args.rows)
        size_mb = csv.stat().st_size / 1e6
        gc.collect()
        t0 = time.perf_counter()
        summary = ingest([csv], Path(tmp) / "promocast.duckdb")
        promocast_s = time.perf_counter() - t0
        rows = summary.counts["sales"].inserted
        t0 = time.perf_counter()
        again = ingest([csv], Path(tmp) / "promocast.duckdb")
        reingest_s = time.perf_counter() - t0
        assert not again.changed

        import duckdb

        t0 = time.perf_counter()
        con = duckdb.connect(str(Path(tmp) / "plain.duckdb"))
        con.execute(f"CREATE TABLE sales AS SELECT * FROM read_csv('{csv}')")
        con.close()
        duckdb_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        pd.read_csv(csv)
        pandas_s = time.perf_counter() - t0
    lines = [
        f"Input: {rows:,} sales rows, {size_mb:.0f} MB CSV (1,000 series, daily, 7 columns).",
        "",
        "| step | seconds | ratio to promocast |",
        "|---|---|---|",
        f"| promocast ingest (read, map, validate every rule, upsert in one transaction) | {promocast_s:.2f} | 1.00 |",
        f"| promocast re-ingest of the same file (nothing changes) | {reingest_s:.2f} | {reingest_s / promocast_s:.2f} |",
        f"| plain DuckDB `CREATE TABLE AS read_csv` (no validation) | {duckdb_s:.2f} | {duckdb_s / promocast_s:.2f} |",
        f"| plain pandas `read_csv` (no validation, no store) | {pandas_s:.2f} | {pandas_s / promocast_s:.2f} |",
        "",
        f"Peak resident memory of the benchmark process: {peak_rss_mb():.0f} MB. "
        f"Target: <= 10 s for promocast ingest: **{'met' if promocast_s <= 10 else 'NOT met'}**.",
    ]
    write_section("ingest", "Ingest: 1,000,000-row sales CSV", "\n".join(lines),
                  "python benchmarks/ingest.py")
    print("\n".join(lines))
    print(machine())


if __name__ == "__main__":
    main()
