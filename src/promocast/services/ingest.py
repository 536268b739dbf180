"""Ingest use case: validate everything first, then write it all in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from promocast.data.ingest import PreparedLoad, prepare_files, prepare_format
from promocast.data.mapping import UserMapping, load_mapping_file, parse_map_options
from promocast.data.missing_days import ZeroDays, check_mode, settle
from promocast.data.schema import TABLES
from promocast.data.staging import StagedTable
from promocast.data.storage import Store, UpsertCount
from promocast.exceptions import DataValidationError, RowError
from promocast.wording import option, phrase

__all__ = ["IngestSummary", "ingest", "parse_map_options", "prepare", "store_load"]

Progress = Callable[[str], None]


@dataclass
class IngestSummary:
    """What an ingest did, per table, in the words the user reads."""

    db: str
    ingest_id: int | None
    sources: list[str]
    counts: dict[str, UpsertCount]
    notes: list[str] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)
    """Data-quality warnings of the load (``info``'s shape: kind, count, examples), such as
    promotions naming items, categories or stores the store does not hold, and (whenever
    orders are loaded) ``not_sold_orders``: the store's order lines left out as not sold."""
    zero_days: ZeroDays | None = None
    """What the load did about days without a sales row (``data.missing_days``)."""

    @property
    def changed(self) -> bool:
        return (any(c.changed for c in self.counts.values())
                or (self.zero_days is not None and self.zero_days.changed))

    def lines(self) -> list[str]:
        out = []
        for table, c in self.counts.items():
            out.append(f"{table}: {c.inserted} new, {c.updated} updated, {c.unchanged} unchanged")
        out += self.zero_days.lines() if self.zero_days is not None else []
        if not self.changed:
            out.append("nothing changed: the store already holds exactly these rows")
        return out

    def as_dict(self) -> dict:
        return {
            "db": self.db,
            "ingest_id": self.ingest_id,
            "sources": self.sources,
            "changed": self.changed,
            "tables": {t: {"inserted": c.inserted, "updated": c.updated, "unchanged": c.unchanged}
                       for t, c in self.counts.items()},
            "notes": self.notes,
            "warnings": self.warnings,
            "missing_days": None if self.zero_days is None else self.zero_days.as_dict(),
        }


def prepare(paths: list[Path], *, fmt: str | None = None, table: str | None = None,
            mapping: dict[str, str] | None = None, mapping_file: Path | None = None,
            today: pd.Timestamp | None = None, staging_dir: Path | None = None) -> PreparedLoad:
    """Read and validate the inputs (raises ``DataValidationError``; writes nothing to the
    store; large files are staged in a temporary folder inside ``staging_dir``)."""
    user_map = load_mapping_file(mapping_file, TABLES) if mapping_file else UserMapping()
    user_map.options = dict(mapping or {})
    if fmt:
        if len(paths) != 1:
            from promocast.exceptions import UsageError

            raise UsageError(f"{option('format')} takes one path (the data set's folder or "
                             "main file)")
        return prepare_format(fmt, paths[0], today=today)
    return prepare_files(paths, table=table, user_map=user_map, today=today,
                         staging_dir=staging_dir)


def _protect_customers(store: Store, orders: pd.DataFrame | StagedTable, pseudonymise: bool,
                       notes: list[str]) -> pd.DataFrame | StagedTable:
    """Hash the orders' customer ids (``--pseudonymise``) before they are written, with the
    salt from $PROMOCAST_SALT or the one kept in ``meta`` (see ``data.pseudonymise``); refuse
    a load that would mix raw ids or another salt's pseudonyms into a pseudonymised store."""
    from promocast.data import pseudonymise as pseudo
    from promocast.exceptions import UsageError

    kept = dict(store.con.execute(
        "SELECT key, value FROM meta WHERE key IN (?, ?)", [pseudo.META_SALT, pseudo.META_CHECK]
    ).fetchall())
    if not pseudonymise:
        if pseudo.META_CHECK in kept:
            raise UsageError("this store keeps pseudonymised customer ids: "
                             f"{phrase('pseudonymise')} so raw ids never enter it")
        return orders
    salt, source = pseudo.env_salt(), f"${pseudo.SALT_ENV}"
    if salt is None:
        salt, source = kept.get(pseudo.META_SALT), "the salt kept in the store"
    if salt is None:
        salt = pseudo.new_salt()
        store.con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [pseudo.META_SALT, salt])
    check = pseudo.salt_fingerprint(salt)
    if kept.get(pseudo.META_CHECK, check) != check:
        raise UsageError(f"the salt ({source}) is not the one this store's customer ids were "
                         f"hashed with: set ${pseudo.SALT_ENV} to that salt (or unset it)")
    store.con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [pseudo.META_CHECK, check])
    notes.append(f"customer ids pseudonymised (salted SHA-256, salt from {source})")
    assert isinstance(orders, pd.DataFrame)
    return orders.assign(customer_id=pseudo.pseudonymise_ids(orders["customer_id"], salt))


META_DERIVED = "sales_from_orders"
"""meta key set when the store's sales are derived from its orders (kept in step with them)."""


def _sales_from_orders(store: Store, counts: dict[str, UpsertCount], notes: list[str],
                       progress: Progress | None) -> None:
    """A shop that loads orders and no sales (DESIGN §2): its daily sales derived from all
    its order lines (``data.derive.sales_from_orders``), in the same transaction; again on
    each orders load while they are derived, never over sales loaded from a file."""
    from promocast.data.derive import sales_from_orders
    from promocast.data.order_status import not_sold_mask

    derived = store.con.execute("SELECT value FROM meta WHERE key = ?", [META_DERIVED]
                                ).fetchone()
    if store.count("sales") and derived is None:
        return
    if progress:
        progress("deriving daily sales from the orders")
    orders = store.query("SELECT timestamp, item_id, store_id, quantity, unit_price, discount, "
                         "status FROM orders")
    sales = sales_from_orders(orders, zeros=True)
    not_sold = int(not_sold_mask(orders).sum())
    stale = _drop_stale_derived(store, sales) if derived is not None else 0
    if sales.empty and not stale:
        return
    counts["sales"] = store.upsert("sales", sales)
    store.con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [META_DERIVED, "1"])
    notes.append(f"no sales file: {len(sales):,} daily sales rows of "
                 f"{sales['item_id'].nunique():,} items derived from the orders (positive "
                 "quantities, 0 on the days between an item's first order and its store's "
                 "last without one; returns and cancellations stay in the orders"
                 + (f"; {not_sold:,} lines of orders not sold (cancelled, refunded, unpaid: "
                    "see the not_sold_orders warning) left out" if not_sold else "")
                 + (f"; {stale:,} derived rows no order supports any more removed" if stale
                    else "") + ")")


def _drop_stale_derived(store: Store, sales: pd.DataFrame) -> int:
    """Delete the derived sales rows the orders no longer give (an order now cancelled or
    refunded was an item's only sale): derived sales follow their orders, and an upsert alone
    would leave those rows behind. Returns how many were deleted."""
    keys = sales[["date", "item_id", "store_id"]]
    store.con.register("_derived_keys", keys)
    try:
        unsupported = ("FROM sales s WHERE NOT EXISTS (SELECT 1 FROM _derived_keys k "
                       "WHERE s.date = CAST(k.date AS DATE) AND s.item_id = k.item_id "
                       "AND s.store_id = k.store_id)")
        (stale,), = store.con.execute(f"SELECT count(*) {unsupported}").fetchall()
        if stale:
            store.con.execute(f"DELETE {unsupported}")
    finally:
        store.con.unregister("_derived_keys")
    return int(stale)


def store_load(load: PreparedLoad, db: Path, progress: Progress | None = None, *,
               pseudonymise: bool = False, missing_days: str | None = None) -> IngestSummary:
    """Write validated tables in one transaction (upsert by key) and log the ingest;
    ``pseudonymise`` hashes customer ids inside that transaction, before anything is written.
    ``missing_days`` (``zero`` | ``unknown``, None: the shop's kept choice) says what a day
    without a sales row means; with ``zero`` its 0-unit rows are written in the same
    transaction (``data.missing_days``)."""
    missing_days = check_mode(missing_days)
    counts: dict[str, UpsertCount] = {}
    notes = list(load.notes)
    with Store(db) as store, store.transaction():
        sources = load.to_store()
        if "orders" in sources:
            orders = sources["orders"]
            if pseudonymise and isinstance(orders, StagedTable):
                orders = orders.to_frame()  # hashed in pandas: held whole, as before staging
            sources["orders"] = _protect_customers(store, orders, pseudonymise, notes)
        for table, source in sources.items():
            if progress:
                progress(f"storing {table} ({len(source):,} rows)")
            if isinstance(source, StagedTable):
                counts[table] = store.upsert_parquet(table, list(source.files),
                                                     list(source.columns), source.rows)
            else:
                counts[table] = store.upsert(table, source)
        if "orders" in sources and "sales" not in sources:
            _sales_from_orders(store, counts, notes, progress)
        if progress:
            progress("reading the days without a sales row")
        zero_days = settle(store, missing_days, sources.get("sales"), refill=any(
            c.changed for t, c in counts.items() if t in ("sales", "inventory")))
        notes += [zero_days.note()] if zero_days.note() else []
        if counts.get("sales") is not None and counts["sales"].changed:
            _refuse_colliding_series(store, load.sources)
        warnings = []
        if any(c.changed for t, c in counts.items() if t in ("promotions", "items", "sales",
                                                              "stores", "inventory")):
            unknown = unknown_references(store, notes)  # what the store holds after the load
            warnings += [unknown] if unknown else []
        if "orders" in counts:
            warnings.append(not_sold_warning(store))
        ingest_id = store.log_ingest("; ".join(load.sources), counts)
    return IngestSummary(str(db), ingest_id, load.sources, counts, notes, warnings,
                         zero_days)


def not_sold_warning(store: Store) -> dict:
    """The ``not_sold_orders`` warning (``data.quality.not_sold_orders``) of the store's
    orders: the lines whose status says the sale did not happen, by reason and status."""
    from promocast.data.quality import not_sold_orders

    return not_sold_orders(store.query(
        "SELECT order_id, status FROM orders WHERE status IS NOT NULL"))


SHOWN_IDS = 20
"""Ids a warning lists at most (its ``count`` says how many in all)."""


def _refuse_colliding_series(store: Store, sources: list[str]) -> None:
    """A series is named ``item_id/store_id``: item 'AB/1' in store 'S/1' and item 'AB' in
    store '1/S/1' would be one series, and the forecast crashed on it. Such a load is refused
    (inside its transaction, so the store is left as it was), naming the pairs."""
    clash = store.query("""
        SELECT item_id || '/' || store_id AS series, list(DISTINCT item_id) AS items,
               list(DISTINCT store_id) AS stores
        FROM sales GROUP BY 1 HAVING count(DISTINCT (item_id, store_id)) > 1 LIMIT 5""")
    if clash.empty:
        return
    errors = [RowError("; ".join(sources), None, "item_id",
                       str(row.series),
                       "items " + ", ".join(map(repr, row.items)) + " in stores "
                       + ", ".join(map(repr, row.stores)) + " make the same series name "
                       "item_id/store_id: rename an item or a store so that '/' cannot join "
                       "them into one") for row in clash.itertuples()]
    raise DataValidationError(errors)


def unknown_references(store: Store, notes: list[str] | None = None) -> dict | None:
    """The promotions whose item_id, category or store_id the store does not hold (DESIGN §2:
    a promotion may be loaded before its items, so a warning, not a refusal): they cover no
    sales, and ``promo evaluate`` passes over them. Items are those of the items or sales
    tables, categories those of the items, stores those of the sales, stock or stores tables;
    a store_id meaning every store ('all', '*', empty) is no reference. None when every
    reference is known; with no items or sales in the store yet nothing is checked (a note
    in ``notes`` says so).

    ``{"kind": "unknown_reference", "count": promotions, "promotions": [ids],
    "unknown": {"item_id": [...], "category": [...], "store_id": [...]}, "examples": [...]}``
    """
    from promocast.promotions.design import EVERY_STORE

    if not store.count("promotions"):
        return None
    if not store.count("items") and not store.count("sales"):
        if notes is not None:
            notes.append("promotions not checked against the shop's items and stores: the "
                         "store holds no items or sales yet")
        return None
    every = sorted(EVERY_STORE)
    found = store.query(f"""
        SELECT promo_id, 'item_id' AS field, item_id AS value FROM promotions p
        WHERE item_id IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM items i WHERE i.item_id = p.item_id)
          AND NOT EXISTS (SELECT 1 FROM sales s WHERE s.item_id = p.item_id)
        UNION ALL
        SELECT promo_id, 'category', category FROM promotions p
        WHERE category IS NOT NULL AND item_id IS NULL
          AND NOT EXISTS (SELECT 1 FROM items i WHERE i.category = p.category)
        UNION ALL
        SELECT promo_id, 'store_id', store_id FROM promotions p
        WHERE store_id IS NOT NULL AND lower(trim(store_id)) NOT IN ({", ".join("?" * len(every))})
          AND (EXISTS (SELECT 1 FROM sales) OR EXISTS (SELECT 1 FROM inventory)
               OR EXISTS (SELECT 1 FROM stores))
          AND NOT EXISTS (SELECT 1 FROM sales s WHERE s.store_id = p.store_id)
          AND NOT EXISTS (SELECT 1 FROM inventory v WHERE v.store_id = p.store_id)
          AND NOT EXISTS (SELECT 1 FROM stores t WHERE t.store_id = p.store_id)
        ORDER BY promo_id, field""", every)
    if found.empty:
        return None
    promotions = list(dict.fromkeys(found["promo_id"].astype(str)))
    unknown = {name: sorted(set(group["value"].astype(str)))[:SHOWN_IDS]
               for name, group in found.groupby("field", sort=False)}
    return {"kind": "unknown_reference", "count": len(promotions),
            "promotions": promotions[:SHOWN_IDS],
            "unknown": {k: unknown[k] for k in ("item_id", "category", "store_id") if k in unknown},
            "examples": [f"{r.promo_id}: {r.field} {r.value!r}"
                         for r in found.head(5).itertuples(index=False)]}


def ingest(paths: list[Path], db: Path, *, fmt: str | None = None, table: str | None = None,
           mapping: dict[str, str] | None = None, mapping_file: Path | None = None,
           progress: Progress | None = None, pseudonymise: bool = False,
           missing_days: str | None = None) -> IngestSummary:
    """Validate every input, then store all of it or nothing (customer ids hashed first when
    ``pseudonymise``; days without a sales row read as ``missing_days``: see ``store_load``)."""
    missing_days = check_mode(missing_days)  # bad usage before any file is read
    if progress:
        progress("reading and validating")
    # Large files are staged beside the store (its disk has to hold the data anyway).
    load = prepare(paths, fmt=fmt, table=table, mapping=mapping, mapping_file=mapping_file,
                   staging_dir=db.parent if db.parent.is_dir() else None)
    try:
        return store_load(load, db, progress, pseudonymise=pseudonymise,
                          missing_days=missing_days)
    finally:
        load.close()
