"""The store: one DuckDB file holding the canonical tables and every result promocast keeps.

DuckDB is embedded (no server to install) and transactional: an ingest is one transaction, so a
refused or killed load leaves the store as it was. One process writes at a time; DuckDB's file
lock enforces it and ``StoreLockedError`` says so in words. The schema is versioned and migrated
forward on open; a store from a newer promocast is refused rather than damaged.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from promocast.data.schema import TABLES, Column
from promocast.exceptions import EmptyStore, SchemaVersionError, StoreLockedError

SCHEMA_VERSION = 5
_SQL_TYPES = {"date": "DATE", "timestamp": "TIMESTAMP", "str": "VARCHAR", "float": "DOUBLE",
              "flag": "TINYINT"}
EXOG_TABLE = "sales_exog"
EXOG_KEY = ("date", "item_id", "store_id")


def _column_ddl(column: Column) -> str:
    return f'"{column.name}" {_SQL_TYPES[column.dtype]}'


def _migration_1() -> list[str]:
    statements = [
        "CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
        """CREATE TABLE IF NOT EXISTS ingest_log (
               ingest_id INTEGER, ingested_at TIMESTAMP, source VARCHAR, table_name VARCHAR,
               inserted BIGINT, updated BIGINT, unchanged BIGINT)""",
        f"""CREATE TABLE IF NOT EXISTS {EXOG_TABLE} (
               date DATE, item_id VARCHAR, store_id VARCHAR)""",
    ]
    for spec in TABLES.values():
        cols = ", ".join(_column_ddl(c) for c in spec.columns)
        statements.append(f'CREATE TABLE IF NOT EXISTS "{spec.name}" ({cols})')
    return statements


MIGRATIONS: dict[int, list[str]] = {
    1: _migration_1(),
    2: [
        """CREATE TABLE IF NOT EXISTS forecast_runs (
               run_id VARCHAR PRIMARY KEY, created_at TIMESTAMP, kind VARCHAR, models VARCHAR,
               horizon INTEGER, params VARCHAR, data_hash VARCHAR, document VARCHAR)""",
        """CREATE TABLE IF NOT EXISTS forecasts (
               run_id VARCHAR, unique_id VARCHAR, item_id VARCHAR, store_id VARCHAR, ds DATE,
               model VARCHAR, quantile DOUBLE, value DOUBLE)""",
    ],
    3: [
        """CREATE TABLE IF NOT EXISTS promo_results (
               result_id VARCHAR PRIMARY KEY, created_at TIMESTAMP, kind VARCHAR,
               data_hash VARCHAR, params VARCHAR, document VARCHAR)""",
    ],
    4: [
        """CREATE TABLE IF NOT EXISTS jobs (
               job_id VARCHAR PRIMARY KEY, kind VARCHAR, status VARCHAR, created_at TIMESTAMP,
               started_at TIMESTAMP, finished_at TIMESTAMP, progress VARCHAR, params VARCHAR,
               result VARCHAR, error VARCHAR)""",
    ],
    # a store made at version 5 or later already has it (migration 1 follows the schema)
    5: ['ALTER TABLE orders ADD COLUMN IF NOT EXISTS status VARCHAR'],
}
"""Forward migrations by target version; each runs in one transaction with its version bump."""


@dataclass(frozen=True)
class UpsertCount:
    """What one table's upsert did: rows new, rows changed, rows identical to what was stored."""

    inserted: int
    updated: int
    unchanged: int

    @property
    def changed(self) -> bool:
        return bool(self.inserted or self.updated)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    """A SQL string literal (DDL such as a view takes no parameters)."""
    return "'" + text.replace("'", "''") + "'"


_ONE_PROCESS = False
_SHARED: dict[str, duckdb.DuckDBPyConnection] = {}
_SHARED_LOCK = threading.Lock()


def serve_from_one_process(on: bool = True) -> None:
    """Serve every store of this process from one read-write connection per file.

    DuckDB refuses a read-only and a read-write connection to one file inside one process, and
    a server's request threads read while its jobs write. Each ``Store`` then gets its own
    cursor on the shared connection (cheap, and its own transaction), so a request does not pay
    for opening the file. The file stays locked while the server runs: other processes load
    data through the server (or after it stops). ``on=False`` closes the shared connections."""
    global _ONE_PROCESS
    _ONE_PROCESS = on
    if not on:
        for con in _SHARED.values():
            con.close()
        _SHARED.clear()


class Store:
    """A DuckDB store file. Use as a context manager; ``read_only`` opens shared for readers."""

    def __init__(self, path: str | Path, *, read_only: bool = False) -> None:
        self.path = Path(path)
        self.read_only = read_only
        if read_only and not self.path.exists():
            raise EmptyStore(f"no store at {self.path}: load data first with `promocast ingest`")
        if _ONE_PROCESS:
            key = str(self.path.resolve())
            with _SHARED_LOCK:
                shared = _SHARED.get(key)
                if shared is None:
                    self.con = self._connect(read_only=False)
                    self._migrate(force=True)
                    shared = _SHARED[key] = self.con
            self.con = shared.cursor()
            return
        self.con = self._connect(read_only=read_only)
        self._migrate()

    def _connect(self, *, read_only: bool) -> duckdb.DuckDBPyConnection:
        try:
            return duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.IOException as exc:
            if "lock" in str(exc).lower():
                raise StoreLockedError(
                    f"the store {self.path} is in use by another promocast process "
                    f"(DuckDB allows one writer): wait for it to finish and try again. [{exc}]"
                ) from None
            raise

    # -- life cycle -------------------------------------------------------------------------
    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        if not self._has_table("meta"):
            return 0
        row = self.con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        return int(row[0]) if row else 0

    def _has_table(self, name: str) -> bool:
        row = self.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
        ).fetchone()
        return bool(row and row[0])

    def _migrate(self, *, force: bool = False) -> None:
        version = self.schema_version
        if version > SCHEMA_VERSION:
            raise SchemaVersionError(
                f"{self.path} has schema version {version}; this promocast knows up to "
                f"{SCHEMA_VERSION}: upgrade promocast"
            )
        if version == SCHEMA_VERSION or (self.read_only and not force):
            return
        for target in range(version + 1, SCHEMA_VERSION + 1):
            self.con.execute("BEGIN TRANSACTION")
            try:
                for statement in MIGRATIONS[target]:
                    self.con.execute(statement)
                self.con.execute(
                    "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(target)]
                )
                self.con.execute("COMMIT")
            except Exception:
                self.con.execute("ROLLBACK")
                raise

    # -- reading ----------------------------------------------------------------------------
    def columns(self, table: str) -> list[str]:
        rows = self.con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
            "ORDER BY ordinal_position",
            [table],
        ).fetchall()
        return [r[0] for r in rows]

    def count(self, table: str) -> int:
        row = self.con.execute(f"SELECT count(*) FROM {_quote(table)}").fetchone()
        return int(row[0]) if row else 0

    def sold_orders_sql(self) -> str:
        """A SQL condition on ``orders`` rows, true for the lines that count as sales: those
        whose ``status`` does not say the sale fell through (``data.order_status``). The
        distinct statuses are few; each is classified in Python, so the rule lives in one
        place. "TRUE" when no status says so, or when an older store opened read-only has no
        ``status`` column yet (it is added on the next write)."""
        from promocast.data.order_status import is_not_sold

        if "status" not in self.columns("orders"):
            return "TRUE"
        statuses = self.con.execute(
            "SELECT DISTINCT status FROM orders WHERE status IS NOT NULL").fetchall()
        dropped = sorted(s for (s,) in statuses if is_not_sold(s))
        if not dropped:
            return "TRUE"
        return f"(status IS NULL OR status NOT IN ({', '.join(map(_literal, dropped))}))"

    def query(self, sql: str, params: list | None = None) -> pd.DataFrame:
        """Run a parameterised read query and return it as a frame (fetched fully)."""
        return self.con.execute(sql, params or []).df()

    def query_lean(self, sql: str, params: list | None = None) -> pd.DataFrame:
        """A read query as a frame with Arrow-backed strings (``string[pyarrow]``) and
        nanosecond dates: Python string objects cost ~65 bytes a cell, several GB for the ids
        of an M5-size panel; Arrow strings cost their characters plus an offset."""
        import pyarrow as pa

        table = self.con.sql(sql, params=params or []).to_arrow_table()
        strings = pd.StringDtype("pyarrow")
        mapper = {pa.string(): strings, pa.large_string(): strings}.get
        # not zero-copy: callers write into the numeric columns
        frame = table.to_pandas(types_mapper=mapper, date_as_object=False)
        del table
        for col in frame.columns:
            if frame[col].dtype.kind == "M":
                frame[col] = frame[col].astype("datetime64[ns]")
        return frame

    def records(self, sql: str, params: list | None = None) -> list[dict]:
        """A parameterised read query as a list of dicts (no data frame: small answers of a
        server, where building a frame costs more than the query)."""
        cursor = self.con.execute(sql, params or [])
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def read(self, table: str, columns: list[str] | None = None) -> pd.DataFrame:
        """A whole table (dates as datetime64) in key order."""
        if table not in TABLES and table != EXOG_TABLE:
            raise KeyError(table)
        cols = ", ".join(_quote(c) for c in columns) if columns else "*"
        key = TABLES[table].key if table in TABLES else EXOG_KEY
        order = ", ".join(_quote(k) for k in key)
        frame = self.con.execute(f"SELECT {cols} FROM {_quote(table)} ORDER BY {order}").df()
        for col in frame.columns:
            if frame[col].dtype == object and col.endswith("date"):
                frame[col] = pd.to_datetime(frame[col])
        return frame

    # -- writing ----------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All or nothing: a failure (or a killed process) leaves the store as it was."""
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield
            _test_hold_point()
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise

    def upsert(self, table: str, frame: pd.DataFrame) -> UpsertCount:
        """Insert new keys, update changed rows, leave identical rows alone. Call inside
        ``transaction()``. ``sales_exog`` grows a column per new exogenous variable."""
        cols = self._upsert_columns(table, list(frame.columns))
        # frame[cols] copies every column: register the frame itself when it has no others
        self.con.register("_incoming", frame if list(frame.columns) == cols else frame[cols])
        try:
            return self._upsert_incoming(table, cols, len(frame), materialise=True)
        finally:
            self.con.unregister("_incoming")
            self.con.execute("DROP TABLE IF EXISTS _staged")

    def upsert_parquet(self, table: str, files: list[Path], columns: list[str],
                       rows: int) -> UpsertCount:
        """``upsert`` from validated Parquet files (a staged ingest: ``data.staging``), read by
        DuckDB in a stream rather than through a frame held in memory; ``columns`` missing
        from a file read as NULL, ``rows``: their number of rows."""
        cols = self._upsert_columns(table, columns)
        paths = ", ".join(_literal(str(f)) for f in files)
        self.con.execute("CREATE OR REPLACE TEMP VIEW _incoming AS SELECT "
                         + ", ".join(_quote(c) for c in cols)
                         + f" FROM read_parquet([{paths}], union_by_name = true)")
        try:
            return self._upsert_incoming(table, cols, rows, materialise=False)
        finally:
            self.con.execute("DROP VIEW IF EXISTS _staged")
            self.con.execute("DROP VIEW IF EXISTS _incoming")

    def _upsert_columns(self, table: str, columns: list[str]) -> list[str]:
        """The incoming columns the table has (``sales_exog`` grows the new ones first)."""
        if table == EXOG_TABLE:
            for col in columns:
                if col not in EXOG_KEY and col not in self.columns(EXOG_TABLE):
                    self.con.execute(f"ALTER TABLE {EXOG_TABLE} ADD COLUMN {_quote(col)} DOUBLE")
        target_cols = self.columns(table)
        return [c for c in columns if c in target_cols]

    def _upsert_incoming(self, table: str, cols: list[str], total: int, *,
                         materialise: bool) -> UpsertCount:
        """The upsert of the rows of ``_incoming`` (a registered frame or a view on files).
        ``materialise``: copy them into a temporary table first (a frame: its rows are then
        read three times by DuckDB, not converted from pandas three times); a view on Parquet
        files is read where it lies (at M5 size a copy would take gigabytes)."""
        key = list(EXOG_KEY) if table == EXOG_TABLE else list(TABLES[table].key)
        values = [c for c in cols if c not in key]
        types = dict(self.con.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ?",
            [table]).fetchall())
        select = ", ".join(f"CAST({_quote(c)} AS {types[c]}) AS {_quote(c)}" for c in cols)
        t, s = _quote(table), "_staged"
        col_list = ", ".join(_quote(c) for c in cols)
        if not self.con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]:
            # An empty table (a first load, 57 M sales rows at M5 size): every row is new,
            # no staged copy and no joins are needed.
            self.con.execute(f"INSERT INTO {t} ({col_list}) SELECT {select} FROM _incoming")
            return UpsertCount(total, 0, 0)
        kind = "TABLE" if materialise else "VIEW"
        self.con.execute(f"CREATE OR REPLACE TEMP {kind} _staged AS SELECT {select} FROM _incoming")
        on = " AND ".join(f"t.{_quote(k)} = s.{_quote(k)}" for k in key)
        distinct = " OR ".join(f"t.{_quote(v)} IS DISTINCT FROM s.{_quote(v)}" for v in values) or "FALSE"
        (matched, changed), = self.con.execute(
            f"SELECT count(*), count(*) FILTER (WHERE {distinct}) FROM {s} s JOIN {t} t ON {on}"
        ).fetchall()
        if changed and values:
            assignments = ", ".join(f"{_quote(v)} = s.{_quote(v)}" for v in values)
            self.con.execute(
                f"UPDATE {t} AS t SET {assignments} FROM {s} s WHERE {on} AND ({distinct})"
            )
        if total - matched:
            using = ", ".join(_quote(k) for k in key)
            self.con.execute(
                f"INSERT INTO {t} ({col_list}) SELECT {col_list} FROM {s} ANTI JOIN {t} USING ({using})"
            )
        return UpsertCount(int(total - matched), int(changed), int(matched - changed))

    def save_run(self, run_id: str, kind: str, models: list[str], horizon: int, params: str,
                 data_hash: str, document: str, forecasts: pd.DataFrame | None = None) -> None:
        """Keep a backtest or forecast run (and its long-format quantile forecasts)."""
        with self.transaction():
            self.con.execute(
                "INSERT INTO forecast_runs VALUES (?, now()::TIMESTAMP, ?, ?, ?, ?, ?, ?)",
                [run_id, kind, ",".join(models), horizon, params, data_hash, document])
            if forecasts is not None and len(forecasts):
                self.con.register("_forecasts", forecasts)
                try:
                    self.con.execute(
                        "INSERT INTO forecasts SELECT ?, unique_id, item_id, store_id, ds::DATE, "
                        "model, quantile, value FROM _forecasts", [run_id])
                finally:
                    self.con.unregister("_forecasts")

    def save_promo_result(self, kind: str, data_hash: str, params: str, document: str) -> str:
        """Keep a promotion result (effects, evaluation, simulation, plan) as JSON; returns its id."""
        import uuid

        result_id = uuid.uuid4().hex[:12]
        with self.transaction():
            self.con.execute(
                "INSERT INTO promo_results VALUES (?, now()::TIMESTAMP, ?, ?, ?, ?)",
                [result_id, kind, data_hash, params, document])
        return result_id

    def latest_promo_result(self, kind: str, data_hash: str | None = None,
                            params: str | None = None) -> tuple[str, str] | None:
        """The newest kept result of ``kind`` (for this data and these parameters when given):
        (result_id, document JSON), or None."""
        if not self._has_table("promo_results"):
            return None
        row = self.con.execute(
            "SELECT result_id, document FROM promo_results WHERE kind = ? "
            "AND (? IS NULL OR data_hash = ?) AND (? IS NULL OR params = ?) "
            "ORDER BY created_at DESC LIMIT 1",
            [kind, data_hash, data_hash, params, params]).fetchone()
        return (row[0], row[1]) if row else None

    # -- background jobs (the server's long work) ----------------------------------------------
    def save_job(self, job_id: str, kind: str, params: str) -> None:
        self.con.execute("INSERT INTO jobs (job_id, kind, status, created_at, params) "
                         "VALUES (?, ?, 'queued', now()::TIMESTAMP, ?)", [job_id, kind, params])

    def update_job(self, job_id: str, *, status: str | None = None, progress: str | None = None,
                   result: str | None = None, error: str | None = None) -> None:
        """Set what is given; the start and finish times follow the status."""
        self.con.execute(
            "UPDATE jobs SET status = coalesce(?, status), progress = coalesce(?, progress), "
            "result = coalesce(?, result), error = coalesce(?, error), "
            "started_at = CASE WHEN ? = 'running' THEN now()::TIMESTAMP ELSE started_at END, "
            "finished_at = CASE WHEN ? IN ('done', 'failed') THEN now()::TIMESTAMP "
            "ELSE finished_at END WHERE job_id = ?",
            [status, progress, result, error, status, status, job_id])

    def job(self, job_id: str) -> dict | None:
        frame = self.con.execute("SELECT * FROM jobs WHERE job_id = ?", [job_id]).df()
        return None if frame.empty else frame.iloc[0].to_dict()

    def log_ingest(self, source: str, counts: dict[str, UpsertCount]) -> int:
        """Record one ingest (inside its transaction); returns its id."""
        (next_id,), = self.con.execute(
            "SELECT coalesce(max(ingest_id), 0) + 1 FROM ingest_log").fetchall()
        for table, c in counts.items():
            self.con.execute(
                "INSERT INTO ingest_log VALUES (?, now()::TIMESTAMP, ?, ?, ?, ?, ?)",
                [next_id, source, table, c.inserted, c.updated, c.unchanged],
            )
        return int(next_id)


def _test_hold_point() -> None:
    """Crash-safety tests only: with PROMOCAST_TEST_HOLD_COMMIT=1 the process announces that it is
    inside an open write transaction and waits on stdin, so a test can SIGKILL it at exactly that
    point without sleeping."""
    if os.environ.get("PROMOCAST_TEST_HOLD_COMMIT") == "1":
        print("PROMOCAST-HOLDING-TRANSACTION", flush=True)
        sys.stdin.readline()
