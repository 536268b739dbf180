"""``promocast inventory``: stock levels, order quantities and a reorder list from the forecasts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from promocast.cli.common import DbOption, JsonOption, out, progress, resolve_db, write_json
from promocast.cli.table import Column, table_lines


def _say(text: str) -> None:
    out.print(text, highlight=False, markup=False, soft_wrap=True)


def _num(value: float | None, spec: str = ",.0f") -> str:
    return "-" if value is None else format(value, spec)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f} %"


def inventory(
    lead_time: Annotated[int, typer.Option("--lead-time", min=0, help="Periods from order to arrival (days for daily data).")],
    service_level: Annotated[float, typer.Option("--service-level", min=0.5, max=0.999, help="Target cycle service level: chance a replenishment cycle has no stock-out.")] = 0.95,
    review_period: Annotated[int | None, typer.Option("--review-period", min=0, help="Periods between orders (R of the (R, S) policy); 0 = continuous review. Default a week: 7 for daily data, 1 for weekly or monthly data.")] = None,
    fill_rate: Annotated[float | None, typer.Option("--fill-rate", min=0.5, max=0.999, help="Target share of demand served from stock, instead of --service-level.")] = None,
    horizon: Annotated[int | None, typer.Option("--horizon", min=1, help="Periods for stock-out risk and the newsvendor quantity (default lead time + review period).")] = None,
    pack_size: Annotated[float, typer.Option("--pack-size", min=0.0, help="Orders are whole packs of this many units.")] = 1.0,
    min_order: Annotated[float, typer.Option("--min-order", min=0.0, help="Smallest order in units.")] = 0.0,
    salvage: Annotated[float, typer.Option("--salvage", min=0.0, max=0.99, help="Value of an unsold unit as a share of its cost (newsvendor).")] = 0.0,
    model: Annotated[str, typer.Option("--model", help="Forecasting model behind the quantiles.")] = "lgbm",
    replay: Annotated[bool, typer.Option("--replay", help="First replay the policy over past folds with the actual demand (service level achieved, stock held); also measures how forecast errors of nearby days move together.")] = False,
    folds: Annotated[int, typer.Option("--folds", min=1, help="Replay: folds scored.")] = 6,
    warmup: Annotated[int, typer.Option("--warmup-folds", min=0, help="Replay: earlier folds that only measure the forecast errors.")] = 2,
    samples: Annotated[int, typer.Option("--samples", min=200, max=20000, help="Demand paths drawn per series.")] = 2000,
    out_file: Annotated[Path | None, typer.Option("--out", help="Export the reorder list (.csv, .xlsx or .parquet).")] = None,
    country: Annotated[str, typer.Option("--country", help="Country of the holiday calendar (ISO code; auto: the stores table's country, else CN).")] = "auto",
    db: DbOption = None,
    json_out: JsonOption = None,
) -> None:
    """Safety stock, reorder point, order-up-to level and order quantity per item and store
    for a target service level (or fill rate), from the quantile forecasts with planned
    promotions; days of cover, stock-out risk, newsvendor quantity; a reorder list, most
    urgent first. Stock on hand is the inventory table's latest day.

    Example: promocast inventory --service-level 0.95 --lead-time 3 --review-period 7 --pack-size 6 --replay --out reorder.xlsx
    """
    from promocast.services.inventory import run_inventory, run_inventory_replay

    store = resolve_db(db)
    kept_replay = None
    with progress("inventory") as update:
        if replay:
            kept_replay = run_inventory_replay(
                store, service_level=service_level, fill_rate=fill_rate, lead_time=lead_time,
                review_period=review_period, folds=folds, warmup=warmup, pack_size=pack_size,
                min_order=min_order, model=model, country=country, progress=update)
        document = run_inventory(
            store, service_level=service_level, lead_time=lead_time, review_period=review_period,
            horizon=horizon, pack_size=pack_size, min_order=min_order, salvage=salvage,
            fill_rate=fill_rate, out=out_file, models=(model,), samples=samples,
            country=country, replay=kept_replay, progress=update)
    if kept_replay is not None:
        document["replay_run"] = kept_replay
    write_json(json_out, document)
    target = (f"fill rate {_pct(fill_rate)}" if fill_rate is not None
              else f"cycle service level {_pct(service_level)}")
    forecast = document["forecast"]
    _say(f"{document['series']} series, {target}, lead time {lead_time}, review every "
         f"{document['review_period']} (forecast {forecast['model']} from {forecast['start']}"
         f"{', reused' if forecast['reused'] else ''}); {document['orders']} to order now")
    kept = document.get("replay")
    if kept and kept.get("same_policy", True):
        _say(f"replay ({kept.get('cycles')} cycles, target {kept.get('target_value')}, lead "
             f"{kept.get('lead_time')}, review {kept.get('review_period')}): cycle service "
             f"level {_pct(kept.get('cycle_service_level'))}, fill rate "
             f"{_pct(kept.get('fill_rate'))}, average on hand {_num(kept.get('avg_on_hand'), ',.1f')}")
    if not document["reorder_list"] and document["items"]:
        _levels(document["items"])
    else:
        _reorder_table(document)
    for note in document["notes"]:
        _say(f"note: {note}")


def _levels(items: list[dict]) -> None:
    """Without stock on hand there is nothing to order yet: the levels per series, the
    largest demand over the lead time first (what to stock before the first count)."""
    columns = [Column("item", 14), Column("store", 10), Column("lead-time demand", 17, ">"),
               Column("safety", 8, ">"), Column("ROP", 7, ">"), Column("S", 7, ">")]
    rows = sorted(items, key=lambda r: -(r.get("mean_demand_lead_time") or 0.0))
    for line in table_lines(columns, [
            [str(row["item_id"]), str(row["store_id"]), _num(row["mean_demand_lead_time"], ",.1f"),
             _num(row["safety_stock"], ",.1f"), _num(row["reorder_point"]),
             _num(row["order_up_to"])] for row in rows[:25]]):
        _say(line)
    if len(rows) > 25:
        _say(f"... {len(rows) - 25} more (--json or --out for all)")


def _reorder_table(document: dict) -> None:
    columns = [Column("#", 3, ">"), Column("item", 14, before=1), Column("store", 10),
               Column("on hand", 8, ">"), Column("ROP", 7, ">"), Column("S", 7, ">"),
               Column("safety", 8, ">"), Column("order", 7, ">"), Column("cover", 7, ">"),
               Column("risk L", 8, ">"), Column("P(out)", 8, ">")]
    for line in table_lines(columns, [
            [str(row["urgency_rank"]), str(row["item_id"]), str(row["store_id"]),
             _num(row["on_hand"]), _num(row["reorder_point"]), _num(row["order_up_to"]),
             _num(row["safety_stock"], ",.1f"), _num(row["order_qty"]),
             _num(row["days_of_cover"], ".1f"), _pct(row["stockout_risk_lead_time"]),
             _pct(row["stockout_probability"])] for row in document["reorder_list"][:25]]):
        _say(line)
    if len(document["reorder_list"]) > 25:
        _say(f"... {len(document['reorder_list']) - 25} more (--json or --out for all)")


def register(app: typer.Typer) -> None:
    app.command("inventory")(inventory)
