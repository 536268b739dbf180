"""``promocast backtest`` and ``promocast forecast``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from promocast.cli.common import DbOption, JsonOption, out, progress, resolve_db, write_json
from promocast.exceptions import UsageError

ModelsOption = Annotated[str | None, typer.Option(
    "--models", help="Comma-separated model ids (default: seasonal_naive,autoets,croston,ridge,lgbm,ensemble).")]
CountryOption = Annotated[str, typer.Option(
    "--country", help="Country of the holiday calendar (ISO code; auto: the stores table's country, else CN).")]
EngineOption = Annotated[str, typer.Option("--engine", help="local, or dask: fits through statsforecast / mlforecast on a Dask cluster.")]
SchedulerOption = Annotated[str | None, typer.Option("--scheduler", help="With --engine dask: the scheduler's address (tcp://host:8786); default a local cluster.")]
WorkersOption = Annotated[int | None, typer.Option("--workers", min=1, help="With --engine dask and no --scheduler: worker processes of the local cluster (default 2).")]


def _models(text: str | None) -> list[str]:
    from promocast.services.forecasting import parse_models

    try:
        return parse_models(text)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _quantiles(text: str) -> tuple[float, ...]:
    try:
        values = tuple(sorted({float(v) for v in text.split(",") if v.strip()} | {0.5}))
    except ValueError:
        raise UsageError(f"--quantiles takes numbers between 0 and 1, got {text!r}") from None
    if not all(0 < q < 1 for q in values):
        raise UsageError(f"--quantiles must lie strictly between 0 and 1, got {text!r}")
    return values


def backtest(
    horizon: Annotated[int, typer.Option("--horizon", min=1, help="Periods ahead (H).")],
    gap: Annotated[int, typer.Option("--gap", min=0, help="Skip the first G steps after each origin.")] = 0,
    folds: Annotated[int, typer.Option("--folds", min=1, help="Number of rolling origins (K).")] = 3,
    step: Annotated[int | None, typer.Option("--step", min=1, help="Periods between origins (S, default H).")] = None,
    origins: Annotated[str | None, typer.Option("--origins", help="Explicit origin dates, comma-separated.")] = None,
    models: ModelsOption = None,
    quantiles: Annotated[str, typer.Option("--quantiles", help="Quantiles to forecast.")] = "0.05,0.1,0.25,0.5,0.75,0.9,0.95",
    country: CountryOption = "auto",
    metric: Annotated[str, typer.Option("--metric", help="wape or mape: picks the best model and what the global models train for.")] = "wape",
    db: DbOption = None,
    json_out: JsonOption = None,
    predictions: Annotated[Path | None, typer.Option("--predictions", help="Write every scored point (CSV or Parquet).")] = None,
    levels: Annotated[str | None, typer.Option("--levels", help="Score every level (total,category,store,item): WAPE of base and reconciled forecasts.")] = None,
    reconcile: Annotated[str, typer.Option("--reconcile", help="With --levels: bottom_up, ols, wls_struct or mint_shrink.")] = "wls_struct",
    engine: EngineOption = "local",
    scheduler: SchedulerOption = None,
    workers: WorkersOption = None,
) -> None:
    """Rolling-origin backtest of the model zoo: accuracy per model and the best one.

    Example: promocast backtest --horizon 3 --gap 1 --folds 12 --step 2 --models lgbm,naive --json bt.json
    """
    from promocast.services.forecasting import run_backtest, write_predictions

    if levels is not None:
        _level_backtest(horizon=horizon, gap=gap, folds=folds, step=step, models=models,
                        quantiles=quantiles, country=country, db=db, json_out=json_out,
                        predictions=predictions, levels=levels, reconcile=reconcile)
        return

    with progress("backtest") as update:
        document, frame = run_backtest(
            resolve_db(db), horizon=horizon, gap=gap, folds=folds, step=step,
            origins=[o.strip() for o in origins.split(",")] if origins else None,
            models=_models(models), quantiles=_quantiles(quantiles), country=country,
            metric=metric, engine=engine, scheduler=scheduler, workers=workers,
            progress=update)
    if predictions is not None:
        write_predictions(frame, predictions)
    write_json(json_out, document)
    out.print(f"{document['series']} series, {document['folds']} folds, horizon {horizon}, gap {gap} "
              f"({document['seconds']} s)", highlight=False, markup=False)
    for group in (document.get("series_not_scored") or {}).get("groups", []):
        shown = ", ".join(group["ids"][:5]) + (", ..." if group["count"] > 5 else "")
        out.print(f"{group['count']} series not scored, {group['message']}: {shown}",
                  highlight=False, markup=False)
    out.print(f"{'model':<16}{'MAE':>10}{'WAPE %':>9}{'MAPE %':>9}{'MASE':>7}{'cov80 %':>9}",
              highlight=False, markup=False)
    for name, m in sorted(document["models"].items(), key=lambda kv: kv[1]["wape"] or 1e18):
        def f(v, w=9, d=1):
            return f"{v:>{w}.{d}f}" if v is not None else f"{'-':>{w}}"
        out.print(f"{name:<16}{f(m['mae'], 10, 2)}{f(m['wape'])}{f(m['mape'])}{f(m['mase'], 7, 2)}"
                  f"{f(m['coverage_80'])}", highlight=False, markup=False)
    out.print(f"best: {document['best']}", highlight=False, markup=False)


def _level_backtest(*, horizon: int, gap: int, folds: int, step: int | None, models: str | None,
                    quantiles: str, country: str, db: Path | None, json_out: Path | None,
                    predictions: Path | None, levels: str, reconcile: str) -> None:
    """``backtest --levels``: WAPE per level and model, base against reconciled."""
    from promocast.services.forecasting import write_predictions
    from promocast.services.hierarchy import run_level_backtest

    with progress("backtest by level") as update:
        document, frame = run_level_backtest(
            resolve_db(db), horizon=horizon, gap=gap, folds=folds, step=step, levels=levels,
            models=[m for m in _models(models) if m != "ensemble"], reconcile=reconcile,
            quantiles=_quantiles(quantiles), country=country, progress=update)
    if predictions is not None:
        write_predictions(frame, predictions)
    write_json(json_out, document)
    out.print(f"WAPE % by level, base -> reconciled ({reconcile})", highlight=False, markup=False)
    for level, scores in document["levels"].items():
        cells = []
        for model, pair in scores.items():
            base, rec = pair["base"], pair["reconciled"]
            text = (f"{base:.1f} -> {rec:.1f}" if base is not None and rec is not None else "-")
            cells.append(f"{model} {text}")
        out.print(f"{level:<16}" + "   ".join(cells), highlight=False, markup=False)


def forecast(
    out_file: Annotated[Path, typer.Option("--out", help="Forecast file (CSV or Parquet).")],
    horizon: Annotated[int | None, typer.Option("--horizon", min=1, help="Periods ahead (required unless --refresh).")] = None,
    refresh: Annotated[bool, typer.Option("--refresh", help="Forecast again from the newest data with the models kept by the last forecast, without retraining.")] = False,
    quantiles: Annotated[str, typer.Option("--quantiles", help="Quantiles to forecast.")] = "0.05,0.1,0.25,0.5,0.75,0.9,0.95",
    models: Annotated[str, typer.Option("--models", help="Model ids, comma-separated.")] = "lgbm",
    scenario: Annotated[Path | None, typer.Option("--scenario", help="Planned promotions / prices (promotions columns + price).")] = None,
    country: CountryOption = "auto",
    levels: Annotated[str | None, typer.Option("--levels", help="Coherent forecasts of these levels: total, category, store, item (comma-separated, any order; category and store together add category/store).")] = None,
    reconcile: Annotated[str, typer.Option("--reconcile", help="With --levels: bottom_up, wls_struct, ols or mint_shrink (refits on 2 holdout windows for the error covariance).")] = "wls_struct",
    point: Annotated[str, typer.Option("--point", help="With --levels: reconcile medians (the model column stays the median) or means (estimated from the quantiles: they add up where medians of slow, skewed items fall short; the median is then in <model>-q0.5).")] = "median",
    engine: EngineOption = "local",
    scheduler: SchedulerOption = None,
    workers: WorkersOption = None,
    history: Annotated[int | None, typer.Option("--history", min=1, help="Days of history to learn from (default: all, or the most recent 12 M sales rows of a larger shop, at least 400 days).")] = None,
    strategy: Annotated[str, typer.Option("--strategy", help="Global models: direct (a model per part of the horizon), recursive (one model, forecasts fed back) or auto (recursive above 4 M training rows).")] = "auto",
    db: DbOption = None,
    json_out: JsonOption = None,
) -> None:
    """Quantile forecasts of every series, kept in the store and written to a file.

    With --levels the forecasts of every level add up (hierarchical reconciliation) and the
    file gets a `level` column.

    Example: promocast forecast --horizon 28 --quantiles 0.1,0.5,0.9 --out forecast.csv

    Example: promocast forecast --horizon 14 --levels total,category,store,item --out levels.csv

    Example: promocast forecast --horizon 28 --engine dask --scheduler tcp://10.0.0.5:8786 --out f.csv

    Example: promocast forecast --refresh --out f.csv   (after ingesting new days)
    """
    from promocast.services.forecast import STANDING_PERIODS, run_forecast, stale_periods
    from promocast.services.hierarchy import parse_level_option

    if refresh:
        _refresh(horizon=horizon, out_file=out_file, db=db, json_out=json_out,
                 others=levels is not None or scenario is not None or engine != "local"
                 or history is not None or strategy != "auto")
        return
    if horizon is None:
        raise UsageError("--horizon is required (or --refresh to reuse the kept models)")

    if levels is None and (reconcile != "wls_struct" or point != "median"):
        raise UsageError("--reconcile and --point apply to --levels: add e.g. "
                         "--levels total,category,item")
    level_list = parse_level_option(levels, reconcile, point) if levels is not None else None
    with progress("forecast") as update:
        summary = run_forecast(resolve_db(db), horizon=horizon, models=_models(models),
                               out=out_file, quantiles=_quantiles(quantiles),
                               scenario=scenario, country=country, levels=level_list,
                               reconcile=reconcile, point=point, engine=engine,
                               scheduler=scheduler, workers=workers, history=history,
                               strategy=strategy, progress=update)
    write_json(json_out, summary)
    out.print(f"run {summary['run_id']}: {summary['series']} series x {horizon} periods "
              f"({summary['start']} .. {summary['end']}), models {', '.join(summary['models'])}; "
              f"written to {out_file}", highlight=False, markup=False)
    outside = summary.get("scenario_outside_horizon")
    if outside:
        out.print(f"warning: {outside['message']}", highlight=False, markup=False)
    for note in summary.get("scenario_notes") or []:
        out.print(f"note: {note}", highlight=False, markup=False)
    if summary.get("standing_discounts"):
        span = (f"{7 * STANDING_PERIODS} days" if summary["freq"] == "D"
                else f"{STANDING_PERIODS} periods")
        out.print(f"{summary['standing_discounts']} series were on promotion in each of their "
                  f"last {span}: a "
                  "standing discount, kept at the price they usually sell at in the forecast "
                  "(a --scenario sets another)",
                  highlight=False, markup=False)
    unplanned = summary.get("unplanned_promotions")
    if unplanned:
        lift = unplanned["promoted_vs_other"]
        out.print(f"{unplanned['series']} series were on promotion in "
                  f"{unplanned['promo_share']:.0%} of their periods of the last year (median)"
                  + (f", selling {lift:g} x their other periods," if lift else "")
                  + " and have none planned in the horizon: this forecast is their demand at "
                  "the regular price, without promotions. Load the planned promotions "
                  "(promotions table or --scenario) for the demand to expect",
                  highlight=False, markup=False)
    left_out = summary.get("not_forecast") or {}
    if "gone" in left_out:
        gone = left_out["gone"]
        out.print(f"{gone['series']} series not forecast: no row in their store's last "
                  f"{_periods(stale_periods(summary['freq']), summary['freq'])} (gone? e.g. "
                  f"{', '.join(gone['examples'])})", highlight=False, markup=False)
    if "stopped" in left_out:
        stopped = left_out["stopped"]
        out.print(f"{stopped['series']} series not forecast: no sale in their last "
                  f"{_periods(stopped['zero_periods'], summary['freq'])} or more although they "
                  f"sold regularly before (delisted? e.g. {', '.join(stopped['examples'])})",
                  highlight=False, markup=False)
    if "too_short" in left_out:
        short = left_out["too_short"]
        out.print(f"{short['series']} series not forecast: less than "
                  f"{_periods(short['needs_periods'], summary['freq'])} of history and no "
                  f"peer or observed period to start from (e.g. {', '.join(short['examples'])})",
                  highlight=False, markup=False)
    for key in ("medians_under_means", "models_dropped", "approximate_intervals"):
        if summary.get(key):  # what the history did not carry (services.short_history)
            out.print(f"warning: {summary[key]['message']}", highlight=False, markup=False)
    young = summary.get("young_series") or {}
    if young.get("series"):
        out.print(f"{young['series']} young series (too little history for the models; new? "
                  f"e.g. {', '.join(young['examples'])}) forecast from their own level and "
                  "spread x their category's shape in the same store", highlight=False,
                  markup=False)
    blend = summary.get("ensemble")
    if blend:
        out.print("ensemble: " + (blend["skipped"] if "skipped" in blend else
                                  ", ".join(f"{m} {w:g}" for m, w in blend["weights"].items())
                                  + f" (weights of backtest {blend['backtest']})"),
                  highlight=False, markup=False)
    if level_list:
        counts = ", ".join(f"{n} {level}" for level, n in summary["levels"].items())
        out.print(f"levels ({summary['reconcile']}, reconciled in {summary['reconcile_seconds']} s): "
                  f"{counts}", highlight=False, markup=False)
        if summary["series_left_out"]:
            out.print(f"{summary['series_left_out']} series ended before the last date and are "
                      "left out of the hierarchy", highlight=False, markup=False)


def _refresh(*, horizon: int | None, out_file: Path, db: Path | None, json_out: Path | None,
             others: bool) -> None:
    """``forecast --refresh``: the kept models, the new periods, no retraining."""
    from promocast.services.refresh import run_refresh

    if horizon is not None or others:
        raise UsageError("--refresh reuses the last forecast's models, horizon and settings: "
                         "drop --horizon, --levels, --scenario, --engine, --history and "
                         "--strategy")
    with progress("refresh") as update:
        summary = run_refresh(resolve_db(db), out=out_file, progress=update)
    write_json(json_out, summary)
    out.print(f"run {summary['run_id']} (refresh of {summary['refresh_of']}): "
              f"{_periods(summary['new_periods'], summary['freq'])} appended "
              f"({summary['new_from']} .. {summary['new_to']}, {summary['new_rows']} rows), "
              f"{summary['series']} series x "
              f"{summary['horizon']} periods ({summary['start']} .. {summary['end']}) in "
              f"{summary['seconds']} s; written to {out_file}", highlight=False, markup=False)
    if summary["series_without_models"]:
        out.print(f"{summary['series_without_models']} series have no kept model (new since the "
                  "last full forecast): run `promocast forecast` to include them",
                  highlight=False, markup=False)


def register(app: typer.Typer) -> None:
    app.command()(backtest)
    app.command()(forecast)


def _periods(n: int, freq: str) -> str:
    """``n`` periods in the data's unit: "28 days", "8 weeks", "3 months"."""
    unit = "day" if freq == "D" else "week" if str(freq).startswith("W") else "month"
    return f"{n} {unit}{'s' if n != 1 else ''}"
