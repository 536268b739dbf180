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
