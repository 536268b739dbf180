"""Series are named item_id/store_id: two pairs that '/' joins into one name are refused at
ingest (the forecast crashed on them: 'cannot handle a non-unique multi-index')."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import promocast, store_snapshot
from promocast.exceptions import DataValidationError
from promocast.services.ingest import ingest


def test_pairs_making_one_series_name_are_refused_and_the_store_kept(tmp_path: Path) -> None:
    first = tmp_path / "sales.csv"
    first.write_text("date,item_id,store_id,units\n2024-03-01,AB/1,S/1,3\n", encoding="utf-8")
    db = tmp_path / "shop.duckdb"
    ingest([first], db)
    before = store_snapshot(db)
    second = tmp_path / "more" / "sales.csv"
    second.parent.mkdir()
    second.write_text("date,item_id,store_id,units\n2024-03-01,AB,1/S/1,4\n", encoding="utf-8")
    with pytest.raises(DataValidationError) as err:
        ingest([second], db)
    (error,) = err.value.errors
    assert error.value == "AB/1/S/1" and "'AB/1', 'AB'" in error.rule
    assert store_snapshot(db) == before
    result = promocast("ingest", str(second), "--db", str(db))
    assert result.returncode == 1 and "make the same series name" in result.stderr
    # ids with '/' that do not collide load
    fine = tmp_path / "fine" / "sales.csv"
    fine.parent.mkdir()
    fine.write_text("date,item_id,store_id,units\n2024-03-01,CD/2,S/1,4\n", encoding="utf-8")
    ingest([fine], db)
