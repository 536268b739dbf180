"""Property tests: any corrupted file is refused and leaves the store's content unchanged; any
valid file round-trips through the store and re-ingesting it changes nothing."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import store_snapshot
from promocast.data.storage import Store
from promocast.exceptions import DataValidationError
from promocast.services.ingest import ingest

ids = st.text(alphabet="ABCXYZ0123456789商品", min_size=1, max_size=6)


@st.composite
def sales_frames(draw: st.DrawFn) -> pd.DataFrame:
    items = draw(st.lists(ids, min_size=1, max_size=4, unique=True))
    days = draw(st.integers(min_value=1, max_value=15))
    dates = pd.date_range("2024-02-01", periods=days, freq="D")
    rows = []
    for item in items:
        for date in dates:
            rows.append({
                "date": date.strftime("%Y-%m-%d"), "item_id": item, "store_id": "s1",
                "units": draw(st.integers(min_value=0, max_value=500)),
                "price": draw(st.floats(min_value=0.01, max_value=1e4, allow_nan=False).map(
                    lambda v: round(v, 2))),
                "on_promo": draw(st.integers(min_value=0, max_value=1)),
            })
    return pd.DataFrame(rows)


CORRUPTIONS = {
    "units": ["-1", "abc", "", "1e999x"],
    "price": ["0", "-5", "free"],
    "date": ["2024-02-30", "not a date", "", "2999-01-01"],
    "on_promo": ["2", "maybe"],
    "item_id": [""],
}

SETTINGS = settings(max_examples=25, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(base=sales_frames(), data=st.data())
def test_corrupted_file_is_refused_and_store_unchanged(base: pd.DataFrame, data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "s.duckdb"
        good = Path(tmp) / "sales_good.csv"
        base.to_csv(good, index=False)
        ingest([good], db)
        before = store_snapshot(db)
        column = data.draw(st.sampled_from(sorted(CORRUPTIONS)))
        value = data.draw(st.sampled_from(CORRUPTIONS[column]))
        row = data.draw(st.integers(min_value=0, max_value=len(base) - 1))
        broken = base.astype(str).copy()
        broken.loc[row, column] = value
        bad = Path(tmp) / "sales_bad.csv"
        broken.to_csv(bad, index=False)
        try:
            ingest([bad], db)
        except DataValidationError as exc:
            assert f"row {row + 2}" in exc.message()
        else:
            raise AssertionError(f"{column}={value!r} at row {row} was accepted")
        assert store_snapshot(db) == before


@SETTINGS
@given(base=sales_frames())
def test_valid_file_round_trips_and_reingest_changes_nothing(base: pd.DataFrame) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "s.duckdb"
        path = Path(tmp) / "sales.csv"
        base.to_csv(path, index=False)
        first = ingest([path], db)
        assert first.counts["sales"].inserted == len(base)
        assert not ingest([path], db).changed
        with Store(db, read_only=True) as store:
            stored = store.read("sales")
        expected = base.sort_values(["date", "item_id"]).reset_index(drop=True)
        assert stored["date"].dt.strftime("%Y-%m-%d").tolist() == expected["date"].tolist()
        assert stored["units"].tolist() == expected["units"].astype(float).tolist()
        assert stored["price"].tolist() == expected["price"].tolist()
        assert stored["item_id"].tolist() == expected["item_id"].tolist()
