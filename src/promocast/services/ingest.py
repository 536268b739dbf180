"""Ingest use case: validate everything first, then write it all in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from promocast.data.ingest import PreparedLoad, prepare_files, prepare_format
from promocast.data.mapping import load_mapping_file, parse_map_options
from promocast.data.storage import Store, UpsertCount

__all__ = ["IngestSummary", "ingest", "parse_map_options", "prepare", "store_load"]

Progress = Callable[[str], None]


@dataclass
class IngestSummary:
    """What an ingest did, per table, in the words the user reads."""

    db: str
    ingest_id: int | None
    sources: list[str]
    counts: dict[str, UpsertCount]
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(c.changed for c in self.counts.values())

    def lines(self) -> list[str]:
        out = []
        for table, c in self.counts.items():
            out.append(f"{table}: {c.inserted} new, {c.updated} updated, {c.unchanged} unchanged")
        if not self.changed:
            out.append("nothing changed: the store already holds exactly these rows")
        return out

    def as_dict(self) -> dict:
        return {
            "db": self.db,
            "ingest_id": self.ingest_id,
            "sources": self.sources,
            "changed": self.changed,
            "tables": {t: {"inserted": c.inserted, "updated": c.updated, "unchanged": c.unchanged}
                       for t, c in self.counts.items()},
            "notes": self.notes,
        }


def prepare(paths: list[Path], *, fmt: str | None = None, table: str | None = None,
            mapping: dict[str, str] | None = None, mapping_file: Path | None = None,
            today: pd.Timestamp | None = None) -> PreparedLoad:
    """Read and validate the inputs (raises ``DataValidationError``; writes nothing)."""
    user_map = dict(load_mapping_file(mapping_file)) if mapping_file else {}
    user_map.update(mapping or {})
    if fmt:
        if len(paths) != 1:
            from promocast.exceptions import UsageError

            raise UsageError("--format takes one path (the data set's folder or main file)")
        return prepare_format(fmt, paths[0], today=today)
    return prepare_files(paths, table=table, user_map=user_map, today=today)


def store_load(load: PreparedLoad, db: Path, progress: Progress | None = None) -> IngestSummary:
    """Write validated tables in one transaction (upsert by key) and log the ingest."""
    counts: dict[str, UpsertCount] = {}
    with Store(db) as store, store.transaction():
        for table, frame in load.frames_to_store().items():
            if progress:
                progress(f"storing {table} ({len(frame):,} rows)")
            counts[table] = store.upsert(table, frame)
        ingest_id = store.log_ingest("; ".join(load.sources), counts)
    return IngestSummary(str(db), ingest_id, load.sources, counts, load.notes)


def ingest(paths: list[Path], db: Path, *, fmt: str | None = None, table: str | None = None,
           mapping: dict[str, str] | None = None, mapping_file: Path | None = None,
           progress: Progress | None = None) -> IngestSummary:
    """Validate every input, then store all of it or nothing."""
    if progress:
        progress("reading and validating")
    load = prepare(paths, fmt=fmt, table=table, mapping=mapping, mapping_file=mapping_file)
    return store_load(load, db, progress)
