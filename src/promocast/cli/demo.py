"""``promocast demo``: the synthetic shop end to end."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from promocast.cli.common import out, progress


def demo(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the data, store and report.")] = Path("demo_out"),
    seed: Annotated[int, typer.Option("--seed", help="Random seed of the demo shop.")] = 0,
    items: Annotated[int, typer.Option("--items", help="Number of items.", min=8)] = 200,
    years: Annotated[float, typer.Option("--years", help="Years of daily history.", min=0.5)] = 3.0,
    lang: Annotated[str, typer.Option("--lang", help="Language of the report: en or zh.")] = "en",
) -> None:
    """Generate the demo shop, load it, run every stage and write DIR/report.html.

    Example: promocast demo --out demo_out --seed 7
    """
    from promocast.reports.words import check_language
    from promocast.services.demo import run_demo

    check_language(lang)
    with progress("demo") as update:
        result = run_demo(out_dir, seed=seed, n_items=items, years=years, progress=update,
                          lang=lang)
    info = result.info
    out.print(f"demo shop: {info['series']} series, {info['tables']['sales']['rows']:,} sales rows, "
              f"{info['start']} .. {info['end']} ({info['freq']})", highlight=False)
    for line in result.ingest_lines:
        out.print("  " + line, highlight=False, markup=False)
    for warning in info.get("warnings", []):
        out.print(f"  warning {warning['kind']}: {warning['count']}", highlight=False, markup=False)
    best = result.backtest["best"]
    out.print(f"  backtest ({result.backtest['folds']} folds x {result.backtest['horizon']} days): best {best}, "
              f"WAPE {result.backtest['models'][best]['wape']:.1f} %", highlight=False, markup=False)
    out.print(f"  forecast: {result.forecast['series']} series x {result.forecast['horizon']} days "
              f"-> {result.forecast.get('out')}", highlight=False, markup=False)
    promo = result.promotions
    plan = promo["plan"]
    out.print(f"  promotions: {len(promo['effects']['items'])} items' effects, "
              f"{len(promo['evaluation']['promotions'])} past promotions evaluated, "
              f"plan of {len(plan['promotions'])} promotions over {plan['periods']} weeks "
              f"(expected incremental margin {plan['expected_incremental_margin']:,.0f}), "
              f"{len(promo['advice']['advice'])} pieces of advice", highlight=False, markup=False)
    out.print(f"store: {result.db}\nreport: {result.report}", highlight=False, markup=False)


def register(app: typer.Typer) -> None:
    app.command()(demo)
