"""``promocast backtest`` and ``promocast forecast``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from promocast.cli.common import DbOption, JsonOption, out, progress, resolve_db, write_json
from promocast.exceptions import UsageError

ModelsOption = Annotated[str | None, typer.Option(
    "--models", help="Comma-separated model ids (default: seasonal_naive,autoets,croston,ridge,lgbm,ensemble).")]
CountryOption = Annotated[str, typer.Option("--country", help="Country of the holiday calendar.")]


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
    country: CountryOption = "CN",
    metric: Annotated[str, typer.Option("--metric", help="wape or mape: picks the best model and what the global models train for.")] = "wape",
    db: DbOption = None,
    json_out: JsonOption = None,
    predictions: Annotated[Path | None, typer.Option("--predictions", help="Write every scored point (CSV or Parquet).")] = None,
) -> None:
    """Rolling-origin backtest of the model zoo: accuracy per model and the best one.

    Example: promocast backtest --horizon 3 --gap 1 --folds 12 --step 2 --models lgbm,naive --json bt.json
    """
    from promocast.services.forecasting import run_backtest, write_predictions

    with progress("backtest") as update:
        document, frame = run_backtest(
            resolve_db(db), horizon=horizon, gap=gap, folds=folds, step=step,
            origins=[o.strip() for o in origins.split(",")] if origins else None,
            models=_models(models), quantiles=_quantiles(quantiles), country=country,
            metric=metric, progress=update)
    if predictions is not None:
        write_predictions(frame, predictions)
    write_json(json_out, document)
    out.print(f"{document['series']} series, {document['folds']} folds, horizon {horizon}, gap {gap} "
              f"({document['seconds']} s)", highlight=False, markup=False)
    out.print(f"{'model':<16}{'MAE':>10}{'WAPE %':>9}{'MAPE %':>9}{'MASE':>7}{'cov80 %':>9}",
              highlight=False, markup=False)
    for name, m in sorted(document["models"].items(), key=lambda kv: kv[1]["wape"] or 1e18):
        def f(v, w=9, d=1):
            return f"{v:>{w}.{d}f}" if v is not None else f"{'-':>{w}}"
        out.print(f"{name:<16}{f(m['mae'], 10, 2)}{f(m['wape'])}{f(m['mape'])}{f(m['mase'], 7, 2)}"
                  f"{f(m['coverage_80'])}", highlight=False, markup=False)
    out.print(f"best: {document['best']}", highlight=False, markup=False)


def forecast(
    horizon: Annotated[int, typer.Option("--horizon", min=1, help="Periods ahead.")],
    out_file: Annotated[Path, typer.Option("--out", help="Forecast file (CSV or Parquet).")],
    quantiles: Annotated[str, typer.Option("--quantiles", help="Quantiles to forecast.")] = "0.05,0.1,0.25,0.5,0.75,0.9,0.95",
    models: Annotated[str, typer.Option("--models", help="Model ids, comma-separated.")] = "lgbm",
    scenario: Annotated[Path | None, typer.Option("--scenario", help="Planned promotions / prices (promotions columns + price).")] = None,
    country: CountryOption = "CN",
    db: DbOption = None,
    json_out: JsonOption = None,
) -> None:
    """Quantile forecasts of every series, kept in the store and written to a file.

    Example: promocast forecast --horizon 28 --quantiles 0.1,0.5,0.9 --out forecast.csv
    """
    from promocast.services.forecast import run_forecast

    with progress("forecast") as update:
        summary = run_forecast(resolve_db(db), horizon=horizon, models=_models(models),
                               out=out_file, quantiles=_quantiles(quantiles),
                               scenario=scenario, country=country, progress=update)
    write_json(json_out, summary)
    out.print(f"run {summary['run_id']}: {summary['series']} series x {horizon} periods "
              f"({summary['start']} .. {summary['end']}), models {', '.join(summary['models'])}; "
              f"written to {out_file}", highlight=False, markup=False)


def register(app: typer.Typer) -> None:
    app.command()(backtest)
    app.command()(forecast)
