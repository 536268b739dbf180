"""Read + map + validate every input of one ingest, all or nothing, before anything is stored.

Pure with respect to the store: this module turns files (or a known public format) into typed
canonical tables, or raises one ``DataValidationError`` listing the first errors of every file
and the total count. ``services.ingest`` then writes the tables in one transaction. A table from
a large text file is staged on disk as Parquet rather than held in pandas (``data.staging``):
at M5 size the frames held until the transaction were most of the ingest's 10-12 GB peak.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa

from promocast.data.formats import get_adapter
from promocast.data.mapping import UserMapping
from promocast.data.readers import list_input_files, read_table, text_batches
from promocast.data.schema import (
    FILENAME_HINT,
    LOAD_ORDER,
    TABLES,
    table_candidates,
    table_for_filename,
)
from promocast.data.staging import StagedSink, StagedTable, duplicates_across, write_frame
from promocast.data.validate import (
    MAX_EXAMPLES,
    BatchMismatch,
    ErrorLog,
    ValidatedTable,
    validate_batches,
    validate_table,
)
from promocast.exceptions import DataValidationError, RowError, UnknownTable, UsageError
from promocast.wording import option, phrase

EXOG_KEY = ["date", "item_id", "store_id"]


@dataclass
class PreparedLoad:
    """Validated canonical tables ready to store, with notes for the user.

    A table comes in memory (``frames``) or, from a large text file, staged on disk as Parquet
    (``staged``: see ``data.staging``); the staging folder lives as long as this object (or
    until ``close``)."""

    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    staged: dict[str, StagedTable] = field(default_factory=dict)
    exog_columns: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    staging: tempfile.TemporaryDirectory | None = field(default=None, repr=False)

    @property
    def tables(self) -> Mapping[str, pd.DataFrame]:
        """Every table as a frame; a staged one is read back from disk when asked for (the
        store never asks: it reads the staged files)."""
        return _Tables(self)

    @property
    def rows(self) -> dict[str, int]:
        return {name: len(self.frames[name]) if name in self.frames else len(self.staged[name])
                for name in LOAD_ORDER if name in self.frames or name in self.staged}

    def to_store(self) -> dict[str, pd.DataFrame | StagedTable]:
        """Canonical tables plus ``sales_exog`` (exogenous columns of sales), in load order."""
        out: dict[str, pd.DataFrame | StagedTable] = {}
        for name in LOAD_ORDER:
            names = TABLES[name].names
            if name in self.staged:
                staged = self.staged[name]
                out[name] = staged.select(names)
                if name == "sales" and self.exog_columns:
                    out["sales_exog"] = staged.select(EXOG_KEY + self.exog_columns)
                continue
            if name not in self.frames:
                continue
            frame = self.frames[name]
            # frame[names] copies every column: skip it when nothing is to be dropped or moved
            out[name] = frame if list(frame.columns) == names else frame[names]
            if name == "sales" and self.exog_columns:
                out["sales_exog"] = frame[EXOG_KEY + self.exog_columns]
        return out

    def close(self) -> None:
        """Remove the staged files now (they are removed anyway when this object goes)."""
        if self.staging is not None:
            self.staging.cleanup()
            self.staging = None
        self.staged.clear()


class _Tables(Mapping[str, pd.DataFrame]):
    """``PreparedLoad.tables``: the frames, and the staged tables read back on access."""

    def __init__(self, load: PreparedLoad) -> None:
        self.load = load

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name in self.load.staged:
            return self.load.staged[name].to_frame()
        return self.load.frames[name]

    def __iter__(self) -> Iterator[str]:
        return iter([*self.load.frames, *self.load.staged])

    def __len__(self) -> int:
        return len(self.load.frames) + len(self.load.staged)


def _today() -> pd.Timestamp:
    return pd.Timestamp.today().normalize()


def _raise_if_errors(logs: list[ErrorLog]) -> None:
    total = sum(log.total for log in logs)
    if total:
        examples: list[RowError] = []
        for log in logs:
            examples += log.first(MAX_EXAMPLES)
        raise DataValidationError(examples[:MAX_EXAMPLES], total=total)


def _combine(validated: list[ValidatedTable], logs: list[ErrorLog],
             staging: Callable[[], Path] | None = None) -> PreparedLoad:
    """One table per name; a key given twice across files is an error like within a file.
    A table with a staged part is staged whole (its in-memory parts are written beside it)."""
    load = PreparedLoad()
    by_table: dict[str, list[ValidatedTable]] = {}
    for table in validated:
        by_table.setdefault(table.table, []).append(table)
        load.notes += table.notes
        load.sources.append(table.source)
        load.exog_columns += [c for c in table.exog_columns if c not in load.exog_columns]
    for name, parts in by_table.items():
        if all(p.staged is None for p in parts):
            _combine_frames(load, name, parts, logs)
            continue
        assert staging is not None
        key = list(TABLES[name].key)
        tables = [(p.source, p.staged if p.staged is not None else p.frame) for p in parts]
        if len(parts) > 1:
            log = duplicates_across(tables, key)
            if log is not None:
                logs.append(log)
                continue
        staged = [t if isinstance(t, StagedTable) else write_frame(t, staging(), name)
                  for _, t in tables]
        columns = list(dict.fromkeys(c for t in staged for c in t.columns))
        load.staged[name] = StagedTable(tuple(f for t in staged for f in t.files),
                                        tuple(columns), sum(t.rows for t in staged))
    return load


def _combine_frames(load: PreparedLoad, name: str, parts: list[ValidatedTable],
                    logs: list[ErrorLog]) -> None:
    frames = [p.frame for p in parts if p.frame is not None]
    if len(frames) == 1:
        load.frames[name] = frames[0]
        return
    frame = pd.concat(frames, ignore_index=True)
    origin = pd.concat([pd.Series(p.source, index=range(len(f))) for p, f in zip(parts, frames,
                                                                                strict=True)],
                       ignore_index=True)
    key = list(TABLES[name].key)
    dup = frame.duplicated(subset=key, keep="first")
    if dup.any():
        log = ErrorLog()
        for pos in dup[dup].index[:MAX_EXAMPLES]:
            label = "/".join(str(frame.at[pos, k]) for k in key)
            log.add(RowError(origin[pos], None, ",".join(key), label,
                             "duplicate key: the same key is in another file of this ingest"))
        log.total = int(dup.sum())
        logs.append(log)
    load.frames[name] = frame


class _Staging:
    """The staging folder of one ingest, made when the first large file needs it."""

    def __init__(self, parent: Path | None) -> None:
        self.parent = parent
        self.folder: tempfile.TemporaryDirectory | None = None

    def __call__(self) -> Path:
        if self.folder is None:
            self.folder = tempfile.TemporaryDirectory(prefix=".promocast-staging-",
                                                      dir=self.parent)
        return Path(self.folder.name)

    def cleanup(self) -> None:
        if self.folder is not None:
            self.folder.cleanup()
            self.folder = None


def prepare_files(paths: list[Path], *, table: str | None = None,
                  user_map: dict[str, str] | UserMapping | None = None,
                  today: pd.Timestamp | None = None,
                  staging_dir: Path | None = None) -> PreparedLoad:
    """Validate files of the canonical tables (a folder loads every data file in it).

    Large text files are staged as Parquet in a temporary folder inside ``staging_dir`` (the
    system's temporary folder when None; the store's folder is a good choice: it has to hold
    the data anyway), removed when the returned load is closed or dropped, or on refusal."""
    staging = _Staging(staging_dir)
    try:
        load = _prepare_files(paths, table, user_map, today, staging)
    except BaseException:
        staging.cleanup()
        raise
    load.staging, staging.folder = staging.folder, None
    return load


def _prepare_files(paths: list[Path], table: str | None,
                   user_map: dict[str, str] | UserMapping | None,
                   today: pd.Timestamp | None, staging: _Staging) -> PreparedLoad:
    if table is not None and table not in TABLES:
        raise UsageError(f"unknown table {table!r}; tables: {', '.join(TABLES)}")
    files = list_input_files(paths)
    if not files:
        raise UsageError("no data files found in " + ", ".join(map(str, paths)))
    today = today if today is not None else _today()
    validated: list[ValidatedTable] = []
    logs: list[ErrorLog] = []
    skipped: list[str] = []
    for path, named in files:
        name = table or table_for_filename(path.name)
        if name is None and not named:
            skipped.append(path.name)
            continue
        if name is None:
            several = table_candidates(path.name)
            told = (f"its name points to {' and '.join(several)}" if several
                    else f"name it {FILENAME_HINT}")
            raise UnknownTable(f"cannot tell the table of {path.name}: {told}, or {phrase('table')}")
        file_map = (user_map.for_table(name, TABLES[name].names)
                    if isinstance(user_map, UserMapping) else user_map)
        batched = _validate_in_batches(path, name, file_map, today, staging)
        if batched is not None:
            result, log = batched
            logs.append(log)
            if result is not None:
                validated.append(result)
            continue
        try:
            raw = read_table(path)
        except DataValidationError as exc:
            log = ErrorLog()
            for error in exc.errors:
                log.add(error)
            logs.append(log)
            continue
        result, log = validate_table(raw.frame, TABLES[name], str(path), first_row=raw.first_row,
                                     user_map=file_map, today=today,
                                     percent_cells=raw.percent_cells)
        logs.append(log)
        if result is not None:
            validated.append(result)
    _raise_if_errors(logs)
    if not validated:
        raise UsageError("no file of a known table in " + ", ".join(map(str, paths))
                         + (f" (skipped: {', '.join(skipped)})" if skipped else ""))
    load = _combine(validated, logs, staging)
    _raise_if_errors(logs)
    if skipped:
        load.notes.append(f"skipped (not a table name: {FILENAME_HINT}): {', '.join(skipped)}")
    return load


def _validate_in_batches(path: Path, name: str, user_map: dict[str, str] | None,
                         today: pd.Timestamp, staging: _Staging,
                         ) -> tuple[ValidatedTable | None, ErrorLog] | None:
    """A large plain text file read and validated a batch at a time, its typed batches staged
    on disk (an M5-size sales file is 2.4 GB of text and 57 M rows: whole in pandas, typed,
    it took gigabytes until the store's transaction); None when the file is small, not plain
    ASCII, or malformed, for the whole-file path and its messages."""
    batches = text_batches(path)
    if batches is None:
        return None
    try:
        return validate_batches(batches, TABLES[name], str(path), first_row=2,
                                user_map=user_map, today=today, sink=StagedSink(staging()))
    except (pa.ArrowInvalid, BatchMismatch):
        return None
    finally:
        batches.close()  # stopped early: its reading thread ends now, not at garbage collection


def prepare_format(fmt: str, path: Path, *, today: pd.Timestamp | None = None) -> PreparedLoad:
    """Load a known public layout through its adapter, then the same validation as any file."""
    adapter = get_adapter(fmt)
    if not path.exists():
        raise UsageError(f"{path} does not exist")
    frames = adapter(path)
    today = today if today is not None else _today()
    validated: list[ValidatedTable] = []
    logs: list[ErrorLog] = []
    for name, frame in frames.items():
        result, log = validate_table(frame.reset_index(drop=True), TABLES[name],
                                     f"{path} [{fmt}:{name}]", first_row=1, today=today)
        logs.append(log)
        if result is not None:
            validated.append(result)
    _raise_if_errors(logs)
    load = _combine(validated, logs)
    load.sources = [f"{path} ({option('format')} {fmt})"]
    return load
