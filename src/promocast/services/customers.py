"""Customer use cases: segments (RFM + promotion responsiveness), lifetime value, purchase
propensity, recommendations and promotion target lists, from the store's orders table.

The store is read with SQL that aggregates in DuckDB first (one row per purchase, or per
customer x item x day), so the order lines never sit in memory whole. The methods are the pure
functions of ``promocast.customers``. The propensity summary (model comparison, not the
per-customer scores) is kept in the store's ``promo_results`` table, kind
``customers_propensity``, with the orders' hash: that table holds any result as JSON, so no
schema change is needed. Per-customer tables are exported with ``out`` instead (keeping them
would need a new table).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from promocast.data.storage import Store
from promocast.exceptions import EmptyStore, InvalidRequest, UnknownCustomer, UsageError
from promocast.services.tables import write_table
from promocast.wording import option

Progress = Callable[[str], None]

KNOWN_PURCHASE = "customer_id IS NOT NULL AND quantity > 0 AND unit_price > 0 AND {sold}"
"""The lines that make purchases (``customers.orders``): known customer, bought, paid, and a
status that does not say the sale fell through (``{sold}``: ``Store.sold_orders_sql``)."""
PURCHASES_SQL = f"""
    SELECT customer_id, order_id, min(timestamp) AS timestamp,
           sum(quantity * unit_price) AS revenue, sum(quantity) AS units,
           count(*)::DOUBLE AS lines, coalesce(sum(discount), 0)::DOUBLE AS discount
    FROM orders WHERE {KNOWN_PURCHASE} AND timestamp < ?
    GROUP BY customer_id, order_id
    ORDER BY timestamp, order_id"""
RETURNS_SQL = """
    SELECT customer_id, order_id, min(timestamp) AS timestamp,
           sum(-quantity * unit_price) AS refund
    FROM orders WHERE customer_id IS NOT NULL AND quantity < 0 AND unit_price > 0 AND {sold}
      AND timestamp < ?
    GROUP BY customer_id, order_id
    ORDER BY timestamp, order_id"""
"""Returns (``customers.orders.RETURN_COLUMNS``): the negative lines of known customers."""
DAYS_SQL = f"""
    SELECT DISTINCT customer_id, item_id, CAST(timestamp AS DATE)::TIMESTAMP AS day
    FROM orders WHERE {KNOWN_PURCHASE} AND timestamp < ?"""
LINES_SQL = """
    SELECT customer_id, item_id, timestamp, store_id, quantity, unit_price, discount
    FROM orders WHERE customer_id IS NOT NULL AND quantity > 0 AND {sold} AND timestamp < ?"""
FAR_FUTURE = pd.Timestamp("2262-01-01")


def _say(progress: Progress | None) -> Progress:
    return progress or (lambda _m: None)


def _as_of(as_of: str | pd.Timestamp | None) -> pd.Timestamp:
    return pd.Timestamp(as_of) if as_of is not None else FAR_FUTURE


def _orders_query(store: Store, sql: str, params: list) -> pd.DataFrame:
    """``sql`` over the orders with ``{sold}`` set to the store's sold-lines condition."""
    return store.query(sql.format(sold=store.sold_orders_sql()), params)


def read_purchases(db: Path, *, as_of: str | pd.Timestamp | None = None) -> pd.DataFrame:
    """One row per purchase (``customers.orders.PURCHASE_COLUMNS``) before ``as_of``."""
    with Store(db, read_only=True) as store:
        if store.count("orders") == 0:
            raise EmptyStore(f"{db} has no orders: load an orders file with `promocast ingest`")
        frame = _orders_query(store, PURCHASES_SQL, [_as_of(as_of)])
    frame["customer_id"] = frame["customer_id"].astype(str)
    frame["timestamp"] = pd.to_datetime(frame["timestamp"])
    if frame.empty:
        raise EmptyStore(f"{db} has no purchase of a known customer (all orders are guest "
                         "orders, returns or not sold: cancelled, refunded, unpaid)")
    return frame


def read_returns(db: Path, *, as_of: str | pd.Timestamp | None = None) -> pd.DataFrame:
    """One row per return order of a known customer before ``as_of``
    (``customers.orders.RETURN_COLUMNS``): what nets monetary value and spend."""
    with Store(db, read_only=True) as store:
        frame = _orders_query(store, RETURNS_SQL, [_as_of(as_of)])
    frame["customer_id"] = frame["customer_id"].astype(str)
    frame["timestamp"] = pd.to_datetime(frame["timestamp"])
    return frame


def read_purchase_days(db: Path, *, as_of: str | pd.Timestamp | None = None) -> pd.DataFrame:
    """One row per (customer, item, day) bought (``recommend.purchase_days``)."""
    with Store(db, read_only=True) as store:
        frame = _orders_query(store, DAYS_SQL, [_as_of(as_of)])
    frame["day"] = pd.to_datetime(frame["day"])
    return frame.astype({"customer_id": str, "item_id": str})


def _read_lines_promotions_items(db: Path, as_of: pd.Timestamp
                                 ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    with Store(db, read_only=True) as store:
        lines = _orders_query(store, LINES_SQL, [as_of])
        promotions = store.read("promotions")
        items = store.read("items")
    return lines, promotions, items


def orders_hash(db: Path) -> str:
    """A fingerprint of the orders table: kept results are reused only for the same orders
    (statuses included: an order cancelled since is other data)."""
    with Store(db, read_only=True) as store:
        status = ", status" if "status" in store.columns("orders") else ""
        row = store.query("SELECT count(*) AS n, coalesce(sum(hash(order_id, line, customer_id, "
                          f"timestamp, item_id, quantity, unit_price, discount{status})), 0) AS h "
                          "FROM orders").iloc[0]
    return f"{int(row['n'])}-{int(row['h']) & 0xFFFFFFFFFFFF:012x}"


def _keep(db: Path, kind: str, data_hash: str, params: dict, document: dict) -> str | None:
    """Keep a summary in ``promo_results``; None when another process holds the store (the
    result is still returned)."""
    from promocast.exceptions import StoreLockedError

    try:
        with Store(db) as store:
            return store.save_promo_result(kind, data_hash, json.dumps(params, sort_keys=True),
                                           json.dumps(document, default=str))
    except StoreLockedError:
        return None


def _records(frame: pd.DataFrame, digits: int = 4) -> list[dict]:
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].dt.strftime("%Y-%m-%d")
        elif pd.api.types.is_float_dtype(out[col]):
            out[col] = out[col].round(digits)
    return json.loads(out.to_json(orient="records", force_ascii=False))


def _end_of(purchases: pd.DataFrame) -> pd.Timestamp:
    """The day after the last purchase: "now" for the data."""
    return purchases["timestamp"].max().normalize() + pd.Timedelta(days=1)


# -- segments ---------------------------------------------------------------------------------
def segment_tables(db: Path, *, as_of: str | None = None, progress: Progress | None = None
                   ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.Timestamp]:
    """(RFM table per customer with promotion responsiveness, segment report, per-customer
    responsiveness, the reference date)."""
    from promocast.customers.response import customer_responsiveness, segment_responsiveness
    from promocast.customers.rfm import customer_summary, rfm_table, segment_report

    say = _say(progress)
    say("reading purchases")
    purchases = read_purchases(db, as_of=as_of)
    reference = pd.Timestamp(as_of) if as_of is not None else _end_of(purchases)
    say("scoring recency, frequency and monetary value (net of returns)")
    returns = read_returns(db, as_of=reference)
    table = rfm_table(customer_summary(purchases, reference, returns=returns))
    report = segment_report(table)
    say("measuring promotion responsiveness")
    lines, promotions, items = _read_lines_promotions_items(db, reference)
    responsiveness = customer_responsiveness(lines, promotions, items)
    by_segment = segment_responsiveness(responsiveness, table)
    report = report.merge(by_segment[["segment", "promo_share", "promo_revenue_share",
                                      "deal_seekers", "index"]].rename(
        columns={"index": "promo_index", "deal_seekers": "deal_seeker_share"}),
        on="segment", how="left")
    table = table.merge(responsiveness[["customer_id", "promo_share", "deal_seeker"]],
                        on="customer_id", how="left")
    return table, report, responsiveness, reference


def run_segments(db: Path, *, as_of: str | None = None, out: Path | None = None,
                 progress: Progress | None = None) -> dict:
    """``customers segments``: RFM scores and named segments with customers, revenue and
    promotion responsiveness per segment; ``out`` gets the per-customer table."""
    started = time.perf_counter()
    table, report, responsiveness, reference = segment_tables(db, as_of=as_of,
                                                              progress=progress)
    lines = float(responsiveness["lines"].sum())
    document = {
        "as_of": str(reference.date()),
        "customers": int(len(table)),
        "revenue": round(float(table["monetary"].sum()), 2),
        "shop_promo_share": (round(float(responsiveness["promo_lines"].sum() / lines), 4)
                             if lines else None),
        "segments": _records(report),
        "seconds": round(time.perf_counter() - started, 2),
    }
    if out is not None:
        write_table(table, out)
        document["out"] = str(out)
    return document


# -- lifetime value ---------------------------------------------------------------------------
def run_clv(db: Path, *, horizon_days: int = 365, monthly_discount_rate: float = 0.01,
            as_of: str | None = None, top: int = 20, out: Path | None = None,
            progress: Progress | None = None) -> dict:
    """``customers clv``: BG/NBD + Gamma-Gamma lifetime value of every customer over
    ``horizon_days``; ``out`` gets the per-customer table."""
    from promocast.customers.clv import clv_summary, fit_clv

    say = _say(progress)
    started = time.perf_counter()
    say("reading purchases")
    purchases = read_purchases(db, as_of=as_of)
    reference = pd.Timestamp(as_of) if as_of is not None else _end_of(purchases)
    returns = read_returns(db, as_of=reference)
    say("fitting BG/NBD and Gamma-Gamma")
    try:
        result = fit_clv(clv_summary(purchases, reference, returns=returns),
                         horizon_days=horizon_days,
                         monthly_discount_rate=monthly_discount_rate)
    except ValueError as exc:
        raise UsageError(f"lifetime value: {exc}") from None
    document = {"as_of": str(reference.date()), **result.to_json(top=top),
                "seconds": round(time.perf_counter() - started, 2)}
    if out is not None:
        write_table(result.customers, out)
        document["out"] = str(out)
    return document


# -- propensity -------------------------------------------------------------------------------
def propensity_result(db: Path, *, horizon_days: int = 30, split_date: str | None = None,
                      models: tuple[str, ...] | None = None, seed: int = 0,
                      progress: Progress | None = None):
    """The fitted ``PropensityResult`` (model comparison + every customer's probability)."""
    from promocast.customers.propensity import MODEL_IDS, compare_models

    say = _say(progress)
    say("reading purchases")
    purchases = read_purchases(db)
    chosen = tuple(models) if models else MODEL_IDS
    unknown = [m for m in chosen if m not in MODEL_IDS]
    if unknown:
        raise UsageError(f"unknown model(s) {', '.join(unknown)}; models: {', '.join(MODEL_IDS)}")
    try:
        return compare_models(purchases, horizon_days=horizon_days,
                              split_date=pd.Timestamp(split_date) if split_date else None,
                              models=chosen, seed=seed, progress=say)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def check_propensity(db: Path, *, horizon_days: int = 30, split_date: str | None = None,
                     ) -> None:
    """What ``compare_models`` refuses before any feature is built (the API runs it before
    queuing the job): a split that leaves fewer than two training cutoffs or no test window."""
    from promocast.customers.propensity import split_cutoffs

    try:
        split_cutoffs(read_purchases(db), pd.Timestamp(split_date) if split_date else None,
                      horizon_days)
    except ValueError as exc:
        raise InvalidRequest(str(exc)) from None


def run_propensity(db: Path, *, horizon_days: int = 30, split_date: str | None = None,
                   models: tuple[str, ...] | None = None, seed: int = 0, top: int = 20,
                   out: Path | None = None, progress: Progress | None = None) -> dict:
    """``customers propensity``: "buys within N days" by five models compared by AUC on a time
    split (DESIGN §3 JSON), calibration per model, the best model's score for every customer
    (``out``: the per-customer table)."""
    started = time.perf_counter()
    result = propensity_result(db, horizon_days=horizon_days, split_date=split_date,
                               models=models, seed=seed, progress=progress)
    document = {**result.to_json(top=top), "seconds": round(time.perf_counter() - started, 2)}
    document["orders_hash"] = orders_hash(db)
    document["result_id"] = _keep(db, "customers_propensity", document["orders_hash"],
                                  {"horizon_days": horizon_days, "split_date": split_date,
                                   "models": list(models or [])}, document)
    if out is not None:
        write_table(result.scores, out)
        document["out"] = str(out)
    return document


# -- recommendations --------------------------------------------------------------------------
def _new_items(days: pd.DataFrame, items: pd.DataFrame, new_days: int) -> list[str]:
    """Items nobody has bought yet, or launched within the last ``new_days`` days."""
    bought = set(days["item_id"])
    new = set(items.loc[~items["item_id"].astype(str).isin(bought), "item_id"].astype(str))
    if "launch_date" in items and items["launch_date"].notna().any() and len(days):
        recent = pd.to_datetime(items["launch_date"]) > days["day"].max() - pd.Timedelta(
            days=new_days)
        new |= set(items.loc[recent, "item_id"].astype(str))
    return sorted(new)


def run_recommend(db: Path, *, customer: str | None = None, top: int = 10,
                  method: str = "ease", evaluate: bool = False, split_date: str | None = None,
                  pairs: int = 20, new_days: int = 30, out: Path | None = None,
                  progress: Progress | None = None) -> dict:
    """``customers recommend``: one customer's top-N items, or (no customer) items bought
    together, new items' best customers and optionally the time-split hit-rate against
    popularity; ``out`` gets every customer's top-N list."""
    from promocast.customers.recommend import (
        ItemToItem,
        bought_together,
        evaluate_time_split,
        interaction_matrix,
        new_item_recommendations,
    )

    say = _say(progress)
    started = time.perf_counter()
    say("reading purchases")
    days = read_purchase_days(db)
    if days.empty:
        raise EmptyStore(f"{db} has no purchase of a known customer to learn from")
    with Store(db, read_only=True) as store:
        items = store.read("items")
    names = items.set_index(items["item_id"].astype(str))["name"] if "name" in items else None
    interactions = interaction_matrix(days)
    say(f"fitting item-to-item ({method}) on {len(interactions.items):,} items")
    try:
        model = ItemToItem(method=method).fit(interactions)
    except ValueError as exc:
        raise UsageError(str(exc)) from None

    def named(frame: pd.DataFrame) -> pd.DataFrame:
        if names is not None:
            frame = frame.assign(name=frame["item_id"].map(names))
        return frame

    document: dict = {"method": method, "top": top, "customers": int(len(interactions.customers)),
                      "items": int(len(model.items_))}
    if customer is not None:
        if customer not in interactions.customers:
            raise UnknownCustomer(_unknown_customer(db, customer, interactions.customers))
        row = interactions.row(customer)
        bought = interactions.items[interactions.matrix[row].indices]
        recs = named(model.recommend(interactions, customers=[customer], top=top))
        document.update({"customer_id": customer, "bought_items": int(len(bought)),
                         "recommendations": _records(recs.drop(columns="customer_id"))})
    else:
        say("finding items bought together")
        with Store(db, read_only=True) as store:
            lines = _orders_query(store, "SELECT order_id, item_id, quantity FROM orders "
                                  "WHERE quantity > 0 AND {sold}", [])
        together = bought_together(lines, top=pairs)
        if names is not None:
            together = together.assign(name_a=together["item_a"].map(names),
                                       name_b=together["item_b"].map(names))
        document["bought_together"] = _records(together)
        new = _new_items(days, items, new_days)
        say(f"matching {len(new)} new items to customers")
        cold = new_item_recommendations(items, interactions, new, top=top)
        document["new_items"] = [{"item_id": item, "customers": _records(group.drop(
            columns="item_id"))} for item, group in cold.groupby("item_id", sort=True)]
        if evaluate:
            say("hit-rate on a time split")
            split = (pd.Timestamp(split_date) if split_date
                     else days["day"].max().normalize() - pd.DateOffset(months=3))
            document["evaluation"] = evaluate_time_split(days, split, k=top, method=method)
    if out is not None:
        say("writing every customer's list")
        write_table(named(model.recommend(interactions, top=top)), out)
        document["out"] = str(out)
    document["seconds"] = round(time.perf_counter() - started, 2)
    return document


NEAR_MATCH_LIMIT = 50_000
"""Customers at most for a spelling-near suggestion (difflib compares with each of them)."""


def _unknown_customer(db: Path, customer: str, known: pd.Index) -> str:
    """Why ``customer`` has no list, in words: how many customers have one, whether the id is
    in the orders at all (guest-free lines that are all returns or not sold), and a near match
    (same id up to case, spaces or a trailing ".0"; else a close spelling in a shop of up to
    ``NEAR_MATCH_LIMIT`` customers)."""
    import difflib

    with Store(db, read_only=True) as store:
        (lines,), = store.con.execute("SELECT count(*) FROM orders WHERE customer_id = ?",
                                      [customer]).fetchall()
    message = f"customer {customer!r} "
    if lines:
        message += (f"has {lines:,} order line(s) but no purchase that counts (returns, free "
                    "lines or orders not sold: cancelled, refunded, unpaid)")
    else:
        message += "is not in the store's orders"
    message += f"; {len(known):,} customers have purchases"

    def plain(text: str) -> str:
        return str(text).strip().casefold().removesuffix(".0")

    ids = known.astype(str)
    same = ids[ids.map(plain) == plain(customer)]
    near = list(same[:1])
    if not near and len(ids) <= NEAR_MATCH_LIMIT:
        near = difflib.get_close_matches(customer, list(ids), n=1, cutoff=0.8)
    return message + (f"; did you mean {near[0]!r}?" if near else "")


# -- target lists -----------------------------------------------------------------------------
def check_targets(db: Path, *, item: str | None = None, category: str | None = None) -> None:
    """What ``run_targets`` refuses before it fits anything (the API runs it before queuing
    the job): an item and a category at once, no orders, an item no known customer bought,
    a category without items."""
    if item is not None and category is not None:
        raise InvalidRequest(f"give {option('item')} or {option('category')}, not both")
    with Store(db, read_only=True) as store:
        if store.count("orders") == 0:
            raise EmptyStore(f"{db} has no orders: load an orders file with `promocast ingest`")
        if item is not None and _orders_query(
                store, f"SELECT 1 FROM orders WHERE {KNOWN_PURCHASE} AND item_id = ? LIMIT 1",
                [str(item)]).empty:
            raise InvalidRequest(f"item {item!r} has no purchase history to learn who likes it")
        if category is not None and store.query(
                "SELECT 1 FROM items WHERE CAST(category AS VARCHAR) = ? LIMIT 1",
                [str(category)]).empty:
            raise InvalidRequest(f"no item of category {category!r} in the items table")


def run_targets(db: Path, *, item: str | None = None, category: str | None = None,
                top: int = 100, horizon_days: int = 30, model: str = "lightgbm",
                out: Path | None = None, progress: Progress | None = None) -> dict:
    """``customers targets``: the customers most likely to respond to a planned promotion of
    ``item`` or ``category`` (or of the whole shop): propensity x affinity x promotion
    responsiveness; ``out`` exports the list (CSV / Excel / Parquet)."""
    from promocast.customers.recommend import ItemToItem, interaction_matrix
    from promocast.customers.targets import (
        category_affinity,
        item_affinity,
        promo_factor,
        target_list,
    )

    check_targets(db, item=item, category=category)
    say = _say(progress)
    started = time.perf_counter()
    table, _report, responsiveness, _reference = segment_tables(db, progress=say)
    result = propensity_result(db, horizon_days=horizon_days, models=(model,), progress=say)
    affinity = None
    days = read_purchase_days(db)
    try:
        if category is not None:
            with Store(db, read_only=True) as store:
                items = store.read("items")
            affinity = category_affinity(days, items, category)
        elif item is not None:
            interactions = interaction_matrix(days)
            affinity = item_affinity(ItemToItem().fit(interactions), interactions, str(item))
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    targets = target_list(result.scores, affinity=affinity, factor=promo_factor(responsiveness),
                          segments=table, top=top)
    document = {"item": item, "category": category, "horizon_days": horizon_days,
                "model": model, "customers": int(len(targets)),
                "expected_buyers": round(float(targets["probability"].sum()), 1),
                "targets": _records(targets.head(50)),
                "seconds": round(time.perf_counter() - started, 2)}
    if out is not None:
        write_table(targets, out)
        document["out"] = str(out)
    return document
