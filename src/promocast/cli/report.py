"""``promocast report``: the self-contained HTML report of what the store holds."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from promocast.cli.common import DbOption, out, progress, resolve_db
from promocast.config import get_settings


def report(
    db: DbOption = None,
    out_file: Annotated[Path, typer.Option("--out", help="HTML file to write.")] = Path(
        "report.html"),
    lang: Annotated[str, typer.Option("--lang", help="Language of the report: en or zh.")] = "en",
) -> None:
    """Write one HTML file (charts inline, opens offline) from the data and the results kept
    in the store: sales, calendar, backtest, forecast, effects, evaluation, plan, advice.
    Nothing is refitted.

    Example: promocast report --db shop.duckdb --out report.html --lang zh"""
    from promocast.reports.words import check_language
    from promocast.services.report import build_report

    check_language(lang)
    with progress("writing the report") as say:
        say("reading the store and the kept results")
        html = build_report(resolve_db(db), country=get_settings().country, lang=lang)
    out_file.parent.mkdir(parents=True, exist_ok=True)
    out_file.write_text(html, encoding="utf-8")
    out.print(f"report written to {out_file} ({len(html) / 1e6:.1f} MB)", highlight=False,
              markup=False)


def register(app: typer.Typer) -> None:
    app.command("report")(report)
