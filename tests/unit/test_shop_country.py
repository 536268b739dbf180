"""The holiday calendar's country comes from the stores table unless a command names one
(QA5: an M5 shop, stores in the US, got China's holidays, 618 and Double 11 by default)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from promocast.data.storage import Store
from promocast.services.calendar import shop_calendar, shop_country


def _store(db: Path, countries: list[str | None]) -> Path:
    with Store(db) as store:
        store.upsert("stores", pd.DataFrame({"store_id": [f"s{k}" for k in range(len(countries))],
                                            "country": countries}))
        store.upsert("sales", pd.DataFrame({"date": pd.to_datetime(["2024-07-01"]),
                                           "item_id": ["A"], "store_id": ["s0"],
                                           "units": [1.0]}))
    return db


def test_auto_takes_the_stores_country_and_an_explicit_one_wins(tmp_path: Path) -> None:
    us = _store(tmp_path / "us.duckdb", ["US", "us ", None])
    assert shop_country(us) == "US" and shop_country(us, "auto") == "US"
    assert shop_country(us, "gb") == "GB"
    july = shop_calendar(us, start="2024-07-01", end="2024-07-31")
    assert "Independence Day" in set(july["event"])
    assert "festival_618" not in set(shop_calendar(us, start="2024-06-01", end="2024-06-30")["event"])
    # a name the holidays package does not know (UCI's 'United Kingdom') falls back to CN
    assert shop_country(_store(tmp_path / "uk.duckdb", ["United Kingdom"])) == "CN"
    assert shop_country(_store(tmp_path / "none.duckdb", [None])) == "CN"
