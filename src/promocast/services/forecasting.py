"""Forecasting use cases: build the panel from the store, backtest, forecast, keep results."""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from promocast.data.storage import EXOG_KEY, EXOG_TABLE, Store
from promocast.data.storage import _quote as quote_name
from promocast.exceptions import EmptyStore, InvalidRequest, UsageError
from promocast.features.calendar import build_calendar
from promocast.features.exogenous import (
    CATEGORY_INPUTS,
    PRICE_INPUTS,
    PROMO_FLAGS,
    calendar_features,
    category_features,
    price_features,
    promo_flags,
)
from promocast.forecasting.distributed import check_engine, open_engine
from promocast.forecasting.engine import DEFAULT_QUANTILES, ForecastSpec, backtest
from promocast.forecasting.ensemble import ensemble_columns, recipe
from promocast.forecasting.panel import regular_panel, season_length
from promocast.forecasting.zoo import parse_models
from promocast.services.tables import write_csv
from promocast.wording import option

__all__ = ["Panel", "load_panel", "parse_models", "rolling_cutoffs", "run_backtest", "write_predictions"]

Progress = Callable[[str], None]
NOT_KNOWN_AHEAD = re.compile(r"sales|units|volume|returns|revenue|turnover|^profit$|profit_amount|"
                             r"gross_profit", re.I)
"""Exogenous columns that describe the outcome itself (sales, revenue, profit in money) are never
used as known-future inputs: they would leak the target. A margin in percent (Dominick's
``profit_margin_pct``) is set with the price, before the week sells, and is kept."""


@dataclass
class Panel:
    """A regular panel and what the forecasters need to know about it."""

    frame: pd.DataFrame
    freq: str
    known: list[str]
    static: list[str]
    data_hash: str
    country: str = "CN"
    """The holiday calendar's country (``calendar.shop_country``)."""

    @property
    def season_length(self) -> int:
        return season_length(self.freq)


def pandas_freq(dates: pd.Series, freq: str) -> str:
    """The pandas offset alias of a store frequency ("W" -> "W-THU" when weeks start Thursday)."""
    if freq == "W":
        weekday = pd.DatetimeIndex(dates).weekday
        return "W-" + ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"][int(pd.Series(weekday).mode()[0])]
    return freq


HASHED_TABLES = ("sales", "promotions", "inventory", "items", "events", EXOG_TABLE)
"""The tables a forecast, an effect estimate or a baseline reads: a change in any of them
(new promotions, a price fixed, a day's stock) makes their kept results stale."""


def sales_hash(store: Store) -> str:
    """A fingerprint of the shop's data (every row of ``HASHED_TABLES``), whatever the row
    order: results computed from the same data (forecasts, effects, baselines, evaluations)
    carry it and are reused. It read the sales' dates, keys and units only, so loading
    promotions or prices reused effects and evaluations that did not know them."""
    parts = []
    for table in HASHED_TABLES:  # constants: no name from a request
        if not store.columns(table):
            continue
        row = store.query(f"SELECT count(*) AS n, sum(hash(t)) AS h FROM {table} t").iloc[0]
        parts.append(f"{table}={row['n']}:{row['h']}")
    return hashlib.sha256(";".join(parts).encode()).hexdigest()[:16]


def load_panel(db: Path, *, country: str = "auto", since: pd.Timestamp | None = None,
               progress: Progress | None = None) -> Panel:
    """Sales, inputs and promotions of the store as one regular long panel (``since``: only
    the periods from that date on, for work that needs the recent past only)."""
    from promocast.services.calendar import shop_country

    say = progress or (lambda _m: None)
    say("reading the store")
    window = "WHERE s.date >= ?" if since is not None else ""
    params = [pd.Timestamp(since).date()] if since is not None else []
    with Store(db, read_only=True) as store:
        if not store.count("sales"):
            raise EmptyStore(f"{db} holds no sales: load data with `promocast ingest` first")
        exog_cols = [c for c in store.columns(EXOG_TABLE) if c not in EXOG_KEY]
        exog_select = "".join(f", e.{quote_name(c)}" for c in exog_cols)
        exog_join = (f"LEFT JOIN {EXOG_TABLE} e ON e.date = s.date AND e.item_id = s.item_id "
                     "AND e.store_id = s.store_id") if exog_cols else ""
        # ids, join and order in DuckDB; strings stay Arrow-backed (query_lean): at M5 size
        # Python string objects alone would take several GB
        sales = store.query_lean(f"""
            SELECT s.item_id || '/' || s.store_id AS unique_id, s.date AS ds, s.item_id,
                   s.store_id, s.units AS y, s.price, s.base_price, s.on_promo,
                   coalesce(i.category, 'uncategorised') AS category,
                   (inv.on_hand IS NOT NULL AND inv.on_hand <= 0)::TINYINT AS stockout
                   {exog_select}
            FROM sales s LEFT JOIN items i USING (item_id)
            LEFT JOIN inventory inv USING (date, item_id, store_id) {exog_join} {window}
            ORDER BY unique_id, ds""", params)
        promotions = store.read("promotions")
        items = store.read("items", ["item_id", "category"])
        events = store.query("SELECT date, event, store_id FROM events")
        digest = sales_hash(store)
    from promocast.data.validate import infer_store_frequencies

    freqs = set(infer_store_frequencies(sales.rename(columns={"ds": "date"})).values())
    if len(freqs) > 1:
        raise UsageError(f"the store mixes frequencies {sorted(freqs)}: forecast one frequency at a time")
    freq = pandas_freq(sales["ds"], freqs.pop())
    known_exog = [c for c in exog_cols if not NOT_KNOWN_AHEAD.search(c)]
    say("building the panel (gaps, prices, promotions, calendar)")
    sales.loc[sales["stockout"] > 0, "y"] = np.nan
    unknown = [c for c in exog_cols if c not in known_exog]
    panel = regular_panel(sales.drop(columns=unknown) if unknown else sales, freq,
                          known=["price", "base_price", *known_exog])
    del sales
    panel = price_features(panel)
    panel = category_features(promo_flags(panel, promotions, items))
    start, end = panel["ds"].min(), panel["ds"].max() + pd.Timedelta(days=400)
    country = shop_country(db, country)
    calendar = build_calendar(start, end, country, events)
    window = 14 if freq == "D" else 3 if freq.startswith("W") else 1
    panel = calendar_features(panel, calendar, window=window * (7 if freq.startswith("W") else 1))
    panel["category_code"] = panel["category"].astype("category").cat.codes.astype("float32")
    panel["store_code"] = panel["store_id"].astype("category").cat.codes.astype("float32")
    panel["item_code"] = panel["item_id"].astype("category").cat.codes.astype("float32")
    calendar_cols = [c for c in panel.columns if c.startswith(("days_to_", "days_from_", "is_"))]
    known = [*PRICE_INPUTS, "promo", *PROMO_FLAGS, *CATEGORY_INPUTS, *known_exog, *calendar_cols]
    known = [c for c in known if c in panel and panel[c].notna().any()]
    for col in known:
        panel[col] = panel[col].astype("float32").fillna(0)
    return Panel(panel, freq, known, ["category_code", "store_code", "item_code"], digest,
                 country)


TRAIN_ROWS = 12_000_000
"""Sales rows a forecast learns from by default. A larger shop (M5: 59 M rows) is read from its
most recent dates only: the panel, the models' features and LightGBM's binned copy then fit a
laptop's memory and a training fits the night, while years-old rows add little to a 28-day
forecast. ``history`` overrides it."""
MIN_HISTORY_DAYS = 400
"""The window never gets shorter than a year and the lags' warm-up, so the yearly calendar
inputs see every season once."""


def recent_start(db: Path, max_rows: int = TRAIN_ROWS,
                 min_days: int = MIN_HISTORY_DAYS) -> pd.Timestamp | None:
    """First date of the most recent dates holding at most ``max_rows`` sales rows (counted in
    DuckDB, nothing loaded), but at least ``min_days`` before the last date; ``None`` when the
    whole history fits."""
    with Store(db, read_only=True) as store:
        counts = store.query("SELECT date, count(*) AS n FROM sales GROUP BY date "
                             "ORDER BY date DESC")
    if counts.empty or counts["n"].sum() <= max_rows:
        return None
    dates = pd.to_datetime(counts["date"])
    inside = counts["n"].cumsum().to_numpy() <= max_rows
    start = dates[inside].min() if inside.any() else dates.iloc[0]
    start = min(start, dates.iloc[0] - pd.Timedelta(days=min_days))
    return None if start <= dates.iloc[-1] else pd.Timestamp(start)


FOLD_ROWS = 2_000_000
"""Panels up to this many rows backtest several folds at once (``fold_workers``): each worker
process holds its own copy of the panel, so larger ones run fold after fold."""


def fold_workers(rows: int, folds: int, engine: str = "local",
                 models: list[str] | None = None) -> int:
    """How many backtest folds run side by side: one per core up to 4 (and the folds) for a
    panel of at most ``FOLD_ROWS`` rows on the local engine; 1 otherwise, or with a deep model
    (torch sizes its own threads). ``PROMOCAST_FOLD_WORKERS`` overrides it."""
    from promocast.forecasting.zoo import DEEP_MODELS

    if os.environ.get("PROMOCAST_FOLD_WORKERS"):
        return max(1, int(os.environ["PROMOCAST_FOLD_WORKERS"]))
    if engine != "local" or rows > FOLD_ROWS or set(models or []) & set(DEEP_MODELS):
        return 1
    return max(1, min(os.cpu_count() or 1, folds, 4))


def rolling_cutoffs(panel: Panel, horizon: int, folds: int, step: int, *,
                    too_short: Callable[[pd.Timestamp], str] | None = None,
                    ) -> list[pd.Timestamp]:
    """K origins S periods apart, the last one H periods before the end (DESIGN §3)."""
    return cutoffs_between(panel.frame["ds"].min(), panel.frame["ds"].max(), panel.freq,
                           horizon, folds, step, too_short=too_short)


def cutoffs_between(first: pd.Timestamp, end: pd.Timestamp, freq: str, horizon: int,
                    folds: int, step: int, *,
                    too_short: Callable[[pd.Timestamp], str] | None = None,
                    ) -> list[pd.Timestamp]:
    """``rolling_cutoffs`` of data from ``first`` to ``end`` at ``freq`` (a pandas alias):
    also what a request is checked with before its job reads the panel. A fold trains on the
    series with more than two horizons of history up to its cutoff (``engine.backtest``), so
    the first cutoff must leave the oldest series that many periods; ``too_short(cutoff)``
    words that refusal for a caller whose folds are not a backtest's."""
    offset = pd.tseries.frequencies.to_offset(freq)
    last = pd.Timestamp(end) - horizon * offset
    cutoffs = [last - (folds - 1 - k) * step * offset for k in range(folds)]
    if cutoffs[0] <= pd.Timestamp(first):
        raise InvalidRequest(f"{folds} folds {step} periods apart leave no training data "
                             f"before {cutoffs[0].date()}: use fewer folds or a smaller step")
    history = len(pd.date_range(pd.Timestamp(first), cutoffs[0], freq=offset))
    if history <= 2 * horizon:
        if too_short is not None:
            raise InvalidRequest(too_short(cutoffs[0]))
        raise InvalidRequest(
            f"{folds} folds {step} periods apart leave the first fold (cutoff "
            f"{cutoffs[0].date()}) {history} periods of history, not the more than "
            f"{2 * horizon} (twice the {horizon} forecast) a series needs to be fitted: use "
            "fewer folds or a smaller step")
    return cutoffs


def check_gap(horizon: int, gap: int) -> None:
    """A gap as long as the horizon leaves no step to score."""
    if gap >= horizon:
        raise InvalidRequest(f"{option('gap')} {gap} leaves nothing to score with "
                             f"{option('horizon')} {horizon}")


def run_backtest(db: Path, *, horizon: int, gap: int = 0, folds: int = 3, step: int | None = None,
                 origins: list[str] | None = None, models: list[str],
                 quantiles: tuple[float, ...] = DEFAULT_QUANTILES, country: str = "CN",
                 metric: str = "wape", engine: str = "local", scheduler: str | None = None,
                 workers: int | None = None,
                 progress: Progress | None = None) -> tuple[dict, pd.DataFrame]:
    """Backtest the models; returns the DESIGN §3 JSON document and the predictions frame.

    ``metric`` ("wape" or "mape") picks the best model and the ensemble's members, and is what
    the global models train for: with "mape" LightGBM fits LightGBM's MAPE objective on raw
    units (it under-forecasts on purpose, as MAPE rewards); with "wape" it fits log1p units.
    ``engine="dask"`` fits on a Dask cluster (``scheduler`` address, or a LocalCluster of
    ``workers`` processes): see ``forecasting.distributed``."""
    if metric not in ("wape", "mape"):
        raise UsageError(f"--metric must be wape or mape, got {metric!r}")
    check_engine(engine, scheduler)
    from promocast.forecasting.metrics import evaluate, per_series_winner

    check_gap(horizon, gap)
    started = time.perf_counter()
    panel = load_panel(db, country=country, progress=progress)
    cutoffs = ([pd.Timestamp(o) for o in origins] if origins
               else rolling_cutoffs(panel, horizon, folds, step or horizon))
    base = [m for m in models if m != "ensemble"]
    spec = ForecastSpec(freq=panel.freq, horizon=horizon, models=base,
                        season_length=panel.season_length, quantiles=quantiles,
                        known=panel.known, static=panel.static,
                        lgbm_loss="mape" if metric == "mape" else "log_l2",
                        point="mape" if metric == "mape" else "median")
    with open_engine(engine, scheduler, workers) as cluster:
        if cluster is not None and progress:
            progress(f"fitting on Dask ({cluster.partitions} partitions)")
        predictions = backtest(panel.frame, cutoffs, replace(spec, engine=cluster), gap=gap,
                               progress=progress,
                               fold_workers=fold_workers(len(panel.frame), len(cutoffs), engine,
                                                         base))
    train = panel.frame.loc[panel.frame["observed"] == 1, ["unique_id", "ds", "y"]]
    scores = evaluate(predictions, base, train=train, season_length=panel.season_length)
    if "ensemble" in models and len(base) >= 2:
        ranked = sorted((m for m in base if scores[m][metric] is not None and m != "naive"),
                        key=lambda m: scores[m][metric])
        members = ranked[: min(3, len(ranked))]
        predictions = ensemble_columns(predictions, members, quantiles, metric=metric)
        scores.update(evaluate(predictions, ["ensemble"], train=train,
                               season_length=panel.season_length))
        scores["ensemble"].update(recipe(predictions, members, quantiles, metric))
    scored_models = [m for m in scores if scores[m][metric] is not None]
    best = min(scored_models, key=lambda m: scores[m][metric]) if scored_models else None
    winners = per_series_winner(predictions, [m for m in scores], metric="mae")
    document = {
        "freq": panel.freq, "horizon": horizon, "gap": gap,
        "series": int(predictions["unique_id"].nunique()),
        "series_in_data": int(panel.frame["unique_id"].nunique()),
        "series_not_scored": series_not_scored(panel.frame, predictions, cutoffs,
                                               freq=panel.freq, horizon=horizon, gap=gap),
        "folds": len(cutoffs),
        "cutoffs": [str(c.date()) for c in cutoffs],
        "seconds": round(time.perf_counter() - started, 1),
        "models": scores, "best": best, "selection_metric": metric,
        "series_winners": winners["best_model"].value_counts().to_dict(),
        "data_hash": panel.data_hash,
    }
    document = json.loads(json.dumps(document, default=_plain))
    document["run_id"] = uuid.uuid4().hex[:12]
    with Store(db) as store:
        store.save_run(document["run_id"], "backtest", models, horizon,
                       json.dumps({"gap": gap, "folds": len(cutoffs), "step": step}),
                       panel.data_hash, json.dumps(document))
    return document, predictions


NOT_SCORED = {
    "no_actual": "no actual in any scored window (discontinued, or out of stock, after the "
                 "cutoffs)",
    "too_short": "too little history at every cutoff (a fold trains on a series with more "
                 "than twice the horizon)"}
_SHOWN_IDS = 50


def series_not_scored(frame: pd.DataFrame, predictions: pd.DataFrame,
                      cutoffs: list[pd.Timestamp], *, freq: str, horizon: int,
                      gap: int) -> dict:
    """The panel's series with no scored point (QA5 #19), so ``series`` counts what was scored:
    ``{"count", "groups": [{"reason", "message", "count", "ids" (the first 50)}]}``. A fold
    leaves out a series with at most two horizons of history (``engine._backtest_fold``); one
    with no observed actual in steps ``gap + 1 .. horizon`` after any cutoff has nothing to
    score."""
    missing = sorted(set(frame["unique_id"]) - set(predictions["unique_id"]))
    found: dict[str, list[str]] = {}
    if missing:
        rows = frame.loc[frame["unique_id"].isin(missing), ["unique_id", "ds", "observed"]]
        offset = pd.tseries.frequencies.to_offset(freq)
        actual = pd.Series(False, index=pd.Index(missing))
        for cutoff in cutoffs:
            inside = ((rows["ds"] > cutoff + gap * offset)
                      & (rows["ds"] <= cutoff + horizon * offset) & (rows["observed"] == 1))
            actual |= inside.groupby(rows["unique_id"]).any().reindex(actual.index, fill_value=False)
        for sid in missing:
            found.setdefault("too_short" if actual[sid] else "no_actual", []).append(str(sid))
    return {"count": len(missing),
            "groups": [{"reason": r, "message": NOT_SCORED[r], "count": len(ids),
                        "ids": ids[:_SHOWN_IDS]} for r, ids in found.items()]}


def _plain(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    return str(value)


def write_predictions(predictions: pd.DataFrame, path: Path) -> None:
    """CSV or Parquet by suffix."""
    if path.suffix.lower() in (".parquet", ".pq"):
        path.parent.mkdir(parents=True, exist_ok=True)
        predictions.to_parquet(path, index=False)
    else:  # UTF-8 with a BOM, for Excel (``services.tables``)
        write_csv(predictions, path, float_format="%.4f")
