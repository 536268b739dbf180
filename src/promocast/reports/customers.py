"""Report sections for customers: segments with their revenue and promotion responsiveness."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from promocast.reports.html import Section
from promocast.reports.words import Words


def segments_section(segments: dict, lang: str = "en") -> Section:
    """RFM segments: customers and revenue per segment, and how much each buys on promotion."""
    w = Words(lang)
    table = w.values(pd.DataFrame(segments["segments"]))
    fig = go.Figure()
    fig.add_bar(x=table["segment"], y=table["customers"], name=w("customers"),
                marker_color="#1f3a5f")
    fig.add_bar(x=table["segment"], y=table["revenue"], name=w("revenue"), yaxis="y2",
                marker_color="#e67e22")
    fig.update_layout(title=w("segments_chart"), barmode="group",
                      yaxis2=dict(overlaying="y", side="right", showgrid=False))
    kpis = {w("customers"): f"{segments['customers']:,}",
            w("revenue"): f"{segments['revenue']:,.0f}", w("as_of"): str(segments["as_of"])}
    if segments.get("shop_promo_share") is not None:
        kpis[w("purchases_on_promotion")] = f"{100 * segments['shop_promo_share']:.1f} %"
    shown = table[[c for c in ("segment", "customers", "revenue", "revenue_share",
                               "mean_recency_days", "mean_frequency", "mean_monetary",
                               "promo_share") if c in table]]
    return Section(w("segments"), kpis=kpis, figures=[fig], tables=[shown],
                   notes=[w("segments_note")])
