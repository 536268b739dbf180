"""Shared fixtures: the real data sets beside the project and small temporary stores."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import promocast as _promocast  # noqa: F401  (sets OMP_WAIT_POLICY before LightGBM loads)

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"


def shared_path(*parts: str) -> Path:
    """A path under ../shared/data, or skip the test with the reason when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real data set not available: {path} (a user's clone has no ../shared)")
    return path


@pytest.fixture
def shared_data() -> Path:
    """The ../shared/data folder; tests using it skip when the folder is absent."""
    return shared_path()


def store_snapshot(db: Path) -> dict:
    """Every table of a store as sorted records: equal snapshots mean equal content."""
    from promocast.data.schema import TABLES
    from promocast.data.storage import EXOG_TABLE, Store

    if not db.exists():
        return {}
    with Store(db, read_only=True) as store:
        snap = {}
        for table in [*TABLES, EXOG_TABLE, "ingest_log", "meta"]:
            frame = store.query(f'SELECT * FROM "{table}"')
            snap[table] = sorted(map(repr, frame.astype(str).itertuples(index=False)))
        return snap


def write_file(folder: Path, name: str, text: str) -> Path:
    """``text`` written (UTF-8) to ``folder/name``: a small shop file to ingest."""
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def query_store(db: Path, sql: str, params: list | None = None):
    """The answer (a DataFrame) of ``sql`` on the store ``db``, opened read-only."""
    from promocast.data.storage import Store

    with Store(db, read_only=True) as store:
        return store.query(sql, params)


def validate_in_batches(path: Path, spec, monkeypatch: pytest.MonkeyPatch,
                        batch_bytes: int = 40):
    """``validate_batches`` on the text file ``path`` read in batches of ``batch_bytes``
    (Arrow reading forced on), as the ingest of a large file does; the batches closed after."""
    import pandas as pd

    from promocast.data import readers
    from promocast.data.readers import text_batches
    from promocast.data.validate import validate_batches

    monkeypatch.setattr(readers, "ARROW_MIN_BYTES", 0)
    batches = text_batches(path, batch_bytes=batch_bytes)
    assert batches is not None
    try:
        return validate_batches(batches, spec, str(path), today=pd.Timestamp("2025-01-01"))
    finally:
        batches.close()


def text_cells(values: list[str | None]):
    """A column of cells as the readers hand them over (text)."""
    import pandas as pd

    from promocast.data import cells

    return pd.Series(values, dtype=cells.STR)


@pytest.fixture(params=[False, True], ids=["per-cell", "per-distinct-value"])
def distinct(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    """Cells parsed one by one, then once per distinct value (``cells.DISTINCT_MIN_ROWS``)."""
    from promocast.data import cells

    monkeypatch.setattr(cells, "DISTINCT_MIN_ROWS", 0 if request.param else 10**12)
    return request.param


@pytest.fixture
def valid_sales_csv(tmp_path: Path) -> Path:
    """A small valid daily sales file: 2 items x 2 stores x 10 days."""
    lines = ["date,item_id,store_id,units,price,base_price,on_promo"]
    for day in range(1, 11):
        for item in ("A1", "B2"):
            for store in ("s1", "s2"):
                promo = int(day in (4, 5))
                price = 8.0 if promo else 10.0
                lines.append(f"2024-03-{day:02d},{item},{store},{day + len(item)},{price},10.0,{promo}")
    path = tmp_path / "sales_valid.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def promocast(*args: str, cwd: Path | None = None, timeout: int = 900,
              ) -> subprocess.CompletedProcess:
    """Run the ``promocast`` command line in a child process, as a user would."""
    return subprocess.run([sys.executable, "-m", "promocast", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=timeout)


def load_demo_shop(root: Path, *, seed: int, n_items: int, years: float = 1.0) -> Path:
    """A small demo shop generated under ``root`` and ingested into ``root/shop.duckdb``."""
    from promocast.services.ingest import ingest
    from promocast.testing.demo_shop import generate

    shop = generate(root / "data", seed=seed, n_items=n_items, years=years)
    db = root / "shop.duckdb"
    ingest([shop.files[t] for t in ("stores", "items", "promotions", "events", "sales",
                                    "inventory") if t in shop.files], db)
    return db
