"""Browsing the shop: find series, read one item's history and its kept forecast.

What the item explorer and ``/api/series`` / ``/api/forecasts/{item_id}`` show. Everything is
one parameterised SQL query over the store (a shop of thousands of items is never loaded whole
to draw one chart).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from promocast.data.storage import Store
from promocast.exceptions import UnknownSeries


def find_series(db: Path, *, query: str | None = None, category: str | None = None,
                limit: int = 50, offset: int = 0) -> dict:
    """Items matching ``query`` (in id or name) and ``category``, biggest revenue first, with
    their stores, units and revenue over the history and the share of days on promotion."""
    pattern = f"%{query.strip()}%" if query and query.strip() else None
    with Store(db, read_only=True) as store:
        frame = store.query(
            """SELECT s.item_id, any_value(i.name) AS name,
                      coalesce(any_value(i.category), 'uncategorised') AS category,
                      string_agg(DISTINCT s.store_id, ',' ORDER BY s.store_id) AS stores,
                      sum(s.units) AS units,
                      sum(s.units * coalesce(s.price, s.base_price, i.base_price)) AS revenue,
                      avg(s.on_promo) AS promo_share, max(s.date) AS last_date,
                      count(*) OVER () AS matches
               FROM sales s LEFT JOIN items i USING (item_id)
               WHERE (? IS NULL OR s.item_id ILIKE ? OR i.name ILIKE ?)
                 AND (? IS NULL OR coalesce(i.category, 'uncategorised') = ?)
               GROUP BY s.item_id
               ORDER BY revenue DESC NULLS LAST, units DESC, s.item_id
               LIMIT ? OFFSET ?""",
            [pattern, pattern, pattern, category, category, int(limit), int(offset)])
        categories = store.query(
            "SELECT DISTINCT coalesce(i.category, 'uncategorised') AS category "
            "FROM sales s LEFT JOIN items i USING (item_id) ORDER BY 1")["category"].tolist()
    matches = int(frame["matches"].iloc[0]) if len(frame) else 0
    frame = frame.drop(columns="matches")
    frame["last_date"] = pd.to_datetime(frame["last_date"]).dt.strftime("%Y-%m-%d")
    return {"total": matches, "categories": categories,
            "series": _records(frame)}


def item_history(db: Path, item_id: str, *, store_id: str | None = None,
                 days: int | None = 365) -> dict:
    """Daily (or weekly) units, price and promotions of one item, per store, over the last
    ``days`` of its history; the promotions that touched it with their type and dates."""
    with Store(db, read_only=True) as store:
        item = store.query(
            "SELECT item_id, any_value(name) AS name, any_value(category) AS category, "
            "any_value(brand) AS brand, any_value(unit_cost) AS unit_cost, "
            "any_value(base_price) AS base_price FROM items WHERE item_id = ? GROUP BY item_id",
            [item_id])
        sales = store.query(
            """SELECT date, store_id, units, price, base_price, on_promo, promo_id FROM sales
               WHERE item_id = ? AND (? IS NULL OR store_id = ?)
                 AND (? IS NULL OR date > (SELECT max(date) FROM sales WHERE item_id = ?)
                                         - to_days(CAST(? AS INTEGER)))
               ORDER BY store_id, date""",
            [item_id, store_id, store_id, days, item_id, days])
        if sales.empty:
            raise UnknownSeries(f"no sales of item {item_id!r}"
                                + (f" in store {store_id!r}" if store_id else ""))
        promotions = store.query(
            """SELECT DISTINCT p.promo_id, p.promo_type, p.start_date, p.end_date,
                      p.discount_pct, p.store_id
               FROM promotions p
               WHERE (p.item_id = ? OR p.category = (SELECT category FROM items WHERE item_id = ?))
                 AND p.end_date >= ? ORDER BY p.start_date""",
            [item_id, item_id, sales["date"].min()])
    sales["date"] = pd.to_datetime(sales["date"]).dt.strftime("%Y-%m-%d")
    for col in ("start_date", "end_date"):
        promotions[col] = pd.to_datetime(promotions[col]).dt.strftime("%Y-%m-%d")
    info = _records(item)[0] if len(item) else {"item_id": item_id}
    return {"item": info, "stores": sorted(sales["store_id"].unique().tolist()),
            "sales": _records(sales), "promotions": _records(promotions)}


def item_forecast(db: Path, item_id: str, *, store_id: str | None = None,
                  run_id: str | None = None) -> dict:
    """The newest kept forecast run's quantiles for one item (per store and model), wide:
    one row per store, day and model with ``q0.05 ... q0.95``; ``run`` describes the run.
    Pivoted in SQL: the dashboard asks for it on every item it opens."""
    with Store(db, read_only=True) as store:
        runs = store.records(
            """SELECT run_id, CAST(created_at AS VARCHAR) AS created_at, models, horizon,
                      data_hash FROM forecast_runs r
               WHERE kind = 'forecast' AND (? IS NULL OR run_id = ?)
                 AND EXISTS (SELECT 1 FROM forecasts f WHERE f.run_id = r.run_id
                             AND f.item_id = ?)
               ORDER BY created_at DESC LIMIT 1""", [run_id, run_id, item_id])
        if not runs:
            _known_forecast_question(store, item_id, run_id)
            return {"item_id": item_id, "run": None, "quantiles": [], "forecast": []}
        run = runs[0]
        levels = [r["quantile"] for r in store.records(
            "SELECT DISTINCT quantile FROM forecasts WHERE run_id = ? AND item_id = ? "
            "AND quantile IS NOT NULL ORDER BY 1", [run["run_id"], item_id])]
        columns = ", ".join(f'round(max(value) FILTER (WHERE quantile = {float(q)!r}), 4) '
                            f'AS "q{q:g}"' for q in levels)
        rows = store.records(
            f"""SELECT store_id, strftime(ds, '%Y-%m-%d') AS ds, model{", " if levels else ""}
                       {columns}
                FROM forecasts WHERE run_id = ? AND item_id = ? AND (? IS NULL OR store_id = ?)
                  AND quantile IS NOT NULL
                GROUP BY store_id, ds, model ORDER BY store_id, model, ds""",
            [run["run_id"], item_id, store_id, store_id])
    if not rows:
        raise UnknownSeries(f"the newest forecast has no item {item_id!r}"
                            + (f" in store {store_id!r}" if store_id else ""))
    return {"item_id": item_id, "run": run, "quantiles": levels, "forecast": rows}


def _known_forecast_question(store: Store, item_id: str, run_id: str | None) -> None:
    """Raise UnknownSeries (a 404) when the item has no sales, the run is not kept or does not
    hold the item: only a known item without any kept forecast answers ``run: None``
    (nothing forecast yet)."""
    if not _sells(store, item_id):
        hint = ""
        if run_id is None and _kept_run(store, item_id):  # a run id where an item id goes
            hint = f"; {item_id!r} is a forecast run: GET /api/forecasts/runs/{item_id}"
        raise UnknownSeries(f"no sales of item {item_id!r}: no forecast for it{hint}")
    if run_id is not None:
        if not _kept_run(store, run_id):
            raise UnknownSeries(f"no kept forecast run {run_id!r}")
        raise UnknownSeries(f"the kept forecast run {run_id!r} has no item {item_id!r}")


def _sells(store: Store, item_id: str, store_id: str | None = None) -> bool:
    return bool(len(store.query(
        "SELECT 1 FROM sales WHERE item_id = ? AND (? IS NULL OR store_id = ?) LIMIT 1",
        [item_id, store_id, store_id])))


def _kept_run(store: Store, run_id: str) -> bool:
    return bool(len(store.query(
        "SELECT 1 FROM forecast_runs WHERE kind = 'forecast' AND run_id = ?", [run_id])))


def require_item(db: Path, item_id: str, store_id: str | None = None) -> None:
    """UnknownSeries (a 404) unless the store sells ``item_id`` (in ``store_id``): what a
    request naming an item is checked with before its job is queued."""
    with Store(db, read_only=True) as store:
        if not _sells(store, item_id, store_id):
            raise UnknownSeries(f"no sales of item {item_id!r}"
                                + (f" in store {store_id!r}" if store_id else ""))


def forecast_run(db: Path, run_id: str) -> dict:
    """A kept forecast run: its summary (horizon, models, dates, series, what was left out)
    with ``run_id`` and ``created_at``; UnknownSeries (a 404) naming the run otherwise."""
    import json

    with Store(db, read_only=True) as store:
        rows = store.records(
            "SELECT run_id, CAST(created_at AS VARCHAR) AS created_at, document "
            "FROM forecast_runs WHERE kind = 'forecast' AND run_id = ?", [run_id])
    if not rows:
        raise UnknownSeries(f"no kept forecast run {run_id!r}")
    document = json.loads(rows[0]["document"] or "{}")
    return {**document, "run_id": rows[0]["run_id"], "created_at": rows[0]["created_at"]}


def forecast_table(db: Path, run_id: str) -> pd.DataFrame:
    """A kept forecast run as ``forecast --out`` writes it: one row per series and period
    (unique_id, item_id, store_id, ds), one column per model and quantile (``lgbm-q0.5``,
    units rounded to 4 decimals), then run_id. Pivoted in DuckDB, every value a parameter;
    UnknownSeries (a 404) naming the run when it is not kept."""
    from promocast.forecasting.metrics import quantile_column

    with Store(db, read_only=True) as store:
        if not _kept_run(store, run_id):
            raise UnknownSeries(f"no kept forecast run {run_id!r}")
        kinds = store.records("SELECT DISTINCT model, quantile FROM forecasts WHERE run_id = ? "
                              "ORDER BY model, quantile NULLS FIRST", [run_id])
        pivot = "".join(f", round(max(value) FILTER (WHERE model = ? AND quantile IS NOT "
                        f"DISTINCT FROM ?), 4) AS c{k}" for k in range(len(kinds)))
        frame = store.query(
            f"""SELECT unique_id, item_id, store_id, strftime(ds, '%Y-%m-%d') AS ds{pivot}
                FROM forecasts WHERE run_id = ? GROUP BY unique_id, item_id, store_id, ds
                ORDER BY unique_id, ds""",
            [v for kind in kinds for v in (kind["model"], kind["quantile"])] + [run_id])
    frame.columns = ["unique_id", "item_id", "store_id", "ds", *(
        kind["model"] if kind["quantile"] is None else quantile_column(kind["model"],
                                                                        kind["quantile"])
        for kind in kinds)]
    return frame.assign(run_id=run_id)


def kept_backtests(db: Path, limit: int = 20) -> list[dict]:
    """Backtest documents kept in the store, newest first (the model leaderboard)."""
    import json

    with Store(db, read_only=True) as store:
        runs = store.query(
            "SELECT run_id, created_at, document FROM forecast_runs WHERE kind = 'backtest' "
            "ORDER BY created_at DESC LIMIT ?", [int(limit)])
    out = []
    for row in runs.itertuples(index=False):
        document = json.loads(row.document)
        document["run_id"] = row.run_id
        document["created_at"] = str(row.created_at)
        out.append(document)
    return out


def _records(frame: pd.DataFrame) -> list[dict]:
    """JSON-safe records: NaN -> None, numpy scalars -> Python, timestamps -> ISO dates."""
    clean = frame.astype(object).where(frame.notna(), None)
    out = []
    for row in clean.to_dict(orient="records"):
        out.append({k: _plain(v) for k, v in row.items()})
    return out


def _plain(value: object) -> object:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return round(float(value), 4)
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    return value
