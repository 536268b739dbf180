"""The forecast use case: train on the history (all of it, or the newest 12 M sales rows of a
larger shop), forecast quantiles with known future inputs (regular prices, planned promotions
from the store or a scenario file, the calendar), keep the run in the store and write the file."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Collection, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from promocast.data.storage import Store
from promocast.exceptions import UsageError
from promocast.features.calendar import build_calendar
from promocast.features.exogenous import (
    CATEGORY_INPUTS,
    PROMO_FLAGS,
    calendar_features,
    category_features,
    price_features,
    promo_flags,
)
from promocast.features.promo_prices import promoted_prices
from promocast.forecasting.distributed import check_engine, open_engine
from promocast.forecasting.engine import (
    DEFAULT_QUANTILES,
    ForecastSpec,
    fit_predict,
    quantile_column,
    training_frame,
)
from promocast.forecasting.ensemble import apply_recipe
from promocast.forecasting.panel import extend_to, future_grid
from promocast.forecasting.stopped import stopped_selling
from promocast.forecasting.totals import medians_under_means
from promocast.promotions.scenario import outside_horizon
from promocast.services.forecasting import (
    PRICE_INPUTS,
    load_panel,
    recent_start,
    write_predictions,
)
from promocast.services.scenarios import read_scenario
from promocast.services.short_history import fit_what_fits, no_long_series

Progress = Callable[[str], None]


STANDING_PERIODS = 8
"""Periods (56 for daily data: 8 weeks) of promotion in a row, up to the last one, after which a
series' discount counts as standing (``standing_discounts``)."""


def standing_discounts(panel_frame: pd.DataFrame, freq: str) -> list[str]:
    """Series sold on promotion (the sales rows' ``on_promo``, or a price at least 1 % under the
    regular one) in each of their last ``STANDING_PERIODS`` periods, up to the newest.
    Promotions of the promotions table do not count: they have dates, and those that run on
    are in the table's future rows already.

    Their discount is how they are sold, not an event (Stallion: 218 of 350 beer series carry a
    trade discount every month of five years). A forecast at the regular price would ask the
    model about a price these series never had: LightGBM, which cannot extrapolate, put their
    next months 37 % under the same months a year before. So the forecast keeps them at the
    price they usually sell at (``usual_prices``) and on promotion, as it keeps any other
    input's last value; a scenario still sets another. The promotion baseline
    (``promo_baseline.baseline_forecast``) holds them too: going on as now is what "no
    promotion" means for them."""
    periods = STANDING_PERIODS * (7 if freq == "D" else 1)
    if not {"on_promo", "discount_depth"} & set(panel_frame):
        return []
    recent = _last_periods(panel_frame, freq, periods)
    on = _promoted(panel_frame.loc[recent], flags=("on_promo",))
    runs = pd.DataFrame({"unique_id": panel_frame["unique_id"].to_numpy()[recent], "on": on}
                        ).groupby("unique_id", sort=False)["on"].agg(["sum", "size"])
    return sorted(runs.index[(runs["size"] == periods) & (runs["sum"] == periods)].astype(str))


def _last_periods(panel_frame: pd.DataFrame, freq: str, periods: int) -> np.ndarray:
    """Which rows fall in their series' last ``periods`` periods, told by date (a gap in a
    series does not stretch its window): no sort of the whole panel."""
    last = panel_frame.groupby("unique_id", sort=False)["ds"].transform("max")
    offset = pd.tseries.frequencies.to_offset(freq)
    first = {d: d - (periods - 1) * offset for d in last.unique()}
    return (panel_frame["ds"] >= last.map(first)).to_numpy()


def usual_prices(panel_frame: pd.DataFrame, freq: str, ids: Collection[str]) -> pd.Series:
    """The price each series of ``ids`` usually sells at: its newest base price times its
    median price / base price ratio over the last ``STANDING_PERIODS`` periods (indexed by
    unique_id). A standing discount's depth moves from period to period, and the last period
    alone can be a deep one (Stallion's September 2017: 22 % under the regular price, against
    18-19 % in the months around it)."""
    rows = panel_frame[panel_frame["unique_id"].isin(list(ids))]
    if rows.empty:
        return pd.Series(dtype=float, name="price")
    recent = rows[_last_periods(rows, freq, STANDING_PERIODS * (7 if freq == "D" else 1))
                  & (rows["price"] > 0).to_numpy()
                  & (rows["base_price"] > 0).to_numpy()]
    ratio = (recent["price"] / recent["base_price"]).groupby(recent["unique_id"]).median()
    base = rows.loc[rows.groupby("unique_id")["ds"].idxmax()].set_index("unique_id")["base_price"]
    return (base * ratio.reindex(base.index)).rename("price")


def stale_periods(freq: str) -> int:
    """Periods without a row after which a series counts as gone (discontinued, delisted)
    rather than late: four weeks of days, eight weeks, three months."""
    return 28 if freq == "D" else 8 if str(freq).startswith("W") else 3


def bring_to_end(panel_frame: pd.DataFrame, freq: str) -> tuple[pd.DataFrame, list[str]]:
    """The panel with every series carried on to its store's last date, less the gone ones
    (no row in their store's last ``stale_periods``, or their store's rows stop that long
    before the shop's), and the ids of those.

    A forecast starts after the data; a series that stopped earlier would otherwise be
    forecast from its own last date, into the past (an item delisted three months ago had
    its "next 14 days" in March). A series a few periods behind gets unobserved periods up to
    the end (``panel.extend_to``); one long gone is not forecast and is said to be."""
    last = panel_frame.groupby("unique_id", sort=False)["ds"].max()
    if "store_id" in panel_frame:
        store = panel_frame.drop_duplicates("unique_id").set_index("unique_id")["store_id"]
        ends = store.map(panel_frame.groupby("store_id", sort=False)["ds"].max()
                         ).reindex(last.index)
    else:
        ends = pd.Series(panel_frame["ds"].max(), index=last.index)
    offset = pd.tseries.frequencies.to_offset(freq)
    k = stale_periods(freq)
    # a store whose rows stop that long before the shop's end has closed: its series are gone
    closed = ends < panel_frame["ds"].max() - k * offset
    if (last >= ends).all() and not closed.any():
        return panel_frame, []
    cut = ends.map({e: e - k * offset for e in ends.unique()})
    gone = last.index[((last < cut) | closed).to_numpy()]
    frame = panel_frame[~panel_frame["unique_id"].isin(gone)] if len(gone) else panel_frame
    return extend_to(frame, ends.drop(gone), freq), sorted(map(str, gone))


def _with_young(predicted: pd.DataFrame, young_rows: pd.DataFrame, future: pd.DataFrame,
                categories: pd.Series | None, models: Sequence[str],
                quantiles: Sequence[float]) -> tuple[pd.DataFrame, dict]:
    """``predicted`` with the young series' forecasts added (``forecasting.young``) and the
    summary's account of them (``ids`` is for the caller and is popped)."""
    from promocast.forecasting.young import young_forecasts

    keys = young_rows.drop_duplicates("unique_id").set_index("unique_id")
    grid = future.loc[future["unique_id"].isin(keys.index), ["unique_id", "ds"]]
    grid = grid.join(keys[[c for c in ("item_id", "store_id", "category") if c in keys]],
                     on="unique_id")
    peers = predicted if categories is None else predicted.assign(
        category=predicted["unique_id"].map(categories))
    young = young_forecasts(young_rows, grid, peers, models, quantiles)
    if young.empty:
        return predicted, {"series": 0, "ids": []}
    ids = sorted(map(str, young["unique_id"].unique()))
    added = pd.concat([predicted, young[[c for c in predicted.columns if c in young]]],
                      ignore_index=True)
    return added, {"series": len(ids), "examples": ids[:5], "ids": ids,
                   "method": "own mean level x the forecast shape of the same category in "
                             "the same store; quantiles of a negative binomial count from its "
                             "own periods' spread"}


def not_forecast(gone: Sequence[str], short: Sequence[str], horizon: int,
                 stopped: pd.DataFrame | None = None) -> dict | None:
    """The summary's account of the series left out: gone (no recent row), stopped (a tail
    of zero sales no chance explains: ``forecasting.stopped``) and too young (not more than
    twice the horizon of history), each with a count and a few ids."""
    out = {}
    if len(gone):
        out["gone"] = {"series": len(gone), "examples": list(gone[:5])}
    if stopped is not None and len(stopped):
        out["stopped"] = {"series": len(stopped),
                          "examples": [str(u) for u in stopped["unique_id"][:5]],
                          "zero_periods": int(stopped["zero_periods"].min())}
    if len(short):
        out["too_short"] = {"series": len(short), "examples": list(short[:5]),
                            "needs_periods": 2 * horizon + 1}
    return out or None


HI_LO_SHARE = 0.25
"""Share of its last year's periods on promotion from which a series counts as promoted as a
habit (``unplanned_promotions``)."""


def unplanned_promotions(panel_frame: pd.DataFrame, future: pd.DataFrame, freq: str,
                         standing: Collection[str] = ()) -> dict | None:
    """The series a forecast without a plan will under-forecast: promoted in at least
    ``HI_LO_SHARE`` of their observed periods of the last year, none in the horizon's inputs
    (the promotions table's future rows, the scenario), and not a standing discount (those are
    held on promotion already).

    A forecast takes the future's prices and promotions as given: with none planned it is the
    demand at the regular price. That is right for a shop that promotes rarely or plans its
    promotions ahead, but a hi-lo shop that cuts prices a third of the weeks, and has not
    loaded those cuts, reads it as its demand (Dominick's OJ: 43 % of store-brand-weeks on
    deal). Returns the count, the median share of promoted periods and the median ratio of
    units in promoted to other periods (observed periods of the last year), or None."""
    if panel_frame.empty or "ds" not in future:
        return None
    span = {"D": 364}.get(freq, 12 if str(freq).startswith(("M", "Q")) else 52)
    recent = _last_periods(panel_frame, freq, span)
    if "weight" in panel_frame:
        recent &= panel_frame["weight"].to_numpy(dtype=float) > 0
    rows = panel_frame.loc[recent, ["unique_id", "y"]].copy()
    rows["on"] = _promoted(panel_frame.loc[recent])
    if not rows["on"].any():
        return None
    share = rows.groupby("unique_id", sort=False)["on"].mean()
    units = rows.groupby(["unique_id", "on"], sort=False)["y"].mean().unstack()
    ahead = pd.Series(_promoted(future), index=future.index).groupby(
        future["unique_id"].to_numpy()).any()
    pick = share.index[(share >= HI_LO_SHARE).to_numpy()
                       & ~ahead.reindex(share.index, fill_value=False).to_numpy(dtype=bool)
                       & ~share.index.isin(list(standing))]
    if not len(pick):
        return None
    ratio = (units.reindex(pick).get(True) / units.reindex(pick).get(False)).replace(
        [np.inf, -np.inf], np.nan).dropna() if {True, False} <= set(units.columns) else None
    return {"series": int(len(pick)), "promo_share": round(float(share[pick].median()), 3),
            "promoted_vs_other": (round(float(ratio.median()), 2)
                                  if ratio is not None and len(ratio) else None)}


def _promoted(frame: pd.DataFrame, flags: Collection[str] = ("promo", "on_promo")
              ) -> np.ndarray:
    """Rows on promotion: any of the promotion ``flags``, or a price at least 1 % under the
    regular one. Standing discounts pass only the panel's own ``on_promo``: the promotions
    table's flags have dates, and a dated promotion is not a standing one."""
    on = np.zeros(len(frame), dtype=bool)
    for col in flags:
        if col in frame:
            on |= frame[col].to_numpy(dtype=float) > 0
    if "discount_depth" in frame:
        on |= np.nan_to_num(frame["discount_depth"].to_numpy(dtype=float)) >= 0.01
    return on


def future_inputs(panel_frame: pd.DataFrame, freq: str, horizon: int, known: list[str],
                  promotions: pd.DataFrame, items: pd.DataFrame, calendar: pd.DataFrame,
                  scenario: pd.DataFrame | None = None, hold: Collection[str] = (),
                  ) -> pd.DataFrame:
    """Known inputs of the next ``horizon`` periods of every series: the regular (base) price
    unless a promotion of the promotions table or the scenario sets another
    (``features.promo_prices``: the same rule for both, the scenario's row winning where both
    cover an item, store and day), their promotion flags, the calendar; other inputs keep their
    last value. The series in ``hold`` (standing discounts, ``standing_discounts``) stay on
    promotion instead of going back to the regular price: at the price they usually sell at
    (``usual_prices``), from which a promotion's ``discount_pct`` also cuts for them."""
    grid = future_grid(panel_frame, freq, horizon)
    # each series' newest row, without sorting a copy of the whole panel
    last = panel_frame.loc[panel_frame.groupby("unique_id")["ds"].idxmax()].set_index("unique_id")
    carry = [c for c in last.columns if c not in ("ds", "y", "observed", "weight")]
    future = grid.join(last[carry], on="unique_id")
    usual = usual_prices(panel_frame, freq, hold).reindex(future["unique_id"]).to_numpy()
    kept = future["unique_id"].isin(list(hold)).to_numpy() & np.isfinite(usual)
    future["price"] = np.where(kept, usual, future["base_price"])
    future["on_promo"] = kept.astype("int8")
    # the store's promotions, then the scenario's over them (the user's plan wins its cells):
    # one rule prices both (``promo_prices``), so a loaded promotion forecasts as its scenario
    reference = future["price"].to_numpy(dtype=float)
    future["price"], _ = promoted_prices(future, promotions, reference, items)
    planned = None
    if scenario is not None and len(scenario):
        planned = scenario.reset_index(drop=True)
        price, mine = promoted_prices(future, planned, reference, items)
        future["price"] = np.where(mine, price, future["price"])
        future["_planned"] = mine  # a column: the merges below keep it with its row
    history = panel_frame.groupby("unique_id").tail(8)[["unique_id", "ds", "price", "base_price"]]
    both = price_features(pd.concat([history, future[["unique_id", "ds", "price", "base_price"]]]))
    future = future.drop(columns=[c for c in PRICE_INPUTS if c in future]).merge(
        both[["unique_id", "ds", *PRICE_INPUTS]], on=["unique_id", "ds"], how="left")
    future = future.drop(columns=[c for c in future if c.startswith("promo")])
    flags = promo_flags(future, promotions, items)
    if planned is not None:  # on the scenario's cells its flags, not the store's
        own = promo_flags(future, planned.drop(columns="planned_price"), items)
        mine = future["_planned"].to_numpy(dtype=bool)
        for col in [*PROMO_FLAGS, "promo"]:
            flags[col] = np.where(mine, own[col], flags[col]).astype("int8")
        flags = flags.drop(columns="_planned")
    future = flags
    future = category_features(future.drop(columns=[c for c in CATEGORY_INPUTS if c in future]))
    future = calendar_features(future.drop(columns=[c for c in future if c.startswith(
        ("days_to_", "days_from_", "is_"))]), calendar, window=14 if freq == "D" else 21)
    for col in known:
        if col not in future:
            future[col] = 0.0
        future[col] = future[col].astype("float32").fillna(0)
    return future


RECURSIVE_ROWS = 4_000_000
"""Training rows from which ``strategy="auto"`` fits one recursive global model rather than one
direct model per part of the horizon (three for 28 days): the direct models are the more
accurate for near steps, but at this size their training time triples with them."""


def _days_before_end(db: Path, days: int) -> pd.Timestamp:
    """The date ``days`` days before the store's last sales date (inclusive window)."""
    with Store(db, read_only=True) as store:
        last = store.query("SELECT max(date) AS d FROM sales")["d"].iloc[0]
    if pd.isna(last):
        raise UsageError(f"{db} holds no sales: load data with `promocast ingest` first")
    return pd.Timestamp(last) - pd.Timedelta(days=days - 1)


def latest_ensemble(db: Path, freq: str) -> dict | None:
    """The ensemble of the newest kept backtest on ``freq`` (members, weights, spread factors,
    run id), or None when no backtest has built one: a forecast's ensemble is the one the
    backtest scored, not an untested mix."""
    from promocast.services.series import kept_backtests

    for document in kept_backtests(db):
        blend = document.get("models", {}).get("ensemble", {})
        if document.get("freq") == freq and blend.get("weights"):
            return {"run_id": document["run_id"], "members": blend["members"],
                    "weights": blend["weights"], "spread": blend.get("spread", {})}
    return None


def run_forecast(db: Path, *, horizon: int, models: list[str], out: Path | None = None,
                 quantiles: tuple[float, ...] = DEFAULT_QUANTILES, scenario: Path | None = None,
                 country: str = "CN", levels: list[str] | None = None,
                 reconcile: str = "wls_struct", point: str = "median",
                 engine: str = "local", scheduler: str | None = None, workers: int | None = None,
                 history: int | None = None, strategy: str = "auto",
                 progress: Progress | None = None) -> dict:
    """Fit on the history (see ``history``) and forecast; returns a summary with the run id.

    With ``levels`` (e.g. ``["total", "category", "item"]``) every level is forecast and
    reconciled (``reconcile``: bottom_up, wls_struct, ols, mint_shrink) so the item rows add up
    to the upper ones; the file gets a ``level`` column and the store keeps the upper series
    under ids such as ``total``, ``category=juice``, ``store=S1``. ``point="mean"``
    reconciles means instead of medians (see ``forecasting.hierarchy``). ``engine="dask"``
    fits on a Dask cluster (``scheduler`` address, or a LocalCluster of ``workers``).

    ``history``: days of history to learn from (default: all of it up to ``TRAIN_ROWS`` sales
    rows, the most recent dates beyond). ``strategy`` of the global models: ``direct`` (one
    model per part of the horizon), ``recursive`` (one model, its forecasts fed back: a third of
    the training) or ``auto`` (recursive from ``RECURSIVE_ROWS`` training rows on)."""
    if strategy not in ("auto", "direct", "recursive"):
        raise UsageError(f"--strategy must be auto, direct or recursive, got {strategy!r}")
    from promocast.services.job_checks import check_history  # the API's check before its job
    check_history(horizon, history)
    say = progress or (lambda _m: None)
    check_engine(engine, scheduler)
    if levels:
        from promocast.services.hierarchy import parse_level_option

        levels = parse_level_option(levels, reconcile, point)
    since = recent_start(db) if history is None else _days_before_end(db, history)
    panel = load_panel(db, country=country, since=since, progress=progress)
    with Store(db, read_only=True) as store:
        promotions = store.read("promotions")
        items = store.read("items", ["item_id", "category"])
        events = store.query("SELECT date, event, store_id FROM events")
    planned = read_scenario(scenario, used_for="forecast") if scenario else None
    start = panel.frame["ds"].min()
    country = panel.country  # ``auto`` resolved to the stores' country by load_panel
    calendar = build_calendar(start, panel.frame["ds"].max() + pd.Timedelta(days=800), country, events)
    panel.frame, gone = bring_to_end(panel.frame, panel.freq)
    stopped = stopped_selling(panel.frame, stale_periods(panel.freq))
    if len(stopped):  # zero rows for a delisted item: gone too, and said apart (QA5 #6)
        panel.frame = panel.frame[~panel.frame["unique_id"].isin(stopped["unique_id"])]
    if panel.frame.empty:
        raise UsageError(f"no series has a row in its store's last {stale_periods(panel.freq)} "
                         "periods: nothing current to forecast")
    standing = standing_discounts(panel.frame, panel.freq)
    future = future_inputs(panel.frame, panel.freq, horizon, panel.known, promotions, items,
                           calendar, planned, hold=standing)
    unplanned = unplanned_promotions(panel.frame, future, panel.freq, standing)
    outside = (None if planned is None else
               outside_horizon(planned, future["ds"].min(), future["ds"].max(), panel.freq))
    blend = latest_ensemble(db, panel.freq) if "ensemble" in models and not levels else None
    base = list(dict.fromkeys([m for m in models if m != "ensemble"]
                              + (blend["members"] if blend else []))) or ["lgbm"]
    produced = [*base, *(["ensemble"] if blend else [])]
    spec = ForecastSpec(freq=panel.freq, horizon=horizon, models=base,
                        season_length=panel.season_length, quantiles=quantiles,
                        known=panel.known, static=panel.static)
    say(f"fitting {', '.join(base)} on {panel.frame['unique_id'].nunique()} series")
    long_enough = panel.frame.groupby("unique_id")["ds"].transform("size") > 2 * horizon
    train = panel.frame if long_enough.all() else panel.frame[long_enough]  # no needless copy
    short = sorted(map(str, panel.frame.loc[~long_enough.to_numpy(), "unique_id"].unique()))
    if train.empty:
        raise no_long_series(horizon, panel.frame)
    history_start = train["ds"].min()
    if strategy == "auto":
        strategy = "recursive" if len(train) > RECURSIVE_ROWS else "direct"
    spec = replace(spec, strategy=strategy)
    first = ["unique_id", "item_id", "store_id", "ds"]
    extra: dict = {}
    fitted = None
    if levels:
        from promocast.services.hierarchy import forecast_levels

        with open_engine(engine, scheduler, workers) as cluster:
            levelled = forecast_levels(train, future, replace(spec, engine=cluster), levels,
                                       reconcile=reconcile, point=point, progress=progress)
        predicted, long, extra = levelled.frame, levelled.long, levelled.summary
        first = ["level", "unique_id", "item_id", "store_id", "category", "ds"]
    else:
        firsts = train.drop_duplicates("unique_id").set_index("unique_id")
        keys = firsts[["item_id", "store_id"]]
        # the forecast series' categories (the young series' peers), from the same one pass
        categories = firsts.get("category")
        young_rows = panel.frame.loc[~long_enough.to_numpy()] if short else None
        # from here on the models need only what they learn from: the panel's other columns
        # (ids as text, the raw flags) are let go, gigabytes at M5 size
        train = training_frame(train, spec)
        panel.frame = train
        with open_engine(engine, scheduler, workers) as cluster:
            fitted, spec, extra = fit_what_fits(train, spec, local=cluster is None)  # for --refresh
            produced = [m for m in produced if m in spec.models or m == "ensemble"]
            predicted = fit_predict(train, future, replace(spec, engine=cluster), fitted=fitted)
        predicted = predicted.join(keys, on="unique_id")
        if blend:
            predicted = apply_recipe(predicted, blend, quantiles)
        if short:
            predicted, young = _with_young(predicted, young_rows, future, categories, produced,
                                           quantiles)
            extra["young_series"] = young
            short = sorted(set(short) - set(young.get("ids", [])))
            young.pop("ids", None)
        long = pd.concat([
            pd.DataFrame({"unique_id": predicted["unique_id"], "item_id": predicted["item_id"],
                          "store_id": predicted["store_id"], "ds": predicted["ds"], "model": m,
                          "quantile": q, "value": predicted[quantile_column(m, q)]})
            for m in produced for q in quantiles if quantile_column(m, q) in predicted],
            ignore_index=True)
    run_id = uuid.uuid4().hex[:12]
    params = {"quantiles": list(quantiles), "scenario": str(scenario) if scenario else None,
              "country": country, "freq": panel.freq}
    if levels:
        params.update(levels=levels, reconcile=reconcile, point=point)
    if "ensemble" in models:
        extra["ensemble"] = (
            {"backtest": blend["run_id"], "weights": blend["weights"]} if blend else
            {"skipped": "levels are reconciled per model" if levels else
             "no backtest with an ensemble on this frequency yet: run `promocast backtest "
             "--models ...,ensemble` first"})
    summary = {"run_id": run_id, "horizon": horizon,
               "models": produced, "freq": panel.freq,
               "series": int(predicted["unique_id"].nunique()), "rows": len(predicted),
               "data_hash": panel.data_hash, "start": str(predicted["ds"].min().date()),
               "end": str(predicted["ds"].max().date()), "strategy": strategy,
               "history_start": str(history_start.date()),
               "standing_discounts": len(standing), "unplanned_promotions": unplanned,
               "not_forecast": not_forecast(gone, short, horizon, stopped),
               "scenario_outside_horizon": outside,
               "scenario_notes": [] if planned is None else planned.attrs.get("notes", []),
               "medians_under_means": None if levels else medians_under_means(
                   predicted, next((m for m in ("ensemble", "lgbm") if m in produced),
                                   produced[0]), quantiles),
               **extra}
    with Store(db) as store:
        store.save_run(run_id, "forecast", produced, horizon, json.dumps(params), panel.data_hash,
                       json.dumps(summary), long)
    if fitted is not None:
        from promocast.services.refresh import save_state

        save_state(db, run_id, fitted, {"country": country})
    if out is not None:
        frame = predicted[first + [c for c in predicted.columns if c not in first]]
        write_predictions(frame.assign(run_id=run_id), out)
        summary["out"] = str(out)
    return summary
