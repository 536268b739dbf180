"""Every kind of broken input is refused whole, names where it is broken, and leaves the store
exactly as it was (DESIGN §2)."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest

from conftest import store_snapshot
from promocast.exceptions import DataValidationError
from promocast.services.ingest import ingest

GOOD = "date,item_id,store_id,units,price\n2024-03-01,A1,s1,3,9.5\n2024-03-02,A1,s1,4,9.5\n"
PROMO_HEAD = "promo_id,promo_type,start_date,end_date,item_id,category,discount_pct\n"

# (file name, content, expected row in the message (None = whole file), words in the message)
CASES: dict[str, tuple[str, bytes | str, int | None, str]] = {
    "missing required column": ("sales_x.csv", "date,item_id,price\n2024-03-01,A1,9.5\n", None, "required column missing"),
    "bad date": ("sales_x.csv", GOOD + "2024-13-45,A1,s1,1,9.5\n", 4, "cannot parse as a date"),
    "negative units": ("sales_x.csv", GOOD + "2024-03-03,A1,s1,-2,9.5\n", 4, "units must be >= 0"),
    "infinite units": ("sales_x.csv", GOOD + "2024-03-03,A1,s1,inf,9.5\n", 4, "units must be a finite number"),
    "absurd units": ("sales_x.csv", GOOD + "2024-03-03,A1,s1,1e12,9.5\n", 4, "units must be <= 1e+09"),
    "infinite price": ("sales_x.csv", GOOD + "2024-03-03,A1,s1,2,-inf\n", 4, "price must be a finite number"),
    "units not a number": ("sales_x.csv", GOOD + "2024-03-03,A1,s1,abc,9.5\n", 4, "cannot parse as a number"),
    "zero price": ("sales_x.csv", GOOD + "2024-03-03,A1,s1,2,0\n", 4, "price must be > 0"),
    "negative base price": ("sales_x.csv", "date,item_id,units,base_price\n2024-03-01,A1,1,-3\n", 2, "base_price must be > 0"),
    "duplicate key": ("sales_x.csv", GOOD + "2024-03-02,A1,s1,5,9.5\n", 4, "duplicate key"),
    "missing item id": ("sales_x.csv", GOOD + "2024-03-03,,s1,2,9.5\n", 4, "missing value"),
    "on_promo not a flag": ("sales_x.csv", "date,item_id,units,on_promo\n2024-03-01,A1,1,2\n", 2, "cannot parse as 0 or 1"),
    "date in the future": ("sales_x.csv", GOOD + "2099-01-01,A1,s1,2,9.5\n", 4, "after today"),
    "mixed frequency": ("sales_x.csv", "date,item_id,units\n" + "".join(
        f"2024-01-{d:02d},A1,1\n" for d in (1, 8, 15, 22, 29)) + "2024-01-30,A1,1\n", 7, "mixed frequency"),
    "unknown promo type": ("promotions.csv", PROMO_HEAD + "P1,mystery_deal,2024-03-01,2024-03-05,A1,,10\n", 2, "unknown promo_type"),
    "end before start": ("promotions.csv", PROMO_HEAD + "P1,percent_off,2024-03-05,2024-03-01,A1,,10\n", 2, "end_date before start_date"),
    "promotion without item or category": ("promotions.csv", PROMO_HEAD + "P1,gift,2024-03-01,2024-03-05,,,\n", 2, "needs item_id or category"),
    "discount above 100 %": ("promotions.csv", PROMO_HEAD + "P1,percent_off,2024-03-01,2024-03-05,A1,,150\n", 2, "discount_pct must be <= 100"),
    "negative stock": ("inventory.csv", "date,item_id,on_hand\n2024-03-01,A1,-1\n", 2, "on_hand must be >= 0"),
    "bad order timestamp": ("orders.csv", "order_id,customer_id,timestamp,item_id,quantity\nO1,C1,yesterday,A1,1\n", 2, "date-time"),
    "empty file": ("sales_x.csv", b"", None, "empty"),
    "header only": ("sales_x.csv", "date,item_id,units\n", 2, "no data rows"),
    "wrong encoding": ("sales_x.csv", "date,item_id,units\n2024-03-01,caf\u00e9,1\n".encode("latin-1"), 2, "cannot decode"),
    "truncated gzip": ("sales_x.csv.gz", gzip.compress(GOOD.encode() * 200)[:60], None, "truncated or corrupt"),
    "malformed line": ("sales_x.csv", GOOD + "2024-03-03,A1,s1,2,9.5,9,9\n", 4, "malformed line"),
    "corrupt parquet": ("sales_x.parquet", b"PAR1garbage", None, "Parquet"),
    "corrupt excel": ("sales_x.xlsx", b"not a workbook", None, "xlsx"),
    "binary file": ("sales_x.csv", b"\x00\x01\x02\x03date", None, "binary"),
    "two columns map to one": ("sales_x.csv", "date,sku,item_id,units\n2024-03-01,A,A1,1\n", None, "map to column"),
}


@pytest.fixture
def loaded_store(tmp_path: Path, valid_sales_csv: Path) -> Path:
    db = tmp_path / "store.duckdb"
    ingest([valid_sales_csv], db)
    return db


@pytest.mark.parametrize("case", sorted(CASES))
def test_broken_input_is_refused_and_store_unchanged(tmp_path: Path, loaded_store: Path,
                                                     case: str) -> None:
    name, content, row, words = CASES[case]
    kwargs = {"mapping": {"sku": "item_id"}} if case == "two columns map to one" else {}
    path = tmp_path / "in" / name
    path.parent.mkdir()
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    before = store_snapshot(loaded_store)
    with pytest.raises(DataValidationError) as err:
        ingest([path], loaded_store, **kwargs)
    message = err.value.message()
    assert words in message
    assert str(path) in message
    if row is not None:
        assert f"row {row}" in message
    assert "nothing was written" in message
    assert store_snapshot(loaded_store) == before


def test_one_bad_file_refuses_the_whole_ingest(tmp_path: Path, loaded_store: Path) -> None:
    good = tmp_path / "items.csv"
    good.write_text("item_id,name,category\nA1,Apple juice,juice\n")
    bad = tmp_path / "sales_bad.csv"
    bad.write_text(GOOD + "2024-03-03,A1,s1,-1,9.5\n")
    before = store_snapshot(loaded_store)
    with pytest.raises(DataValidationError):
        ingest([good, bad], loaded_store)
    assert store_snapshot(loaded_store) == before


def test_duplicate_key_across_files_is_refused(tmp_path: Path, loaded_store: Path) -> None:
    (tmp_path / "a").mkdir()
    one, two = tmp_path / "a" / "sales_1.csv", tmp_path / "a" / "sales_2.csv"
    one.write_text(GOOD)
    two.write_text(GOOD)
    with pytest.raises(DataValidationError) as err:
        ingest([tmp_path / "a"], loaded_store)
    assert "another file" in err.value.message()


def test_message_lists_first_twenty_and_the_total(tmp_path: Path, loaded_store: Path) -> None:
    path = tmp_path / "sales_many.csv"
    rows = "".join(f"2024-03-{d:02d},A1,s1,-1,9.5\n" for d in range(1, 29))
    path.write_text("date,item_id,store_id,units,price\n" + rows)
    with pytest.raises(DataValidationError) as err:
        ingest([path], loaded_store)
    assert err.value.total == 28
    assert len(err.value.errors) == 20
    assert "and 8 more" in err.value.message()
    assert [e.row for e in err.value.errors] == list(range(2, 22))


def test_reingest_changes_nothing_and_correction_updates(tmp_path: Path, valid_sales_csv: Path) -> None:
    db = tmp_path / "s.duckdb"
    first = ingest([valid_sales_csv], db)
    assert first.counts["sales"].inserted == 40
    again = ingest([valid_sales_csv], db)
    assert not again.changed
    assert again.counts["sales"].unchanged == 40
    frame = pd.read_csv(valid_sales_csv)
    frame.loc[[0, 5, 7], "units"] += 1
    corrected = tmp_path / "sales_corrected.csv"
    frame.to_csv(corrected, index=False)
    result = ingest([corrected], db)
    assert (result.counts["sales"].inserted, result.counts["sales"].updated,
            result.counts["sales"].unchanged) == (0, 3, 37)
