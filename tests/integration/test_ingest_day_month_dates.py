"""Dates written with the year last (QA 5, finding 19): 18.06.2024 was refused. A column's
such dates are read in one order, decided for the whole column: day first when a first
number is above 12 somewhere or the dates are written with dots (the European convention),
month first when a second number is above 12; a column with no way to tell, or with both
kinds, is refused with its file, row, column, value and rule, the store kept."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from conftest import query_store, store_snapshot, validate_in_batches
from promocast.data.cells import DMY, MDY, STR, parse_times
from promocast.data.schema import SALES
from promocast.data.validate import BatchMismatch
from promocast.exceptions import DataValidationError
from promocast.services.ingest import ingest


def _dates(values: list[str | None], with_time: bool = False) -> tuple[list, str | None]:
    parsed = parse_times(pd.Series(values, dtype=STR), "date", with_time)
    shown = [None if pd.isna(v) else v.strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")
             for v in parsed.values]
    return shown, parsed.date_order


@pytest.mark.parametrize(("values", "want", "order"), [
    (["18.06.2024", "05.06.2024"], ["2024-06-18", "2024-06-05"], DMY),
    (["05.06.2024", "01.02.2024"], ["2024-06-05", "2024-02-01"], DMY),  # dots: day first
    (["05/06/2024", "18/06/2024", "2024-01-01"], ["2024-06-05", "2024-06-18", "2024-01-01"], DMY),
    (["05/06/2024", "6/18/2024"], ["2024-05-06", "2024-06-18"], MDY),
    (["5-6-2024", "13-6-2024"], ["2024-06-05", "2024-06-13"], DMY),
    (["2026/9/20", "2024-06-18"], ["2026-09-20", "2024-06-18"], None),  # year first: as before
])
def test_the_column_decides_the_order(values: list, want: list, order: str | None) -> None:
    assert _dates(values) == (want, order)


def test_times_and_offsets_follow_the_date() -> None:
    shown, order = _dates(["18.06.2024 10:30", "05.06.2024 23:01:02"], with_time=True)
    assert (shown, order) == (["2024-06-18 10:30", "2024-06-05 23:01"], DMY)


def _promotions(tmp_path: Path, starts: list[str]) -> Path:
    path = tmp_path / "promotions.csv"
    path.write_text("promo_id,promo_type,item_id,start_date,end_date,discount_pct\n" + "".join(
        f"Q{i},percent_off,A1,{start},2026-12-31,20\n" for i, start in enumerate(starts, 1)),
        encoding="utf-8")
    return path


def test_dotted_dates_load_with_a_note(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    summary = ingest([_promotions(tmp_path, ["20.09.2026", "01.10.2026"])], db)
    starts = query_store(db, "SELECT start_date FROM promotions ORDER BY promo_id")["start_date"]
    assert [d.strftime("%Y-%m-%d") for d in starts] == ["2026-09-20", "2026-10-01"]
    assert any("'start_date' has 2 dates written with the year last: read day first" in n
               for n in summary.notes)


@pytest.mark.parametrize(("starts", "row", "value", "words"), [
    (["05/06/2026", "01/02/2026"], 2, "05/06/2026", "could be day-month or month-day"),
    (["18/06/2026", "06/18/2026", "19/06/2026"], 3, "06/18/2026",
     "dates day first (such as 18/06/2026) and month first (such as 06/18/2026)"),
])
def test_a_column_that_cannot_tell_is_refused(tmp_path: Path, starts: list, row: int,
                                              value: str, words: str) -> None:
    db = tmp_path / "s.duckdb"
    ingest([_promotions(tmp_path, ["2026-09-01"])], db)
    before = store_snapshot(db)
    path = _promotions(tmp_path, starts)
    with pytest.raises(DataValidationError) as refused:
        ingest([path], db)
    first = refused.value.errors[0]
    assert (first.file, first.row, first.column, first.value) == (str(path), row, "start_date",
                                                                  value)
    assert words in first.rule and "YYYY-MM-DD" in first.rule
    assert store_snapshot(db) == before


def test_batches_decide_as_the_whole_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          ) -> None:
    """A large file read in batches: a batch with no day above 12 is not refused on its own
    (the file is then validated whole), and the whole file reads day first."""
    path = tmp_path / "sales.csv"
    days = [f"{d:02d}/01/2024" for d in range(1, 13)] + ["13/01/2024"]
    path.write_text("date,item_id,units\n" + "".join(f"{d},A,1\n" for d in days))
    with pytest.raises(BatchMismatch):
        validate_in_batches(path, SALES, monkeypatch)
    db = tmp_path / "s.duckdb"
    ingest([path], db)
    dates = query_store(db, "SELECT date FROM sales ORDER BY date")["date"]
    assert [d.strftime("%Y-%m-%d") for d in dates] == [f"2024-01-{d:02d}" for d in range(1, 14)]
