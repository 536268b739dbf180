"""The DuckDB store: schema version, transactions, the write lock, a killed ingest."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import store_snapshot
from promocast.data.storage import SCHEMA_VERSION, Store
from promocast.exceptions import SchemaVersionError, StoreLockedError
from promocast.services.ingest import ingest

HOLDER = """
import sys
from promocast.data.storage import Store
store = Store(sys.argv[1])
print("holding", flush=True)
sys.stdin.readline()
"""


def test_new_store_has_current_schema_and_every_table(tmp_path: Path) -> None:
    with Store(tmp_path / "s.duckdb") as store:
        assert store.schema_version == SCHEMA_VERSION
        for table in ("sales", "items", "promotions", "events", "inventory", "orders", "stores",
                      "sales_exog", "ingest_log"):
            assert store.count(table) == 0


def test_store_from_a_newer_promocast_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    with Store(db) as store:
        store.con.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    with pytest.raises(SchemaVersionError, match="upgrade promocast"):
        Store(db)


def test_second_writer_gets_a_clear_lock_message(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    Store(db).close()
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(db)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        with pytest.raises(StoreLockedError, match="in use by another promocast process"):
            Store(db)
    finally:
        holder.communicate("\n", timeout=30)


def test_killed_ingest_leaves_previous_content_and_rerun_succeeds(
        tmp_path: Path, valid_sales_csv: Path) -> None:
    db = tmp_path / "s.duckdb"
    ingest([valid_sales_csv], db)
    before = store_snapshot(db)
    new = tmp_path / "sales_new.csv"
    new.write_text("date,item_id,store_id,units,price\n" + "".join(
        f"2024-03-{d:02d},C{i},s1,{i},5.0\n" for d in range(1, 11) for i in range(50)))
    cmd = [sys.executable, "-m", "promocast.cli", "ingest", str(new), "--db", str(db)]
    env = dict(os.environ, PROMOCAST_TEST_HOLD_COMMIT="1")
    proc = subprocess.Popen(cmd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    # The process prints this line inside its open transaction, after every row was written.
    line = proc.stdout.readline()
    assert "PROMOCAST-HOLDING-TRANSACTION" in line
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert store_snapshot(db) == before
    rerun = ingest([new], db)
    assert rerun.counts["sales"].inserted == 500
    with Store(db, read_only=True) as store:
        assert store.count("sales") == 540


def test_exogenous_columns_are_kept_and_grow(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    one = tmp_path / "sales_1.csv"
    one.write_text("date,item_id,units,temperature\n2024-03-01,A,1,12.5\n")
    two = tmp_path / "sales_2.csv"
    two.write_text("date,item_id,units,rival_price\n2024-03-02,A,1,3.2\n")
    ingest([one], db)
    ingest([two], db)
    with Store(db, read_only=True) as store:
        exog = store.read("sales_exog")
    assert list(exog.columns) == ["date", "item_id", "store_id", "temperature", "rival_price"]
    assert exog["temperature"].tolist()[0] == 12.5
    assert exog["rival_price"].tolist()[1] == 3.2


def test_orders_lines_are_numbered_and_guest_orders_kept(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    orders = tmp_path / "orders.csv"
    orders.write_text(
        "order_id,customer_id,timestamp,item_id,quantity,unit_price\n"
        "O1,C1,2024-03-01 10:00:00,A,1,2.0\nO1,C1,2024-03-01 10:00:00,A,2,2.0\n"
        "O2,,2024-03-01 11:30:00,B,-1,3.0\n")
    summary = ingest([orders], db)
    assert summary.counts["orders"].inserted == 3
    with Store(db, read_only=True) as store:
        frame = store.read("orders")
    assert frame["line"].tolist() == [1, 2, 1]
    assert frame["customer_id"].isna().tolist() == [False, False, True]
    assert frame["quantity"].tolist() == [1, 2, -1]


def test_version_1_store_migrates_forward_keeping_its_data(tmp_path: Path, valid_sales_csv: Path) -> None:
    import duckdb

    from promocast.data.storage import MIGRATIONS

    db = tmp_path / "old.duckdb"
    con = duckdb.connect(str(db))
    for statement in MIGRATIONS[1]:
        con.execute(statement)
    con.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    con.execute("INSERT INTO sales (date, item_id, store_id, units) VALUES ('2024-03-01', 'A', 'all', 3)")
    con.close()
    with Store(db) as store:
        assert store.schema_version == SCHEMA_VERSION == 5
        assert store.count("sales") == 1
        assert store.count("forecast_runs") == 0
        assert store.count("promo_results") == 0
        assert store.latest_promo_result("effects") is None
        assert store.count("jobs") == 0


def test_version_4_store_without_order_status_reads_and_migrates(tmp_path: Path) -> None:
    """Stores made before orders had a ``status`` column: read-only commands use them as
    they are (every line counts), the next write adds the column."""
    import duckdb

    from promocast.data.storage import MIGRATIONS
    from promocast.services.customers import read_purchases
    from promocast.services.info import store_info

    db = tmp_path / "v4.duckdb"
    con = duckdb.connect(str(db))
    for version in (1, 2, 3, 4):
        for statement in MIGRATIONS[version]:
            con.execute(statement)
    con.execute("ALTER TABLE orders DROP COLUMN status")  # as version 4 made it
    con.execute("INSERT INTO meta VALUES ('schema_version', '4')")
    con.execute("INSERT INTO orders (order_id, line, customer_id, timestamp, item_id, quantity, "
                "unit_price, store_id) VALUES ('O1', 1, 'C1', '2024-03-01 10:00', 'A', 2, 5.0, "
                "'all'), ('O2', 1, NULL, '2024-03-02 10:00', 'A', 1, 5.0, 'all')")
    con.close()
    purchases = read_purchases(db)
    assert purchases["revenue"].tolist() == [10.0]
    with Store(db, read_only=True) as store:
        assert "status" not in store.columns("orders")
        assert store.sold_orders_sql() == "TRUE"
    warnings = {w["kind"]: w for w in store_info(db)["warnings"]}
    assert warnings["guest_orders"]["orders"] == 1
    assert warnings["not_sold_orders"]["count"] == 0
    with Store(db) as store:
        assert store.schema_version == SCHEMA_VERSION == 5
        assert store.columns("orders")[-1] == "status"
        assert store.count("orders") == 2
