"""``promocast diagnose``: unit roots, autocorrelation, STL, ARIMA / ETS fits per series."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.cells import cell_len

from promocast.cli.common import DbOption, JsonOption, out, progress, resolve_db, write_json
from promocast.cli.table import Column, table_lines


def diagnose(
    item: Annotated[str | None, typer.Option("--item", help="Only the series of this item.")] = None,
    store: Annotated[str | None, typer.Option("--store", help="Only the series of this store.")] = None,
    top: Annotated[int, typer.Option("--top", min=1, help="At most N series, largest volume first.")] = 20,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Folder for the plots: one PNG per series and diagnose.html.")] = None,
    log: Annotated[bool, typer.Option("--log", help="Analyse log(1 + units) instead of units.")] = False,
    country: Annotated[str, typer.Option("--country", help="Country of the holiday calendar (ISO code; auto: the stores table's country, else CN).")] = "auto",
    db: DbOption = None,
    json_out: JsonOption = None,
) -> None:
    """Time series diagnostics: ADF / KPSS and the differencing they suggest, ACF / PACF, STL
    trend and seasonal strength, AIC / BIC of ARIMA and ETS fits, Ljung-Box on their residuals.

    Example: promocast diagnose --item A1 --out diag --json diag.json
    """
    from promocast.services.diagnose import run_diagnose, summary_rows

    with progress("diagnose") as update:
        document = run_diagnose(resolve_db(db), item=item, store=store, limit=top,
                                out_dir=out_dir, country=country, log=log, progress=update)
    write_json(json_out, document)
    rows = summary_rows(document)

    def say(text: str) -> None:
        out.print(text, highlight=False, markup=False, soft_wrap=True)

    def num(value: float | None, d: int = 2) -> str:
        return "-" if value is None else f"{value:.{d}f}"

    say(f"{document['series_count']} of {document['series_matched']} series, frequency "
        f"{document['freq']}, season {document['season_length']} ({document['seconds']} s)")
    width = max([cell_len("series"), *(cell_len(r["series"]) for r in rows)]) + 2
    columns = [Column("series", width), Column("n", 5, ">"), Column("ADF p", 8, ">"),
               Column("KPSS p", 8, ">"), Column("d", 3, ">"), Column("D", 3, ">"),
               Column("F_T", 6, ">"), Column("F_S", 6, ">"), Column("best by AIC", 36, before=2),
               Column("LB p", 6, ">")]
    for line in table_lines(columns, [
            [r["series"], str(r["n"]), num(r["ADF p"], 3), num(r["KPSS p"], 3),
             "-" if r["d"] is None else str(r["d"]), "-" if r["D"] is None else str(r["D"]),
             num(r["F_T"]), num(r["F_S"]), r["best (AIC)"] or "-", num(r["LB p"])]
            for r in rows]):
        say(line)
    if "files" in document:
        say(f"plots: {len(document['files']['png'])} PNG in {out_dir}, page "
            f"{document['files']['html']}")


def register(app: typer.Typer) -> None:
    app.command()(diagnose)
