"""The explain use case: why the LightGBM forecast of one item is what it is, day by day.

The global model is fitted on every series (as ``promocast forecast`` fits it, with the same
known future inputs: regular prices, planned promotions of the store or a scenario file, the
calendar) and only the chosen item's series are explained. When the item sells in several
stores and no store is given, the stores' unit contributions are summed (units are additive;
log-space contributions are given only for a single series).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from promocast.data.storage import Store
from promocast.exceptions import UnknownSeries, UsageError
from promocast.explain.drivers import DRIVERS, Explanation, explain_forecast, top_features
from promocast.features.calendar import build_calendar
from promocast.forecasting.engine import ForecastSpec
from promocast.reports.html import Section, render
from promocast.services.forecast import future_inputs, standing_discounts
from promocast.services.forecasting import load_panel
from promocast.services.scenarios import read_scenario

Progress = Callable[[str], None]

DEFAULT_HORIZON = {"D": 14, "W": 4}
"""Default horizon by frequency (weekly aliases such as ``W-THU`` count as ``W``); 3 otherwise."""

DRIVER_LABELS = {"level_trend": "level & trend", "seasonality": "seasonality", "events": "events",
                 "price": "price", "promotion": "promotion", "other": "other"}
DRIVER_COLOURS = {"level_trend": "#4c78a8", "seasonality": "#72b7b2", "events": "#eeca3b",
                  "price": "#e45756", "promotion": "#54a24b", "other": "#9d755d"}


BASE_NOTE = ("drivers are relative to the model's average day (base: the mean over every "
             "series' training days, promoted and discounted days included): a regular-price "
             "day without a promotion shows a negative price / promotion contribution when "
             "promoted days raise that average (the price driver also weighs this item's price "
             "against the other items'); it does not mean a price change or a promotion on "
             "that day")
"""Why a regular-price, un-promoted day has non-zero price and promotion drivers (QA5 #19)."""


def default_horizon(freq: str) -> int:
    return DEFAULT_HORIZON.get(freq[:1], 3)


def _series_of(frame: pd.DataFrame, item: str, store: str | None) -> tuple[list[str], str]:
    """The unique_ids to explain and the store label; UnknownSeries names what is wrong."""
    keys = frame[["unique_id", "item_id", "store_id"]].drop_duplicates("unique_id")
    keys = keys.assign(item_id=keys["item_id"].astype(str), store_id=keys["store_id"].astype(str))
    mine = keys[keys["item_id"] == str(item)]
    if mine.empty:
        known = sorted(keys["item_id"].unique())
        raise UnknownSeries(f"item {item!r} is not in the store; items include "
                            f"{', '.join(known[:8])}{' ...' if len(known) > 8 else ''} "
                            f"({len(known)} items)")
    if store is not None:
        chosen = mine[mine["store_id"] == str(store)]
        if chosen.empty:
            raise UnknownSeries(f"item {item!r} is not sold in store {store!r}; its stores: "
                                f"{', '.join(sorted(mine['store_id']))}")
        return chosen["unique_id"].tolist(), str(store)
    stores = sorted(mine["store_id"].unique())
    return mine["unique_id"].tolist(), stores[0] if len(stores) == 1 else "all"


def run_explain(db: Path, *, item: str, store: str | None = None, horizon: int | None = None,
                scenario: Path | None = None, country: str = "CN", out_dir: Path | None = None,
                lgbm_params: dict | None = None, num_threads: int = 1,
                progress: Progress | None = None) -> dict:
    """SHAP drivers of the LightGBM forecast of ``item`` (in ``store``, or summed over its
    stores) per forecast day; writes ``out_dir/explain_<item>[_<store>].html`` when asked.

    Returns {"item_id", "store_id", "series", "freq", "horizon", "notes" (``BASE_NOTE``),
    "days": [{"ds", "forecast", "base", "drivers": {driver: units}, "log": {...} (single series
    only)}], "top_features", "html"}; on every day ``base + sum(drivers) == forecast`` (units).

    One LightGBM thread by default: a single fit of this size gains little from two, and with
    another process on the 2 cores two OpenMP threads spin-wait (measured on the 48-series demo
    shop under load: 5 s with 1 thread, 191 s with 2). The trees, hence the forecasts, can
    differ in the last digits from a ``forecast`` run with another thread count."""
    say = progress or (lambda _m: None)
    panel = load_panel(db, country=country, progress=progress)
    ids, store_label = _series_of(panel.frame, item, store)
    horizon = horizon or default_horizon(panel.freq)
    if horizon < 1:
        raise UsageError(f"--horizon must be at least 1, got {horizon}")
    with Store(db, read_only=True) as shop:
        promotions = shop.read("promotions")
        items = shop.read("items", ["item_id", "category"])
        events = shop.query("SELECT date, event, store_id FROM events")
    planned = read_scenario(scenario, used_for="forecast") if scenario else None
    calendar = build_calendar(panel.frame["ds"].min(),
                              panel.frame["ds"].max() + pd.Timedelta(days=800), panel.country,
                              events)
    future = future_inputs(panel.frame, panel.freq, horizon, panel.known, promotions, items,
                           calendar, planned, hold=standing_discounts(panel.frame, panel.freq))
    train = panel.frame[panel.frame.groupby("unique_id")["ds"].transform("size") > 2 * horizon]
    short = sorted(set(ids) - set(train["unique_id"]))
    if short:
        raise UsageError(f"series {', '.join(short)} have no more than {2 * horizon} periods of "
                         f"history: too short to forecast {horizon} ahead; use a shorter --horizon")
    spec = ForecastSpec(freq=panel.freq, horizon=horizon, models=["lgbm"],
                        season_length=panel.season_length, known=panel.known,
                        static=panel.static, lgbm_params=lgbm_params, num_threads=num_threads)
    say(f"fitting lgbm on {train['unique_id'].nunique()} series and explaining {len(ids)}")
    explanation = explain_forecast(train, future, spec, ids=ids)
    document = _document(explanation, item, store_label, ids, panel.freq, horizon)
    if out_dir is not None:
        say("writing the report")
        out_dir.mkdir(parents=True, exist_ok=True)
        suffix = "" if store_label == "all" and len(ids) > 1 else f"_{store_label}"
        path = out_dir / f"explain_{_safe(str(item))}{_safe(suffix)}.html"
        path.write_text(explain_html(document), encoding="utf-8")
        document["html"] = str(path)
    return document


def _safe(text: str) -> str:
    return re.sub(r"[^\w.-]+", "_", text)


def _document(explanation: Explanation, item: str, store: str, ids: list[str], freq: str,
              horizon: int) -> dict:
    days = explanation.days.groupby("ds")[["base", "forecast"]].sum()
    drivers = explanation.drivers.pivot_table(index="ds", columns="driver", values="contribution",
                                              aggfunc="sum").reindex(columns=list(DRIVERS))
    single = len(ids) == 1
    if single:
        log_days = explanation.days.set_index("ds")
        log_drivers = explanation.drivers.pivot_table(
            index="ds", columns="driver", values="contribution_log").reindex(columns=list(DRIVERS))
    rows = []
    for ds in days.index:
        row = {"ds": str(pd.Timestamp(ds).date()), "forecast": _num(days.at[ds, "forecast"]),
               "base": _num(days.at[ds, "base"]),
               "drivers": {d: _num(drivers.at[ds, d]) for d in DRIVERS}}
        if single:
            row["log"] = {"forecast": _num(log_days.at[ds, "forecast_log"]),
                          "base": _num(log_days.at[ds, "base_log"]),
                          "drivers": {d: _num(log_drivers.at[ds, d]) for d in DRIVERS}}
        rows.append(row)
    top = top_features(explanation.features, n=10)
    return {
        "item_id": str(item), "store_id": store, "series": ids, "freq": freq, "horizon": horizon,
        "model": "lgbm", "units": "base + sum(drivers) = forecast (units per period)",
        "notes": [BASE_NOTE], "days": rows,
        "top_features": [{"feature": r.feature, "driver": r.driver, "units": _num(r.units),
                          "abs_units": _num(r.abs_units), "mean_log": _num(r.mean_log),
                          "mean_value": _num(r.mean_value)} for r in top.itertuples()],
    }


def _num(value: float) -> float:
    value = float(value)
    return value if np.isfinite(value) else 0.0


def explain_html(document: dict) -> str:
    """Stacked bars of the base and the drivers per day with the forecast as a line."""
    dates = [d["ds"] for d in document["days"]]
    fig = go.Figure()
    fig.add_bar(x=dates, y=[d["base"] for d in document["days"]], name="base (model average)",
                marker_color="#bab0ac")
    for driver in DRIVERS:
        values = [d["drivers"][driver] for d in document["days"]]
        if any(abs(v) > 1e-9 for v in values):
            fig.add_bar(x=dates, y=values, name=DRIVER_LABELS[driver],
                        marker_color=DRIVER_COLOURS[driver])
    fig.add_scatter(x=dates, y=[d["forecast"] for d in document["days"]], name="forecast",
                    mode="lines+markers", line=dict(color="#1f3a5f", width=3))
    fig.update_layout(barmode="relative", title="What the forecast is made of (units)",
                      yaxis_title="units", legend_orientation="h")
    table = pd.DataFrame([{"date": d["ds"], "forecast": d["forecast"], "base": d["base"],
                           **{DRIVER_LABELS[k]: v for k, v in d["drivers"].items()}}
                          for d in document["days"]])
    features = pd.DataFrame(document["top_features"]).rename(columns={
        "units": "units over the horizon", "abs_units": "|units| over the horizon",
        "mean_log": "mean log1p contribution", "mean_value": "mean value"})
    total = sum(d["forecast"] for d in document["days"])
    sections = [
        Section("Forecast drivers", kpis={
            "forecast over the horizon (units)": f"{total:,.1f}",
            "days": str(len(dates)),
            "largest driver": DRIVER_LABELS[max(DRIVERS, key=lambda k: sum(
                abs(d["drivers"][k]) for d in document["days"]))],
        }, figures=[fig], tables=[table], notes=[
            "SHAP values (exact TreeSHAP) of the LightGBM forecast, grouped into drivers. The "
            "model works on log1p(units); each day's change from the base is shared among the "
            "features in proportion to their log contributions, so base + drivers = forecast. "
            "Negative drivers stack below zero.", BASE_NOTE[:1].upper() + BASE_NOTE[1:] + "."]),
        Section("Features that move the forecast most", tables=[features], notes=[
            "Values of lags and rolling means are in log1p(units), the scale the model sees."]),
    ]
    where = document["store_id"]
    return render(f"Forecast drivers: {document['item_id']}",
                  f"store {where} · {document['horizon']} periods ({document['freq']})", sections)
