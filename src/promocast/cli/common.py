"""What every command shares: the store option, progress display, error-to-exit-code mapping."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from promocast.config import get_settings
from promocast.exceptions import DataValidationError, PromocastError, UsageError

console = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)

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


LOG_EVERY_S = 2.0
"""Without a terminal, a stage line is printed at most this often (the others are skipped)."""


@contextmanager
def progress(description: str) -> Iterator[Callable[[str], None]]:
    """A live spinner with elapsed time; the callback updates its text as stages advance.

    Without a terminal (a log file, a scheduler, a pipe) Rich draws no spinner, and a long run
    showed nothing until it ended or was killed: the stages are then printed as timestamped
    lines on stderr instead."""
    if not console.is_terminal:
        yield _log_lines(description)
        return
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                  TimeElapsedColumn(), console=console, transient=True) as bar:
        task = bar.add_task(description, total=None)

        def update(message: str) -> None:
            bar.update(task, description=message)

        yield update


def _log_lines(description: str) -> Callable[[str], None]:
    started = time.monotonic()
    last = {"at": -LOG_EVERY_S, "text": ""}
    console.print(f"{description} ...", highlight=False, markup=False)

    def update(message: str) -> None:
        now = time.monotonic() - started
        if message == last["text"] or now - float(last["at"]) < LOG_EVERY_S:
            return
        last.update(at=now, text=message)
        console.print(f"  [{now:6.1f} s] {message}", highlight=False, markup=False)

    return update


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
