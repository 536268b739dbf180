"""What a day without a sales row means in a shop: unknown demand, or zero sales.

Many shop exports list only the days an item sold something. Read as unknown (the default,
``unknown``), such a day is left out of training and scoring and the forecaster fills it
between the selling days (``forecasting.panel``): a slow seller's forecast then learns from
its selling days only and is overstated many times. With ``zero`` the store writes a 0-unit
sales row (price, base_price and promo_id empty, on_promo 0) for every period of a series
without a row, from the series' first date to its store's last one, on the store's own grid
(a day, a week or a month: ``data.frequency``), over the stored rows and the new ones
together, inside the load's transaction.

A day the inventory table says was out of stock (on_hand 0) gets no zero row: its demand was
censored, not zero, and it stays unobserved (the panel marks a stock-out as censored too,
whatever the sales row says). Zero rows written before such stock was loaded are taken back.

The choice is the shop's, kept in ``meta`` (``META_KEY``) so every later load applies it;
the keys of the rows written are kept in ``ZERO_DAYS``, so they can be counted, replaced by
real rows (a later file that gives a day is the shop's own figure), and removed again when
the shop switches back to ``unknown``. The table is made on the first write (an older store
opened read-only has none: zero rows 0).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from promocast.data.row_rules import infer_store_frequencies
from promocast.data.staging import StagedTable
from promocast.data.storage import Store
from promocast.exceptions import UsageError

META_KEY = "missing_days"
MODES = ("unknown", "zero")
DEFAULT_MODE = "unknown"
ZERO_DAYS = "sales_zero_days"
"""Keys (date, item_id, store_id) of the 0-unit sales rows written for days without a row."""
KEY = ("date", "item_id", "store_id")
_STEPS = {"D": "INTERVAL 1 DAY", "W": "INTERVAL 7 DAY", "MS": "INTERVAL 1 MONTH"}


def check_mode(mode: str | None) -> str | None:
    """``mode`` in lower case, or None when not given; refuses any other word (bad usage)."""
    if mode is None or not str(mode).strip():
        return None
    word = str(mode).strip().lower()
    if word not in MODES:
        raise UsageError(f"--missing-days must be one of {', '.join(MODES)}, got {mode!r}")
    return word


def stored_mode(store: Store) -> str:
    """The shop's choice kept in the store (``unknown`` when never made)."""
    rows = store.con.execute("SELECT value FROM meta WHERE key = ?", [META_KEY]).fetchall()
    return str(rows[0][0]) if rows and rows[0][0] in MODES else DEFAULT_MODE


def zero_rows(store: Store) -> int:
    """How many 0-unit rows written for days without a row the sales table holds now."""
    if not store.columns(ZERO_DAYS):
        return 0
    # fetched whole: a result left open (``Store.count`` fetches one row) blocks a register
    (count,), = store.con.execute(f"SELECT count(*) FROM {ZERO_DAYS}").fetchall()
    return int(count)


@dataclass(frozen=True)
class ZeroDays:
    """What one load did about days without a sales row.

    ``added``: 0-unit rows written; ``removed``: such rows taken back (the shop switched to
    ``unknown``, or inventory loaded since says the day was out of stock); ``replaced``: such
    rows the load's own sales rows now give; ``total``: such rows in the store after it."""

    mode: str
    changed_mode: bool = False
    added: int = 0
    removed: int = 0
    replaced: int = 0
    total: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed or self.changed_mode)

    def as_dict(self) -> dict:
        return {"mode": self.mode, "zero_rows_added": self.added,
                "zero_rows_removed": self.removed, "zero_rows": self.total}

    def lines(self) -> list[str]:
        out = []
        if self.added:
            out.append(f"sales: {self.added:,} zero rows added for periods without a row "
                       "(--missing-days zero)")
        if self.removed:
            out.append(f"sales: {self.removed:,} zero rows removed")
        return out

    def note(self) -> str | None:
        """A sentence for the load's notes when the choice applies or just changed."""
        if self.mode == "zero":
            return (f"missing days read as zero sales (--missing-days zero, kept for this "
                    f"shop): {self.added:,} zero rows added"
                    + (f", {self.removed:,} removed on out-of-stock days" if self.removed
                       else "") + f"; {self.total:,} in the store; days with nothing on hand "
                    "stay unknown (censored demand)")
        if self.changed_mode and self.removed:
            return (f"missing days read as unknown again (--missing-days unknown): the "
                    f"{self.removed:,} zero rows written for them removed")
        return None


def settle(store: Store, requested: str | None, given: pd.DataFrame | StagedTable | None,
           refill: bool) -> ZeroDays:
    """Apply the shop's choice inside the load's open transaction, after its tables are
    written: keep ``requested`` (when given) as the shop's choice, forget the zero rows the
    load's own sales rows (``given``) replaced, then write the zero rows (``zero``, when
    ``refill`` or the choice just changed: the sales or stock changed) or take them back
    (``unknown``)."""
    before = stored_mode(store)
    mode = requested or before
    changed_mode = requested is not None and requested != before
    if requested is not None:
        store.con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [META_KEY, requested])
    held = zero_rows(store)
    replaced = _forget_given(store, given) if held and given is not None else 0
    if mode == "unknown":
        removed = _remove(store, "") if held - replaced else 0
        return ZeroDays(mode, changed_mode, removed=removed, replaced=replaced, total=0)
    if not (refill or changed_mode):
        return ZeroDays(mode, changed_mode, replaced=replaced, total=held - replaced)
    store.con.execute(f"CREATE TABLE IF NOT EXISTS {ZERO_DAYS} "
                      "(date DATE, item_id VARCHAR, store_id VARCHAR)")
    removed = _remove(store, "JOIN inventory v USING (date, item_id, store_id) "
                             "WHERE v.on_hand <= 0") if held - replaced else 0
    added = _fill(store)
    return ZeroDays(mode, changed_mode, added, removed, replaced, zero_rows(store))


def _forget_given(store: Store, given: pd.DataFrame | StagedTable) -> int:
    """Drop from ``ZERO_DAYS`` the keys the load's sales rows give (the upsert already wrote
    them over the zero rows): those rows are the shop's own figures now."""
    if isinstance(given, StagedTable):
        files = ", ".join("'" + str(f).replace("'", "''") + "'" for f in given.files)
        store.con.execute("CREATE OR REPLACE TEMP VIEW _given_days AS SELECT date, item_id, "
                          f"store_id FROM read_parquet([{files}], union_by_name = true)")
    else:
        store.con.register("_given_frame", given[list(KEY)])
        store.con.execute("CREATE OR REPLACE TEMP VIEW _given_days AS SELECT * FROM _given_frame")
    try:
        match = ("FROM _given_days g WHERE CAST(g.date AS DATE) = z.date "
                 "AND g.item_id = z.item_id AND g.store_id = z.store_id")
        (count,), = store.con.execute(
            f"SELECT count(*) FROM {ZERO_DAYS} z WHERE EXISTS (SELECT 1 {match})").fetchall()
        if count:
            store.con.execute(f"DELETE FROM {ZERO_DAYS} z WHERE EXISTS (SELECT 1 {match})")
    finally:
        store.con.execute("DROP VIEW IF EXISTS _given_days")
        if not isinstance(given, StagedTable):
            store.con.unregister("_given_frame")
    return int(count)


def _remove(store: Store, where: str) -> int:
    """Delete the zero rows whose keys ``where`` selects (a join and condition on
    ``ZERO_DAYS`` z; empty: all of them) from the sales and from ``ZERO_DAYS``."""
    store.con.execute(f"CREATE OR REPLACE TEMP TABLE _dropped_days AS SELECT z.date, z.item_id, "
                      f"z.store_id FROM {ZERO_DAYS} z {where}")
    try:
        (count,), = store.con.execute("SELECT count(*) FROM _dropped_days").fetchall()
        if count:
            for table in ("sales", ZERO_DAYS):
                store.con.execute(
                    f"DELETE FROM {table} t WHERE EXISTS (SELECT 1 FROM _dropped_days d "
                    "WHERE d.date = t.date AND d.item_id = t.item_id "
                    "AND d.store_id = t.store_id)")
    finally:
        store.con.execute("DROP TABLE IF EXISTS _dropped_days")
    return int(count)


def _fill(store: Store) -> int:
    """Write a 0-unit row for every period of every series without a sales row, from the
    series' first date to its store's last, on the store's grid; never on a day the
    inventory says was out of stock. Returns how many were written."""
    dates = store.query("SELECT DISTINCT store_id, date FROM sales")
    if dates.empty:
        return 0
    freqs = infer_store_frequencies(dates)
    steps = pd.DataFrame({"store_id": list(freqs),
                          "step": [_STEPS.get(f, _STEPS["D"]) for f in freqs.values()]})
    cases = " ".join(f"WHEN '{text}' THEN {text}" for text in dict.fromkeys(_STEPS.values()))
    store.con.register("_store_steps", steps)
    try:
        store.con.execute(f"""
            CREATE OR REPLACE TEMP TABLE _zero_days AS
            WITH ends AS (SELECT store_id, max(date) AS last FROM sales GROUP BY store_id),
            spans AS (
                SELECT s.item_id, s.store_id, min(s.date) AS first, any_value(e.last) AS last,
                       any_value(f.step) AS step
                FROM sales s JOIN ends e USING (store_id) JOIN _store_steps f USING (store_id)
                GROUP BY s.item_id, s.store_id),
            grid AS (
                SELECT CAST(unnest(generate_series(CAST(first AS TIMESTAMP),
                                                   CAST(last AS TIMESTAMP),
                                                   CASE step {cases} END)) AS DATE) AS date,
                       item_id, store_id
                FROM spans)
            SELECT g.date, g.item_id, g.store_id FROM grid g
            WHERE NOT EXISTS (SELECT 1 FROM sales s WHERE s.date = g.date
                              AND s.item_id = g.item_id AND s.store_id = g.store_id)
              AND NOT EXISTS (SELECT 1 FROM inventory v WHERE v.date = g.date
                              AND v.item_id = g.item_id AND v.store_id = g.store_id
                              AND v.on_hand <= 0)""")
        (count,), = store.con.execute("SELECT count(*) FROM _zero_days").fetchall()
        if count:
            store.con.execute("INSERT INTO sales (date, item_id, store_id, units, on_promo) "
                              "SELECT date, item_id, store_id, 0, 0 FROM _zero_days")
            store.con.execute(f"INSERT INTO {ZERO_DAYS} SELECT date, item_id, store_id "
                              "FROM _zero_days")
    finally:
        store.con.unregister("_store_steps")
        store.con.execute("DROP TABLE IF EXISTS _zero_days")
    return int(count)
