"""Helpers every adapter shares: finding a data set's files, checking their columns."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from promocast.exceptions import DataValidationError, RowError

SUFFIXES = (".csv", ".csv.gz", ".csv.zip", ".zip", ".gz")


def find_file(folder: Path, stems: str | tuple[str, ...]) -> Path | None:
    """The first ``<stem><suffix>`` that exists in ``folder`` (stems tried in order)."""
    if not folder.is_dir():
        return None
    for stem in (stems,) if isinstance(stems, str) else stems:
        for suffix in SUFFIXES:
            candidate = folder / (stem + suffix)
            if candidate.exists():
                return candidate
    return None


def require_columns(raw: pd.DataFrame, columns: list[str], source: str) -> None:
    """Refuse a file of a known layout that lacks some of its columns, naming them."""
    missing = [c for c in columns if c not in raw.columns]
    if missing:
        raise DataValidationError([RowError(source, None, c, None, "required column missing")
                                   for c in missing])
