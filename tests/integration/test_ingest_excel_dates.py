"""Exports saved through Excel hold their dates as serial day numbers (45292 = 2024-01-01,
origin 1899-12-30; 45292.5 = noon), in .xlsx cells typed as numbers and in CSVs written from
such sheets. They load to the right days and times; compact YYYYMMDD dates load as before;
any other number is refused with its file, row, column, value and rule, the store kept."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

from conftest import query_store, store_snapshot, write_file
from promocast.exceptions import DataValidationError
from promocast.services.ingest import ingest

ORDERS_HEAD = "order_id,customer_id,timestamp,item_id,quantity,unit_price\n"


def _days(db: Path) -> list[str]:
    frame = query_store(db, "SELECT date, item_id, units FROM sales ORDER BY item_id, date")
    return [f"{d:%Y-%m-%d} {i} {u:g}" for d, i, u in frame.itertuples(index=False)]


def _xlsx(path: Path, rows: list[list]) -> Path:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def test_csv_sales_with_serial_dates_load_to_their_days(tmp_path: Path) -> None:
    path = write_file(tmp_path, "sales.csv", "date,item_id,units,price\n"
                      "45292,A,3,9.5\n45293,A,1,9.5\n45294,A,2,9.5\n45292,B,5,4.0\n")
    db = tmp_path / "s.duckdb"
    summary = ingest([path], db)
    assert summary.counts["sales"].inserted == 4
    assert _days(db) == ["2024-01-01 A 3", "2024-01-02 A 1", "2024-01-03 A 2", "2024-01-01 B 5"]
    assert [n for n in summary.notes if "Excel serial" in n] == [
        f"{path}: column 'date' holds 4 dates as Excel serial day numbers (45292 = 2024-01-01, "
        "a fraction is the time of day): read as days since 1899-12-30"]


def test_csv_orders_with_serial_times_keep_the_time_of_day(tmp_path: Path) -> None:
    path = write_file(tmp_path, "orders.csv", ORDERS_HEAD
                      + "O1,C1,45292.5,A,1,2.0\n"                       # noon
                      + f"O2,C2,{45292 + 10 / 24},A,2,2.0\n"           # 10:00 as Excel writes it
                      + "O3,C1,45293.75,B,1,3.0\n"                      # 18:00 the next day
                      + "O4,C3,2024-01-03 08:15:00,B,1,3.0\n")          # ISO text beside them
    db = tmp_path / "s.duckdb"
    ingest([path], db)
    frame = query_store(db, "SELECT order_id, timestamp FROM orders ORDER BY order_id")
    assert [f"{o} {t:%Y-%m-%d %H:%M:%S}" for o, t in frame.itertuples(index=False)] == [
        "O1 2024-01-01 12:00:00", "O2 2024-01-01 10:00:00", "O3 2024-01-02 18:00:00",
        "O4 2024-01-03 08:15:00"]


def test_xlsx_cells_typed_as_numbers_load_to_their_days(tmp_path: Path) -> None:
    sales = _xlsx(tmp_path / "sales.xlsx", [
        ["date", "item_id", "units"], [45292, "A", 3], [45293, "A", 1], [45294.0, "B", 2]])
    orders = _xlsx(tmp_path / "orders.xlsx", [
        ["order_id", "customer_id", "timestamp", "item_id", "quantity"],
        ["O1", "C1", 45292.5, "A", 1], ["O2", "C2", 45293.25, "A", 2]])
    promotions = _xlsx(tmp_path / "promotions.xlsx", [  # a date cell beside a number cell
        ["promo_id", "promo_type", "start_date", "end_date", "item_id", "discount_pct"],
        ["P1", "percent_off", pd.Timestamp("2024-01-02").to_pydatetime(), 45294, "A", 10]])
    db = tmp_path / "s.duckdb"
    ingest([sales, orders, promotions], db)
    assert _days(db) == ["2024-01-01 A 3", "2024-01-02 A 1", "2024-01-03 B 2"]
    stamps = query_store(db, "SELECT timestamp FROM orders ORDER BY order_id")["timestamp"]
    assert [f"{t:%Y-%m-%d %H:%M}" for t in stamps] == ["2024-01-01 12:00", "2024-01-02 06:00"]
    promo = query_store(db, "SELECT start_date, end_date FROM promotions").iloc[0]
    assert (f"{promo.start_date:%Y-%m-%d}", f"{promo.end_date:%Y-%m-%d}") == (
        "2024-01-02", "2024-01-03")


def test_compact_dates_still_load_as_before(tmp_path: Path) -> None:
    csv = write_file(tmp_path, "sales.csv", "date,item_id,units\n20240101,A,3\n20240102,A,1\n")
    xlsx = _xlsx(tmp_path / "sales_b.xlsx", [["date", "item_id", "units"], [20240101, "B", 2]])
    db = tmp_path / "s.duckdb"
    summary = ingest([csv, xlsx], db)
    assert _days(db) == ["2024-01-01 A 3", "2024-01-02 A 1", "2024-01-01 B 2"]
    assert not [n for n in summary.notes if "Excel serial" in n]


@pytest.mark.parametrize(("cell", "rule"), [
    ("1704067200", "cannot parse as a date YYYY-MM-DD"),      # Unix seconds: no serial
    ("19723", "cannot parse as a date YYYY-MM-DD"),           # days since 1970
    ("20240105", "the column mixes Excel serial day numbers ('45292' on row 2) and compact "
                 "dates YYYYMMDD ('20240105' on row 5): its dates cannot be read both ways; "
                 "write every date of the column the same way, best as YYYY-MM-DD"),
])
def test_other_numbers_are_refused_and_the_store_kept(tmp_path: Path, cell: str,
                                                      rule: str) -> None:
    db = tmp_path / "s.duckdb"
    ingest([write_file(tmp_path, "sales_first.csv", "date,item_id,units\n2023-12-31,A,1\n")], db)
    before = store_snapshot(db)
    path = write_file(tmp_path, "sales.csv",
                      f"date,item_id,units\n45292,A,3\n45293,A,1\n45294,A,1\n{cell},A,2\n")
    with pytest.raises(DataValidationError) as refused:
        ingest([path], db)
    assert [(e.file, e.row, e.column, e.value, e.rule) for e in refused.value.errors] == [
        (str(path), 5, "date", cell, rule)]
    assert store_snapshot(db) == before
