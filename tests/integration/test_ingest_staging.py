"""A large text file is validated batch by batch and staged on disk as Parquet (``data.staging``)
instead of held in pandas until the store's transaction. The staged path must give the same
tables, the same errors (file, row, column, value, rule), the same upsert counts and the same
all-or-nothing store as the in-memory path. Thresholds are lowered so small files take it."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import store_snapshot
from promocast.data import readers, staging
from promocast.data.ingest import prepare_files
from promocast.data.storage import Store
from promocast.exceptions import DataValidationError
from promocast.services.ingest import ingest

TODAY = pd.Timestamp("2025-01-01")
HEAD = "date,item_id,store_id,units,price,temperature\n"


def _sales_rows(days: int = 20) -> list[str]:
    """Daily sales of two items in two stores, with an exogenous column."""
    start = pd.Timestamp("2024-01-01")
    return [f"{(start + pd.Timedelta(days=d)).date()},{item},{store},{(d * 3 + len(item)) % 7},"
            f"{9.5 + d % 3},{20 + d % 5}"
            for d in range(days) for item in ("A", "BB") for store in ("s1", "s2")]


@pytest.fixture
def staged(monkeypatch: pytest.MonkeyPatch):
    """Switch the large-file path on for every text file (batches of ~200 bytes)."""
    def use(on: bool) -> None:
        monkeypatch.setattr(readers, "ARROW_MIN_BYTES", 0 if on else 10**12)
        monkeypatch.setattr(readers, "BATCH_BYTES", 200)
    return use


def _errors(exc: pytest.ExceptionInfo[DataValidationError]) -> tuple[int | None, list[tuple]]:
    return exc.value.total, [(e.file, e.row, e.column, e.value, e.rule) for e in exc.value.errors]


def test_staged_table_equals_the_in_memory_one(tmp_path: Path, staged) -> None:
    path = tmp_path / "sales.csv"
    path.write_text(HEAD + "\n".join(_sales_rows()) + "\n", encoding="utf-8")
    staged(False)
    whole = prepare_files([path], today=TODAY)
    staged(True)
    (tmp_path / "stage").mkdir()
    load = prepare_files([path], today=TODAY, staging_dir=tmp_path / "stage")
    assert set(load.staged) == {"sales"} and not load.frames
    assert load.rows == whole.rows == {"sales": 80}
    pd.testing.assert_frame_equal(load.tables["sales"], whole.tables["sales"])
    assert load.exog_columns == whole.exog_columns == ["temperature"]
    exog = load.to_store()["sales_exog"]
    assert isinstance(exog, staging.StagedTable)
    pd.testing.assert_frame_equal(exog.to_frame(), whole.to_store()["sales_exog"])
    folder = next((tmp_path / "stage").iterdir())
    assert folder.name.startswith(".promocast-staging-")
    load.close()
    assert not folder.exists()


def test_staged_rules_across_rows_name_the_rows_the_whole_file_names(tmp_path: Path,
                                                                      staged) -> None:
    rows = _sales_rows()
    weekly = [f"{day.date()},A,s3,1,9.5,20" for day in pd.date_range("2024-01-01", periods=6,
                                                                     freq="7D")]
    rows += weekly + ["2024-01-17,A,s3,1,9.5,20"]  # a Wednesday among Mondays
    rows += [rows[5], rows[70]]  # keys already given many batches back
    path = tmp_path / "sales.csv"
    path.write_text(HEAD + "\n".join(rows) + "\n", encoding="utf-8")
    staged(False)
    with pytest.raises(DataValidationError) as whole:
        prepare_files([path], today=TODAY)
    staged(True)
    with pytest.raises(DataValidationError) as batched:
        prepare_files([path], today=TODAY, staging_dir=tmp_path)
    assert _errors(batched) == _errors(whole)
    total, errors = _errors(batched)
    assert total == 3
    assert [(row, column, value) for _, row, column, value, _ in errors] == [
        (88, "date", "2024-01-17"),
        (89, "date,item_id,store_id", "2024-01-02/A/s2"),
        (90, "date,item_id,store_id", "2024-01-18/BB/s1"),
    ]
    assert not list(tmp_path.glob(".promocast-staging-*"))  # refused: nothing left behind


def test_cell_errors_in_several_batches_are_counted_and_named(tmp_path: Path, staged) -> None:
    rows = _sales_rows()
    rows[3] = rows[3].replace(",9.5,", ",0,")
    rows[60] = rows[60].replace("2024-01-", "2024-13-")
    path = tmp_path / "sales.csv"
    path.write_text(HEAD + "\n".join(rows) + "\n", encoding="utf-8")
    staged(True)
    with pytest.raises(DataValidationError) as batched:
        prepare_files([path], today=TODAY, staging_dir=tmp_path)
    total, errors = _errors(batched)
    assert total == 2
    assert [(row, column, rule) for _, row, column, _, rule in errors] == [
        (5, "price", "price must be > 0"), (62, "date", "cannot parse as a date YYYY-MM-DD")]


def test_a_key_in_a_staged_and_an_in_memory_file_is_refused(tmp_path: Path, staged) -> None:
    big, small = tmp_path / "sales_1.csv", tmp_path / "sales_2.csv.gz"  # gzip: in memory
    rows = _sales_rows()
    big.write_text(HEAD + "\n".join(rows[:60]) + "\n", encoding="utf-8")
    small.write_bytes(gzip.compress((HEAD + "\n".join(rows[58:]) + "\n").encode()))
    staged(False)
    with pytest.raises(DataValidationError) as whole:
        prepare_files([big, small], today=TODAY)
    staged(True)
    with pytest.raises(DataValidationError) as batched:
        prepare_files([big, small], today=TODAY, staging_dir=tmp_path)
    assert _errors(batched) == _errors(whole)
    total, errors = _errors(batched)
    assert total == 2 and errors[0][0] == str(small) and errors[0][3].startswith("2024-01-15")
    assert "another file" in errors[0][4]


def test_staged_and_in_memory_files_of_one_table_load_together(tmp_path: Path,
                                                                staged) -> None:
    big, small = tmp_path / "sales_1.csv", tmp_path / "sales_2.csv.gz"
    rows = _sales_rows()
    big.write_text(HEAD + "\n".join(rows[:60]) + "\n", encoding="utf-8")
    small.write_bytes(gzip.compress(("date,item_id,store_id,units\n" + "\n".join(
        ",".join(r.split(",")[:4]) for r in rows[60:]) + "\n").encode()))
    staged(False)
    whole = prepare_files([big, small], today=TODAY)
    staged(True)
    load = prepare_files([big, small], today=TODAY, staging_dir=tmp_path)
    assert set(load.staged) == {"sales"}
    assert len(load.staged["sales"].files) == 2
    pd.testing.assert_frame_equal(load.tables["sales"], whole.tables["sales"])
    pd.testing.assert_frame_equal(load.to_store()["sales_exog"].to_frame(),
                                  whole.to_store()["sales_exog"])


def _read(db: Path) -> dict[str, pd.DataFrame]:
    with Store(db, read_only=True) as store:
        return {t: store.read(t) for t in ("sales", "sales_exog", "inventory")}


def test_staged_ingest_stores_and_upserts_like_the_in_memory_one(tmp_path: Path,
                                                                 staged) -> None:
    data = tmp_path / "in"
    data.mkdir()
    rows = _sales_rows()
    (data / "sales.csv").write_text(HEAD + "\n".join(rows) + "\n", encoding="utf-8")
    (data / "inventory.csv").write_text("date,item_id,store_id,on_hand\n" + "\n".join(
        ",".join(r.split(",")[:3]) + ",5" for r in rows) + "\n", encoding="utf-8")
    last = rows[-1].split(",")
    last[4] = "8.25"  # a new price for the last row
    changed = [*rows[:-1], ",".join(last), "2024-01-21,A,s1,3,9.5,22"]
    counts = {}
    for mode in (False, True):
        staged(mode)
        db = tmp_path / f"staged_{mode}" / "shop.duckdb"
        db.parent.mkdir()
        first = ingest([data], db)
        assert first.counts["sales"].inserted == 80 and first.counts["inventory"].inserted == 80
        assert not ingest([data], db).changed
        (data / "sales.csv").write_text(HEAD + "\n".join(changed) + "\n", encoding="utf-8")
        again = ingest([data / "sales.csv"], db)
        (data / "sales.csv").write_text(HEAD + "\n".join(rows) + "\n", encoding="utf-8")
        counts[mode] = {t: (c.inserted, c.updated, c.unchanged) for t, c in again.counts.items()}
        assert [p.name for p in db.parent.iterdir() if p.name.startswith(".")] == []
    assert counts[True] == counts[False] == {"sales": (1, 1, 79), "sales_exog": (1, 0, 80)}
    stored = {mode: _read(tmp_path / f"staged_{mode}" / "shop.duckdb") for mode in (False, True)}
    for table, frame in stored[True].items():
        pd.testing.assert_frame_equal(frame, stored[False][table])


def test_a_refused_staged_load_leaves_the_store_as_it_was(tmp_path: Path, staged) -> None:
    rows = _sales_rows()
    path = tmp_path / "sales.csv"
    path.write_text(HEAD + "\n".join(rows) + "\n", encoding="utf-8")
    db = tmp_path / "shop.duckdb"
    staged(True)
    ingest([path], db)
    before = store_snapshot(db)
    path.write_text(HEAD + "\n".join([*rows, rows[0].replace(",9.5,", ",7.5,")]) + "\n",
                    encoding="utf-8")
    with pytest.raises(DataValidationError, match="duplicate key"):
        ingest([path], db)
    assert store_snapshot(db) == before
    assert not list(tmp_path.glob(".promocast-staging-*"))


def test_orders_without_line_numbers_stay_in_memory(tmp_path: Path, staged) -> None:
    path = tmp_path / "orders.csv"
    lines = [f"O{n // 2},C{n % 3},2024-01-0{1 + n % 5} 10:00:00,{'AB'[n % 2]},1"
             for n in range(30)] + ["O0,C0,2024-01-01 11:00:00,A,2"]
    path.write_text("order_id,customer_id,timestamp,item_id,quantity\n" + "\n".join(lines) + "\n",
                    encoding="utf-8")
    staged(True)
    load = prepare_files([path], today=TODAY, staging_dir=tmp_path)
    assert set(load.frames) == {"orders"} and not load.staged
    orders = load.frames["orders"]
    assert orders.loc[orders["order_id"] == "O0", "line"].tolist() == [1.0, 2.0, 3.0]


def test_key_checks_agree_with_pandas_with_or_without_the_int64_code(
        monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"date": pd.Timestamp("2024-01-01") + pd.to_timedelta(
        rng.integers(0, 40, 3000), unit="D"),
        "item_id": pd.Series(rng.choice(["A", "B", "C", "DD"], 3000), dtype="string[pyarrow]"),
        "store_id": pd.Series(rng.choice(["s1", "s2"], 3000), dtype="string[pyarrow]")})
    want = frame.duplicated(keep="first").to_numpy()
    pairs = frame[["store_id", "date"]].drop_duplicates()
    for fits in (True, False):
        monkeypatch.setattr(staging.KeyCodes, "fits", property(lambda self, f=fits: f))
        codes = staging.KeyCodes(["date", "item_id", "store_id"])
        for start in range(0, 3000, 700):
            codes.add(frame.iloc[start:start + 700])
        assert [p.dtype for p in codes.parts[0]] == [np.int8, np.int8, np.int8]
        check = staging.check_keys(codes, pairs=True)
        assert check.repeats
        np.testing.assert_array_equal(staging.duplicate_mask(codes), want)
        got = check.pairs.sort_values(["store_id", "date"]).reset_index(drop=True)
        pd.testing.assert_frame_equal(
            got, pairs.sort_values(["store_id", "date"]).reset_index(drop=True),
            check_dtype=False)
        shown = codes.values_at(np.array([0, 2999]))
        pd.testing.assert_frame_equal(shown, frame.iloc[[0, 2999]].reset_index(drop=True),
                                      check_dtype=False)
