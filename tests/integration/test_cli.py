"""The command line contract: help with an example everywhere, exit codes 0 / 1 / 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import promocast

COMMANDS = ["demo", "ingest", "info", "calendar", "backtest", "forecast", "diagnose", "explain"]



@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(command: str) -> None:
    result = promocast(command, "--help")
    assert result.returncode == 0
    assert "Example: promocast " + command in result.stdout


def test_top_level_help_lists_commands() -> None:
    result = promocast("--help")
    assert result.returncode == 0
    for command in COMMANDS:
        assert command in result.stdout


def test_exit_codes(tmp_path: Path, valid_sales_csv: Path) -> None:
    db = tmp_path / "s.duckdb"
    ok = promocast("ingest", str(valid_sales_csv), "--db", str(db), "--json", str(tmp_path / "i.json"))
    assert ok.returncode == 0, ok.stderr
    assert "sales: 40 new, 0 updated, 0 unchanged" in ok.stdout
    assert json.loads((tmp_path / "i.json").read_text())["tables"]["sales"]["inserted"] == 40
    again = promocast("ingest", str(valid_sales_csv), "--db", str(db))
    assert again.returncode == 0 and "nothing changed" in again.stdout
    bad = tmp_path / "sales_bad.csv"
    bad.write_text("date,item_id,units\n2024-03-01,A1,-4\n")
    refused = promocast("ingest", str(bad), "--db", str(db))
    assert refused.returncode == 1
    assert f"{bad}, row 2, column 'units', value '-4': units must be >= 0" in refused.stderr
    assert promocast("ingest", str(bad), "--db", str(db), "--format", "nosuch").returncode == 2
    assert promocast("ingest", "--db", str(db)).returncode == 2  # missing argument
    assert promocast("info", "--db", str(tmp_path / "missing.duckdb")).returncode == 1
    assert promocast("ingest", str(tmp_path / "nameless.csv"), "--db", str(db)).returncode != 0


def test_unknown_file_name_needs_table(tmp_path: Path) -> None:
    path = tmp_path / "export_2024.csv"
    path.write_text("date,item_id,units\n2024-03-01,A1,4\n")
    result = promocast("ingest", str(path), "--db", str(tmp_path / "s.duckdb"))
    assert result.returncode == 2 and "--table" in result.stderr
    result = promocast("ingest", str(path), "--table", "sales", "--db", str(tmp_path / "s.duckdb"))
    assert result.returncode == 0, result.stderr


def test_calendar_lists_festivals_and_user_events(tmp_path: Path, valid_sales_csv: Path) -> None:
    db = tmp_path / "s.duckdb"
    events = tmp_path / "events.csv"
    events.write_text("date,event\n2024-03-08,brand_day\n")
    assert promocast("ingest", str(valid_sales_csv), str(events), "--db", str(db)).returncode == 0
    result = promocast("calendar", "--db", str(db), "--json", str(tmp_path / "c.json"))
    assert result.returncode == 0, result.stderr
    listed = json.loads((tmp_path / "c.json").read_text())["events"]
    assert {"date": "2024-03-08", "event": "brand_day", "kind": "user", "store_id": "all"} in listed
    assert {"date": "2024-03-08", "event": "festival_38", "kind": "festival", "store_id": "all"} in listed
    assert any(e["event"] == "festival_520" for e in listed)  # within 120 days after the data


def test_ingest_prints_the_data_quality_warnings(tmp_path: Path) -> None:
    """Gaps and outliers are warnings, not errors: the load goes through and says them."""
    days = [d for d in range(1, 29) if d not in (10, 11, 12)]  # A1 misses 3 days
    rows = [f"2024-02-{d:02d},A1,s1,{40 if d == 20 else 3}" for d in days]
    rows += [f"2024-02-{d:02d},B2,s1,5" for d in range(1, 29)]
    sales = tmp_path / "sales.csv"
    sales.write_text("date,item_id,store_id,units\n" + "\n".join(rows) + "\n")
    out = tmp_path / "i.json"
    result = promocast("ingest", str(sales), "--db", str(tmp_path / "s.duckdb"), "--json",
                       str(out))
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stderr.split())
    assert "warning: 1 series have gaps (3 missing periods" in text
    assert "A1/s1: 3 periods missing, first 2024-02-10" in text
    assert "warning: 1 outlier rows in 1 series" in text and "A1/s1 on 2024-02-20" in text
    kinds = {w["kind"]: w["count"] for w in json.loads(out.read_text())["warnings"]}
    assert kinds == {"gap": 1, "zero_stock": 0, "outlier": 1, "guest_orders": 0,
                     "not_sold_orders": 0}
    again = promocast("ingest", str(sales), "--db", str(tmp_path / "s.duckdb"))
    assert "warning" not in again.stderr  # nothing changed: nothing re-checked
