"""``promocast report``: one self-contained HTML file of what the store holds.

Built from the data and the results already kept (the newest backtest, forecast, effects,
evaluation and plan), so writing it never refits a model; a part with nothing kept says so.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from promocast.reports.html import (
    Section,
    calendar_section,
    data_sections,
    forecast_sections,
    render,
)
from promocast.reports.promotions import (
    advice_section,
    effects_section,
    evaluation_section,
    plan_section,
)
from promocast.reports.words import Words
from promocast.services.calendar import shop_calendar
from promocast.services.info import store_info
from promocast.services.overview import sales_overview
from promocast.services.results import latest_result
from promocast.services.series import item_forecast, item_history, kept_backtests


def _forecast_parts(db: Path, backtest: dict | None, lang: str = "en") -> list[Section]:
    """The backtest leaderboard and the fan chart of the top item's newest forecast."""
    from promocast.services.series import find_series

    w = Words(lang)
    top = find_series(db, limit=1)["series"]
    if not top:
        return []
    item_id = top[0]["item_id"]
    kept = item_forecast(db, item_id)
    if backtest is None or not kept["forecast"]:
        notes = []
        if backtest is None:
            notes.append(w("no_backtest"))
        if not kept["forecast"]:
            notes.append(w("no_forecast"))
        return [Section(w("forecasts"), notes=notes)]
    forecast = pd.DataFrame(kept["forecast"])
    model = kept["run"]["models"].split(",")[0]
    forecast = forecast[forecast["model"] == model]
    store = forecast["store_id"].iloc[0]
    forecast = forecast[forecast["store_id"] == store].assign(
        unique_id=f"{item_id}/{store}", ds=lambda f: pd.to_datetime(f["ds"]))
    forecast = forecast.rename(columns={c: f"{model}-{c}" for c in forecast if c.startswith("q")})
    forecast[model] = forecast[f"{model}-q0.5"]
    history = pd.DataFrame(item_history(db, item_id, store_id=store, days=120)["sales"])
    history = history.rename(columns={"date": "ds", "units": "y"}).assign(
        ds=lambda f: pd.to_datetime(f["ds"]))
    return forecast_sections(backtest, history, forecast, model, tuple(kept["quantiles"]),
                             lang=lang)


def build_report(db: Path, *, country: str = "CN", lang: str = "en") -> str:
    """The whole report as one HTML string (plotly.js inlined), its words in ``lang``
    (en or zh: headings, column labels, mechanism names, fixed sentences)."""
    w = Words(lang)
    info = store_info(db)
    sections = data_sections(info, sales_overview(db), lang=lang)
    if info.get("end"):
        sections.append(calendar_section(shop_calendar(db, country=country), info["end"],
                                         lang=lang))
    backtests = kept_backtests(db, limit=1)
    sections += _forecast_parts(db, backtests[0] if backtests else None, lang)
    builders = {"effects": effects_section, "evaluate": evaluation_section,
                "plan": plan_section, "advice": advice_section}
    missing = []
    for kind, build in builders.items():
        document = latest_result(db, kind)
        if document is None:
            missing.append(kind)
            continue
        section = build(document, lang=lang)
        if not document.get("current", True):
            section.notes.append(w("stale"))
        sections.append(section)
    if info["tables"]["orders"]["rows"]:
        from promocast.reports.customers import segments_section
        from promocast.services.customers import run_segments

        sections.append(segments_section(run_segments(db), lang=lang))
    if missing:
        sections.append(Section(w("not_computed"), notes=[
            w("nothing_kept", kinds=", ".join(missing))]))
    return render(w("title"), w("subtitle", db=info["db"], series=info["series"]), sections,
                  lang=lang)
