"""Readers: encodings, delimiters, compression and containers a shop's exports come in."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest

from promocast.data.readers import list_input_files, read_table
from promocast.exceptions import DataValidationError

ROWS = [["2024-01-01", "商品A", "门店1", "3"], ["2024-01-02", "商品B", "门店1", "5"]]
HEADER = ["日期", "商品编码", "门店", "销量"]


def _text(sep: str) -> str:
    return "\n".join(sep.join(r) for r in [HEADER, *ROWS]) + "\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_text_encodings_decode_to_the_same_table(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "sales.csv"
    path.write_bytes(_text(",").encode(encoding))
    raw = read_table(path)
    assert list(raw.frame.columns) == HEADER
    assert raw.frame.iloc[1].tolist() == ROWS[1]
    assert raw.first_row == 2


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_delimiter_is_sniffed(tmp_path: Path, sep: str) -> None:
    path = tmp_path / "sales.txt"
    path.write_text(_text(sep), encoding="utf-8")
    raw = read_table(path)
    assert raw.delimiter == sep
    assert raw.frame.shape == (2, 4)


def test_gzip_parquet_and_excel_read_alike(tmp_path: Path) -> None:
    frame = pd.DataFrame(ROWS, columns=HEADER)
    gz = tmp_path / "sales.csv.gz"
    gz.write_bytes(gzip.compress(_text(",").encode("utf-8")))
    pq = tmp_path / "sales.parquet"
    frame.to_parquet(pq)
    xlsx = tmp_path / "sales.xlsx"
    frame.to_excel(xlsx, index=False)
    for path, first_row in ((gz, 2), (pq, 1), (xlsx, 2)):
        raw = read_table(path)
        assert list(raw.frame.columns) == HEADER, path
        assert raw.frame.iloc[0, 1] == "商品A"
        assert raw.first_row == first_row


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("sales.csv", b"", "empty"),
        ("sales.csv", b"date,item_id,units\n", "no data rows"),
        ("sales.csv.gz", gzip.compress(b"date,item_id,units\n2024-01-01,A,1\n" * 50)[:40], "gzip"),
        ("sales.csv", b"date,item\xff\xfe\x00\x01\x02id\n", "binary"),
        ("sales.csv", "date,item_id,units\n2024-01-01,caf\u00e9,1\n".encode("latin-1"), "decode"),
        ("sales.parquet", b"PAR1 not really parquet", "Parquet"),
        ("sales.xlsx", b"PK\x03\x04 broken zip", "xlsx"),
        ("sales.csv", b"date,item_id,units\n2024-01-01,A,1\n2024-01-02,A,1,extra,fields\n", "malformed"),
    ],
)
def test_unreadable_files_are_refused_with_the_reason(tmp_path: Path, name: str, content: bytes,
                                                      reason: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DataValidationError) as err:
        read_table(path)
    assert reason in str(err.value)
    assert str(path) in str(err.value)


def test_malformed_line_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "sales.csv"
    path.write_text("date,item_id,units\n2024-01-01,A,1\n2024-01-02,A,1\n2024-01-03,A,1,9\n")
    with pytest.raises(DataValidationError) as err:
        read_table(path)
    assert err.value.errors[0].row == 4


def test_folder_lists_data_files_only(tmp_path: Path) -> None:
    for name in ("sales.csv", "items.xlsx", "notes.md", ".hidden.csv", "orders.csv.gz"):
        (tmp_path / name).write_text("x")
    assert [p.name for p, _ in list_input_files([tmp_path])] == ["items.xlsx", "orders.csv.gz", "sales.csv"]
