"""Kept results (forecasts, effects, baselines, evaluations) are keyed by a fingerprint of
the shop's data: loading promotions, fixing a price or a day's stock must make them stale;
loading the same rows again must not."""

from __future__ import annotations

from pathlib import Path

from promocast.data.storage import Store
from promocast.services.forecasting import sales_hash
from promocast.services.ingest import ingest


def _hash(db: Path) -> str:
    with Store(db, read_only=True) as store:
        return sales_hash(store)


def test_every_table_a_result_reads_moves_the_fingerprint(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    sales = tmp_path / "sales.csv"
    sales.write_text("date,item_id,store_id,units,price\n2024-03-01,A1,s1,3,9.5\n"
                     "2024-03-02,A1,s1,4,9.5\n")
    ingest([sales], db)
    first = _hash(db)
    ingest([sales], db)
    assert _hash(db) == first  # the same rows: kept results stay good
    promotions = tmp_path / "promotions.csv"
    promotions.write_text("promo_id,promo_type,start_date,end_date,item_id,discount_pct\n"
                          "P1,percent_off,2024-03-02,2024-03-02,A1,10\n")
    ingest([promotions], db)
    with_promo = _hash(db)
    assert with_promo != first  # was equal: effects and evaluations ignored P1
    sales.write_text("date,item_id,store_id,units,price\n2024-03-01,A1,s1,3,9.5\n"
                     "2024-03-02,A1,s1,4,8.5\n")
    ingest([sales], db)
    repriced = _hash(db)
    assert repriced != with_promo  # a price fixed, units the same
    stock = tmp_path / "inventory.csv"
    stock.write_text("date,item_id,store_id,on_hand\n2024-03-02,A1,s1,0\n")
    ingest([stock], db)
    assert _hash(db) != repriced
