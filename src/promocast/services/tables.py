"""Result tables written to files: the one writer of every ``--out`` table and download.

CSV is UTF-8 with a byte-order mark: Excel on Windows reads a CSV without one in the system's
code page, so the Chinese names and advice of a zh shop showed garbled (QA 5, finding 16).
Every reader of promocast's (and pandas') skips the mark.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from promocast.exceptions import UsageError

CSV_ENCODING = "utf-8-sig"
"""UTF-8 with a byte-order mark, for Excel."""
TABLE_SUFFIXES = (".csv", ".xlsx", ".parquet")


def csv_bytes(frame: pd.DataFrame, *, float_format: str | None = None) -> bytes:
    """A table as CSV bytes (UTF-8 with a BOM)."""
    return frame.to_csv(index=False, float_format=float_format).encode(CSV_ENCODING)


def write_csv(frame: pd.DataFrame, path: Path, *, float_format: str | None = None) -> None:
    """A table as a CSV file (UTF-8 with a BOM), its folder made when missing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, float_format=float_format, encoding=CSV_ENCODING)


def write_table(frame: pd.DataFrame, path: Path, *,
                suffixes: tuple[str, ...] = TABLE_SUFFIXES,
                float_format: str | None = None) -> None:
    """A result table as CSV (UTF-8 with a BOM), Excel (.xlsx) or Parquet (.parquet, .pq),
    by the file's suffix; refused for another suffix (``suffixes``: the ones allowed)."""
    suffix = path.suffix.lower()
    if suffix not in suffixes:
        raise UsageError(f"--out {path}: write {', '.join(suffixes[:-1])} or {suffixes[-1]}")
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".xlsx":
        frame.to_excel(path, index=False)
    elif suffix in (".parquet", ".pq"):
        frame.to_parquet(path, index=False)
    else:
        write_csv(frame, path, float_format=float_format)


def xlsx_bytes(frame: pd.DataFrame) -> bytes:
    """A table as an Excel workbook's bytes."""
    buffer = io.BytesIO()
    frame.to_excel(buffer, index=False)
    return buffer.getvalue()
