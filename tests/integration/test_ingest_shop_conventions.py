"""Shop exports in their own conventions load as the shop meant them: times with a UTC offset
(Shopify, Tmall) and numbers with a decimal comma (European exports), each with a note saying
how it was read; a column that mixes two number conventions is refused and the store kept
(DESIGN §2). QA4 reproductions: s3 orders_tz8.csv / orders.csv, s4 e_sales.csv / h_sales.csv."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import query_store, store_snapshot, write_file
from promocast.exceptions import DataValidationError
from promocast.services.ingest import ingest

ORDERS_HEAD = "order_id,customer_id,timestamp,item_id,quantity,unit_price\n"


def _stamps(db: Path) -> list[str]:
    frame = query_store(db, "SELECT order_id, timestamp FROM orders ORDER BY order_id")
    return [f"{o} {t:%Y-%m-%d %H:%M:%S}" for o, t in zip(frame["order_id"], frame["timestamp"], strict=True)]


def test_orders_all_in_one_offset_keep_their_wall_times(tmp_path: Path) -> None:
    path = write_file(tmp_path, "orders_tz8.csv", ORDERS_HEAD
                      + "A1,C1,2023-06-01T02:51:01+08:00,O00,3,11.42\n"
                      + "A2,C2,2023-06-01T23:52:37+08:00,O02,1,65.1\n")
    summary = ingest([path], tmp_path / "s.duckdb")
    assert _stamps(tmp_path / "s.duckdb") == ["A1 2023-06-01 02:51:01", "A2 2023-06-01 23:52:37"]
    stored = query_store(tmp_path / "s.duckdb", "SELECT timestamp FROM orders")["timestamp"]
    assert stored.dt.tz is None  # like every time in the store
    note = [n for n in summary.notes if "UTC offset" in n]
    assert note == [f"{path}: column 'timestamp' has times with a UTC offset: UTC+08:00 taken as "
                    "the shop's (the most common of 2 values with an offset); none had another, "
                    "so all are kept as written; stored as the shop's local time without a "
                    "time zone"]


def test_other_offsets_are_converted_to_the_most_common_and_naive_times_kept(
        tmp_path: Path) -> None:
    path = write_file(tmp_path, "orders.csv", ORDERS_HEAD
                      + "A1,C1,2023-05-31T18:51:01Z,O00,3,11.42\n"      # 02:51:01 at +08:00
                      + "A2,C2,2023-06-01T02:52:37+08:00,O02,1,65.1\n"
                      + "A3,C3,2023-06-01T04:06:10+08:00,O15,1,76.72\n"
                      + "A4,C4,2023-06-01 09:00:00-05:00,O15,1,76.72\n"  # 22:00 at +08:00
                      + "A5,C5,2023-06-02T10:00:00+0800,O11,3,43.76\n"
                      + "A6,C6,2023-06-03 08:30:00,O11,1,43.76\n")      # no offset: as written
    summary = ingest([path], tmp_path / "s.duckdb")
    assert _stamps(tmp_path / "s.duckdb") == [
        "A1 2023-06-01 02:51:01", "A2 2023-06-01 02:52:37", "A3 2023-06-01 04:06:10",
        "A4 2023-06-01 22:00:00", "A5 2023-06-02 10:00:00", "A6 2023-06-03 08:30:00"]
    assert [n for n in summary.notes if "UTC offset" in n] == [
        f"{path}: column 'timestamp' has times with a UTC offset: UTC+08:00 taken as the "
        "shop's (the most common of 5 values with an offset); 2 converted to it from another "
        "offset; stored as the shop's local time without a time zone"]


def test_sales_dates_with_an_offset_keep_the_shop_date(tmp_path: Path) -> None:
    path = write_file(tmp_path, "sales_tz.csv", "date,item_id,units\n"
                      "2024-03-01T00:00:00+08:00,A,1\n"
                      "2024-03-02T00:00:00+08:00,A,2\n"
                      "2024-03-02T18:30:00Z,A,3\n")  # 02:30 on 03-03 at +08:00
    summary = ingest([path], tmp_path / "s.duckdb")
    frame = query_store(tmp_path / "s.duckdb", "SELECT date, units FROM sales ORDER BY date")
    assert [f"{d:%Y-%m-%d}" for d in frame["date"]] == ["2024-03-01", "2024-03-02", "2024-03-03"]
    assert frame["units"].tolist() == [1.0, 2.0, 3.0]
    assert any("column 'date'" in n and "UTC+08:00" in n and "1 converted" in n
               for n in summary.notes)


def test_a_time_zone_the_offset_reader_does_not_know_is_refused_not_a_crash(
        tmp_path: Path, loaded_store: Path) -> None:
    path = write_file(tmp_path, "orders.csv", ORDERS_HEAD
                      + "A1,C1,2023-06-01T02:51:01+08:00,O00,3,11.42\n"
                      + "A2,C2,2023-06-01T02:51:01 Asia/Shanghai,O00,3,11.42\n")
    before = store_snapshot(loaded_store)
    with pytest.raises(DataValidationError) as err:
        ingest([path], loaded_store)
    message = err.value.message()
    assert "row 3" in message and "'timestamp'" in message and "date-time" in message
    assert store_snapshot(loaded_store) == before


@pytest.fixture
def loaded_store(tmp_path: Path, valid_sales_csv: Path) -> Path:
    db = tmp_path / "store.duckdb"
    ingest([valid_sales_csv], db)
    return db


def _prices(db: Path) -> dict[str, float]:
    frame = query_store(db, "SELECT DISTINCT item_id, price FROM sales ORDER BY item_id")
    return dict(zip(frame["item_id"], frame["price"], strict=True))


def test_european_numbers_are_read_with_a_decimal_comma(tmp_path: Path) -> None:
    path = write_file(tmp_path, "e_sales.csv", "date;item_id;units;price;temperature\n"
                      "2024-03-01;X1;1;1.299,00;21,5\n"
                      "2024-03-01;X2;8;12,50;21,5\n"
                      "2024-03-01;X3;2;1,299;21,5\n"     # 1.299 in this column, not 1299
                      "2024-03-01;X4;2;1.299;21,5\n"     # dots are thousands here: 1299
                      "2024-03-01;X5;2;¥7;21,5\n")
    summary = ingest([path], tmp_path / "s.duckdb", table="sales")
    assert _prices(tmp_path / "s.duckdb") == {"X1": 1299.0, "X2": 12.5, "X3": 1.299,
                                              "X4": 1299.0, "X5": 7.0}
    exog = query_store(tmp_path / "s.duckdb", "SELECT * FROM sales_exog")
    assert exog["temperature"].tolist() == [21.5] * 5
    notes = [n for n in summary.notes if "decimal comma" in n]
    assert notes == [f"{path}: column {c!r} read with a decimal comma (some values such as 12,50 "
                     "or 1.299,00 can be read no other way): '.' taken as the thousands "
                     "separator and ',' as the decimal point" for c in ("price", "temperature")]


@pytest.mark.parametrize(("cell", "value"), [("12,5", 12.5), ("1,2345", 1.2345), ("12,50", 12.5),
                                             ("0,75", 0.75), ("1.234.567,8", 1234567.8)])
def test_a_value_that_can_only_be_a_decimal_comma_is_read_so(tmp_path: Path, cell: str,
                                                            value: float) -> None:
    path = write_file(tmp_path, "sales_h.csv",
                      f'date,item_id,units,base_price\n2024-03-01,Y1,1,"{cell}"\n')
    summary = ingest([path], tmp_path / "s.duckdb")
    assert query_store(tmp_path / "s.duckdb",
                       "SELECT base_price FROM sales")["base_price"].tolist() == [value]
    assert any("'base_price' read with a decimal comma" in n for n in summary.notes)


def test_thousands_separators_and_currency_signs_still_load(tmp_path: Path) -> None:
    path = write_file(tmp_path, "sales_t.csv", "date,item_id,units,price\n"
                      '2024-03-01,T1,"1,000","1,299"\n'
                      '2024-03-01,T2,2,"12,345,678.50"\n'
                      '2024-03-01,T3,2,"¥1,299.00"\n'
                      "2024-03-01,T4,2,$12.50\n"
                      "2024-03-01,T5,2,1.299\n")
    summary = ingest([path], tmp_path / "s.duckdb")
    assert _prices(tmp_path / "s.duckdb") == {"T1": 1299.0, "T2": 12345678.5, "T3": 1299.0,
                                              "T4": 12.5, "T5": 1.299}
    units = query_store(tmp_path / "s.duckdb", "SELECT units FROM sales WHERE item_id = 'T1'")
    assert units["units"].tolist() == [1000.0]
    assert not [n for n in summary.notes if "decimal comma" in n]


@pytest.mark.parametrize(("rows", "bad_row", "bad_value", "rule"), [
    # h_sales.csv: two decimal commas, one decimal point: the point is the odd one
    (['"12,5"', '"1,2345"', "$12.50"], 4, "$12.50",
     "the column mixes decimal commas ('12,5' on row 2) and decimal points ('$12.50' on row 4)"),
    # one decimal comma among decimal points and thousands commas
    (['"1,299.00"', "9.5", '"12,50"'], 4, "12,50",
     "the column mixes decimal commas ('12,50' on row 4) and decimal points ('1,299.00' on row 2)"),
])
def test_a_column_mixing_decimal_commas_and_points_is_refused(
        tmp_path: Path, loaded_store: Path, rows: list[str], bad_row: int, bad_value: str,
        rule: str) -> None:
    text = "date,item_id,units,price\n" + "".join(
        f"2024-03-0{day},Y1,1,{cell}\n" for day, cell in enumerate(rows, start=1))
    path = write_file(tmp_path, "sales_h.csv", text)
    before = store_snapshot(loaded_store)
    with pytest.raises(DataValidationError) as err:
        ingest([path], loaded_store)
    assert err.value.total == 1
    (error,) = err.value.errors
    assert (error.file, error.row, error.column, error.value) == (str(path), bad_row, "price",
                                                                  bad_value)
    assert error.rule.startswith(rule)
    assert "write every number of the column with the same decimal mark" in error.rule
    assert "nothing was written" in err.value.message()
    assert store_snapshot(loaded_store) == before


def test_commas_in_no_known_grouping_are_refused_not_stripped(tmp_path: Path,
                                                              loaded_store: Path) -> None:
    path = write_file(tmp_path, "sales_g.csv",
                      'date,item_id,units,price\n2024-03-01,G1,1,"1,2,3"\n')
    before = store_snapshot(loaded_store)
    with pytest.raises(DataValidationError) as err:
        ingest([path], loaded_store)
    (error,) = err.value.errors
    assert (error.row, error.column, error.value) == (2, "price", "1,2,3")
    assert "cannot parse as a number" in error.rule
    assert store_snapshot(loaded_store) == before
