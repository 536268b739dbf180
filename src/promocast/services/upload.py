"""Loading files that arrive over HTTP: safe names, allowed types, errors named as uploaded.

No path from a request reaches the file system: each upload is written under a fresh temporary
folder with a name rebuilt from the uploaded name's letters, digits, dot, dash and underscore
(the name still tells ``ingest`` its table: ``sales_2026.csv``), then loaded with the same
all-or-nothing ingest as the CLI. Errors name the file as the user uploaded it.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import BinaryIO

from promocast.exceptions import DataValidationError, PromocastError, UsageError
from promocast.services.ingest import IngestSummary, ingest

ALLOWED_SUFFIXES = (".csv", ".tsv", ".txt", ".parquet", ".pq", ".xlsx", ".csv.gz", ".tsv.gz",
                    ".txt.gz")
CHUNK = 1024 * 1024


def safe_name(name: str | None) -> str:
    """The uploaded file's base name reduced to safe characters; refused when its type is not
    one ingest reads."""
    base = re.split(r"[\\/]", name or "")[-1]
    cleaned = re.sub(r"[^A-Za-z0-9._-]", "_", base).lstrip(".")[:120]
    if not cleaned.lower().endswith(ALLOWED_SUFFIXES):
        raise UsageError(f"file {base!r}: upload {', '.join(ALLOWED_SUFFIXES)} files")
    return cleaned


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
