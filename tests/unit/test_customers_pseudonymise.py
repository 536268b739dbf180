"""--pseudonymise: salted SHA-256 customer ids; raw ids never reach the store."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from conftest import store_snapshot
from promocast.data.pseudonymise import (
    DIGEST_CHARS,
    META_CHECK,
    META_SALT,
    SALT_ENV,
    pseudonymise_ids,
)
from promocast.data.storage import Store
from promocast.exceptions import UsageError
from promocast.services.ingest import ingest

RAW_IDS = ["alice@example.com", "13800138000", "CUST-0042"]


def test_pseudonyms_are_stable_salted_and_keep_missing() -> None:
    ids = pd.Series([RAW_IDS[0], None, RAW_IDS[1], RAW_IDS[0]])
    first = pseudonymise_ids(ids, "pepper")
    assert first[0] == first[3] and first[0] != first[2]
    assert first[1] is None
    assert all(len(v) == DIGEST_CHARS for v in first.dropna())
    assert not set(first.dropna()) & set(RAW_IDS)
    other = pseudonymise_ids(ids, "salt")
    assert other[0] != first[0]
    pd.testing.assert_series_equal(pseudonymise_ids(ids, "pepper"), first)
    with pytest.raises(ValueError):
        pseudonymise_ids(ids, "")


def _orders(folder: Path, name: str = "orders.csv", order: str = "O1") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["order_id,customer_id,timestamp,item_id,quantity,unit_price"]
    for k, customer in enumerate(RAW_IDS):
        lines.append(f"{order}{k},{customer},2024-03-0{k + 1} 10:00:00,A{k},1,9.9")
    lines.append(f"{order}9,,2024-03-05 10:00:00,A1,1,9.9")  # a guest order
    path = folder / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _all_text(db: Path) -> str:
    return repr(store_snapshot(db))


def test_raw_ids_never_reach_the_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SALT_ENV, raising=False)
    db = tmp_path / "shop.duckdb"
    summary = ingest([_orders(tmp_path / "in")], db, pseudonymise=True)
    assert any("pseudonymised" in note for note in summary.notes)
    text = _all_text(db)
    assert not any(raw in text for raw in RAW_IDS)
    with Store(db, read_only=True) as store:
        stored = store.query("SELECT customer_id FROM orders ORDER BY order_id")["customer_id"]
        meta = dict(store.query("SELECT key, value FROM meta").itertuples(index=False))
    assert stored.isna().sum() == 1  # the guest stays a guest
    salt = meta[META_SALT]
    assert list(stored.dropna()) == list(pseudonymise_ids(pd.Series(RAW_IDS), salt))
    # a second load into the same store hashes the same customer to the same pseudonym
    ingest([_orders(tmp_path / "in2", order="O2")], db, pseudonymise=True)
    with Store(db, read_only=True) as store:
        per_customer = store.query("SELECT customer_id, count(*) AS n FROM orders "
                                   "WHERE customer_id IS NOT NULL GROUP BY 1")
    assert len(per_customer) == 3 and (per_customer["n"] == 2).all()


def test_environment_salt_is_not_stored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SALT_ENV, "a-secret-kept-elsewhere")
    db = tmp_path / "shop.duckdb"
    ingest([_orders(tmp_path / "in")], db, pseudonymise=True)
    text = _all_text(db)
    assert "a-secret-kept-elsewhere" not in text and not any(r in text for r in RAW_IDS)
    with Store(db, read_only=True) as store:
        meta = dict(store.query("SELECT key, value FROM meta").itertuples(index=False))
        stored = store.query("SELECT customer_id FROM orders WHERE customer_id IS NOT NULL "
                             "ORDER BY order_id")["customer_id"]
    assert META_SALT not in meta and META_CHECK in meta
    assert list(stored) == list(pseudonymise_ids(pd.Series(RAW_IDS), "a-secret-kept-elsewhere"))


def test_mixing_raw_ids_or_another_salt_is_refused(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SALT_ENV, "first")
    db = tmp_path / "shop.duckdb"
    ingest([_orders(tmp_path / "in")], db, pseudonymise=True)
    before = store_snapshot(db)
    monkeypatch.setenv(SALT_ENV, "second")
    with pytest.raises(UsageError, match="salt"):
        ingest([_orders(tmp_path / "in2", order="O2")], db, pseudonymise=True)
    with pytest.raises(UsageError, match="--pseudonymise"):
        ingest([_orders(tmp_path / "in3", order="O3")], db)
    assert store_snapshot(db) == before  # refused loads leave the store as it was


def test_ingest_command_has_the_flag(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import typer
    from typer.testing import CliRunner

    from promocast.cli.data import register

    monkeypatch.setenv(SALT_ENV, "cli-salt")
    app = typer.Typer()
    register(app)
    db = tmp_path / "shop.duckdb"
    result = CliRunner().invoke(app, ["ingest", str(_orders(tmp_path / "in")), "--db", str(db),
                                      "--pseudonymise"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert not any(raw in _all_text(db) for raw in RAW_IDS)
    assert "--pseudonymise" in CliRunner().invoke(app, ["ingest", "--help"]).output
