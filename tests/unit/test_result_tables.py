"""Every result table promocast writes (``--out``, downloads) goes through one writer
(``services.tables``): CSV in UTF-8 with a byte-order mark, so Excel shows Chinese names and
advice (QA 5, finding 16), Excel and Parquet by suffix, other suffixes refused."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from promocast.exceptions import UsageError
from promocast.services.forecasting import write_predictions
from promocast.services.results import table_bytes
from promocast.services.tables import write_table

BOM = b"\xef\xbb\xbf"
FRAME = pd.DataFrame({"item_id": ["零食01", "饮料02"], "action": ["停止赠品促销", "加深折扣"],
                      "expected_gain": [12.5, -3.25]})


def test_csv_tables_carry_a_bom_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "advice.csv"
    write_table(FRAME, path)
    assert path.read_bytes().startswith(BOM)
    assert path.read_bytes()[3:].decode("utf-8").startswith("item_id,action")
    pd.testing.assert_frame_equal(pd.read_csv(path), FRAME)


@pytest.mark.parametrize("suffix", [".xlsx", ".parquet"])
def test_other_formats_by_suffix(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"table{suffix}"
    write_table(FRAME, path)
    back = pd.read_excel(path) if suffix == ".xlsx" else pd.read_parquet(path)
    pd.testing.assert_frame_equal(back, FRAME)


def test_an_unknown_suffix_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"write \.csv, \.xlsx or \.parquet"):
        write_table(FRAME, tmp_path / "table.json")


def test_forecast_files_and_downloads_are_written_alike(tmp_path: Path) -> None:
    path = tmp_path / "forecast.csv"
    write_predictions(FRAME, path)
    assert path.read_bytes().startswith(BOM)
    assert path.read_bytes()[3:].decode("utf-8").splitlines()[1] == "零食01,停止赠品促销,12.5000"
    assert table_bytes(FRAME, "csv") == (FRAME.to_csv(index=False).encode("utf-8-sig"))
