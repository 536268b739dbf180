"""The diagnose use case: pick series from the store, run the time series diagnostics, write
the plots (one PNG per series, one HTML page) and return the JSON document."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from promocast.exceptions import UnknownSeries, UsageError
from promocast.forecasting.diagnostics import diagnose_panel, plain
from promocast.services.forecasting import load_panel

Progress = Callable[[str], None]

NOTES = [
    "Missing periods (gaps, stock-outs) are linearly interpolated for the tests and fits; "
    "'missing' counts them.",
    "ADF H0: unit root; KPSS H0: level-stationary (its p-value is clipped to 0.01..0.10). "
    "suggested_d repeats KPSS on the differenced series (forecast::ndiffs); suggested_D = 1 "
    "when the STL seasonal strength F_S > 0.64.",
    "AIC of ARIMA and ETS use the full Gaussian likelihood; an ARIMA with differencing scores "
    "fewer observations, so best_by_aic is indicative when aic_comparable is false.",
    "ljung_box_p: Ljung-Box p-value at lag 10 on the residuals of the best fit (high = no "
    "autocorrelation left).",
]


def select_series(frame: pd.DataFrame, *, item: str | None = None, store: str | None = None,
                  series: list[str] | None = None, limit: int | None = 20) -> tuple[list[str], int]:
    """Series ids to diagnose, largest volume first, and how many matched before ``limit``."""
    chosen = frame
    if series:
        unknown = sorted(set(series) - set(frame["unique_id"]))
        if unknown:
            raise UnknownSeries(f"series {', '.join(unknown)} not in the store; "
                                f"known ones include {_examples(frame['unique_id'])}")
        chosen = frame[frame["unique_id"].isin(series)]
    if item is not None:
        chosen = chosen[chosen["item_id"].astype(str) == str(item)]
        if chosen.empty:
            raise UnknownSeries(f"item {item!r} is not in the store; known items include "
                                f"{_examples(frame['item_id'])}")
    if store is not None:
        matched = chosen[chosen["store_id"].astype(str) == str(store)]
        if matched.empty:
            where = f" for item {item!r}" if item is not None else ""
            raise UnknownSeries(f"store {store!r} has no series{where}; stores there include "
                                f"{_examples(chosen['store_id'])}")
        chosen = matched
    observed = chosen[chosen["observed"] == 1] if "observed" in chosen else chosen
    volume = observed.groupby("unique_id")["y"].sum().reindex(chosen["unique_id"].unique())
    ranked = volume.fillna(0).sort_values(ascending=False, kind="stable").index.tolist()
    return (ranked[:limit] if limit else ranked), len(ranked)


def _examples(values: pd.Series, shown: int = 5) -> str:
    names = sorted(values.astype(str).unique(), key=lambda v: (len(v), v))
    more = f" ... ({len(names)} in all)" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


def summary_rows(document: dict) -> list[dict]:
    """One row per series: the figures the CLI table and the HTML overview show."""
    rows = []
    for s in document["series"]:
        stl = s.get("stl") or {}
        best = s.get(s["best_by_aic"]) if s.get("best_by_aic") else None
        rows.append({"series": s["unique_id"], "n": s["n"],
                     "ADF p": (s.get("adf") or {}).get("p_value"),
                     "KPSS p": (s.get("kpss") or {}).get("p_value"),
                     "d": s.get("suggested_d"), "D": s.get("suggested_D"),
                     "F_T": stl.get("trend_strength"), "F_S": stl.get("seasonal_strength"),
                     "best (AIC)": best["label"] if best else None,
                     "AIC": best["aic"] if best else None, "LB p": s.get("ljung_box_p")})
    return rows


def run_diagnose(db: Path, *, item: str | None = None, store: str | None = None,
                 series: list[str] | None = None, limit: int | None = 20,
                 out_dir: Path | None = None, country: str = "CN", log: bool = False,
                 progress: Progress | None = None) -> dict:
    """Diagnose the chosen series (default: the ``limit`` largest by units); write plots to
    ``out_dir`` when given. Returns ``{"freq", "season_length", "series": [...], ...}``."""
    if limit is not None and limit < 1:
        raise UsageError(f"--top must be at least 1, got {limit}")
    say = progress or (lambda _m: None)
    started = time.perf_counter()
    panel = load_panel(db, country=country, progress=progress)
    ids, matched = select_series(panel.frame, item=item, store=store, series=series, limit=limit)
    frame = panel.frame[panel.frame["unique_id"].isin(ids)]
    frame = frame.set_index("unique_id").loc[ids].reset_index()  # volume order
    results = diagnose_panel(frame, freq=panel.freq, season_length=panel.season_length,
                             log=log, progress=say)
    document = {"db": str(db), "freq": panel.freq, "season_length": panel.season_length,
                "transform": "log1p" if log else "none", "series_matched": matched,
                "series_count": len(results), "series": [r.to_dict() for r in results],
                "notes": NOTES}
    if out_dir is not None:
        document["files"] = write_plots(document, results, out_dir, progress=say)
    document["seconds"] = round(time.perf_counter() - started, 2)
    return plain(document)


def write_plots(document: dict, results: list, out_dir: Path,
                progress: Progress | None = None) -> dict:
    """One PNG per series and ``diagnose.html`` in ``out_dir``; returns the paths written.

    A PNG is named after its series id, kept readable in any script and made distinct and
    safe by ``reports.filenames`` ("商品3/北京店" -> "商品3_北京店.png")."""
    from promocast.reports.diagnostics import render_page, write_png
    from promocast.reports.filenames import file_stems, path_in

    say = progress or (lambda _m: None)
    out_dir.mkdir(parents=True, exist_ok=True)
    stems = file_stems(result.unique_id for result in results)
    pngs = []
    for k, (summary, result) in enumerate(zip(document["series"], results, strict=True), 1):
        say(f"drawing {result.unique_id} ({k}/{len(results)})")
        path = path_in(out_dir, stems[result.unique_id], ".png")
        pngs.append(str(write_png(summary, result.components, path)))
    say("writing the HTML page")
    table = pd.DataFrame(summary_rows(document))
    html = render_page("promocast diagnose", f"{document['series_count']} series, frequency "
                       f"{document['freq']}, season {document['season_length']}", table,
                       document["notes"], [(s, r.components)
                                           for s, r in zip(document["series"], results, strict=True)])
    page = out_dir / "diagnose.html"
    page.write_text(html, encoding="utf-8")
    return {"png": pngs, "html": str(page)}
