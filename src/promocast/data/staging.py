"""Validated batches of a large file kept on disk (Parquet) rather than in memory, and the
integer key codes that the rules across rows (duplicate keys, one frequency per store) need.

Why: at M5 size (57 M sales and 57 M inventory rows) holding every typed table whole in pandas
until the store's transaction was most of the ingest's 12 GB peak. Staged, a table costs one
batch of memory while it is read, plus a few bytes a row of key codes while its rules run (an
int32 per key column, then one int64 per row): the rules see every row, the store reads the
Parquet files, and nothing reaches the store before every file passed (all or nothing).

Pure pyarrow / numpy / pandas: the store (DuckDB) reads the files through ``Store.upsert_parquet``.
"""

from __future__ import annotations

import gc
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from promocast.data.row_rules import (
    MAX_EXAMPLES,
    ErrorLog,
    frequency_outliers,
    repeated_codes,
)
from promocast.data.schema import TableSpec
from promocast.exceptions import RowError

COMPRESSION = "lz4"
"""Staged files are read back once or three times: lz4 writes as fast as no compression and
reads about as fast (measured on 5.7 M demo sales rows: 0.9 s to write, 10 MB)."""
_STRINGS = pd.StringDtype("pyarrow")


@dataclass(frozen=True)
class StagedTable:
    """A validated table held in Parquet files (one per staged file of the ingest).

    ``columns``: the columns to read, in order (a file lacking one reads it as missing)."""

    files: tuple[Path, ...]
    columns: tuple[str, ...]
    rows: int

    def __len__(self) -> int:
        return self.rows

    def select(self, columns: list[str]) -> StagedTable:
        """The same rows, fewer columns (``sales_exog`` out of sales)."""
        return replace(self, columns=tuple(columns))

    def key_batches(self, columns: list[str]) -> Iterator[pd.DataFrame]:
        """``columns`` of every row, a row group at a time, in file order."""
        for path in self.files:
            parquet = pq.ParquetFile(path)
            for group in range(parquet.num_row_groups):
                yield _as_frame(parquet.read_row_group(group, columns=columns))

    def to_frame(self) -> pd.DataFrame:
        """The whole table in pandas, typed as ``validate_table`` types it (a copy in memory:
        for small tables and tests; the store reads the files themselves)."""
        parts = []
        for path in self.files:
            present = set(pq.read_schema(path).names)
            parts.append(pq.read_table(path, columns=[c for c in self.columns if c in present]))
        table = pa.concat_tables(parts, promote_options="default") if len(parts) > 1 else parts[0]
        frame = _as_frame(table)
        for col in self.columns:
            if col not in frame.columns:
                frame[col] = np.nan
        return frame[list(self.columns)]


def _as_frame(table: pa.Table) -> pd.DataFrame:
    return table.to_pandas(types_mapper={pa.string(): _STRINGS, pa.large_string(): _STRINGS}.get,
                           ignore_metadata=True)


def write_frame(frame: pd.DataFrame, directory: Path, name: str) -> StagedTable:
    """A validated in-memory table staged as one Parquet file (a small file of an ingest whose
    other files of the same table were staged)."""
    path = directory / f"{name}-{uuid.uuid4().hex[:8]}.parquet"
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path,
                   compression=COMPRESSION)
    return StagedTable((path,), tuple(frame.columns), len(frame))


class _Coder:
    """Stable integer codes of one column's values across batches (the first value seen is 0;
    missing values are -1), each batch's in the smallest integer type that holds them."""

    def __init__(self) -> None:
        self.uniques: pd.Index | None = None

    def add(self, values: pd.Series) -> np.ndarray:
        codes, found = pd.factorize(values)
        if self.uniques is None:
            self.uniques = pd.Index(found)
            mapping = np.arange(len(found), dtype=np.int64)
        else:
            mapping = self.uniques.get_indexer(pd.Index(found))
            new = mapping < 0
            if new.any():
                mapping[new] = len(self.uniques) + np.arange(int(new.sum()))
                self.uniques = self.uniques.append(pd.Index(found[new]))
        small = np.min_scalar_type(-max(len(self.uniques), 1))  # int8: 10 stores; int16: dates
        mapping = np.append(mapping, -1).astype(small)  # code -1 (missing) stays -1
        return mapping[codes]

    @property
    def size(self) -> int:
        return max(len(self.uniques) if self.uniques is not None else 0, 1)


class KeyCodes:
    """The key columns of a table as small integers, gathered batch by batch (5 bytes a sales
    row at M5 size: 10 stores, 1,941 dates, 3,049 items).

    ``order``: the key columns with ``store_id`` and ``date`` first when present, so the
    combined code of a row divided by the radix of the other columns is its (store, date)
    pair (the frequency rule needs only those distinct pairs)."""

    def __init__(self, key: list[str]) -> None:
        self.key = key
        self.order = [c for c in ("store_id", "date") if c in key] + \
            [c for c in key if c not in ("store_id", "date")]
        self.coders = {col: _Coder() for col in self.order}
        self.parts: list[list[np.ndarray]] = []
        self.rows = 0
        self.missing = False

    def add(self, frame: pd.DataFrame) -> None:
        codes = [self.coders[col].add(frame[col]) for col in self.order]
        self.missing = self.missing or any(bool((c < 0).any()) for c in codes)
        self.parts.append(codes)
        self.rows += len(frame)

    @property
    def sizes(self) -> list[int]:
        return [self.coders[col].size for col in self.order]

    @property
    def fits(self) -> bool:
        """Whether ``combined`` fits in int64."""
        return int(np.prod(self.sizes, dtype=object)) < 2**62

    def combined(self) -> np.ndarray:
        """One int64 per row (mixed radix over ``order``), in row order (check ``fits``)."""
        sizes = self.sizes
        out = np.empty(self.rows, dtype=np.int64)
        start = 0
        for codes in self.parts:
            part = out[start:start + len(codes[0])]
            part[:] = codes[0]
            for column, size in zip(codes[1:], sizes[1:], strict=True):
                part *= size
                part += column
            start += len(codes[0])
        return out

    def frame(self) -> pd.DataFrame:
        """Every row's codes as a frame (the fallback when ``combined`` would overflow)."""
        columns = {col: np.concatenate([p[i].astype(np.int64) for p in self.parts])
                   for i, col in enumerate(self.order)}
        return pd.DataFrame(columns, copy=False)

    def values_at(self, positions: np.ndarray) -> pd.DataFrame:
        """The key values of the rows at ``positions`` (a few error examples), in key order."""
        ends = np.cumsum([len(p[0]) for p in self.parts])
        batch = np.searchsorted(ends, positions, side="right")
        within = positions - np.where(batch > 0, ends[np.maximum(batch - 1, 0)], 0)
        columns = {}
        for i, col in enumerate(self.order):
            codes = np.array([self.parts[b][i][w] for b, w in zip(batch, within, strict=True)],
                             dtype=np.int64)
            columns[col] = pd.Series(self.coders[col].uniques.take(codes), copy=False)
        return pd.DataFrame({col: columns[col] for col in self.key})


class _Shown:
    """Example values for ``ErrorLog.add_mask``, computed for the shown rows only."""

    def __init__(self, show: Callable[[int], str | None]) -> None:
        self.show = show

    @property
    def iloc(self) -> _Shown:
        return self

    def __getitem__(self, pos: int) -> str | None:
        return self.show(pos)


@dataclass
class KeyCheck:
    """What the rules across rows need to know of a table's keys."""

    repeats: bool
    """Some key is given twice."""
    pairs: pd.DataFrame | None
    """The distinct (store_id, date) pairs, when asked for."""


def check_keys(codes: KeyCodes, *, pairs: bool = False) -> KeyCheck:
    """Whether any key repeats and (``pairs``) the distinct (store, date) pairs, from one
    int64 per row sorted in place: at M5 size 0.46 GB besides the 0.29 GB of codes. Which rows
    repeat is worked out only when some do (``duplicate_mask``)."""
    if not codes.fits:
        frame = codes.frame()
        distinct = frame[codes.order[:2]].drop_duplicates() if pairs else None
        return KeyCheck(bool(frame.duplicated().any()), None if distinct is None else
                        _pair_values(codes, distinct.iloc[:, 0].to_numpy(),
                                     distinct.iloc[:, 1].to_numpy()))
    ranked = codes.combined()
    ranked.sort()
    repeats = bool((ranked[1:] == ranked[:-1]).any())
    if not pairs:
        return KeyCheck(repeats, None)
    np.floor_divide(ranked, int(np.prod(codes.sizes[2:], dtype=np.int64)), out=ranked)
    first = np.empty(len(ranked), dtype=bool)
    first[:1] = True
    np.not_equal(ranked[1:], ranked[:-1], out=first[1:])
    distinct = ranked[first]
    del ranked, first
    n_dates = codes.sizes[1]
    return KeyCheck(repeats, _pair_values(codes, distinct // n_dates, distinct % n_dates))


def _pair_values(codes: KeyCodes, stores: np.ndarray, dates: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"store_id": codes.coders["store_id"].uniques.take(stores),
                         "date": codes.coders["date"].uniques.take(dates)})


def duplicate_mask(codes: KeyCodes) -> np.ndarray:
    """The rows whose key an earlier row already has (the error path: a stable sort of the
    rows' codes tells which came first)."""
    if not codes.fits:
        return codes.frame().duplicated(keep="first").to_numpy()
    return repeated_codes(codes.combined())


def staged_rules(log: ErrorLog, spec: TableSpec, source: str, codes: KeyCodes,
                 first_row: int) -> None:
    """The rules across rows of ``row_rules.whole_rules`` (duplicate keys, one frequency per
    store for sales) on the key codes of a staged table, with the same messages and rows."""
    rows = pd.RangeIndex(codes.rows)
    key = list(spec.key)
    if codes.missing or not codes.rows:
        return  # a missing key cell was refused per batch already
    frequency = spec.name == "sales" and codes.order[:2] == ["store_id", "date"]
    check = check_keys(codes, pairs=frequency)
    if check.repeats:
        dup = duplicate_mask(codes)
        shown = codes.values_at(np.flatnonzero(dup)[:MAX_EXAMPLES])
        labels = dict(zip(np.flatnonzero(dup)[:MAX_EXAMPLES].tolist(),
                          shown.astype(str).agg("/".join, axis=1), strict=True))
        log.add_mask(source, rows, dup, ",".join(key), _Shown(labels.get),
                     f"duplicate key ({', '.join(key)}) already given on an earlier row", first_row)
    if check.pairs is not None:
        _staged_frequency(log, source, codes, check.pairs, rows, first_row)


def _staged_frequency(log: ErrorLog, source: str, codes: KeyCodes, pairs: pd.DataFrame,
                      rows: pd.RangeIndex, first_row: int) -> None:
    """``row_rules._check_frequency`` from the distinct (store, date) pairs; the rows of the
    odd dates are found (from the codes) only when a store mixes frequencies."""
    stores, dates = codes.coders["store_id"].uniques, codes.coders["date"].uniques
    for store, dominant, odd_dates in frequency_outliers(pairs):
        store_code, odd = stores.get_loc(store), np.flatnonzero(dates.isin(list(odd_dates)))
        mask = np.concatenate([(p[0] == store_code) & np.isin(p[1], odd) for p in codes.parts])
        date_of = np.concatenate([p[1] for p in codes.parts])

        def show(pos: int, date_of: np.ndarray = date_of) -> str | None:
            return dates[int(date_of[pos])].strftime("%Y-%m-%d")

        log.add_mask(source, rows, mask, "date", _Shown(show),
                     f"mixed frequency in store {store!r}: most dates fall on weekday "
                     f"{dominant} (weekly) but this one does not", first_row)


class StagedSink:
    """Where ``validate_batches`` puts the typed batches of one large file: a Parquet file in
    ``directory`` and the key codes; nothing of the batch stays in memory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.path: Path | None = None
        self.writer: pq.ParquetWriter | None = None
        self.codes: KeyCodes | None = None
        self.columns: tuple[str, ...] = ()
        self.rows = 0

    @staticmethod
    def supports(spec: TableSpec, seen: dict[str, str]) -> bool:
        """Order lines without a ``line`` column are numbered over the whole file, which a
        staged file no longer allows."""
        return bool(spec.key) and not (spec.name == "orders" and "line" not in seen)

    def add(self, spec: TableSpec, frame: pd.DataFrame) -> None:
        # The previous batch's frames sit in reference cycles (pandas caches) that the
        # collector, counting objects not bytes, leaves for several batches: 3 x 0.4 GB.
        gc.collect()
        table = pa.Table.from_pandas(frame, preserve_index=False)
        if self.writer is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            self.path = self.directory / f"{spec.name}-{uuid.uuid4().hex[:8]}.parquet"
            self.writer = pq.ParquetWriter(self.path, table.schema, compression=COMPRESSION)
            self.codes = KeyCodes(list(spec.key))
            self.columns = tuple(frame.columns)
        else:
            table = table.cast(self.writer.schema)
        self.writer.write_table(table)
        assert self.codes is not None
        self.codes.add(frame)
        self.rows += len(frame)

    def discard(self) -> None:
        """Errors were found: drop what was written."""
        if self.writer is not None:
            self.writer.close()
            self.writer = None
        if self.path is not None:
            self.path.unlink(missing_ok=True)
        self.codes = None
        self.rows = 0

    def finish(self, log: ErrorLog, spec: TableSpec, source: str, seen: dict[str, str],
               first_row: int) -> StagedTable:
        """Close the file and run the rules across rows (errors go to ``log``)."""
        assert self.writer is not None and self.codes is not None and self.path is not None
        self.writer.close()
        self.writer = None
        staged_rules(log, spec, source, self.codes, first_row)
        self.codes = None
        return StagedTable((self.path,), self.columns, self.rows)


def duplicates_across(parts: list[tuple[str, pd.DataFrame | StagedTable]], key: list[str],
                      ) -> ErrorLog | None:
    """Keys given in more than one file of one ingest (each file passed its own rules): the
    errors, or None. ``parts``: (source, table) in file order; the key columns are read back
    from staged files a row group at a time."""
    codes = KeyCodes(key)
    bounds, sources = [], []
    for source, table in parts:
        if isinstance(table, StagedTable):
            for batch in table.key_batches(key):
                codes.add(batch)
        else:
            codes.add(table[key])
        bounds.append(codes.rows)
        sources.append(source)
    if not check_keys(codes).repeats:
        return None
    hits = np.flatnonzero(duplicate_mask(codes))
    shown = codes.values_at(hits[:MAX_EXAMPLES])
    log = ErrorLog()
    for i, pos in enumerate(hits[:MAX_EXAMPLES]):
        origin = sources[int(np.searchsorted(bounds, pos, side="right"))]
        label = "/".join(str(v) for v in shown.iloc[i])
        log.add(RowError(origin, None, ",".join(key), label,
                         "duplicate key: the same key is in another file of this ingest"))
    log.total = len(hits)
    return log
