"""The demo: generate the synthetic shop, load it, run every stage that exists, write a report."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from promocast.forecasting.engine import DEFAULT_QUANTILES
from promocast.reports.customers import segments_section
from promocast.reports.html import calendar_section, data_sections, forecast_sections, render
from promocast.reports.inventory import reorder_section
from promocast.reports.promotions import (
    advice_section,
    effects_section,
    evaluation_section,
    plan_section,
)
from promocast.reports.words import Words
from promocast.services.calendar import shop_calendar
from promocast.services.customers import run_segments
from promocast.services.forecast import run_forecast
from promocast.services.forecasting import run_backtest
from promocast.services.info import store_info
from promocast.services.ingest import ingest
from promocast.services.inventory import run_inventory
from promocast.services.overview import sales_overview
from promocast.services.tables import write_csv
from promocast.testing.demo_shop import generate

Progress = Callable[[str], None]


@dataclass
class DemoResult:
    out_dir: Path
    db: Path
    report: Path
    info: dict
    ingest_lines: list[str]
    backtest: dict
    forecast: dict
    promotions: dict


PLAN_WEEKS = 8
DEMO_RULES = {"max_per_category_period": 4, "min_gap_periods": 1,
              # set for every mechanism: one left out would take the median cost of the
              # shop's past promotions of its kind
              "fixed_cost": {"feature_display": 150.0, "flash_sale": 300.0, "percent_off": 0.0,
                             "threshold": 0.0, "gift": 0.0},
              "grid": {"percent_off": [10, 20, 30], "flash_sale": [40], "threshold": [10],
                       "gift": [15], "feature_display": [0]}}
"""The demo's plan rules (written beside the report as an example of a rules file)."""


def write_example_scenario(db: Path, path: Path, items: int = 3) -> Path:
    """A what-if file for ``promo simulate``: 20 % off the best sellers of the last 4 weeks for a
    week, starting 3 days after the history (the promotions table's columns, DESIGN §3)."""
    from promocast.data.storage import Store

    with Store(db, read_only=True) as store:
        end = pd.Timestamp(store.query("SELECT max(date) AS d FROM sales")["d"].iloc[0])
        top = store.query(
            "SELECT item_id FROM sales WHERE date > ? GROUP BY item_id "
            "ORDER BY sum(units) DESC, item_id LIMIT ?",
            [(end - pd.Timedelta(days=28)).date(), items])["item_id"].tolist()
    start, stop = end + pd.Timedelta(days=3), end + pd.Timedelta(days=9)
    pd.DataFrame({"promo_id": [f"WHATIF{k + 1}" for k in range(len(top))],
                  "promo_type": "percent_off", "item_id": top,
                  "start_date": start.date().isoformat(), "end_date": stop.date().isoformat(),
                  "discount_pct": 20}).pipe(write_csv, path)
    return path


def demo_promotions(db: Path, out_dir: Path, truth: dict, say: Progress) -> dict:
    """Effects, the evaluation of past promotions, the next weeks' plan (budget: 2 % of the last
    8 weeks' revenue) and advice, on one read of the store."""
    from promocast.data.storage import Store
    from promocast.services.promotions import run_advice, run_effects, run_evaluate, run_plan
    from promocast.services.shop import read_shop

    shop = read_shop(db, progress=say)
    with Store(db, read_only=True) as store:
        revenue = store.query(
            "SELECT sum(units * coalesce(price, base_price)) AS r FROM sales "
            "WHERE date > (SELECT max(date) FROM sales) - INTERVAL 56 DAY")["r"].iloc[0]
    write_example_scenario(db, out_dir / "scenario_example.csv")
    rules = out_dir / "plan_rules.json"
    rules.write_text(json.dumps(DEMO_RULES, indent=2), encoding="utf-8")
    budget = round(0.02 * float(revenue or 0.0), -1)
    return {
        "effects": run_effects(db, shop=shop, progress=say),
        "evaluation": run_evaluate(db, shop=shop, out=out_dir / "promotions_evaluated.csv",
                                   progress=say),
        "plan": run_plan(db, horizon=PLAN_WEEKS, budget=budget, rules_path=rules, shop=shop,
                         progress=say),
        "advice": run_advice(db, shop=shop, progress=say),
    }


def run_demo(out_dir: Path, *, seed: int = 0, n_items: int = 200, years: float = 3.0,
             progress: Progress | None = None, lang: str = "en") -> DemoResult:
    """Generate the demo shop into ``out_dir/data``, load it into ``out_dir/promocast.duckdb``
    (fresh each run) and write ``out_dir/report.html`` (its words in ``lang``: en or zh)."""
    say = progress or (lambda _msg: None)
    out_dir.mkdir(parents=True, exist_ok=True)
    data_dir = out_dir / "data"
    say(f"generating the demo shop (seed {seed})")
    shop = generate(data_dir, seed=seed, n_items=n_items, years=years)
    db = out_dir / "promocast.duckdb"
    for stale in (db, db.with_name(db.name + ".wal")):
        stale.unlink(missing_ok=True)
    files = [shop.files[t] for t in ("stores", "items", "promotions", "events", "sales",
                                     "inventory", "orders") if t in shop.files]
    ingest_lines = ingest(files, db, progress=say).lines()
    say("checking data quality")
    info = store_info(db)
    backtest, _ = run_backtest(db, horizon=14, gap=0, folds=2, step=14,
                               models=["seasonal_naive", "croston", "ridge", "lgbm", "ensemble"],
                               progress=say)
    forecast_file = out_dir / "forecast.csv"
    summary = run_forecast(db, horizon=28, models=["lgbm"], out=forecast_file, progress=say)
    promotions = demo_promotions(db, out_dir, shop.ground_truth, say)
    say("writing the report")
    sections = data_sections(info, sales_overview(db), lang=lang)
    sections.append(calendar_section(shop_calendar(db, country="CN"), info["end"], lang=lang))
    forecast = pd.read_csv(forecast_file, parse_dates=["ds"])
    top = forecast.groupby("unique_id")["lgbm"].sum().idxmax()
    item_id, store_id = top.split("/", 1)
    history = pd.read_csv(shop.files["sales"], parse_dates=["date"])
    history = history[(history["item_id"] == item_id) & (history["store_id"] == store_id)]
    history = history.rename(columns={"date": "ds", "units": "y"}).tail(120)
    sections += forecast_sections(backtest, history, forecast[forecast["unique_id"] == top],
                                  "lgbm", tuple(summary.get("quantiles", DEFAULT_QUANTILES)),
                                  lang=lang)
    sections += [effects_section(promotions["effects"], shop.ground_truth, lang=lang),
                 evaluation_section(promotions["evaluation"], lang=lang),
                 plan_section(promotions["plan"], lang=lang),
                 advice_section(promotions["advice"], lang=lang)]
    say("stock levels and the reorder list")
    sections.append(reorder_section(run_inventory(db, service_level=0.95, lead_time=3,
                                                  review_period=7, progress=say), lang=lang))
    say("segmenting customers")
    sections.append(segments_section(run_segments(db), lang=lang))
    report = out_dir / "report.html"
    w = Words(lang)
    report.write_text(render(w("demo_title"), w("demo_subtitle", seed=seed,
                                                series=info["series"]),
                             sections, lang=lang), encoding="utf-8")
    return DemoResult(out_dir, db, report, info, ingest_lines, backtest, summary, promotions)
