"""Large-file paths of the readers and the validator give the same tables as the small-file ones.

Big ASCII text files are parsed by Arrow (``readers.ARROW_MIN_BYTES``) and long text columns are
parsed once per distinct value (``cells.DISTINCT_MIN_ROWS``); both thresholds are lowered
here so small files take the large-file paths, and the results must equal the usual ones cell
for cell, errors included.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from promocast.data import cells, readers
from promocast.data.readers import read_table
from promocast.data.schema import SALES
from promocast.data.validate import validate_table

CLEAN = (
    "date,item_id,store_id,units,price,base_price,on_promo,promo_id,temperature\n"
    "2024-01-01,A, s1,3,9.9,12,0,,21.5\n"
    "2024-01-02,A,s1,5,\"8.5\",12,1,P1,\n"
    "2024/01/03,B,s1,0,\"$1,299.00\",1300,yes,P2,19\n"
    "20240104,B,s1,2,12%,,true,,18\n"
    "2024-1-5,B,s1,1,7,,0,,17\n"
)
BAD = (
    "date,item_id,store_id,units,price,on_promo\n"
    "2024-02-30,A,s1,3,9.9,0\n"
    "2024-03-01,A,s1,x,9.9,maybe\n"
    "2024-03-02,,s1,-1,0,1\n"
    "2024-03-01,A,s1,2,9.9,0\n"
)


def _validated(path: Path, *, large: bool, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(readers, "ARROW_MIN_BYTES", 0 if large else 10**12)
    monkeypatch.setattr(cells, "DISTINCT_MIN_ROWS", 0 if large else 10**12)
    raw = read_table(path)
    table, log = validate_table(raw.frame, SALES, str(path), first_row=raw.first_row,
                                today=pd.Timestamp("2025-01-01"))
    return raw, table, log


@pytest.mark.parametrize("content", [CLEAN, CLEAN.replace(",", ";").replace("1;299", "1,299")])
def test_large_file_paths_read_and_type_the_same_table(tmp_path: Path, content: str,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "sales.csv"
    path.write_text(content, encoding="utf-8")
    small_raw, small, _ = _validated(path, large=False, monkeypatch=monkeypatch)
    large_raw, large, _ = _validated(path, large=True, monkeypatch=monkeypatch)
    assert large_raw.delimiter == small_raw.delimiter
    assert list(large_raw.frame.columns) == list(small_raw.frame.columns)
    assert str(large_raw.frame["item_id"].dtype) == "string"
    pd.testing.assert_frame_equal(large.frame, small.frame)
    assert large.frame["date"].dt.day.tolist() == [1, 2, 3, 4, 5]
    assert large.frame["price"].tolist() == [9.9, 8.5, 1299.0, 12.0, 7.0]
    assert large.frame["on_promo"].tolist() == [0, 1, 1, 1, 0]
    assert large.exog_columns == ["temperature"]


def test_large_file_paths_report_the_same_errors(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "sales.csv"
    path.write_text(BAD, encoding="utf-8")
    _, small, small_log = _validated(path, large=False, monkeypatch=monkeypatch)
    _, large, large_log = _validated(path, large=True, monkeypatch=monkeypatch)
    assert small is None and large is None
    assert large_log.total == small_log.total == 6
    assert [(e.row, e.column, e.value, e.rule) for e in large_log.first()] == [
        (e.row, e.column, e.value, e.rule) for e in small_log.first()]


def test_arrow_reader_falls_back_on_ragged_rows(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "sales.csv"
    path.write_text("date,item_id,units\n2024-01-01,A,1\n2024-01-02,A,1,extra\n", encoding="utf-8")
    monkeypatch.setattr(readers, "ARROW_MIN_BYTES", 0)
    with pytest.raises(Exception, match="malformed"):
        read_table(path)


def test_large_gzip_text_takes_the_arrow_path_too(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import gzip

    plain, packed = tmp_path / "sales.csv", tmp_path / "sales2.csv.gz"
    plain.write_text(CLEAN, encoding="utf-8")
    packed.write_bytes(gzip.compress(CLEAN.encode("utf-8")))
    _, want, _ = _validated(plain, large=False, monkeypatch=monkeypatch)
    raw, got, _ = _validated(packed, large=True, monkeypatch=monkeypatch)
    assert str(raw.frame["item_id"].dtype) == "string"
    pd.testing.assert_frame_equal(got.frame, want.frame)


def _batched(path: Path, monkeypatch: pytest.MonkeyPatch, batch_bytes: int = 100):
    from promocast.data.readers import text_batches
    from promocast.data.validate import validate_batches

    monkeypatch.setattr(readers, "ARROW_MIN_BYTES", 0)
    monkeypatch.setattr(cells, "DISTINCT_MIN_ROWS", 0)
    batches = text_batches(path, batch_bytes=batch_bytes)
    assert batches is not None
    return validate_batches(batches, SALES, str(path), today=pd.Timestamp("2025-01-01"))


def test_batches_give_the_whole_file_table(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "sales.csv"
    path.write_text(CLEAN, encoding="utf-8")
    _, whole, _ = _validated(path, large=False, monkeypatch=monkeypatch)
    table, log = _batched(path, monkeypatch)
    assert log.total == 0
    pd.testing.assert_frame_equal(table.frame, whole.frame)
    assert table.exog_columns == whole.exog_columns == ["temperature"]


def test_batches_report_errors_with_file_rows_and_keys_across_batches(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "sales.csv"
    rows = [f"2024-01-{d:02d},A,s1,{d}" for d in range(1, 29)]
    rows.append("2024-01-03,A,s1,9")  # the key of file row 4, many batches back
    path.write_text("date,item_id,store_id,units\n" + "\n".join(rows) + "\n", encoding="utf-8")
    table, log = _batched(path, monkeypatch, batch_bytes=64)
    assert table is None and log.total == 1
    (error,) = log.first()
    assert (error.row, error.column) == (30, "date,item_id,store_id")

    path.write_text("date,item_id,store_id,units\n" + "\n".join(rows[:20])
                    + "\n2024-01-21,A,s1,-4\n2024-01-22,A,s1,x\n", encoding="utf-8")
    table, log = _batched(path, monkeypatch, batch_bytes=64)
    assert table is None and log.total == 2
    assert [(e.row, e.value) for e in log.first()] == [(22, "-4"), (23, "x")]


def test_ingest_of_a_large_file_equals_the_small_file_path(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from promocast.data.ingest import prepare_files

    path = tmp_path / "sales.csv"
    rows = [f"2024-01-{d:02d},{item},s{s},{d % 4},{9.5 + s}" for d in range(1, 29)
            for item in ("A", "B") for s in (1, 2)]
    path.write_text("date,item_id,store_id,units,price\n" + "\n".join(rows) + "\n",
                    encoding="utf-8")
    today = pd.Timestamp("2025-01-01")
    monkeypatch.setattr(readers, "BATCH_BYTES", 10**9)
    want = prepare_files([path], today=today).tables["sales"]
    monkeypatch.setattr(readers, "ARROW_MIN_BYTES", 0)
    monkeypatch.setattr(readers, "BATCH_BYTES", 256)
    got = prepare_files([path], today=today).tables["sales"]
    pd.testing.assert_frame_equal(got, want)
