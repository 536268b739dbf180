"""Discounts as shops write them (QA 5, finding 2): an Excel cell showing "20%" holds 0.2 and
was stored as a 0.2 % discount, silently. Percent-formatted cells are read as the percent they
show, a column of fractions is read x 100 with a note, a fraction written among percents is
refused naming its value and what to write, and 折 notation (8折 = 20 % off) is understood;
the same in ingest and in scenario files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook

from conftest import store_snapshot
from promocast.data.cells import STR
from promocast.data.percentages import parse_percentages
from promocast.data.readers import excel_percent_cells, is_percent_format, read_table
from promocast.data.storage import Store
from promocast.exceptions import DataValidationError
from promocast.services.ingest import ingest
from promocast.services.scenarios import read_scenario

HEAD = ["promo_id", "promo_type", "item_id", "start_date", "end_date", "discount_pct"]


def _xlsx(path: Path, rows: list[list], formats: dict[str, str]) -> Path:
    """A workbook as Excel saves it: ``formats`` gives cells (A1 style) their number format."""
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    for cell, number_format in formats.items():
        sheet[cell].number_format = number_format
    book.save(path)
    return path


def _discounts(db: Path) -> dict[str, float]:
    with Store(db, read_only=True) as store:
        frame = store.query("SELECT promo_id, discount_pct FROM promotions ORDER BY promo_id")
    return dict(zip(frame["promo_id"], frame["discount_pct"], strict=True))


def _csv(tmp_path: Path, name: str, discounts: list[str]) -> Path:
    lines = [",".join(HEAD)] + [f"P{i},percent_off,A1,2026-09-0{i},2026-09-0{i},{d}"
                                for i, d in enumerate(discounts, start=1)]
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_excel_percent_cells_are_read_as_the_percent_shown(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "promotions.xlsx", [
        HEAD,
        ["P1", "percent_off", "A1", "2026-09-01", "2026-09-03", 0.2],
        ["P2", "percent_off", "A1", "2026-09-05", "2026-09-06", 0.155],
        ["P3", "percent_off", "A1", "2026-09-08", "2026-09-09", 25],
    ], {"F2": "0%", "F3": "0.0%"})
    db = tmp_path / "s.duckdb"
    summary = ingest([path], db)
    assert _discounts(db) == {"P1": 20.0, "P2": 15.5, "P3": 25.0}
    assert any("2 cells formatted as percentages in Excel" in n and "'discount_pct'" in n
               for n in summary.notes)


def test_excel_reader_finds_percent_cells_by_row(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "t.xlsx", [["a", "b"], [0.2, 1], [None, None], [20, 0.5]],
                 {"A2": "0%", "B4": '0"%"'})  # a quoted % is a literal sign: not scaled
    raw = read_table(path)
    assert list(raw.percent_cells) == ["a"]
    assert raw.percent_cells["a"].tolist() == [True, False, False]
    assert is_percent_format("#,##0.00%") and is_percent_format("0%")
    assert not is_percent_format('0"%"') and not is_percent_format("0\\%")
    assert not is_percent_format("General") and not is_percent_format(None)
    plain = _xlsx(tmp_path / "plain.xlsx", [["a"], [0.2]], {})
    assert excel_percent_cells(plain.read_bytes(), pd.DataFrame({"a": [0.2]})) == {}


def test_a_column_of_fractions_is_read_as_percent_with_a_note(tmp_path: Path) -> None:
    path = _csv(tmp_path, "promotions.csv", ["0.2", "0.15", "1"])
    db = tmp_path / "s.duckdb"
    summary = ingest([path], db)
    assert _discounts(db) == {"P1": 20.0, "P2": 15.0, "P3": 100.0}
    assert any("3 discounts as fractions" in n and "0.2 = 20 %" in n for n in summary.notes)


@pytest.mark.parametrize("other", ["20%", "20"])
def test_a_fraction_among_percents_is_refused_naming_what_to_write(tmp_path: Path,
                                                                   other: str) -> None:
    db = tmp_path / "s.duckdb"
    ingest([_csv(tmp_path, "promotions_ok.csv", ["30"])], db)
    before = store_snapshot(db)
    path = _csv(tmp_path, "promotions.csv", [other, "0.2", "1"])
    with pytest.raises(DataValidationError) as caught:
        ingest([path], db)
    assert caught.value.total == 1  # a plain 1 next to 20 stays 1 %
    error = caught.value.errors[0]
    assert (error.file, error.row, error.column, error.value) == (str(path), 3, "discount_pct",
                                                                  "0.2")
    assert error.rule.startswith("a discount of 0.2 % next to discounts of 20 %")
    assert "write 20 for 20 %" in error.rule
    assert store_snapshot(db) == before


def test_zhe_notation_is_percent_paid(tmp_path: Path) -> None:
    path = _csv(tmp_path, "promotions.csv", ["8折", "8.5折", "85折", "九五折", "20"])
    db = tmp_path / "s.duckdb"
    summary = ingest([path], db)
    assert _discounts(db) == {"P1": 20.0, "P2": 15.0, "P3": 15.0, "P4": 5.0, "P5": 20.0}
    assert any("4 discounts in 折 notation" in n for n in summary.notes)


def test_ambiguous_or_unreadable_zhe_is_refused(tmp_path: Path) -> None:
    path = _csv(tmp_path, "promotions.csv", ["10折", "0折", "8折"])
    with pytest.raises(DataValidationError) as caught:
        ingest([path], tmp_path / "s.duckdb")
    rules = {e.value: e.rule for e in caught.value.errors}
    assert set(rules) == {"10折", "0折"}
    assert "full price" in rules["10折"] and "1折" in rules["10折"]
    assert "share of the price paid" in rules["0折"]
    assert not (tmp_path / "s.duckdb").exists() or not store_snapshot(tmp_path / "s.duckdb")[
        "promotions"]


def test_scenario_files_read_discounts_alike(tmp_path: Path) -> None:
    rows = [["W1", "percent_off", "A1", "2026-09-01", "2026-09-03", 0.2]]
    book = _xlsx(tmp_path / "scenario.xlsx", [HEAD, *rows], {"F2": "0%"})
    planned = read_scenario(book)
    assert planned["discount_pct"].tolist() == [20.0]
    assert any("formatted as percentages" in n for n in planned.attrs["notes"])
    fractions = _csv(tmp_path, "scenario.csv", ["0.25"])
    assert read_scenario(fractions)["discount_pct"].tolist() == [25.0]
    zhe = _csv(tmp_path, "scenario_zhe.csv", ["7折"])
    assert read_scenario(zhe)["discount_pct"].tolist() == [30.0]


def test_percentages_are_decided_per_column_not_per_cell() -> None:
    def read(values: list, dtype: str = STR, cells: list[bool] | None = None) -> list:
        parsed = parse_percentages(pd.Series(values, dtype=dtype), "discount_pct",
                                   None if cells is None else np.array(cells))
        return [None if pd.isna(v) else v for v in parsed.values]

    assert read(["1", "1"]) == [1.0, 1.0]  # all exactly 1: left as written
    assert read(["0", None, "0.5"]) == [0.0, None, 50.0]  # 0 decides nothing
    assert read([0.2, 20.0], "float64", [True, False]) == [20.0, 20.0]
    assert read(["0.5%", "20%"]) == [0.5, 20.0]  # written with a % sign: as written
