"""Dates saved by Excel as serial day numbers (``data.cells._excel_serials``): 45292 is
2024-01-01 (origin 1899-12-30), a fraction the time of day; decided per column, never cell by
cell between the serial and the compact YYYYMMDD readings."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from conftest import text_cells, validate_in_batches
from promocast.data import cells
from promocast.data.cells import parse_times
from promocast.data.schema import SALES
from promocast.data.validate import BatchMismatch


def _shown(values: pd.Series, fmt: str = "%Y-%m-%d %H:%M:%S") -> list[str | None]:
    return [None if pd.isna(v) else f"{v:{fmt}}" for v in values]


def test_serial_text_reads_from_origin_1899_12_30(distinct: bool) -> None:
    parsed = parse_times(text_cells(["45292", "45292.5", "45293.75", "32874", "73415", None]),
                         "timestamp", with_time=True)
    assert _shown(parsed.values) == ["2024-01-01 00:00:00", "2024-01-01 12:00:00",
                                     "2024-01-02 18:00:00", "1990-01-01 00:00:00",
                                     "2100-12-31 00:00:00", None]
    assert parsed.mixed is None and parsed.date_numbers == "serial"
    assert parsed.reading == cells.Reading("timestamp", excel_serial=5)
    assert parsed.reading.note("f.csv") == (
        "f.csv: column 'timestamp' holds 5 dates as Excel serial day numbers (45292 = "
        "2024-01-01, a fraction is the time of day): read as days since 1899-12-30")


def test_a_time_of_day_is_exact_to_the_second_and_a_date_column_keeps_the_day(
        distinct: bool) -> None:
    ten = str(45292 + 10 / 24)  # 45292.416666666664: Excel's 10:00
    stamps = parse_times(text_cells([ten, "45292.999988426"]), "timestamp", with_time=True)
    assert _shown(stamps.values) == ["2024-01-01 10:00:00", "2024-01-01 23:59:59"]
    days = parse_times(text_cells(["45292.5", "45293"]), "date", with_time=False)
    assert _shown(days.values) == ["2024-01-01 00:00:00", "2024-01-02 00:00:00"]


def test_numbers_from_an_excel_or_parquet_column() -> None:
    ints = parse_times(pd.Series([45292, 45298]), "date", with_time=False)
    assert _shown(ints.values, "%Y-%m-%d") == ["2024-01-01", "2024-01-07"]
    floats = parse_times(pd.Series([45292.25, None]), "timestamp", with_time=True)
    assert _shown(floats.values) == ["2024-01-01 06:00:00", None]
    compact = parse_times(pd.Series([20240101.0, None, 20240131.0]), "date", with_time=False)
    assert _shown(compact.values, "%Y-%m-%d") == ["2024-01-01", None, "2024-01-31"]
    assert compact.reading is None and compact.date_numbers == "compact"


def test_compact_dates_read_as_before(distinct: bool) -> None:
    parsed = parse_times(text_cells(["20240101", "20240229", "2024-03-01"]),
                         "date", with_time=False)
    assert _shown(parsed.values, "%Y-%m-%d") == ["2024-01-01", "2024-02-29", "2024-03-01"]
    assert parsed.reading is None and parsed.mixed is None


def test_serials_beside_iso_text_are_read(distinct: bool) -> None:
    parsed = parse_times(text_cells(["2024-01-05", "45297", "2024/01/07"]), "date", with_time=False)
    assert _shown(parsed.values, "%Y-%m-%d") == ["2024-01-05", "2024-01-06", "2024-01-07"]
    assert parsed.reading is not None and parsed.reading.excel_serial == 1


@pytest.mark.parametrize("number", [
    "1704067200",     # Unix seconds for 2024-01-01
    "1704067200000",  # Unix milliseconds
    "19723",          # days since 1970-01-01
    "20000",          # a serial before 1990
    "80000",          # a serial after 2100
    "4529",           # too few digits
])
def test_other_numbers_stay_unparseable(distinct: bool, number: str) -> None:
    parsed = parse_times(text_cells([number, "45292"]), "date", with_time=False)
    assert pd.isna(parsed.values.iloc[0])
    assert _shown(parsed.values, "%Y-%m-%d")[1] == "2024-01-01"


def test_a_column_mixing_serials_and_compact_dates_refuses_the_rarer(distinct: bool) -> None:
    parsed = parse_times(text_cells(["45292", "45293", "20240103", "45294"]),
                         "date", with_time=False)
    assert parsed.mixed is not None and parsed.mixed.tolist() == [False, False, True, False]
    assert _shown(parsed.values, "%Y-%m-%d") == ["2024-01-01", "2024-01-02", None, "2024-01-03"]
    assert parsed.mixed_rule(pd.RangeIndex(4), 2) == (
        "the column mixes Excel serial day numbers ('45292' on row 2) and compact dates "
        "YYYYMMDD ('20240103' on row 4): its dates cannot be read both ways; write every "
        "date of the column the same way, best as YYYY-MM-DD")
    compact = parse_times(text_cells(["20240101", "45293", "20240103"]), "date", with_time=False)
    assert compact.mixed is not None and compact.mixed.tolist() == [False, True, False]
    assert compact.date_numbers == "compact" and compact.reading is None


def test_batches_reading_date_numbers_differently_send_the_file_to_whole_validation(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "sales.csv"  # the first batches serials, the last one compact dates
    path.write_text("date,item_id,units\n" + "".join(f"{45291 + d},A,1\n" for d in range(1, 9))
                    + "20240109,A,1\n20240110,A,1\n")
    with pytest.raises(BatchMismatch):
        validate_in_batches(path, SALES, monkeypatch)


def test_batches_of_serials_sum_into_one_note(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "sales.csv"
    path.write_text("date,item_id,units\n" + "".join(f"{45291 + d},A,1\n" for d in range(1, 11)))
    table, log = validate_in_batches(path, SALES, monkeypatch)
    assert log.total == 0 and table is not None and table.frame is not None
    assert table.readings == [cells.Reading("date", excel_serial=10)]
    assert sum("Excel serial" in n for n in table.notes) == 1
    assert _shown(table.frame["date"], "%Y-%m-%d") == [f"2024-01-{d:02d}" for d in range(1, 11)]
