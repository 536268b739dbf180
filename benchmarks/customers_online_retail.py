"""Customer analysis on UCI Online Retail (issue 6): purchase propensity and recommendations.

The orders of the UK gift shop (2010-12-01 .. 2011-12-09) are ingested with ``promocast
ingest --format online-retail`` into a temporary store. Test labels come from the last 3 months
(split 2011-09-09):

* propensity, "buys within 30 days" (``promocast customers propensity``): examples are
  (customer, cutoff) pairs, features from purchases before the cutoff, training cutoffs 30 days
  apart with labels ending by the split, test cutoffs 2011-09-09, 10-09 and 11-08. Five models,
  Platt-calibrated on the latest training cutoff: AUC, Brier (calibrated and raw), log loss,
  expected calibration error (ECE, over the reliability deciles). Target: AUC >= 0.80 and the
  best model above logistic regression.
* recommendations (``promocast customers recommend --evaluate``): item-to-item (EASE, and cosine
  item-kNN) trained on orders before the split; held-out items = the never-bought items of each
  customer's first purchase day after it; hit-rate@10 = share of them in the customer's top 10
  (mean per customer), against popularity under the same rules. Also shown: the share of
  customers with at least one hit, and the same with repeat items allowed. Target: hit-rate@10
  at least twice popularity's.

Run: .venv/bin/python benchmarks/customers_online_retail.py [--write]
(``--write`` replaces the section of BENCHMARKS.md; without it the tables are only printed.)
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import pandas as pd  # noqa: E402

from _report import machine, peak_rss_mb, write_section  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "uci_online_retail"
COMMAND = ".venv/bin/python benchmarks/customers_online_retail.py"


def _ece(calibration: list[dict]) -> float:
    total = sum(b["count"] for b in calibration)
    return sum(b["count"] * abs(b["predicted"] - b["observed"]) for b in calibration) / total


def propensity_table(db: Path) -> tuple[str, dict]:
    from promocast.services.customers import propensity_result

    started = time.perf_counter()
    result = propensity_result(db, horizon_days=30)
    seconds = time.perf_counter() - started
    document = result.to_json()
    lines = ["| model | AUC | Brier | Brier (raw) | log loss | ECE | seconds |",
             "|---|---|---|---|---|---|---|"]
    for name, row in document["models"].items():
        raw = "-" if row["brier_uncalibrated"] is None else f"{row['brier_uncalibrated']:.4f}"
        best = " **best**" if name == document["best"] else ""
        lines.append(f"| {name}{best} | {row['auc']:.4f} | {row['brier']:.4f} | {raw} | "
                     f"{row['log_loss']:.4f} | {_ece(row['calibration']):.4f} | "
                     f"{row['seconds']:.1f} |")
    rows = document["rows"]
    best_auc = document["models"][document["best"]]["auc"]
    logistic = document["models"]["logistic"]["auc"]
    lines += ["", f"Split {document['split_date']}; training cutoffs "
              f"{', '.join(document['train_cutoffs'])}; test cutoffs "
              f"{', '.join(document['test_cutoffs'])}; {rows['train']:,} training and "
              f"{rows['test']:,} test customer-cutoffs, {100 * rows['test_positive_rate']:.1f} % "
              f"of test examples buy. Whole run (features, 5 models, refit, scoring "
              f"{document['customers']:,} customers): {seconds:.1f} s.",
              "", f"Target AUC >= 0.80: {'met' if best_auc >= 0.80 else 'NOT met'} "
              f"(best {best_auc:.4f}); best above logistic regression: "
              f"{'met' if best_auc > logistic and document['best'] != 'logistic' else 'NOT met'} "
              f"(logistic {logistic:.4f})."]
    return "\n".join(lines), document


def recommend_table(db: Path, split: pd.Timestamp) -> tuple[str, dict]:
    from promocast.customers.recommend import evaluate_time_split
    from promocast.services.customers import read_purchase_days

    days = read_purchase_days(db)
    lines = ["| model | items | hit-rate@10 new items | popularity | ratio | customers with a hit "
             "(model / popularity) | any item: hit-rate@10 | popularity | ratio | seconds |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    results = {}
    for method in ("ease", "cosine"):
        started = time.perf_counter()
        result = evaluate_time_split(days, split, k=10, method=method)
        seconds = time.perf_counter() - started
        new, anyone = result["new_items"], result["any_item"]
        results[method] = result
        lines.append(
            f"| {method} | {result['items']:,} | {new['hit_rate']:.4f} | "
            f"{new['popularity_hit_rate']:.4f} | {new['ratio']:.2f} | "
            f"{new['customers_with_a_hit']:.3f} / {new['popularity_customers_with_a_hit']:.3f} | "
            f"{anyone['hit_rate']:.4f} | {anyone['popularity_hit_rate']:.4f} | "
            f"{anyone['ratio']:.2f} | {seconds:.1f} |")
    new = results["ease"]["new_items"]
    lines += ["", f"{new['customers']:,} customers with history bought {new['held_out']:,} new "
              f"items on their first purchase day after {results['ease']['split_date']}. "
              f"Target hit-rate@10 >= 2 x popularity: "
              f"{'met' if new['ratio'] >= 2 else 'NOT met'} (x{new['ratio']:.2f} with ease)."]
    return "\n".join(lines), results


def main() -> None:
    from promocast.services.ingest import ingest

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="Write the section of BENCHMARKS.md.")
    args = parser.parse_args()
    source = DATA / "online_retail.parquet"
    if not source.exists():
        sys.exit(f"UCI Online Retail not found at {source}")
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "uci.duckdb"
        started = time.perf_counter()
        ingest([source], db, fmt="online-retail")
        ingest_seconds = time.perf_counter() - started
        propensity, document = propensity_table(db)
        recommend, _results = recommend_table(db, pd.Timestamp(document["split_date"]))
    body = (f"Ingest ({source.name}, 541,909 lines): {ingest_seconds:.1f} s. "
            f"Peak memory {peak_rss_mb():.0f} MB.\n\n"
            f"### Purchase propensity: buys within 30 days\n\n{propensity}\n\n"
            f"### Recommendations: hit-rate@10 on the same time split\n\n{recommend}\n")
    print(f"Machine: {machine()}\n\nRerun: `{COMMAND}`\n\n{body}")
    if args.write:
        write_section("customers_online_retail",
                      "UCI Online Retail: purchase propensity and recommendations", body, COMMAND)


if __name__ == "__main__":
    main()
