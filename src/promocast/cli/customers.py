"""``promocast customers segments|clv|propensity|recommend|targets``: customer analysis from the
orders table."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.cells import cell_len

from promocast.cli.common import DbOption, JsonOption, out, progress, resolve_db, write_json
from promocast.cli.table import pad

customers_app = typer.Typer(name="customers",
                            help="RFM segments, lifetime value, purchase propensity, "
                            "recommendations and promotion target lists (from orders).",
                            no_args_is_help=True)
OutOption = Annotated[Path | None, typer.Option(
    "--out", help="Export the per-customer table (.csv, .xlsx or .parquet).")]
HorizonOption = Annotated[int, typer.Option("--horizon", min=1, help="Days of the label window.")]


def _say(text: str) -> None:
    out.print(text, highlight=False, markup=False, soft_wrap=True)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f} %"


@customers_app.command()
def segments(
    as_of: Annotated[str | None, typer.Option("--as-of", help="Reference date (default: the "
                                              "day after the last order).")] = None,
    out_file: OutOption = None,
    db: DbOption = None,
    json_out: JsonOption = None,
) -> None:
    """RFM scores and named segments (champions, loyal, at risk, hibernating, new, ...) with
    customers, revenue and the share bought on promotion per segment.

    Example: promocast customers segments --out rfm.xlsx --json segments.json
    """
    from promocast.services.customers import run_segments

    with progress("customer segments") as update:
        document = run_segments(resolve_db(db), as_of=as_of, out=out_file, progress=update)
    write_json(json_out, document)
    _say(f"{document['customers']:,} customers, revenue {document['revenue']:,.2f}, as of "
         f"{document['as_of']}; bought on promotion: {_pct(document['shop_promo_share'])}")
    _say(f"{'segment':<20}{'customers':>10}{'share':>9}{'revenue':>14}{'rev share':>11}"
         f"{'on promo':>10}{'index':>7}")
    for row in document["segments"]:
        index = row.get("promo_index")
        _say(f"{row['segment']:<20}{row['customers']:>10,}{_pct(row['customer_share']):>9}"
             f"{row['revenue']:>14,.2f}{_pct(row['revenue_share']):>11}"
             f"{_pct(row.get('promo_share')):>10}{'-' if index is None else f'{index:.2f}':>7}")
    if out_file is not None:
        _say(f"per-customer table written to {out_file}")


@customers_app.command()
def clv(
    horizon: Annotated[int, typer.Option("--horizon", min=1, help="Days of value to count.")] = 365,
    discount_rate: Annotated[float, typer.Option("--discount-rate", min=0.0, max=1.0,
                                                 help="Monthly discount rate.")] = 0.01,
    top: Annotated[int, typer.Option("--top", min=1, help="Customers to show.")] = 10,
    out_file: OutOption = None,
    db: DbOption = None,
    json_out: JsonOption = None,
) -> None:
    """Customer lifetime value: BG/NBD (future purchases, probability alive) and Gamma-Gamma
    (value per purchase).

    Example: promocast customers clv --horizon 365 --out clv.csv
    """
    from promocast.services.customers import run_clv

    with progress("lifetime value") as update:
        document = run_clv(resolve_db(db), horizon_days=horizon, monthly_discount_rate=discount_rate,
                           top=top, out=out_file, progress=update)
    write_json(json_out, document)
    bg, gg = document["bgnbd"], document["gamma_gamma"]
    _say(f"{document['customers']:,} customers, {horizon}-day value {document['total_clv']:,.2f}; "
         f"mean probability alive {document['mean_prob_alive']:.3f}")
    _say("BG/NBD " + ", ".join(f"{k} {v:.4g}" for k, v in bg.items())
         + "; Gamma-Gamma " + ", ".join(f"{k} {v:.4g}" for k, v in gg.items()))
    shown = document["top"][:top]
    width = max([22, *(cell_len(str(row["customer_id"])) for row in shown)])
    for row in shown:
        _say(f"  {pad(str(row['customer_id']), width)} clv {row['clv']:>12,.2f}  alive {row['prob_alive']:.2f}"
             f"  expected purchases {row['expected_purchases']:.1f}")


@customers_app.command()
def propensity(
    horizon: HorizonOption = 30,
    split_date: Annotated[str | None, typer.Option(
        "--split-date", help="First day of the test labels (default: 3 months before the "
        "last order).")] = None,
    models: Annotated[str | None, typer.Option(
        "--models", help="Comma-separated: logistic,decision_tree,random_forest,svm,lightgbm "
        "(default: all).")] = None,
    out_file: OutOption = None,
    db: DbOption = None,
    json_out: JsonOption = None,
) -> None:
    """"Buys within N days": five models compared by AUC on a time split, with calibration;
    the best one scores every customer.

    Example: promocast customers propensity --horizon 30 --json propensity.json --out scores.csv
    """
    from promocast.services.customers import run_propensity

    chosen = tuple(m.strip() for m in models.split(",") if m.strip()) if models else None
    with progress("purchase propensity") as update:
        document = run_propensity(resolve_db(db), horizon_days=horizon, split_date=split_date,
                                  models=chosen, out=out_file, progress=update)
    write_json(json_out, document)
    _say(f"label: {document['label']}; test labels from {document['split_date']} "
         f"({document['rows']['test']:,} customer-cutoffs, {_pct(document['rows']['test_positive_rate'])} buy)")
    _say(f"{'model':<16}{'AUC':>8}{'Brier':>8}{'Brier raw':>11}{'seconds':>9}")
    for name, row in document["models"].items():
        raw = row["brier_uncalibrated"]
        _say(f"{name:<16}{row['auc']:>8.4f}{row['brier']:>8.4f}"
             f"{'-' if raw is None else f'{raw:.4f}':>11}{row['seconds']:>9.1f}")
    _say(f"best: {document['best']}; {document['customers']:,} customers scored at "
         f"{document['scored_at']}, {document['expected_buyers']:,.1f} expected buyers")


@customers_app.command()
def recommend(
    customer: Annotated[str | None, typer.Option("--customer", help="One customer's list.")] = None,
    top: Annotated[int, typer.Option("--top", min=1, help="Items per customer.")] = 10,
    method: Annotated[str, typer.Option("--method", help="ease or cosine (item-to-item).")] = "ease",
    evaluate: Annotated[bool, typer.Option(
        "--evaluate", help="Hit-rate@top on a time split against popularity.")] = False,
    split_date: Annotated[str | None, typer.Option(
        "--split-date", help="Split of --evaluate (default: 3 months before the last order).")] = None,
    out_file: Annotated[Path | None, typer.Option(
        "--out", help="Export every customer's top list (.csv, .xlsx or .parquet).")] = None,
    db: DbOption = None,
    json_out: JsonOption = None,
) -> None:
    """Items bought together, top-N items per customer (item-to-item) and the best customers
    for new items (category / brand / name similarity).

    Example: promocast customers recommend --customer C000171 --top 10
    """
    from promocast.services.customers import run_recommend

    with progress("recommendations") as update:
        document = run_recommend(resolve_db(db), customer=customer, top=top, method=method,
                                 evaluate=evaluate, split_date=split_date, out=out_file,
                                 progress=update)
    write_json(json_out, document)
    if customer is not None:
        _say(f"top {top} for {customer} ({document['bought_items']} items bought):")
        width = max([14, *(cell_len(str(row["item_id"])) for row in document["recommendations"])])
        for row in document["recommendations"]:
            _say(f"  {row['rank']:>2}. {pad(str(row['item_id']), width)} {row.get('name') or ''}  "
                 f"score {row['score']:.3f}")
        return
    _say(f"{document['customers']:,} customers, {document['items']:,} items ({method})")
    _say("bought together (highest lift):")
    for row in document["bought_together"][:10]:
        _say(f"  {row['item_a']} + {row['item_b']}: {row['orders']} orders, lift "
             f"{row['lift']:.1f}, confidence {_pct(row['confidence'])}")
    if document["new_items"]:
        _say(f"{len(document['new_items'])} new items matched to customers (see --json)")
    if "evaluation" in document:
        ev = document["evaluation"]["new_items"]
        _say(f"hit-rate@{top} on new items after {document['evaluation']['split_date']}: "
             f"{ev['hit_rate']:.4f} vs popularity {ev['popularity_hit_rate']:.4f} "
             f"(x{'-' if ev['ratio'] is None else ev['ratio']})")
    if out_file is not None:
        _say(f"every customer's list written to {out_file}")


@customers_app.command()
def targets(
    item: Annotated[str | None, typer.Option("--item", help="Item to be promoted.")] = None,
    category: Annotated[str | None, typer.Option("--category", help="Category to be promoted.")] = None,
    top: Annotated[int, typer.Option("--top", min=1, help="Customers in the list.")] = 100,
    horizon: HorizonOption = 30,
    model: Annotated[str, typer.Option("--model", help="Propensity model.")] = "lightgbm",
    out_file: Annotated[Path | None, typer.Option(
        "--out", help="Export the list (.csv, .xlsx or .parquet).")] = None,
    db: DbOption = None,
    json_out: JsonOption = None,
) -> None:
    """Target list for a planned promotion: customers most likely to respond (propensity x
    affinity to the item or category x promotion responsiveness), exportable.

    Example: promocast customers targets --category snacks --top 500 --out targets.xlsx
    """
    from promocast.services.customers import run_targets

    with progress("target list") as update:
        document = run_targets(resolve_db(db), item=item, category=category, top=top,
                               horizon_days=horizon, model=model, out=out_file, progress=update)
    write_json(json_out, document)
    what = item or category or "the whole shop"
    _say(f"{document['customers']:,} customers to target for {what}; "
         f"{document['expected_buyers']:,.1f} expected to buy within {horizon} days")
    shown = document["targets"][:20]
    width = max([22, *(cell_len(str(row["customer_id"])) for row in shown)])
    for row in shown:
        _say(f"  {row['rank']:>3}. {pad(str(row['customer_id']), width)} score {row['response_score']:.3f}  "
             f"p {row['probability']:.2f}  affinity {row['affinity']:.2f}  "
             f"promo x{row['promo_factor']:.2f}  {row['segment'] or ''}")
    if out_file is not None:
        _say(f"list written to {out_file}")


def register(app: typer.Typer) -> None:
    app.add_typer(customers_app, name="customers")
