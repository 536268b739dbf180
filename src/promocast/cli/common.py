"""What every command shares: the store option, progress display, error-to-exit-code mapping."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from promocast.config import get_settings
from promocast.exceptions import DataValidationError, PromocastError, UsageError

console = Console(stderr=True)
out = Console()

DbOption = Annotated[
    Path | None,
    typer.Option("--db", help="DuckDB store file (default ./promocast.duckdb or $PROMOCAST_DB)."),
]
JsonOption = Annotated[
    Path | None, typer.Option("--json", help="Also write the result as JSON to this file.")
]


def resolve_db(db: Path | None) -> Path:
    return db or get_settings().db


def write_json(path: Path | None, document: dict) -> None:
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(document, indent=2, ensure_ascii=False, default=str),
                        encoding="utf-8")


@contextmanager
def progress(description: str) -> Iterator[Callable[[str], None]]:
    """A live spinner with elapsed time; the callback updates its text as stages advance."""
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                  TimeElapsedColumn(), console=console, transient=True) as bar:
        task = bar.add_task(description, total=None)

        def update(message: str) -> None:
            bar.update(task, description=message)

        yield update


def run_guarded(app: typer.Typer) -> int:
    """Run the Typer app and map promocast's errors onto exit codes with a clean message.

    Click's own usage errors exit 2 in standalone mode; ours are caught here."""
    try:
        app()
    except DataValidationError as exc:
        console.print(f"error: {exc.message()}", highlight=False, markup=False, soft_wrap=True)
        return 1
    except UsageError as exc:
        console.print(f"error: {exc}", highlight=False, markup=False, soft_wrap=True)
        return 2
    except PromocastError as exc:
        console.print(f"error: {exc}", highlight=False, markup=False, soft_wrap=True)
        return 1
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0
