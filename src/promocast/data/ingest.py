"""Read + map + validate every input of one ingest, all or nothing, before anything is stored.

Pure with respect to the store: this module turns files (or a known public format) into typed
canonical frames, or raises one ``DataValidationError`` listing the first errors of every file
and the total count. ``services.ingest`` then writes the frames in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa

from promocast.data.formats import get_adapter
from promocast.data.readers import list_input_files, read_table, text_batches
from promocast.data.schema import LOAD_ORDER, TABLES, table_for_filename
from promocast.data.validate import (
    MAX_EXAMPLES,
    BatchMismatch,
    ErrorLog,
    ValidatedTable,
    validate_batches,
    validate_table,
)
from promocast.exceptions import DataValidationError, RowError, UnknownTable, UsageError

EXOG_KEY = ["date", "item_id", "store_id"]


@dataclass
class PreparedLoad:
    """Validated canonical tables ready to store, with notes for the user."""

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    exog_columns: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def rows(self) -> dict[str, int]:
        return {name: len(frame) for name, frame in self.tables.items()}

    def frames_to_store(self) -> dict[str, pd.DataFrame]:
        """Canonical tables plus ``sales_exog`` (exogenous columns of sales), in load order."""
        out: dict[str, pd.DataFrame] = {}
        for name in LOAD_ORDER:
            if name not in self.tables:
                continue
            frame = self.tables[name]
            names = TABLES[name].names
            # frame[names] copies every column: skip it when nothing is to be dropped or moved
            out[name] = frame if list(frame.columns) == names else frame[names]
            if name == "sales" and self.exog_columns:
                out["sales_exog"] = frame[EXOG_KEY + self.exog_columns]
        return out


def _today() -> pd.Timestamp:
    return pd.Timestamp.today().normalize()


def _raise_if_errors(logs: list[ErrorLog]) -> None:
    total = sum(log.total for log in logs)
    if total:
        examples: list[RowError] = []
        for log in logs:
            examples += log.first(MAX_EXAMPLES)
        raise DataValidationError(examples[:MAX_EXAMPLES], total=total)


def _combine(validated: list[ValidatedTable], logs: list[ErrorLog]) -> PreparedLoad:
    """One frame per table; a key given twice across files is an error like within a file."""
    load = PreparedLoad()
    by_table: dict[str, list[ValidatedTable]] = {}
    for table in validated:
        by_table.setdefault(table.table, []).append(table)
        load.notes += table.notes
        load.sources.append(table.source)
        load.exog_columns += [c for c in table.exog_columns if c not in load.exog_columns]
    for name, parts in by_table.items():
        if len(parts) == 1:
            load.tables[name] = parts[0].frame
            continue
        frame = pd.concat([p.frame for p in parts], ignore_index=True)
        origin = pd.concat([pd.Series(p.source, index=range(len(p.frame))) for p in parts],
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
        load.tables[name] = frame
    return load


def prepare_files(paths: list[Path], *, table: str | None = None,
                  user_map: dict[str, str] | None = None,
                  today: pd.Timestamp | None = None) -> PreparedLoad:
    """Validate files of the canonical tables (a folder loads every data file in it)."""
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
            raise UnknownTable(
                f"cannot tell the table of {path.name}: name it sales*, items*, promotions*, "
                "events*, inventory*, orders* or stores*, or pass --table NAME"
            )
        batched = _validate_in_batches(path, name, user_map, today)
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
                                     user_map=user_map, today=today)
        logs.append(log)
        if result is not None:
            validated.append(result)
    _raise_if_errors(logs)
    if not validated:
        raise UsageError("no file of a known table in " + ", ".join(map(str, paths))
                         + (f" (skipped: {', '.join(skipped)})" if skipped else ""))
    load = _combine(validated, logs)
    _raise_if_errors(logs)
    if skipped:
        load.notes.append("skipped (not a table name: sales*, items*, promotions*, events*, "
                          f"inventory*, orders*, stores*): {', '.join(skipped)}")
    return load


def _validate_in_batches(path: Path, name: str, user_map: dict[str, str] | None,
                         today: pd.Timestamp) -> tuple[ValidatedTable | None, ErrorLog] | None:
    """A large plain text file read and validated a batch at a time (an M5-size sales file is
    2.4 GB of text: whole, as strings, it would need several times that); None when the file
    is small, not plain ASCII, or malformed, for the whole-file path and its messages."""
    batches = text_batches(path)
    if batches is None:
        return None
    try:
        return validate_batches(batches, TABLES[name], str(path), first_row=2,
                                user_map=user_map, today=today)
    except (pa.ArrowInvalid, BatchMismatch):
        return None


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
    load.sources = [f"{path} (--format {fmt})"]
    return load
