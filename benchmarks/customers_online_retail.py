"""Customer analysis on UCI Online Retail (issue 6): purchase propensity and recommendations.

The orders of the UK gift shop (2010-12-01 .. 2011-12-09) are ingested with ``promocast
ingest --format online-retail`` into a temporary store. Test labels come from the last 3 months
(split 2011-09-09):

* propensity, "buys within 30 days" (``promocast customers propensity``): examples are
  (customer, cutoff) pairs, features from purchases before the cutoff, training cutoffs 30 days
  apart with labels ending by the split, test cutoffs 2011-09-09, 10-09 and 11-08. Five models,
  Platt-calibrated on the latest training cutoff: AUC with its 95 % customer-bootstrap interval,
  the paired interval of its gain over logistic regression, the AUC per test cutoff and without
  long-dormant customers, Brier (calibrated and raw), log loss, expected calibration error (ECE,
  over the reliability deciles). Target: AUC >= 0.80 and the best model above logistic
  regression (its gain interval above 0). The same method runs on a demo shop (seed 3, 40
  items, two years: ``promocast.testing.demo_shop.generate``) so a change that only suits UCI
  shows.
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


def _interval(values: list[float] | None, signed: bool = False) -> str:
    if values is None:
        return "-"
    form = "{:+.4f}" if signed else "{:.4f}"
    return f"{form.format(values[0])} .. {form.format(values[1])}"


def model_table(document: dict) -> list[str]:
    """One row per model of a propensity JSON document."""
    cutoffs = document["test_cutoffs"]
    lines = ["| model | AUC | 95 % interval | gain over logistic (95 %) | AUC without dormant | "
             + " | ".join(f"AUC {c}" for c in cutoffs)
             + " | Brier | Brier (raw) | log loss | ECE | seconds |",
             "|---|---|---|---|---|" + "---|" * len(cutoffs) + "---|---|---|---|---|"]
    for name, row in document["models"].items():
        raw = "-" if row["brier_uncalibrated"] is None else f"{row['brier_uncalibrated']:.4f}"
        best = " **best**" if name == document["best"] else ""
        by_cutoff = " | ".join(f"{row['auc_by_cutoff'][c]:.4f}" for c in cutoffs)
        lines.append(f"| {name}{best} | {row['auc']:.4f} | {_interval(row.get('auc_ci95'))} | "
                     f"{_interval(row.get('gain_over_logistic_ci95'), signed=True)} | "
                     f"{row['auc_without_dormant']:.4f} | {by_cutoff} | {row['brier']:.4f} | "
                     f"{raw} | {row['log_loss']:.4f} | {_ece(row['calibration']):.4f} | "
                     f"{row['seconds']:.1f} |")
    return lines


def _population(document: dict, seconds: float) -> str:
    rows, population = document["rows"], document["population"]
    return (f"Split {document['split_date']}; training cutoffs "
            f"{', '.join(document['train_cutoffs'])}; test cutoffs "
            f"{', '.join(document['test_cutoffs'])}; {rows['train']:,} training and "
            f"{rows['test']:,} test customer-cutoffs ({population['scored']}; "
            f"{100 * population['test_dormant_share']:.1f} % of them long-dormant, no purchase "
            f"in {population['dormant_days']} days), {100 * rows['test_positive_rate']:.1f} % of "
            f"test examples buy; {population['features']} features. Whole run (features, "
            f"{len(document['models'])} models, bootstrap, refit, scoring "
            f"{document['customers']:,} customers): {seconds:.1f} s.")


def propensity_table(db: Path) -> tuple[str, dict]:
    from promocast.services.customers import propensity_result

    started = time.perf_counter()
    result = propensity_result(db, horizon_days=30)
    seconds = time.perf_counter() - started
    document = result.to_json()
    best_auc = document["models"][document["best"]]["auc"]
    logistic = document["models"]["logistic"]["auc"]
    lines = model_table(document) + [
        "", _population(document, seconds),
        "", f"Target AUC >= 0.80: {'met' if best_auc >= 0.80 else 'NOT met'} "
        f"(best {best_auc:.4f}); best above logistic regression (gain interval above 0): "
        f"{'met' if document['best_beats_logistic'] else 'NOT met'} (logistic {logistic:.4f})."]
    return "\n".join(lines), document


def demo_shop_table() -> str:
    """The same comparison on a demo shop: a check that the method is not tuned to UCI."""
    from promocast.customers.orders import purchases_from_lines
    from promocast.customers.propensity import compare_models
    from promocast.testing.demo_shop import generate

    with tempfile.TemporaryDirectory() as tmp:
        shop = generate(Path(tmp), seed=3, n_items=40, years=2.0, start="2023-01-01")
        purchases = purchases_from_lines(pd.read_csv(shop.files["orders"]))
    started = time.perf_counter()
    document = compare_models(purchases, horizon_days=30).to_json()
    seconds = time.perf_counter() - started
    best = document["models"][document["best"]]["auc"]
    return "\n".join(model_table(document) + [
        "", _population(document, seconds),
        "", f"Best {document['best']} {best:.4f}; above logistic regression (gain interval "
        f"above 0): {'yes' if document['best_beats_logistic'] else 'no'}."])


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
    demo = demo_shop_table()
    body = (f"Ingest ({source.name}, 541,909 lines): {ingest_seconds:.1f} s. "
            f"Peak memory {peak_rss_mb():.0f} MB.\n\n"
            f"### Purchase propensity: buys within 30 days\n\n{propensity}\n\n"
            f"The same method on the demo shop (seed 3, 40 items, two years of orders):\n\n"
            f"{demo}\n\n"
            f"### Recommendations: hit-rate@10 on the same time split\n\n{recommend}\n")
    print(f"Machine: {machine()}\n\nRerun: `{COMMAND}`\n\n{body}")
    if args.write:
        write_section("customers_online_retail",
                      "UCI Online Retail: purchase propensity and recommendations", body, COMMAND)


if __name__ == "__main__":
    main()
