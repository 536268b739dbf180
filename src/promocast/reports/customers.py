"""Report sections for customers: segments with their revenue and promotion responsiveness."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from promocast.reports.html import Section


def segments_section(segments: dict) -> Section:
    """RFM segments: customers and revenue per segment, and how much each buys on promotion."""
    table = pd.DataFrame(segments["segments"])
    fig = go.Figure()
    fig.add_bar(x=table["segment"], y=table["customers"], name="customers",
                marker_color="#1f3a5f")
    fig.add_bar(x=table["segment"], y=table["revenue"], name="revenue", yaxis="y2",
                marker_color="#e67e22")
    fig.update_layout(title="RFM segments: customers and revenue", barmode="group",
                      yaxis2=dict(overlaying="y", side="right", showgrid=False))
    kpis = {"customers": f"{segments['customers']:,}", "revenue": f"{segments['revenue']:,.0f}",
            "as of": str(segments["as_of"])}
    if segments.get("shop_promo_share") is not None:
        kpis["purchases on promotion"] = f"{100 * segments['shop_promo_share']:.1f} %"
    shown = table[[c for c in ("segment", "customers", "revenue", "revenue_share",
                               "mean_recency_days", "mean_frequency", "mean_monetary",
                               "promo_share") if c in table]]
    return Section("Customer segments (RFM)", kpis=kpis, figures=[fig], tables=[shown],
                   notes=["Recency, frequency and monetary value scored 1-5 against the shop's "
                          "own customers; promo_share: share of a segment's purchases made on "
                          "promotion."])
