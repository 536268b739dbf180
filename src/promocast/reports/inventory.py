"""Report section for inventory: the reorder list and the stock-out risk."""

from __future__ import annotations

import pandas as pd
import plotly.express as px

from promocast.reports.html import Section
from promocast.reports.words import Words


def reorder_section(levels: dict, limit: int = 25, lang: str = "en") -> Section:
    """What to order now (most urgent first) and which series risk running out."""
    w = Words(lang)
    items = pd.DataFrame(levels["items"])
    reorder = pd.DataFrame(levels["reorder_list"])
    kpis = {w("kpi_service_level"): f"{100 * levels['service_level_target']:.0f} %",
            w("kpi_lead_review"): w("periods", n=f"{levels['lead_time']} / "
                                                 f"{levels['review_period']}"),
            w("kpi_lines_to_order"): f"{len(reorder):,}",
            w("kpi_units_to_order"): f"{reorder['order_qty'].sum():,.0f}" if len(reorder) else "0"}
    figures = []
    if len(items):
        top = items.nlargest(min(limit, len(items)), "stockout_probability_no_order")
        figures.append(px.bar(top.assign(series=top["item_id"] + " · " + top["store_id"]),
                              x="stockout_probability_no_order", y="series", orientation="h",
                              title=w("stockout_chart"), labels=w.labels(top)))
    columns = [c for c in ("urgency_rank", "item_id", "store_id", "on_hand", "safety_stock",
                           "reorder_point", "order_up_to", "order_qty", "days_of_cover",
                           "stockout_probability_no_order") if c in reorder]
    return Section(w("reorder"), kpis=kpis, figures=figures,
                   tables=[reorder[columns].head(limit)] if len(reorder) else [],
                   notes=list(levels.get("notes", [])))
