"""Inventory use cases: stock levels and a reorder list from the quantile forecasts, and a
replay of the policy over backtest folds with the demand that actually came.

``run_inventory`` reuses the newest kept forecast run that covers lead time + review period
(and the horizon) on the data now in the store, or forecasts (``run_forecast``, planned
promotions included); stock on hand is the inventory table's latest day per item and store.
How the days' forecast errors hang together (the copula of ``inventory.leadtime``) comes from
the newest kept replay of the store, or the default until a replay has measured it.

``run_inventory_replay`` forecasts rolling folds (each trained up to its cutoff, with the known
inputs of its window) and replays the (R, S) policy day by day (``inventory.replay``); the
first ``warmup`` folds only measure the forecast errors' dependence. The dependence measured
on all folds is kept for ``run_inventory``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from promocast.data.storage import Store
from promocast.data.validate import infer_store_frequencies
from promocast.exceptions import NeedsForecast, UsageError
from promocast.forecasting.engine import ForecastSpec, fit_predict, quantile_column, window_inputs
from promocast.forecasting.panel import split_at
from promocast.inventory.leadtime import Dependence, draw_paths
from promocast.inventory.policy import (  # noqa: F401  (MIN_PACK, MAX_PACK: the API's bounds)
    MAX_PACK,
    MIN_PACK,
    InventoryParams,
    default_review_period,
    plan_inventory,
    reorder_list,
)
from promocast.inventory.replay import (
    calibration_windows,
    forecast_scores,
    prequential_dependence,
    replay_policy,
)
from promocast.services.forecasting import Panel, load_panel, rolling_cutoffs, sales_hash

__all__ = ["INVENTORY_QUANTILES", "ReplayFolds", "default_review_period", "replay_folds",
           "replay_targets", "run_inventory", "run_inventory_replay"]

Progress = Callable[[str], None]
INVENTORY_QUANTILES = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.975, 0.99)
"""Quantiles forecast for stock decisions: the tails matter (a 95 % service level over a
single day is the 0.95 quantile; over a week of correlated days nearly as far out)."""
REPLAY_KIND = "inventory_replay"
PLAN_KIND = "inventory"


def review_period_of(db: Path, review_period: int | None) -> int:
    """``review_period``, or when None the default for the store's frequency
    (``default_review_period``: a week)."""
    if review_period is not None:
        return review_period
    with Store(db, read_only=True) as store:
        dates = store.query("SELECT DISTINCT store_id, date FROM sales")
    freqs = set(infer_store_frequencies(dates).values()) if len(dates) else set()
    return default_review_period(freqs.pop() if len(freqs) == 1 else None)


def _params(service_level: float, lead_time: int, review_period: int, horizon: int | None,
            fill_rate: float | None, pack_size: float, min_order: float,
            salvage: float) -> InventoryParams:
    try:
        return InventoryParams(service_level=service_level, lead_time=lead_time,
                               review_period=review_period, horizon=horizon, fill_rate=fill_rate,
                               pack_size=pack_size, min_order=min_order, salvage=salvage)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


# -- forecasts --------------------------------------------------------------------------------
def _kept_forecast(store: Store, data_hash: str, periods: int,
                   models: Sequence[str]) -> tuple[str, str, pd.DataFrame] | None:
    """The newest kept forecast run on these data covering ``periods`` with tails (quantiles
    0.05 and 0.95 or beyond) for one of ``models``: (run_id, model, wide frame)."""
    runs = store.query(
        "SELECT run_id, models FROM forecast_runs WHERE kind = 'forecast' AND data_hash = ? "
        "AND horizon >= ? ORDER BY created_at DESC LIMIT 5", [data_hash, periods])
    for run in runs.itertuples():
        levels = store.query("SELECT model, list(DISTINCT quantile) AS q FROM forecasts "
                             "WHERE run_id = ? GROUP BY model", [run.run_id])
        usable = {r.model: sorted(r.q) for r in levels.itertuples()
                  if len(r.q) >= 3 and min(r.q) <= 0.05 and max(r.q) >= 0.95}
        model = next((m for m in models if m in usable), None)
        if model is None:
            continue
        long = store.query("SELECT unique_id, item_id, store_id, ds, quantile, value "
                           "FROM forecasts WHERE run_id = ? AND model = ?", [run.run_id, model])
        return run.run_id, model, _wide(long, model)
    return None


def _wide(long: pd.DataFrame, model: str) -> pd.DataFrame:
    """Long kept forecasts -> unique_id, item_id, store_id, ds, one column per quantile."""
    long = long.assign(ds=pd.to_datetime(long["ds"]),
                       column=[quantile_column(model, q) for q in long["quantile"]])
    wide = long.pivot_table(index=["unique_id", "item_id", "store_id", "ds"], columns="column",
                            values="value", aggfunc="first").reset_index()
    wide.columns.name = None
    # item rows only: a hierarchical run also keeps totals and categories
    keep = wide["unique_id"] == wide["item_id"].astype(str) + "/" + wide["store_id"].astype(str)
    return wide[keep].sort_values(["unique_id", "ds"], ignore_index=True)


def _quantile_columns(frame: pd.DataFrame, model: str) -> tuple[list[str], list[float]]:
    prefix = f"{model}-q"
    found = sorted((float(c[len(prefix):]), c) for c in frame.columns if c.startswith(prefix))
    return [c for _, c in found], [q for q, _ in found]


def _forecast(db: Path, periods: int, models: Sequence[str], country: str,
              progress: Progress | None, forecast_missing: bool = True,
              ) -> tuple[str, str, pd.DataFrame, bool]:
    """(run_id, model, wide forecasts, reused?) covering ``periods``; without a kept forecast
    that covers them, forecasts now or (``forecast_missing`` false) raises NeedsForecast."""
    with Store(db, read_only=True) as store:
        data_hash = sales_hash(store)
        kept = _kept_forecast(store, data_hash, periods, models)
    if kept is not None:
        return (*kept, True)
    if not forecast_missing:
        raise NeedsForecast(
            f"no kept forecast of these data covers {periods} periods (lead time + review "
            f"period) with {', '.join(models)}: start the inventory job, which forecasts first")
    from promocast.services.forecast import run_forecast

    summary = run_forecast(db, horizon=periods, models=list(models)[:1],
                           quantiles=INVENTORY_QUANTILES, country=country, progress=progress)
    with Store(db, read_only=True) as store:
        long = store.query("SELECT unique_id, item_id, store_id, ds, quantile, value "
                           "FROM forecasts WHERE run_id = ? AND model = ?",
                           [summary["run_id"], summary["models"][0]])
    return summary["run_id"], summary["models"][0], _wide(long, summary["models"][0]), False


def _cube(wide: pd.DataFrame, columns: list[str], periods: int) -> tuple[np.ndarray, np.ndarray]:
    """Series ids with a full ``periods`` of forecasts and their quantiles (S, periods, K)."""
    first = wide.groupby("unique_id", sort=True).head(periods)
    counts = first.groupby("unique_id")["ds"].size()
    ids = counts.index[counts == periods].to_numpy()
    rows = first[first["unique_id"].isin(ids)].sort_values(["unique_id", "ds"])
    return ids, rows[columns].to_numpy(float).reshape(len(ids), periods, len(columns))


# -- kept state -------------------------------------------------------------------------------
def _stock_and_prices(store: Store) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Latest on-hand per item and store, and the regular price and unit cost per series."""
    stock = store.query("""
        SELECT item_id, store_id, on_hand, date AS on_hand_date FROM inventory
        QUALIFY row_number() OVER (PARTITION BY item_id, store_id ORDER BY date DESC) = 1""")
    prices = store.query("""
        SELECT s.item_id, s.store_id, coalesce(s.base_price, s.price, i.base_price) AS price,
               i.unit_cost AS cost
        FROM sales s LEFT JOIN items i USING (item_id)
        QUALIFY row_number() OVER (PARTITION BY s.item_id, s.store_id ORDER BY s.date DESC) = 1""")
    for frame in (stock, prices):
        frame["unique_id"] = frame["item_id"].astype(str) + "/" + frame["store_id"].astype(str)
    return stock, prices


def _kept_replay(store: Store, model: str) -> dict | None:
    row = store.query("SELECT document FROM promo_results WHERE kind = ? ORDER BY created_at "
                      "DESC LIMIT 1", [REPLAY_KIND])
    if row.empty:
        return None
    document = json.loads(row["document"].iloc[0])
    return document if document.get("model") == model else None


# -- the stock plan ---------------------------------------------------------------------------
def run_inventory(db: Path, *, service_level: float = 0.95, lead_time: int,
                  review_period: int | None = None, horizon: int | None = None,
                  pack_size: float = 1.0,
                  min_order: float = 0.0, salvage: float = 0.0, fill_rate: float | None = None,
                  out: Path | None = None, models: Sequence[str] = ("lgbm",),
                  dependence: Dependence | None = None, samples: int = 2000, seed: int = 0,
                  country: str = "CN", replay: dict | None = None,
                  forecast_missing: bool = True, progress: Progress | None = None) -> dict:
    """Stock levels per item and store and the reorder list (DESIGN §3 ``inventory --json``).

    ``lead_time`` / ``review_period`` / ``horizon`` in periods of the data (``review_period``
    None: a week, ``default_review_period``); ``salvage`` as a share of unit cost;
    ``pack_size`` / ``min_order`` in units. ``out`` writes the reorder list
    (.csv, .xlsx or .parquet). ``replay``: a replay document to report with the plan (default:
    the newest kept one). ``forecast_missing`` false: never forecast here (quick answers only;
    NeedsForecast when no kept forecast covers the periods)."""
    say = progress or (lambda _m: None)
    started = time.perf_counter()
    review_period = review_period_of(db, review_period)
    params = _params(service_level, lead_time, review_period, horizon, fill_rate, pack_size,
                     min_order, salvage)
    periods = params.periods
    run_id, model, wide, reused = _forecast(db, periods, models, country, progress,
                                           forecast_missing)
    columns, levels = _quantile_columns(wide, model)
    with Store(db, read_only=True) as store:
        stock, prices = _stock_and_prices(store)
        kept = replay or _kept_replay(store, model)
    if dependence is None:
        dependence = (Dependence.from_dict(kept["dependence"]) if kept and kept.get("dependence")
                      else Dependence())
    say(f"drawing {samples} demand paths per series over {periods} periods")
    ids, cube = _cube(wide, columns, periods)
    if not len(ids):
        raise UsageError(f"no series has {periods} forecast periods: use a shorter horizon")
    paths = draw_paths(cube, levels, dependence=dependence, samples=samples, seed=seed, ids=ids,
                       rho_window=params.protection,
                       level=params.fill_rate if params.fill_rate is not None
                       else params.service_level)
    stock_by_id = stock.set_index("unique_id")
    price_by_id = prices.set_index("unique_id")
    on_hand = stock_by_id["on_hand"].reindex(ids).to_numpy(float)
    plan = plan_inventory(paths, params, on_hand,
                          price=price_by_id["price"].reindex(ids).to_numpy(float),
                          cost=price_by_id["cost"].reindex(ids).to_numpy(float))
    keys = wide.drop_duplicates("unique_id").set_index("unique_id")[["item_id", "store_id"]]
    plan = keys.reindex(plan["unique_id"]).reset_index().merge(plan, on="unique_id")
    plan["on_hand_date"] = stock_by_id["on_hand_date"].reindex(plan["unique_id"]).astype(str).to_numpy()
    plan.loc[plan["on_hand"].isna(), "on_hand_date"] = None
    urgent = reorder_list(plan)
    notes = []
    if plan["on_hand"].isna().any():
        notes.append(f"{int(plan['on_hand'].isna().sum())} series have no stock in the inventory "
                     "table: levels are given, no order quantity")
    if dependence.source == "default":
        notes.append("period-to-period dependence of forecast errors not measured yet: default "
                     f"rho {dependence.rho}; run `promocast inventory --replay` to measure it")
    brief = _replay_brief(kept)
    if brief is not None:
        brief["same_policy"] = (brief.get("lead_time") == params.lead_time
                                and brief.get("review_period") == params.review_period)
        if not brief["same_policy"]:
            notes.append(f"the kept replay measured lead time {brief.get('lead_time')} and "
                         f"review period {brief.get('review_period')}, not this plan's "
                         f"{params.lead_time} and {params.review_period}: its service level is "
                         "not this plan's; run `promocast inventory --replay` with these")
    start = wide["ds"].min()
    document = {
        "service_level_target": params.service_level if fill_rate is None else None,
        "fill_rate_target": fill_rate,
        "policy": "periodic review (R, S): every review period, order up to S; "
                  "the order arrives after the lead time",
        "lead_time": params.lead_time, "review_period": params.review_period,
        "horizon": periods, "pack_size": pack_size, "min_order": min_order, "salvage": salvage,
        "forecast": {"run_id": run_id, "model": model, "reused": reused,
                     "start": str(pd.Timestamp(start).date()), "quantiles": levels},
        "dependence": {**dependence.as_dict(params.protection),
                       "rho_used": round(dependence.window_rho(
                           params.protection, params.fill_rate or params.service_level), 4)},
        "replay": brief,
        "series": len(plan), "orders": len(urgent),
        "items": _records(plan), "reorder_list": _records(urgent), "notes": notes,
        "seconds": round(time.perf_counter() - started, 1),
    }
    if out is not None:
        from promocast.services.tables import write_table

        table, levels_only = reorder_table(plan, urgent)
        write_table(table, out)
        document["out"] = str(out)
        if levels_only:
            notes.append(f"{out} holds the levels of every series (no stock on hand: no "
                         "reorder list)")
    return document


def reorder_table(levels: pd.DataFrame, reorder: pd.DataFrame) -> tuple[pd.DataFrame, bool]:
    """What a reorder file holds (``--out``, the API's download), and whether it is the
    levels: without stock on hand nothing is to order yet, so every series' levels (what the
    screen shows) rather than an empty reorder list."""
    levels_only = reorder.empty and len(levels) > 0 and bool(levels["on_hand"].isna().all())
    return (levels if levels_only else reorder), levels_only


def _replay_brief(kept: dict | None) -> dict | None:
    if not kept:
        return None
    first = kept.get("replay") or {}
    return {k: first.get(k) for k in ("cycle_service_level", "fill_rate", "avg_on_hand",
                                      "window_coverage", "cycles", "target", "target_value",
                                      "lead_time", "review_period")}


def _records(frame: pd.DataFrame) -> list[dict]:
    """JSON-ready rows: floats rounded, NaN and infinity as null."""
    clean = frame.copy()
    for col in clean.columns:
        if clean[col].dtype.kind == "f":
            values = clean[col].to_numpy(float)
            clean[col] = pd.Series(np.round(values, 4), index=clean.index).astype(object)
            clean.loc[~np.isfinite(values), col] = None
        elif clean[col].dtype.kind == "b":
            clean[col] = clean[col].astype(bool)
    return json.loads(clean.to_json(orient="records"))


# -- the replay -------------------------------------------------------------------------------
def replay_forecasts(panel: Panel, cutoffs: Sequence[pd.Timestamp], periods: int, *,
                     model: str = "lgbm", quantiles: tuple[float, ...] = INVENTORY_QUANTILES,
                     num_threads: int = 1, lgbm_params: dict | None = None,
                     progress: Progress | None = None) -> pd.DataFrame:
    """Quantile forecasts of every fold over all ``periods`` after its cutoff (stock-out days
    included, unlike a scored backtest): unique_id, cutoff, ds, step, quantile columns.

    The rolling-origin machinery of ``forecasting.engine.backtest``: train up to the cutoff,
    the window's known inputs (prices, promotions, calendar) as planned."""
    spec = ForecastSpec(freq=panel.freq, horizon=periods, models=[model],
                        season_length=panel.season_length, quantiles=quantiles,
                        known=panel.known, static=panel.static, num_threads=num_threads,
                        lgbm_params=lgbm_params)
    frames = []
    for k, cutoff in enumerate(cutoffs, start=1):
        if progress:
            progress(f"replay fold {k}/{len(cutoffs)} (cutoff {pd.Timestamp(cutoff).date()})")
        train, after = split_at(panel.frame, cutoff)
        train = train[train.groupby("unique_id")["ds"].transform("size") > 2 * periods]
        if train.empty:
            raise UsageError(short_replay_fold(cutoff, periods))
        try:
            predicted = fit_predict(train, window_inputs(train, after, spec), spec)
        except UsageError as exc:
            raise UsageError(f"the replay fold at cutoff {pd.Timestamp(cutoff).date()}, "
                             f"{periods} periods ahead: {exc}. A fold forecasts its reviews "
                             "plus the lead time: use a shorter review period or fewer folds"
                             ) from None
        predicted.insert(1, "cutoff", pd.Timestamp(cutoff))
        predicted["step"] = predicted.groupby("unique_id").cumcount() + 1
        frames.append(predicted)
    return pd.concat(frames, ignore_index=True)


def _replay_actuals(db: Path, panel: Panel) -> pd.DataFrame:
    """unique_id, ds, y, observed for the replay: the panel's demand where observed; where not
    (a stock-out censored the day, or no row), what was sold as a lower bound, or NaN."""
    actuals = panel.frame[["unique_id", "ds", "y", "observed"]].copy()
    with Store(db, read_only=True) as store:
        sold = store.query("SELECT date AS ds, item_id || '/' || store_id AS unique_id, "
                           "units FROM sales")
    sold["ds"] = pd.to_datetime(sold["ds"])
    actuals = actuals.merge(sold, on=["unique_id", "ds"], how="left")
    actuals["y"] = actuals["y"].where(actuals["observed"] == 1, actuals["units"])
    return actuals.drop(columns="units")


@dataclass
class ReplayFolds:
    """The expensive half of a replay: every fold's forecasts, the actual demand, the normal
    scores of the forecast errors and the dependence each fold may use."""

    freq: str
    data_hash: str
    model: str
    lead_time: int
    review_period: int
    warmup: int
    cutoffs: list[pd.Timestamp]
    forecasts: pd.DataFrame
    actuals: pd.DataFrame
    columns: list[str]
    levels: list[float]
    scores: pd.DataFrame
    dependence: dict[pd.Timestamp, Dependence]
    seconds: float

    @property
    def start(self) -> pd.Timestamp:
        """The first scored review: the cutoff after the warm-up folds."""
        return self.cutoffs[self.warmup]


def short_replay_fold(cutoff: pd.Timestamp, periods: int) -> str:
    """Why a replay fold cannot be forecast (said before the replay reads the panel, too)."""
    return (f"the replay fold at cutoff {pd.Timestamp(cutoff).date()} has no series with more "
            f"than {2 * periods} periods of history (twice the {periods} periods it forecasts: "
            "the reviews of a fold plus the lead time): use fewer folds, fewer warm-up folds or "
            "a shorter review period")


def replay_window(lead_time: int, review_period: int, reviews_per_fold: int) -> tuple[int, int]:
    """(step, periods) of the replay's folds: ``reviews_per_fold`` review periods apart, each
    forecasting that span plus the lead time."""
    step = review_period * reviews_per_fold
    return step, step + lead_time


def replay_folds(db: Path, *, lead_time: int, review_period: int = 7, folds: int = 6,
                 warmup: int = 2, reviews_per_fold: int = 3, model: str = "lgbm", seed: int = 0,
                 country: str = "CN", lgbm_params: dict | None = None,
                 progress: Progress | None = None) -> ReplayFolds:
    """Forecast ``folds + warmup`` rolling folds ``reviews_per_fold`` review periods apart,
    each over that span plus the lead time, and score their errors (see ``run_inventory_replay``)."""
    say = progress or (lambda _m: None)
    started = time.perf_counter()
    if review_period < 1:
        raise UsageError("the replay needs --review-period >= 1")
    if folds < 1 or warmup < 0 or reviews_per_fold < 1:
        raise UsageError("--folds and reviews per fold must be >= 1, warm-up folds >= 0")
    panel = load_panel(db, country=country, progress=progress)
    step, periods = replay_window(lead_time, review_period, reviews_per_fold)
    cutoffs = rolling_cutoffs(panel, periods, folds + warmup, step,
                              too_short=lambda cutoff: short_replay_fold(cutoff, periods))
    forecasts = replay_forecasts(panel, cutoffs, periods, model=model, lgbm_params=lgbm_params,
                                 progress=progress)
    columns, levels = _quantile_columns(forecasts, model)
    actuals = _replay_actuals(db, panel)
    say("scoring the folds' forecast errors")
    scores = forecast_scores(forecasts, actuals, columns, levels, seed=seed)
    windows = calibration_windows(forecasts, actuals, columns, lead_time, review_period, levels,
                                  seed=seed)
    say("calibrating lead-time totals on earlier folds")
    # one cutoff past the last fold: what all folds teach, kept for run_inventory
    after_all = cutoffs[-1] + (periods + 1) * pd.tseries.frequencies.to_offset(panel.freq)
    dependence = prequential_dependence(scores, [*cutoffs, after_all],
                                        max_lag=lead_time + review_period - 1, windows=windows,
                                        levels=levels, seed=seed)
    return ReplayFolds(panel.freq, panel.data_hash, model, lead_time, review_period, warmup,
                       cutoffs, forecasts, actuals, columns, levels, scores, dependence,
                       time.perf_counter() - started)


def replay_targets(folds: ReplayFolds, params: Sequence[InventoryParams], *,
                   samples: int = 1000, seed: int = 0, demand: pd.DataFrame | None = None,
                   progress: Progress | None = None) -> list[dict]:
    """Replay the policy for each of ``params`` on the same folds; ``demand`` (unique_id, ds,
    y, observed) replaces the store's actuals in the simulation only (a simulator's uncensored
    demand, to check the replay itself), never in what the policy learns."""
    say = progress or (lambda _m: None)
    results = []
    for p in params:
        say(f"replaying the policy day by day (target {p.fill_rate or p.service_level})")
        result = replay_policy(folds.forecasts, folds.actuals if demand is None else demand,
                               columns=folds.columns, levels=folds.levels, params=p,
                               freq=folds.freq, start=folds.start, dependence=folds.dependence,
                               samples=samples, seed=seed)
        results.append(result.summary)
    return results


def run_inventory_replay(db: Path, *, service_level: float | Sequence[float] = 0.95,
                         lead_time: int, review_period: int | None = None, folds: int = 6,
                         warmup: int = 2, reviews_per_fold: int = 3,
                         fill_rate: float | None = None, pack_size: float = 1.0,
                         min_order: float = 0.0, model: str = "lgbm", samples: int = 1000,
                         seed: int = 0, country: str = "CN", keep: bool = True,
                         lgbm_params: dict | None = None,
                         progress: Progress | None = None) -> dict:
    """Replay the (R, S) policy over the last ``folds`` rolling folds with the actual demand.

    Folds are ``reviews_per_fold`` review periods apart (each forecasts that span plus the
    lead time); the ``warmup`` folds before them only measure the forecast errors (their
    calibration and dependence between days). Several service levels can be replayed on the
    same forecasts. Returns the replay document (``replay``: the first target's figures,
    ``targets``: one per target, ``dependence``: measured on all folds and kept for
    ``run_inventory``). ``lgbm_params`` override LightGBM's settings (smaller models for quick
    checks)."""
    started = time.perf_counter()
    review_period = review_period_of(db, review_period)
    targets = [service_level] if isinstance(service_level, float | int) else list(service_level)
    params = [_params(float(t), lead_time, review_period, None, fill_rate, pack_size,
                      min_order, 0.0) for t in targets]
    prepared = replay_folds(db, lead_time=lead_time, review_period=review_period, folds=folds,
                            warmup=warmup, reviews_per_fold=reviews_per_fold, model=model,
                            seed=seed, country=country, lgbm_params=lgbm_params,
                            progress=progress)
    results = replay_targets(prepared, params, samples=samples, seed=seed, progress=progress)
    protect = lead_time + review_period
    measured = replace(prepared.dependence[max(prepared.dependence)], source="replay")
    document = {
        "model": model, "freq": prepared.freq, "lead_time": lead_time,
        "review_period": review_period, "folds": folds, "warmup_folds": warmup,
        "cutoffs": [str(c.date()) for c in prepared.cutoffs],
        "series": int(prepared.forecasts["unique_id"].nunique()),
        "replay": results[0], "targets": results,
        "dependence": measured.as_dict(protect),
        "window_rho_per_fold": {str(c.date()): round(d.window_rho(protect, targets[0]), 4)
                                for c, d in prepared.dependence.items()
                                if prepared.start <= c <= prepared.cutoffs[-1]},
        "data_hash": prepared.data_hash, "seconds": round(time.perf_counter() - started, 1),
    }
    if keep:
        with Store(db) as store:
            document["result_id"] = store.save_promo_result(
                REPLAY_KIND, prepared.data_hash,
                json.dumps({"lead_time": lead_time, "review_period": review_period,
                            "model": model}), json.dumps(document))
    return document
