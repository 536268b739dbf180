"""Charts of the time series diagnostics: one PNG per series (matplotlib, no display needed)
and the sections of a self-contained HTML page (plotly, through ``reports.html.render``).

Pure: a series' summary dict and its decomposition frame (``forecasting.diagnostics``) in,
figures / HTML out; the caller decides where files go.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from matplotlib.figure import Figure
from plotly.subplots import make_subplots

from promocast.reports.fonts import chart_text, label
from promocast.reports.html import Section, render

INK, ACCENT, BAND = "#1f3a5f", "#e67e22", "#c9d3e3"


def _fmt(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}g}"


def headline(summary: dict) -> str:
    """One line of the key figures, for titles."""
    stl = summary.get("stl") or {}
    return (f"n={summary['n']}  d={_fmt(summary.get('suggested_d'))}  "
            f"D={_fmt(summary.get('suggested_D'))}  F_T={_fmt(stl.get('trend_strength'), 2)}  "
            f"F_S={_fmt(stl.get('seasonal_strength'), 2)}  "
            f"best={summary.get('best_by_aic') or '-'}  LB p={_fmt(summary.get('ljung_box_p'), 2)}")


def write_png(summary: dict, components: pd.DataFrame, path: Path, dpi: int = 80) -> Path:
    """Series with its trend, the seasonal and remainder components, ACF and PACF.

    Fixed margins rather than constrained layout: a third less time per file. Text goes
    through ``reports.fonts``: a CJK id is drawn with a CJK font when the machine has one,
    and written as escapes otherwise (never as empty boxes)."""
    with chart_text():
        fig = _draw(summary, components)
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=dpi)
    return path


def _draw(summary: dict, components: pd.DataFrame) -> Figure:
    fig = Figure(figsize=(10, 9))
    grid = fig.add_gridspec(4, 2, height_ratios=[1.4, 1, 1, 1.2], left=0.1, right=0.98,
                            top=0.95, bottom=0.06, hspace=0.45, wspace=0.15)
    x = components["ds"]
    ax = fig.add_subplot(grid[0, :])
    ax.plot(x, components["y"], color=INK, lw=1, label="y")
    if components["trend"].notna().any():
        ax.plot(x, components["trend"], color=ACCENT, lw=2, label="trend")
    filled = components["observed"] == 0
    if filled.any():
        ax.scatter(x[filled], components.loc[filled, "y"], s=10, color="#c0392b",
                   label="interpolated", zorder=3)
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    ax.set_title(f"{label(str(summary['unique_id']))}   {headline(summary)}", fontsize=10,
                 loc="left")
    for row, col in ((1, "seasonal"), (2, "remainder")):
        part = fig.add_subplot(grid[row, :], sharex=ax)
        part.plot(x, components[col], color=INK, lw=0.8)
        part.axhline(0, color="grey", lw=0.5)
        part.set_ylabel(col, fontsize=8)
        if col == "seasonal" and (summary.get("stl") or {}).get("method") != "STL":
            why = ("fewer than three full seasons" if summary.get("season_length", 1) > 1
                   else "no seasonal period")
            part.text(0.5, 0.5, f"no seasonal component: {why}",
                      transform=part.transAxes, ha="center", va="center", fontsize=9,
                      color="grey")
    for k, (key, bound_key) in enumerate((("acf", "acf_bound"), ("pacf", "pacf_bound"))):
        part = fig.add_subplot(grid[3, k])
        values = np.asarray(summary.get(key) or [], dtype=float)
        if len(values) > 1:
            lags = np.arange(1, len(values))
            bound = summary.get(bound_key)
            bound = (np.asarray(bound, dtype=float)[1:] if isinstance(bound, list)
                     else np.full(len(lags), bound or np.nan))
            part.fill_between(lags, -bound, bound, color=BAND, alpha=0.7, step="mid")
            part.vlines(lags, 0, values[1:], color=INK, lw=1.5)
            part.axhline(0, color="grey", lw=0.5)
        part.set_title(key.upper(), fontsize=9, loc="left")
        part.set_xlabel("lag", fontsize=8)
    return fig


def series_section(summary: dict, components: pd.DataFrame) -> Section:
    """Three charts and the key figures of one series."""
    x = components["ds"]
    level = go.Figure()
    level.add_scatter(x=x, y=components["y"], name="y", mode="lines", line=dict(color=INK))
    if components["trend"].notna().any():
        level.add_scatter(x=x, y=components["trend"], name="trend", mode="lines",
                          line=dict(color=ACCENT, width=3))
    filled = components["observed"] == 0
    if filled.any():
        level.add_scatter(x=x[filled], y=components.loc[filled, "y"], name="interpolated",
                          mode="markers", marker=dict(color="#c0392b", size=6))
    level.update_layout(title=f"{summary['unique_id']}: series and trend")
    parts = make_subplots(rows=2, cols=1, shared_xaxes=True, subplot_titles=("STL seasonal", "STL remainder"))
    parts.add_scatter(x=x, y=components["seasonal"], mode="lines", line=dict(color=INK),
                      showlegend=False, row=1, col=1)
    parts.add_scatter(x=x, y=components["remainder"], mode="lines", line=dict(color=INK),
                      showlegend=False, row=2, col=1)
    correl = make_subplots(rows=1, cols=2,
                           subplot_titles=("ACF (95 % bounds)", "PACF (95 % bounds)"))
    for col, (key, bound_key) in enumerate((("acf", "acf_bound"), ("pacf", "pacf_bound")), 1):
        values = summary.get(key) or []
        if len(values) < 2:
            continue
        lags = list(range(1, len(values)))
        bound = summary.get(bound_key)
        bound = bound[1:] if isinstance(bound, list) else [bound] * len(lags)
        bound = [b if b is not None else np.nan for b in bound]
        correl.add_scatter(x=lags + lags[::-1], y=bound + [-b for b in bound[::-1]], fill="toself",
                           fillcolor="rgba(201,211,227,0.35)", line=dict(width=0),
                           hoverinfo="skip", showlegend=False, row=1, col=col)
        correl.add_bar(x=lags, y=values[1:], marker_color=INK, showlegend=False, row=1, col=col)
    stl = summary.get("stl") or {}
    kpis = {
        "observations": f"{summary['n']} ({summary.get('missing', 0)} interpolated)",
        "ADF p / KPSS p": f"{_fmt((summary.get('adf') or {}).get('p_value'), 2)} / "
                          f"{_fmt((summary.get('kpss') or {}).get('p_value'), 2)}",
        "suggested d / D": f"{_fmt(summary.get('suggested_d'))} / {_fmt(summary.get('suggested_D'))}",
        "F_T / F_S": f"{_fmt(stl.get('trend_strength'), 2)} / {_fmt(stl.get('seasonal_strength'), 2)}",
    }
    for name in ("arima", "ets"):
        fit = summary.get(name) or {}
        if fit.get("label"):
            lb = fit.get("ljung_box") or [{}]
            kpis[fit["label"]] = (f"AIC {_fmt(fit.get('aic'), 5)}, LB p "
                                  f"{_fmt(lb[0].get('p_value'), 2)}")
    return Section(f"Series {summary['unique_id']}", kpis=kpis,
                   figures=[level, parts, correl], notes=list(summary.get("notes") or []))


def render_page(title: str, subtitle: str, table: pd.DataFrame, notes: list[str],
                series: list[tuple[dict, pd.DataFrame]]) -> str:
    """The whole diagnostics page: the overview table, then one section per series."""
    sections = [Section("Overview", tables=[table], notes=notes)]
    sections += [series_section(summary, components) for summary, components in series]
    return render(title, subtitle, sections)
