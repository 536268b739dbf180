"""A missing day is zero sales when the shop says so (``ingest --missing-days zero``,
``data.missing_days``): exports that list only the days an item sold get a 0-unit row for
every other period up to the store's last date, in the load's transaction; the choice is kept
for later loads and shown by ``info``; out-of-stock days stay censored; a refused load
changes nothing, the choice included."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from conftest import promocast, query_store, store_snapshot, write_file
from promocast.data.storage import Store
from promocast.exceptions import DataValidationError, UsageError
from promocast.services.info import store_info
from promocast.services.ingest import ingest

DAYS = pd.date_range("2024-01-01", "2024-04-30")  # 121 days
"""FAST sells every day; SLOW one unit every 4th day from 2024-01-03 (30 selling days over
the 119 days from its first sale to the store's last date: a true mean of 30 / 119)."""
SLOW_MEAN = 30 / 119


def _sparse_export(folder: Path) -> Path:
    rows = ["date,item_id,units,price"]
    for i, day in enumerate(DAYS):
        rows.append(f"{day:%Y-%m-%d},FAST,{10 + i % 3},2.0")
        if i >= 2 and (i - 2) % 4 == 0:
            rows.append(f"{day:%Y-%m-%d},SLOW,1,5.0")
    return write_file(folder, "sales.csv", "\n".join(rows) + "\n")


def _sales(db: Path, item: str) -> pd.DataFrame:
    return query_store(db, "SELECT date, units, price, base_price, on_promo, promo_id FROM sales "
                       "WHERE item_id = ? ORDER BY date", [item])


def _zero_keys(db: Path) -> int:
    with Store(db, read_only=True) as store:
        if not store.columns("sales_zero_days"):
            return 0
        return store.count("sales_zero_days")


def test_cli_zero_days_fill_a_sparse_export_and_info_shows_the_choice(tmp_path: Path) -> None:
    sales = _sparse_export(tmp_path)
    db = tmp_path / "s.duckdb"
    plain = promocast("ingest", str(sales), "--db", str(db))
    assert plain.returncode == 0, plain.stderr
    warning = next(line for line in plain.stderr.splitlines() if "series have gaps" in line)
    assert warning.startswith("warning: 1 series have gaps (87 missing periods")
    assert warning.endswith("If a missing day means no sales, load with --missing-days zero "
                            "(missing days: zero on the upload form): the store then writes a "
                            "0-unit row for each, and keeps the choice for later loads")
    loaded = promocast("ingest", str(sales), "--missing-days", "zero", "--db", str(db),
                       "--json", str(tmp_path / "ingest.json"))
    assert loaded.returncode == 0, loaded.stderr
    assert "sales: 0 new, 0 updated, 151 unchanged" in loaded.stdout
    assert "series have gaps" not in loaded.stderr
    assert "sales: 89 zero rows added for periods without a row (--missing-days zero)" \
        in loaded.stdout
    document = json.loads((tmp_path / "ingest.json").read_text())
    assert document["missing_days"] == {"mode": "zero", "zero_rows_added": 89,
                                        "zero_rows_removed": 0, "zero_rows": 89}
    slow = _sales(db, "SLOW")
    assert len(slow) == 119 and slow["units"].sum() == 30  # 2024-01-03 .. 2024-04-30
    zeros = slow[slow["units"] == 0]
    assert len(zeros) == 89 and zeros["price"].isna().all() and zeros["base_price"].isna().all()
    assert (zeros["on_promo"] == 0).all() and zeros["promo_id"].isna().all()
    assert len(_sales(db, "FAST")) == 121  # it had every day already
    shown = promocast("info", "--db", str(db), "--json", str(tmp_path / "info.json"))
    assert shown.returncode == 0, shown.stderr
    assert "240 sales rows (89 zero rows for days without one: --missing-days zero)" \
        in shown.stdout
    info = json.loads((tmp_path / "info.json").read_text())
    assert info["missing_days"] == {"mode": "zero", "zero_rows": 89}
    gap = next(w for w in info["warnings"] if w["kind"] == "gap")
    assert (gap["count"], gap["periods"], gap["message"]) == (0, 0, None)


def test_bad_usage_of_the_option_exits_2_before_reading(tmp_path: Path) -> None:
    sales = _sparse_export(tmp_path)
    answer = promocast("ingest", str(sales), "--missing-days", "maybe", "--db",
                       str(tmp_path / "s.duckdb"))
    assert answer.returncode == 2
    assert "--missing-days must be one of unknown, zero, got 'maybe'" in answer.stderr
    assert not (tmp_path / "s.duckdb").exists()


def test_a_slow_sellers_forecast_is_its_mean_with_zero_days_not_its_selling_days(
        tmp_path: Path) -> None:
    from promocast.services.forecast import run_forecast

    sales = _sparse_export(tmp_path)
    levels = {}
    for mode in ("unknown", "zero"):
        db = tmp_path / f"{mode}.duckdb"
        ingest([sales], db, missing_days=mode)
        out = tmp_path / f"forecast_{mode}.csv"
        run_forecast(db, horizon=7, models=["croston", "lgbm"], out=out)
        frame = pd.read_csv(out)
        levels[mode] = frame[frame["item_id"] == "SLOW"][["croston", "lgbm"]].mean()
    # unknown: the days between sales are filled from the selling days (1 unit each)
    assert levels["unknown"]["croston"] == pytest.approx(1.0, abs=0.02)
    assert levels["unknown"]["lgbm"] == pytest.approx(1.0, abs=0.05)
    # zero: about 30 units over 119 days (0.252 a day), four times less
    assert levels["zero"]["croston"] == pytest.approx(SLOW_MEAN, abs=0.02)
    assert levels["zero"]["lgbm"] == pytest.approx(SLOW_MEAN, abs=0.05)


def test_the_choice_survives_a_second_load_and_real_rows_replace_zero_rows(
        tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    ingest([_sparse_export(tmp_path)], db, missing_days="zero")
    more = write_file(tmp_path, "sales_may.csv", "date,item_id,units\n"
                      + "".join(f"2024-05-{d:02d},FAST,10\n" for d in range(1, 11))
                      + "2024-05-05,SLOW,3\n"
                      + "2024-04-30,SLOW,2\n")  # a zero row of the first load, now given
    summary = ingest([more], db)  # no option: the shop's choice applies
    assert summary.counts["sales"].inserted == 11 and summary.counts["sales"].updated == 1
    assert summary.zero_days is not None
    assert summary.zero_days.as_dict() == {"mode": "zero", "zero_rows_added": 9,
                                           "zero_rows_removed": 0, "zero_rows": 89 - 1 + 9}
    slow = _sales(db, "SLOW").set_index("date")["units"]
    assert len(slow) == 119 + 10 and slow.sum() == 30 + 3 + 2
    assert slow[pd.Timestamp("2024-04-30")] == 2
    assert store_info(db)["missing_days"] == {"mode": "zero", "zero_rows": 97}
    assert _zero_keys(db) == 97


def test_back_to_unknown_removes_the_zero_rows_and_keeps_the_shops_own(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    ingest([_sparse_export(tmp_path)], db, missing_days="zero")
    own = write_file(tmp_path, "sales_own_zero.csv", "date,item_id,units\n2024-01-04,SLOW,0\n")
    ingest([own], db)  # the shop's own zero: no longer one of the rows written
    summary = ingest([own], db, missing_days="unknown")
    assert summary.zero_days is not None and summary.zero_days.removed == 88
    assert "sales: 88 zero rows removed" in summary.lines()
    slow = _sales(db, "SLOW")
    assert len(slow) == 31 and slow["units"].sum() == 30
    assert store_info(db)["missing_days"] == {"mode": "unknown", "zero_rows": 0}
    again = ingest([own], db)
    assert len(_sales(db, "SLOW")) == 31 and again.zero_days.added == 0


def test_weekly_stores_get_a_zero_row_for_each_missing_week(tmp_path: Path) -> None:
    mondays = pd.date_range("2024-01-01", periods=10, freq="W-MON")
    rows = [f"{d:%Y-%m-%d},A,w1,5" for d in mondays]           # the store's weeks
    rows += [f"{mondays[i]:%Y-%m-%d},B,w1,1" for i in (2, 5)]  # weeks 3 and 6
    rows += [f"2024-01-{d:02d},A,d1,2" for d in (1, 2, 5)]     # a daily store beside it
    db = tmp_path / "s.duckdb"
    summary = ingest([write_file(tmp_path, "sales.csv", "date,item_id,store_id,units\n"
                                 + "\n".join(rows) + "\n")], db, missing_days="zero")
    with Store(db, read_only=True) as store:
        b = store.query("SELECT date, units FROM sales WHERE item_id = 'B' ORDER BY date")
        d1 = store.query("SELECT date, units FROM sales WHERE store_id = 'd1' ORDER BY date")
    # B from week 3 to the store's week 10: 8 weeks, 6 of them zero, all on Mondays
    assert len(b) == 8 and b["units"].tolist() == [1, 0, 0, 1, 0, 0, 0, 0]
    assert (pd.to_datetime(b["date"]).dt.weekday == 0).all()
    assert d1["units"].tolist() == [2, 2, 0, 0, 2]  # the daily store: Jan 3 and 4
    assert summary.zero_days is not None and summary.zero_days.added == 6 + 2


def test_out_of_stock_days_stay_stock_outs_not_zero_demand(tmp_path: Path) -> None:
    from promocast.services.forecasting import load_panel

    db = tmp_path / "s.duckdb"
    sales = write_file(tmp_path, "sales.csv", "date,item_id,units\n"
                       + "".join(f"2024-03-{d:02d},A,4\n" for d in range(1, 21))
                       + "2024-03-01,B,2\n2024-03-06,B,1\n2024-03-12,B,2\n")
    stock = write_file(tmp_path, "inventory.csv", "date,item_id,on_hand\n"
                       "2024-03-03,B,0\n2024-03-04,B,0\n2024-03-06,B,0\n")
    first = ingest([sales, stock], db, missing_days="zero")
    # B spans Mar 1..20 (20 days): 3 rows, 2 stock-out days without a row: 15 zero rows
    assert first.zero_days is not None and first.zero_days.added == 15
    later = write_file(tmp_path, "inventory_more.csv", "date,item_id,on_hand\n"
                       "2024-03-15,B,0\n2024-03-16,B,3\n")
    second = ingest([later], db)  # a stock-out found after its zero row was written
    assert second.zero_days is not None and second.zero_days.removed == 1
    b = _sales(db, "B").set_index("date")["units"]
    assert len(b) == 20 - 3 and pd.Timestamp("2024-03-15") not in b.index
    panel = load_panel(db).frame
    b_panel = panel[panel["item_id"] == "B"].set_index("ds")
    unobserved = sorted(f"{d:%d}" for d in b_panel.index[b_panel["observed"] == 0])
    assert unobserved == ["03", "04", "06", "15"]  # censored (a sale on the 6th too)
    assert b_panel["observed"].sum() == 16 and b_panel.loc["2024-03-05", "y"] == 0
    zero_stock = next(w for w in store_info(db)["warnings"] if w["kind"] == "zero_stock")
    assert zero_stock["count"] == 4


def _refused(db: Path, *paths: Path, **options: str) -> DataValidationError:
    with pytest.raises(DataValidationError) as refused:
        ingest(list(paths), db, **options)
    return refused.value


def test_a_refused_load_leaves_the_store_and_its_choice_unchanged(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    ingest([_sparse_export(tmp_path)], db)  # unknown by default
    before = store_snapshot(db)
    bad = write_file(tmp_path, "sales_bad.csv", "date,item_id,units\n2024-05-01,SLOW,-1\n")
    error = _refused(db, bad, missing_days="zero")
    assert [(e.row, e.column, e.value) for e in error.errors] == [(2, "units", "-1")]
    assert store_snapshot(db) == before and _zero_keys(db) == 0
    assert store_info(db)["missing_days"] == {"mode": "unknown", "zero_rows": 0}

    ingest([_sparse_export(tmp_path)], db, missing_days="zero")
    before = store_snapshot(db)
    _refused(db, bad, missing_days="unknown")
    # refused inside the transaction, after the zero rows of the load were written
    clash = write_file(tmp_path, "sales_clash.csv", "date,item_id,store_id,units\n"
                       "2024-04-01,AB/1,S/1,1\n2024-04-03,AB,1/S/1,1\n")
    _refused(db, clash, missing_days="unknown")
    assert store_snapshot(db) == before and _zero_keys(db) == 89
    assert store_info(db)["missing_days"] == {"mode": "zero", "zero_rows": 89}


def test_the_gap_warning_suggests_the_option_when_gaps_are_common(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    ingest([_sparse_export(tmp_path)], db)
    gap = next(w for w in store_info(db)["warnings"] if w["kind"] == "gap")
    # 87: the zero rows but the two days after SLOW's last sale (no gap: no row after them)
    assert (gap["count"], gap["periods"], gap["share_missing"]) == (1, 87, round(87 / 238, 4))
    assert gap["message"].startswith("37% of the periods inside the series have no row")
    assert "load with --missing-days zero" in gap["message"]
    with pytest.raises(UsageError):
        ingest([_sparse_export(tmp_path)], db, missing_days="zeros")


def test_a_large_staged_file_replaces_zero_rows_like_a_small_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from promocast.data import readers

    monkeypatch.setattr(readers, "ARROW_MIN_BYTES", 0)  # every text file staged as Parquet
    db = tmp_path / "s.duckdb"
    first = ingest([_sparse_export(tmp_path)], db, missing_days="zero")
    assert first.zero_days is not None and first.zero_days.added == 89
    given = write_file(tmp_path, "sales_fix.csv", "date,item_id,units\n2024-01-04,SLOW,2\n")
    second = ingest([given], db)
    assert second.counts["sales"].updated == 1
    assert second.zero_days is not None and second.zero_days.replaced == 1
    assert _zero_keys(db) == 88 and _sales(db, "SLOW")["units"].sum() == 32
