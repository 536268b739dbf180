"""Building a self-contained HTML report from sections of charts, tables and key figures.

Pure: frames and dicts in, one HTML string out. plotly.js is inlined once so the file opens
without a network (the machines here reach no CDN, nor do many shop offices).
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from promocast.reports.words import HTML_LANG, Words
from promocast.services.periods import shop_period

STYLE = """
body{font-family:-apple-system,'Segoe UI','PingFang SC','Microsoft YaHei',sans-serif;margin:0;
background:#f6f7fb;color:#1f2430}
header{background:#1f3a5f;color:#fff;padding:18px 32px}header h1{margin:0;font-size:22px}
header p{margin:4px 0 0;opacity:.8;font-size:13px}
main{max-width:1200px;margin:0 auto;padding:16px 24px}
section{background:#fff;border-radius:10px;box-shadow:0 1px 3px rgba(0,0,0,.08);
padding:16px 20px;margin:16px 0}
h2{font-size:17px;margin:0 0 10px}
.kpis{display:flex;flex-wrap:wrap;gap:12px}
.kpi{flex:1 1 150px;background:#f0f4fa;border-radius:8px;padding:10px 14px}
.kpi b{display:block;font-size:22px;color:#1f3a5f}.kpi span{font-size:12px;color:#5b6475}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{padding:5px 8px;border-bottom:1px solid #e6e8ef;text-align:right}
th:first-child,td:first-child{text-align:left}th{background:#f0f4fa}
.note{font-size:12px;color:#5b6475}
"""


@dataclass
class Section:
    """One block of the report: a title, optional key figures, charts, tables and notes."""

    title: str
    kpis: dict[str, str] = field(default_factory=dict)
    figures: list[go.Figure] = field(default_factory=list)
    tables: list[pd.DataFrame] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def table_html(frame: pd.DataFrame, max_rows: int = 30) -> str:
    shown = frame.head(max_rows).copy()
    for col in shown.select_dtypes("float").columns:
        shown[col] = shown[col].map(lambda v: "" if pd.isna(v) else f"{v:,.2f}")
    return shown.to_html(index=False, border=0, escape=True, na_rep="")


def render(title: str, subtitle: str, sections: list[Section], lang: str = "en") -> str:
    """The whole report as one HTML document, its fixed words in ``lang`` (en or zh)."""
    w = Words(lang)
    parts = [
        f"<!DOCTYPE html><html lang='{HTML_LANG[lang]}'><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title><style>{STYLE}</style>",
        f"<script type='text/javascript'>{get_plotlyjs()}</script></head><body>",
        f"<header><h1>{html.escape(title)}</h1><p>{html.escape(subtitle)} · "
        f"{html.escape(w('generated'))} {datetime.now():%Y-%m-%d %H:%M}</p></header><main>",
    ]
    for section in sections:
        parts.append(f"<section><h2>{html.escape(section.title)}</h2>")
        if section.kpis:
            parts.append("<div class='kpis'>" + "".join(
                f"<div class='kpi'><b>{html.escape(v)}</b><span>{html.escape(k)}</span></div>"
                for k, v in section.kpis.items()) + "</div>")
        for fig in section.figures:
            fig.update_layout(template="plotly_white", margin=dict(l=40, r=20, t=40, b=40),
                              height=380)
            parts.append(fig.to_html(full_html=False, include_plotlyjs=False))
        for frame in section.tables:
            parts.append(table_html(w.table(frame)))
        for note in section.notes:
            parts.append(f"<p class='note'>{html.escape(note)}</p>")
        parts.append("</section>")
    parts.append("</main></body></html>")
    return "\n".join(parts)


def data_sections(info: dict, overview: dict[str, pd.DataFrame],
                  lang: str = "en") -> list[Section]:
    """The data part of any report: what was loaded, how sales move, data quality."""
    w = Words(lang)
    tables = info["tables"]
    by_cat = overview["by_category"]
    coverage = info.get("promotion_coverage", {})
    kpis = {
        w("kpi_series"): f"{info['series']:,}",
        w("kpi_sales_rows"): f"{tables['sales']['rows']:,}",
        w("kpi_period"): f"{info['start']} .. {info['end']} ({info['freq']})",
        w("kpi_units"): f"{by_cat['units'].sum():,.0f}",
        w("kpi_revenue"): f"{by_cat['revenue'].sum():,.0f}",
        w("kpi_rows_on_promotion"): f"{100 * coverage.get('share_on_promo', 0):.1f} %",
    }
    loaded = Section(w("data_loaded"), kpis=kpis, tables=[pd.DataFrame(
        [{"table": t, "rows": v["rows"]} for t, v in tables.items()])])
    # the trend is by week, or by month for a monthly shop (``services.overview``), and the
    # share on promotion counts the shop's own periods: Stallion's report said "weekly units"
    # and "item-days" of monthly data
    shop = shop_period(info.get("freq"))
    unit, trend_by = shop.unit, shop.trend
    by_cat = by_cat.rename(columns={"week": trend_by})
    trend = px.area(by_cat, x=trend_by, y="units", color="category",
                    title=w(f"{trend_by}ly_units"), labels=w.labels(by_cat))
    share = px.line(by_cat.groupby(trend_by, as_index=False)["promo_share"].mean(), x=trend_by,
                    y="promo_share", title=w("promo_share_chart" + ("" if unit == "day"
                                                                     else f"_{unit}")),
                    labels=w.labels(by_cat))
    sales = Section(w("sales"), figures=[trend, share], tables=[overview["top_items"]],
                    notes=[w("top_items")])
    promo = w.values(overview["promotions"])
    promo_section = Section(w("promotions"), figures=[px.bar(
        promo, x="promo_type", y="promotions", title=w("promotions_by_mechanism"),
        labels=w.labels(promo))] if len(promo) else [], tables=[promo] if len(promo) else [],
        notes=[] if len(promo) else [w("no_promotions")])
    warnings = pd.DataFrame([{"warning": x["kind"], "count": x["count"]}
                             for x in info.get("warnings", [])])
    classes = info.get("demand_classes", {})
    quality_figs = [px.pie(names=[w.named("class", c) for c in classes],
                           values=list(classes.values()),
                           title=w("demand_classes"))] if classes else []
    quality = Section(w("data_quality"), figures=quality_figs,
                      tables=[warnings] if len(warnings) else [],
                      notes=[w("data_quality_note")])
    return [loaded, sales, promo_section, quality]


def calendar_section(calendar: pd.DataFrame, last_sale: str | None,
                     lang: str = "en") -> Section:
    """Festivals and holidays on a timeline, the coming ones listed."""
    w = Words(lang)
    shown = w.values(calendar[calendar["kind"] != "workday"])
    fig = px.scatter(shown, x="date", y="kind", color="kind", hover_name="event",
                     title=w("calendar_chart"), labels=w.labels(shown))
    fig.update_traces(marker=dict(size=11, symbol="diamond"))
    coming = shown[shown["date"] > pd.Timestamp(last_sale)] if last_sale else shown.iloc[0:0]
    table = coming.assign(date=coming["date"].dt.strftime("%Y-%m-%d"))[["date", "event", "kind"]]
    return Section(w("calendar"), figures=[fig], tables=[table.head(15)] if len(table) else [],
                   notes=[w("calendar_note")])


def forecast_sections(backtest: dict, history: pd.DataFrame, forecast: pd.DataFrame,
                      model: str, quantiles: tuple[float, ...],
                      lang: str = "en") -> list[Section]:
    """Model quality (the backtest leaderboard) and a forecast fan chart of the top series."""
    w = Words(lang)
    board = pd.DataFrame([{"model": name, **{k: v for k, v in scores.items() if k not in ("members", "weights", "spread")}}
                          for name, scores in backtest["models"].items()]).sort_values("wape")
    quality = Section(
        w("model_quality"),
        kpis={w("kpi_best_model"): str(backtest["best"]), w("kpi_folds"): str(backtest["folds"]),
              w("kpi_horizon"): w("periods", n=backtest["horizon"]),
              w("kpi_series"): f"{backtest['series']:,}"},
        figures=[px.bar(board, x="model", y="wape", title=w("wape_chart"),
                        labels=w.labels(board))],
        tables=[board], notes=[w("model_quality_note")])
    fig = go.Figure()
    fig.add_scatter(x=history["ds"], y=history["y"], name=w("actual_units"), mode="lines",
                    line=dict(color="#1f3a5f"))
    pairs = [(q, 1 - q) for q in sorted(quantiles) if q < 0.5]
    for lo, hi in pairs:
        lo_col, hi_col = f"{model}-q{lo:g}", f"{model}-q{hi:g}"
        fig.add_scatter(x=forecast["ds"], y=forecast[hi_col], mode="lines", line=dict(width=0),
                        showlegend=False, hoverinfo="skip")
        fig.add_scatter(x=forecast["ds"], y=forecast[lo_col], mode="lines", line=dict(width=0),
                        fill="tonexty", fillcolor="rgba(230,126,34,0.18)",
                        name=w("interval", pct=round(100 * (hi - lo))))
    fig.add_scatter(x=forecast["ds"], y=forecast[model], name=w("median", model=model),
                    mode="lines",
                    line=dict(color="#e67e22", width=3))
    uid = forecast["unique_id"].iloc[0]
    fig.update_layout(title=w("forecast_chart", uid=uid))
    return [quality, Section(w("forecast"), figures=[fig])]
