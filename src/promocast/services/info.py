"""What is in a store: tables, series, dates, frequency, promotion coverage, data quality."""

from __future__ import annotations

from pathlib import Path

from promocast.data.frequency import is_monthly as is_monthly  # the pages' test of `freq`
from promocast.data.missing_days import stored_mode, zero_rows
from promocast.data.quality import quality_report
from promocast.data.schema import TABLES
from promocast.data.storage import EXOG_KEY, EXOG_TABLE, Store
from promocast.data.validate import infer_store_frequencies

_QUALITY: dict[tuple, dict] = {}
"""The newest quality report, keyed by store, last ingest and table sizes."""


def store_info(db: Path, *, quality: bool = True) -> dict:
    """The ``info --json`` document of DESIGN §3, plus promotion coverage and demand classes."""
    with Store(db, read_only=True) as store:
        tables = {name: {"rows": store.count(name)} for name in TABLES}
        info: dict = {"db": str(db), "schema_version": store.schema_version, "series": 0,
                      "freq": None, "start": None, "end": None, "tables": tables}
        dates = store.query("SELECT DISTINCT store_id, date FROM sales")
        freq_by_store = infer_store_frequencies(dates) if len(dates) else {}
        if tables["sales"]["rows"]:
            (series, start, end, promo_rows), = store.query(
                "SELECT count(DISTINCT (item_id, store_id)), min(date), max(date), "
                "count(*) FILTER (WHERE on_promo = 1) FROM sales").itertuples(index=False)
            freqs = sorted(set(freq_by_store.values()))
            info.update(series=int(series), start=str(start.date()), end=str(end.date()),
                        freq=freqs[0] if len(freqs) == 1 else "mixed")
            info["freq_by_store"] = freq_by_store
            info["promotion_coverage"] = {
                "sales_rows_on_promo": int(promo_rows),
                "share_on_promo": round(promo_rows / tables["sales"]["rows"], 4),
                "promotions_by_type": {
                    r.promo_type: int(r.n) for r in store.query(
                        "SELECT promo_type, count(*) AS n FROM promotions GROUP BY 1 ORDER BY 1"
                    ).itertuples()},
            }
        info["exogenous"] = [c for c in store.columns(EXOG_TABLE) if c not in EXOG_KEY]
        # what a day without a sales row means in this shop, and the 0-unit rows written
        info["missing_days"] = {"mode": stored_mode(store), "zero_rows": zero_rows(store)}
        last = store.query("SELECT ingest_id, ingested_at, source FROM ingest_log ORDER BY ingest_id DESC LIMIT 1")
        if quality and (tables["sales"]["rows"] or tables["orders"]["rows"]):
            # the report reads every sales row: kept per store until the next ingest
            key = (str(db), int(last.ingest_id[0]) if len(last) else 0,
                   *(t["rows"] for t in tables.values()))
            report = _QUALITY.get(key)
            if report is None:
                sales = store.query("SELECT date, item_id, store_id, units, on_promo FROM sales")
                inventory = (store.query("SELECT date, item_id, store_id, on_hand FROM inventory")
                             if tables["inventory"]["rows"] else None)
                # order_id: guest_orders counts distinct orders (null without it); status:
                # the lines left out as not sold (absent from a store not migrated yet)
                wanted = [c for c in ("order_id", "customer_id", "status")
                          if c in store.columns("orders")]
                orders = (store.query(f"SELECT {', '.join(wanted)} FROM orders")
                          if tables["orders"]["rows"] else None)
                report = quality_report(sales, inventory, freq_by_store, orders,
                                        missing_days=info["missing_days"]["mode"])
                _QUALITY.clear()
                _QUALITY[key] = report
            info["warnings"] = report["warnings"]
            info["demand_classes"] = report["demand_classes"]
        else:
            info["warnings"] = []
        if len(last):
            info["last_ingest"] = {"id": int(last.ingest_id[0]), "at": str(last.ingested_at[0]),
                                   "source": str(last.source[0])}
    return info
