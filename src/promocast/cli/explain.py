"""``promocast explain``: SHAP drivers of one item's LightGBM forecast."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from promocast.cli.common import DbOption, JsonOption, out, progress, resolve_db, write_json
from promocast.cli.table import Column, table_lines

SHORT = {"level_trend": "level", "seasonality": "season", "events": "events", "price": "price",
         "promotion": "promo", "other": "other"}


def explain(
    item: Annotated[str, typer.Option("--item", help="Item id to explain.")],
    store: Annotated[str | None, typer.Option("--store", help="Store id (default: the item's stores summed).")] = None,
    horizon: Annotated[int | None, typer.Option("--horizon", min=1, help="Periods ahead (default 14 daily, 4 weekly).")] = None,
    scenario: Annotated[Path | None, typer.Option("--scenario", help="Planned promotions / prices (promotions columns + price).")] = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Folder for the HTML chart.")] = None,
    country: Annotated[str, typer.Option("--country", help="Country of the holiday calendar (ISO code; auto: the stores table's country, else CN).")] = "auto",
    db: DbOption = None,
    json_out: JsonOption = None,
) -> None:
    """Why the LightGBM forecast of an item is what it is: SHAP drivers per forecast day
    (level & trend, seasonality, events, price, promotion, other), in units.

    Example: promocast explain --item SKU0001 --store online --horizon 14 --out explain_out
    """
    from promocast.services.explain import run_explain

    with progress("explain") as update:
        document = run_explain(resolve_db(db), item=item, store=store, horizon=horizon,
                               scenario=scenario, country=country, out_dir=out_dir,
                               progress=update)
    write_json(json_out, document)
    say = lambda text: out.print(text, highlight=False, markup=False, soft_wrap=True)  # noqa: E731
    say(f"{document['item_id']} / {document['store_id']}: lgbm forecast = base + drivers (units)")
    for line in driver_lines(document["days"]):
        say(line)
    top = ", ".join(f"{f['feature']} ({f['units']:+.1f})" for f in document["top_features"][:5])
    say(f"top features (units over the horizon): {top}")
    for note in document.get("notes", []):
        say(f"note: {note}")
    if "html" in document:
        say(f"chart written to {document['html']}")


def driver_lines(days: list[dict]) -> list[str]:
    """The per-day table: date, forecast, base and each driver. ``table_lines`` widens a
    column to its longest value: a monthly shop's drivers in the hundred thousands ran into
    each other with fixed widths ("6268.97+118068.96-1166.82", Stallion)."""
    columns = [Column("date", 11), Column("forecast", 9, ">"), Column("base", 8, ">"),
               *(Column(v, 8, ">") for v in SHORT.values())]
    return table_lines(columns, [
        [str(day["ds"]), f"{day['forecast']:.2f}", f"{day['base']:.2f}",
         *(f"{day['drivers'][k]:+.2f}" for k in SHORT)] for day in days])


def register(app: typer.Typer) -> None:
    app.command()(explain)
