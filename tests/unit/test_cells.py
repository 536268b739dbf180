"""Cells read as shops write them (``data.cells``): each column decides its number convention
and its shop offset as a whole, the same on the per-distinct-value and the batched paths."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import text_cells, validate_in_batches
from promocast.data import cells
from promocast.data.cells import parse_numbers, parse_times
from promocast.data.schema import ORDERS, SALES
from promocast.data.validate import BatchMismatch


@pytest.mark.parametrize(("values", "want", "comma"), [
    (["1.299,00", "12,50", "1,299", "1.299", "7"], [1299.0, 12.5, 1.299, 1299.0, 7.0], True),
    (["1,299", "12,345,678.50", "¥1,299.00", "$12.50", "1.299", "12%"],
     [1299.0, 12345678.5, 1299.0, 12.5, 1.299, 12.0], False),
    (["12,5", None, "1,2345", "€3"], [12.5, None, 1.2345, 3.0], True),
])
def test_numbers_read_by_the_column_convention(distinct: bool, values: list, want: list,
                                               comma: bool) -> None:
    parsed = parse_numbers(text_cells(values), "price")
    got = parsed.values.tolist()
    assert [None if pd.isna(v) else v for v in got] == want
    assert parsed.mixed is None
    assert (parsed.reading is not None and parsed.reading.decimal_comma) == comma


def test_mixed_conventions_mark_the_rarer_cells(distinct: bool) -> None:
    parsed = parse_numbers(text_cells(["12,5", "1,2345", "$12.50", "12"]), "price")
    assert parsed.mixed is not None and parsed.mixed.tolist() == [False, False, True, False]
    assert parsed.values.tolist() == [12.5, 1.2345, 12.5, 12.0]
    assert parsed.mixed_rule(pd.RangeIndex(4), 2).startswith(
        "the column mixes decimal commas ('12,5' on row 2) and decimal points ('$12.50' on row 4)")


def test_offsets_convert_to_the_most_common(distinct: bool) -> None:
    parsed = parse_times(text_cells(["2023-06-01T02:51:01+08:00", "2023-05-31T18:52:37Z",
                                "2023-06-01T04:06:10+08:00", "2023-06-01 05:00", None]),
                         "timestamp", with_time=True)
    assert [None if pd.isna(t) else f"{t:%m-%d %H:%M:%S}" for t in parsed.values] == [
        "06-01 02:51:01", "06-01 02:52:37", "06-01 04:06:10", "06-01 05:00:00", None]
    assert parsed.reading == cells.Reading("timestamp", shop_offset=480.0, converted=1,
                                           with_offset=3)


def test_offsets_west_and_half_hours(distinct: bool) -> None:
    parsed = parse_times(text_cells(["2024-01-01T10:00:00-05:00", "2024-01-01T10:00:00-05:00",
                                "2024-01-01T20:30:00+05:30"]), "timestamp", with_time=True)
    assert [f"{t:%d %H:%M}" for t in parsed.values] == ["01 10:00", "01 10:00", "01 10:00"]
    assert "UTC-05:00" in parsed.reading.note("f.csv")


def test_naive_columns_give_no_reading(distinct: bool) -> None:
    parsed = parse_times(text_cells(["2024-01-05", "2024/01/06", "20240107"]),
                         "date", with_time=False)
    assert [f"{t:%Y-%m-%d}" for t in parsed.values] == ["2024-01-05", "2024-01-06", "2024-01-07"]
    assert parsed.reading is None


def test_batches_reading_a_column_differently_send_the_file_to_whole_validation(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "sales.csv"  # "1,299" reads 1299 alone but 1.299 beside "12,50"
    path.write_text("date;item_id;units;price\n" + "".join(
        f"2024-03-{d:02d};A;1;1,299\n" for d in range(1, 10)) + "2024-03-10;A;1;12,50\n")
    with pytest.raises(BatchMismatch):
        validate_in_batches(path, SALES, monkeypatch, batch_bytes=60)


def test_batches_sum_their_conversions_into_one_note(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "orders.csv"  # each batch of about 4 lines: 3 at +08:00, 1 in UTC
    lines = [f"{g}{i},C1,2023-06-0{g}T0{i}:00:00+08:00,A,1\n" if i < 3
             else f"{g}{i},C1,2023-06-0{g}T0{i}:00:00Z,A,1\n" for g in (1, 2, 3) for i in range(4)]
    path.write_text("order_id,customer_id,timestamp,item_id,quantity\n" + "".join(lines))
    table, log = validate_in_batches(path, ORDERS, monkeypatch, batch_bytes=140)
    assert log.total == 0 and table is not None
    assert table.readings == [cells.Reading("timestamp", shop_offset=480.0, converted=3,
                                            with_offset=12)]
    assert sum("UTC offset" in n for n in table.notes) == 1
    assert table.frame["timestamp"].dt.hour.tolist() == [0, 1, 2, 11] * 3


amounts = st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False,
                      allow_infinity=False)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.lists(amounts, min_size=1, max_size=8))
def test_either_convention_reads_back_the_amounts(values: list) -> None:
    us = [f"{v:,.2f}" for v in values]
    eu = [s.replace(",", "_").replace(".", ",").replace("_", ".") for s in us]
    want = [float(v) for v in values]
    assert parse_numbers(text_cells(us), "price").values.tolist() == want
    european = parse_numbers(text_cells([*eu, "0,50"]), "price")  # one decimal comma decides
    assert european.values.tolist()[:-1] == want and european.mixed is None
