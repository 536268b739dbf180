"""Incremental refresh: new days arrive, the kept global models take them as history and
forecast again from the new end, without retraining (``promocast forecast --refresh``).

A forecast run of a global model (``lgbm``, ``ridge``...) on the local engine keeps its fitted
models beside the store (``<store>.models/<run_id>.pkl``: the MLForecast objects with only the
history their features need, and the hold-out residuals of the quantiles). A refresh reads only
the recent periods of the store, appends the new ones to the models' history
(``MLForecast.update``), builds the known inputs of the next horizon and predicts. The models
are retrained by the next full ``forecast``: how often is the shop's choice (weekly is usual).
"""

from __future__ import annotations

import json
import pickle
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from promocast.data.storage import Store
from promocast.exceptions import UsageError
from promocast.features.calendar import build_calendar
from promocast.forecasting.engine import GlobalState, quantile_column
from promocast.services.forecasting import load_panel, write_predictions

Progress = Callable[[str], None]
KEEP_STATES = 3
"""Fitted-model files kept per store (the newest runs'): older ones are removed."""
CONTEXT_PERIODS = 60
"""Periods read before the models' last period: price momentum, gap filling and the promotion
and calendar inputs of the new periods need some past."""


def models_dir(db: Path) -> Path:
    """Folder of the kept fitted models, beside the store file."""
    return db.parent / f"{db.name}.models"


def save_state(db: Path, run_id: str, state: GlobalState, meta: dict) -> Path:
    """Keep ``state`` for ``run_id`` (written to a temporary name, then renamed, so a reader
    never sees half a file); remove all but the newest KEEP_STATES."""
    folder = models_dir(db)
    folder.mkdir(exist_ok=True)
    path = folder / f"{run_id}.pkl"
    partial = path.with_suffix(".partial")
    with partial.open("wb") as handle:
        pickle.dump({"meta": meta, "state": state}, handle, protocol=pickle.HIGHEST_PROTOCOL)
    partial.replace(path)
    kept = sorted(folder.glob("*.pkl"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in kept[KEEP_STATES:]:
        old.unlink(missing_ok=True)
    return path


def latest_state(db: Path) -> tuple[str, dict, GlobalState]:
    """(run_id, meta, state) of the newest forecast run whose fitted models are kept."""
    folder = models_dir(db)
    with Store(db, read_only=True) as store:
        runs = store.query("SELECT run_id FROM forecast_runs WHERE kind = 'forecast' "
                           "ORDER BY created_at DESC")["run_id"].tolist()
    for run_id in runs:
        path = folder / f"{run_id}.pkl"
        if path.is_file():
            with path.open("rb") as handle:
                kept = pickle.load(handle)  # noqa: S301 - our own file beside the store
            return run_id, kept["meta"], kept["state"]
    raise UsageError("no kept forecast models to refresh: run `promocast forecast` with a "
                     "global model (lgbm, ridge, ...) on the local engine first")


def new_periods(frame: pd.DataFrame, last_dates: pd.Series) -> pd.DataFrame:
    """Rows of ``frame`` after each known series' last period (unique_id, ds, y)."""
    end = frame["unique_id"].map(last_dates)
    rows = frame[end.notna() & (frame["ds"] > end)]
    return rows[["unique_id", "ds", "y"]].sort_values(["unique_id", "ds"], ignore_index=True)


def run_refresh(db: Path, *, out: Path | None = None, country: str | None = None,
                progress: Progress | None = None) -> dict:
    """Forecast again from the newest data with the kept models (see the module's docstring).

    Returns the summary of the new forecast run (``refresh_of``: the run whose models were
    used; ``new_periods``: the new dates, ``new_rows``: the (series, date) rows appended)."""
    from promocast.services.forecast import future_inputs, standing_discounts

    say = progress or (lambda _m: None)
    started = time.perf_counter()
    previous, meta, state = latest_state(db)
    spec = state.spec
    country = country or meta["country"]
    last = state.last_dates
    offset = pd.tseries.frequencies.to_offset(spec.freq)
    say(f"reading the periods after {last.min().date()}")
    panel = load_panel(db, country=country, since=last.min() - CONTEXT_PERIODS * offset)
    if panel.freq != spec.freq:
        raise UsageError(f"the store's frequency is now {panel.freq}, the kept models' "
                         f"{spec.freq}: run a full `promocast forecast`")
    new = new_periods(panel.frame, last)
    if new.empty:
        raise UsageError(f"no new periods since {last.max().date()}: nothing to refresh")
    say(f"appending {new['ds'].nunique()} new periods ({len(new)} rows) of "
        f"{new['unique_id'].nunique()} series")
    state.update(new)
    frame = panel.frame[panel.frame["unique_id"].isin(last.index)]
    ids = sorted(set(frame["unique_id"].unique()))
    with Store(db, read_only=True) as store:
        promotions = store.read("promotions")
        items = store.read("items", ["item_id", "category"])
        events = store.query("SELECT date, event, store_id FROM events")
    calendar = build_calendar(frame["ds"].min(), frame["ds"].max() + pd.Timedelta(days=800),
                              panel.country, events)
    # the inputs against the category shelf count every item on it, modelled or not (as in training)
    future = future_inputs(panel.frame, spec.freq, spec.horizon, spec.known, promotions, items,
                           calendar, hold=standing_discounts(panel.frame, spec.freq))
    future = future[future["unique_id"].isin(last.index)]
    say(f"forecasting {len(ids)} series from the kept models")
    predicted = state.forecast(future, ids=ids)
    keys = frame.drop_duplicates("unique_id").set_index("unique_id")[["item_id", "store_id"]]
    predicted = predicted.join(keys, on="unique_id")
    models = spec.ml_models
    long = pd.concat([
        pd.DataFrame({"unique_id": predicted["unique_id"], "item_id": predicted["item_id"],
                      "store_id": predicted["store_id"], "ds": predicted["ds"], "model": m,
                      "quantile": q, "value": predicted[quantile_column(m, q)]})
        for m in models for q in spec.quantiles], ignore_index=True)
    run_id = uuid.uuid4().hex[:12]
    left_out = sorted(set(panel.frame["unique_id"].unique()) - set(last.index))
    summary = {"run_id": run_id, "refresh_of": previous, "horizon": spec.horizon,
               "models": models, "freq": spec.freq, "series": len(ids), "rows": len(predicted),
               "new_periods": int(new["ds"].nunique()), "new_rows": len(new),
               "new_from": str(new["ds"].min().date()), "new_to": str(new["ds"].max().date()),
               "data_hash": panel.data_hash,
               "start": str(predicted["ds"].min().date()),
               "end": str(predicted["ds"].max().date()),
               "series_without_models": len(left_out),
               "seconds": round(time.perf_counter() - started, 1)}
    params = {**meta, "refresh_of": previous}
    with Store(db) as store:
        store.save_run(run_id, "forecast", models, spec.horizon, json.dumps(params),
                       panel.data_hash, json.dumps(summary), long)
    save_state(db, run_id, state, meta)
    if out is not None:
        first = ["unique_id", "item_id", "store_id", "ds"]
        frame_out = predicted[first + [c for c in predicted.columns if c not in first]]
        write_predictions(frame_out.assign(run_id=run_id), out)
        summary["out"] = str(out)
    return summary
