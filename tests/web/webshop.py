"""The small demo shop every web test reads, built once per test process with every result the
pages show already kept (forecast, backtest, effects, evaluation, plan, advice, propensity).

A plain module rather than a conftest: pytest gives each folder's conftest the same module
name, and session fixtures imported into several modules would be built once per module."""

from __future__ import annotations

import atexit
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from conftest import load_demo_shop  # noqa: E402
from promocast.config import Settings  # noqa: E402
from promocast.data.storage import serve_from_one_process  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
TOKEN = "test-token-0123456789abcdef"


@cache
def shop_db() -> Path:
    """The served shop's store (read-only use: copy it before changing it)."""
    from promocast.services.forecast import run_forecast
    from promocast.services.forecasting import run_backtest
    from promocast.services.promotions import run_advice, run_effects, run_evaluate, run_plan

    root = Path(tempfile.mkdtemp(prefix="promocast-web-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    from promocast.services.customers import run_propensity
    from promocast.services.ingest import ingest

    db = load_demo_shop(root, seed=5, n_items=10, years=1.0)
    ingest([root / "data" / "orders.csv"], db)
    run_forecast(db, horizon=14, models=["lgbm"])
    run_backtest(db, horizon=7, folds=1, models=["seasonal_naive", "ridge", "ensemble"])
    run_effects(db)
    run_evaluate(db)
    run_plan(db, horizon=2, budget=2000.0)
    run_advice(db)
    run_propensity(db, models=("logistic", "lightgbm"))
    return db


def copy_of_shop(folder: Path) -> Path:
    """A private copy of the served shop, for tests that change the store."""
    target = folder / "shop.duckdb"
    shutil.copy(shop_db(), target)
    models = shop_db().parent / f"{shop_db().name}.models"  # the forecast's kept models
    if models.is_dir():
        shutil.copytree(models, folder / f"{target.name}.models")
    return target


def make_app(db: Path, **settings: object):
    from promocast.api import create_app

    return create_app(Settings(db=db, **settings))


def reset_store_mode() -> None:
    """Undo the server's one-process store mode for the tests that follow."""
    serve_from_one_process(False)


def queued_jobs(db: Path) -> int:
    """How many jobs the store ``db`` keeps (a refused request queues none)."""
    from promocast.data.storage import Store

    with Store(db, read_only=True) as store:
        return int(store.query("SELECT count(*) AS n FROM jobs")["n"][0])


@contextmanager
def serving(db: Path, **settings: object) -> Iterator:
    """A test client serving the store ``db``; the store mode reset after it."""
    from fastapi.testclient import TestClient

    try:
        with TestClient(make_app(db, **settings)) as client:
            yield client
    finally:
        reset_store_mode()


def client_on_copy(folder: Path, **settings: object):
    """A test client serving a private copy of the shop (in ``folder``): for tests that run
    jobs (forecasts, backtests, plans) or keep results, whose newest runs would otherwise
    become what the other tests read from the shared shop."""
    return serving(copy_of_shop(folder), **settings)


def periodic_shop(folder: Path, freq: str, periods: int = 40) -> Path:
    """A small weekly (``W-MON``) or monthly (``MS``) shop in ``folder/shop.duckdb``: items A
    and B sold in stores s1 and s2, item C in s1 only; units with a season and a price cut
    every fifth period (on promotion), the same every run. No inventory, orders or results."""
    import math

    import pandas as pd

    from promocast.services.ingest import ingest

    dates = pd.date_range("2022-01-03" if freq.startswith("W") else "2022-01-01",
                          periods=periods, freq=freq)
    rows = []
    for item, stores in (("A", ("s1", "s2")), ("B", ("s1", "s2")), ("C", ("s1",))):
        for k, store in enumerate(stores):
            for i, day in enumerate(dates):
                cut = i % 5 == 4
                units = 40 + 10 * k + 8 * math.sin(i / 2) + (25 if cut else 0)
                rows.append({"date": day.strftime("%Y-%m-%d"), "item_id": item,
                             "store_id": store, "units": round(units),
                             "price": 8.0 if cut else 10.0, "base_price": 10.0,
                             "on_promo": int(cut)})
    path = folder / "sales_shop.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    db = folder / "shop.duckdb"
    ingest([path], db)
    return db
