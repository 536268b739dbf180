"""``promocast ingest`` and ``promocast info``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from promocast.cli.common import (
    DbOption,
    JsonOption,
    console,
    out,
    progress,
    resolve_db,
    write_json,
)


def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to load.")],
    fmt: Annotated[str | None, typer.Option(
        "--format", help="Known public layout: dominicks, walmart, m5, online-retail, stallion, tuna.")] = None,
    table: Annotated[str | None, typer.Option(
        "--table", help="Table of every file (default: told from each file name).")] = None,
    map_: Annotated[list[str] | None, typer.Option(
        "--map", help="Column mapping src=dst, repeatable (e.g. --map 销量=units).")] = None,
    mapping_file: Annotated[Path | None, typer.Option(
        "--mapping-file", help="YAML or JSON file {source column: canonical column}.")] = None,
    pseudonymise: Annotated[bool, typer.Option(
        "--pseudonymise", help="Hash customer ids (salted SHA-256; salt from $PROMOCAST_SALT "
        "or kept in the store) before they are stored.")] = False,
    missing_days: Annotated[str | None, typer.Option(
        "--missing-days", metavar="zero|unknown", help="What a day (week) without a sales row "
        "means: 'zero' writes a 0-unit row for it (exports listing only the days an item "
        "sold; out-of-stock days stay unknown), 'unknown' leaves it out of training. Kept for "
        "the shop: later loads apply it too. Default: the shop's choice, else unknown.")] = None,
    db: DbOption = None,
    json_out: JsonOption = None,
) -> None:
    """Validate files and load them into the store, all or nothing.

    Example: promocast ingest data/sales.csv data/items.xlsx --map 销量=units
    Example: PROMOCAST_SALT=... promocast ingest data/orders.csv --pseudonymise
    Example: promocast ingest data/sales_selling_days.csv --missing-days zero
    """
    from promocast.services import ingest as ingest_service

    target = resolve_db(db)
    with progress("reading and validating") as update:
        summary = ingest_service.ingest(
            paths, target, fmt=fmt, table=table, mapping=ingest_service.parse_map_options(map_),
            mapping_file=mapping_file, progress=update, pseudonymise=pseudonymise,
            missing_days=missing_days)
    for note in summary.notes:
        console.print(f"note: {note}", highlight=False, markup=False)
    for line in summary.lines():
        out.print(line, highlight=False, markup=False)
    out.print(f"store: {target}", highlight=False, markup=False)
    document = summary.as_dict()
    if summary.changed and {"sales", "inventory", "orders"} & set(summary.counts):
        from promocast.services.info import store_info

        with progress("checking data quality"):
            found = store_info(target)["warnings"]
        kinds = {w["kind"] for w in found}  # the same store-wide count once, not twice
        document["warnings"] = found + [w for w in summary.warnings if w["kind"] not in kinds]
    for line in quality_lines(document["warnings"]):
        console.print(f"warning: {line}", highlight=False, markup=False)
    write_json(json_out, document)


def quality_lines(warnings: list[dict]) -> list[str]:
    """The data-quality warnings of ``info`` as sentences, those with a count only: what a
    planner should look at before trusting forecasts (DESIGN §2: warnings, not errors)."""
    say = {
        "gap": lambda w: f"{w['count']} series have gaps ({w['periods']} missing periods: "
                         "neither trained on nor scored)",
        "zero_stock": lambda w: f"{w['count']} days with nothing on hand in {w['series']} "
                                "series (censored demand: neither trained on nor scored)",
        "outlier": lambda w: f"{w['count']} outlier rows in {w['series']} series (robust z > 5)",
        "guest_orders": lambda w: f"{w['count']} order lines without a customer id (kept; "
                                  "left out of customer analyses)",
        "not_sold_orders": _not_sold,
        "unknown_reference": _unknown_reference,
    }
    return [say[w["kind"]](w) + (f", e.g. {'; '.join(w['examples'][:3])}"
                                 if w.get("examples") else "")
            + (f". {w['message']}" if w.get("message") else "")
            for w in warnings if w.get("count") and w["kind"] in say]


def _not_sold(warning: dict) -> str:
    """The order lines left out as not sold (``data.order_status``), with their reasons."""
    reasons = ", ".join(f"{reason} {lines}" for reason, lines in warning["reasons"].items())
    orders = "" if warning.get("orders") is None else f" of {warning['orders']} orders"
    return (f"{warning['count']} order lines{orders} whose status says the sale did not happen "
            f"({reasons}): kept, left out of derived sales and customer analyses")


def _unknown_reference(warning: dict) -> str:
    """The promotions naming ids the store does not hold (``services.ingest``), in a sentence."""
    ids = ", ".join(warning["promotions"])
    more = warning["count"] - len(warning["promotions"])
    named = "; ".join(f"{field} {', '.join(values)}" for field, values in warning["unknown"].items())
    return (f"{warning['count']} promotion(s) ({ids}{f' and {more} more' if more > 0 else ''}) "
            f"name what the store does not hold: {named}. They cover no sales until those are "
            "loaded or the ids corrected")


def info(db: DbOption = None, json_out: JsonOption = None) -> None:
    """Tables, series, date range, frequency, promotion coverage and data-quality warnings.

    Example: promocast info --json info.json
    """
    from promocast.services import info as info_service

    with progress("reading the store"):
        document = info_service.store_info(resolve_db(db))
    if json_out is None:
        out.print_json(json.dumps(document, default=str, ensure_ascii=False))
    else:
        write_json(json_out, document)
        missing = document.get("missing_days") or {}
        zeros = (f" ({missing['zero_rows']:,} zero rows for days without one: --missing-days "
                 "zero)" if missing.get("mode") == "zero" else "")
        out.print(f"{document['series']} series, {document['tables']['sales']['rows']} sales rows"
                  f"{zeros}, freq {document['freq']}, {document['start']} .. {document['end']}; "
                  f"written to {json_out}", highlight=False, markup=False)


def calendar(
    db: DbOption = None,
    country: Annotated[str, typer.Option("--country", help="ISO country of the public holidays (auto: the stores table's country, else CN).")] = "auto",
    start: Annotated[str | None, typer.Option("--start", help="First date (default: first sale).")] = None,
    end: Annotated[str | None, typer.Option("--end", help="Last date (default: last sale + 120 days).")] = None,
    json_out: JsonOption = None,
) -> None:
    """Holidays, make-up workdays, shopping festivals and the shop's own events.

    Example: promocast calendar --country CN --start 2025-01-01 --end 2025-12-31
    """
    from promocast.services.calendar import shop_calendar, shop_country

    country = shop_country(resolve_db(db), country)
    frame = shop_calendar(resolve_db(db), country=country, start=start, end=end)
    for row in frame.itertuples(index=False):
        out.print(f"{row.date.date()}  {row.kind:<8}  {row.event}  [{row.store_id}]",
                  highlight=False, markup=False)
    write_json(json_out, {"country": country, "events": [
        {"date": str(r.date.date()), "event": r.event, "kind": r.kind, "store_id": r.store_id}
        for r in frame.itertuples(index=False)]})


def register(app: typer.Typer) -> None:
    app.command()(ingest)
    app.command()(info)
    app.command()(calendar)
