"""Loading files that arrive over HTTP: safe names, allowed types, errors named as uploaded.

No path from a request reaches the file system: each upload is written under a fresh temporary
folder with a name rebuilt from the uploaded name's letters and digits (of any script), dot,
dash and underscore (the name still tells ``ingest`` its table: ``sales_2026.csv``,
``销售明细.csv``), then loaded with the same
all-or-nothing ingest as the CLI. Errors name the file as the user uploaded it.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import unicodedata
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import BinaryIO

from promocast.exceptions import DataValidationError, PromocastError, UsageError
from promocast.services.ingest import IngestSummary, ingest

ALLOWED_SUFFIXES = (".csv", ".tsv", ".txt", ".parquet", ".pq", ".xlsx", ".csv.gz", ".tsv.gz",
                    ".txt.gz")
CHUNK = 1024 * 1024


NAME_BYTES = 200
"""Most UTF-8 bytes of a kept name (file systems take 255; a Chinese character is 3)."""


def safe_name(name: str | None) -> str:
    """The uploaded file's base name reduced to safe characters: letters and digits of any
    script (销售明细.csv stays readable in the messages and tells its table), dot, dash and
    underscore; anything else (path separators, control and format characters, spaces,
    quotes) becomes "_", leading dots go, and a long name is shortened before its suffix.
    Refused when its type is not one ingest reads."""
    base = unicodedata.normalize("NFC", re.split(r"[\\/]", name or "")[-1])
    cleaned = "".join(c if c.isalnum() or c in "._-" else "_" for c in base).lstrip(".")
    suffix = next((s for s in sorted(ALLOWED_SUFFIXES, key=len, reverse=True)
                   if cleaned.lower().endswith(s)), None)
    if suffix is None or len(cleaned) == len(suffix):
        raise UsageError(f"file {base!r}: upload {', '.join(ALLOWED_SUFFIXES)} files")
    stem = cleaned[:-len(suffix)]
    while len((stem + suffix).encode("utf-8")) > NAME_BYTES:
        stem = stem[:-1]
    return stem + cleaned[-len(suffix):]


def ingest_uploads(files: Iterable[tuple[str | None, BinaryIO]], db: Path, *,
                   fmt: str | None = None, table: str | None = None,
                   max_bytes: int | None = None, pseudonymise: bool = False,
                   missing_days: str | None = None) -> IngestSummary:
    """Write the uploads to a private temporary folder and ingest them in one transaction
    (``missing_days``: see ``services.ingest.store_load``)."""
    folder = Path(tempfile.mkdtemp(prefix="promocast-upload-"))
    try:
        paths: list[Path] = []
        total = 0
        for name, stream in files:
            path = folder / safe_name(name)
            if path in paths:
                raise UsageError(f"file {path.name!r} uploaded twice")
            with path.open("wb") as handle:
                while chunk := stream.read(CHUNK):
                    total += len(chunk)
                    if max_bytes is not None and total > max_bytes:
                        raise UsageError(f"uploads over the limit of {max_bytes // 2**20} MB")
                    handle.write(chunk)
            paths.append(path)
        if not paths:
            raise UsageError("no file uploaded")
        source = paths[0] if fmt else None
        try:
            summary = ingest([source] if source else paths, db, fmt=fmt, table=table,
                             pseudonymise=pseudonymise, missing_days=missing_days)
        except DataValidationError as exc:
            raise DataValidationError(
                [replace(e, file=_uploaded(e.file, folder)) for e in exc.errors],
                total=exc.total) from None
        except PromocastError as exc:
            raise UsageError(_uploaded(str(exc), folder)) from None
        summary.sources = [_uploaded(s, folder) for s in summary.sources]
        summary.db = db.name
        return summary
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _uploaded(text: str, folder: Path) -> str:
    return str(text).replace(str(folder) + "/", "").replace(str(folder), "")
