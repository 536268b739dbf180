"""Report section for inventory: the reorder list and the stock-out risk."""

from __future__ import annotations

import pandas as pd
import plotly.express as px

from promocast.reports.html import Section


def reorder_section(levels: dict, limit: int = 25) -> Section:
    """What to order now (most urgent first) and which series risk running out."""
    items = pd.DataFrame(levels["items"])
    reorder = pd.DataFrame(levels["reorder_list"])
    kpis = {"service level target": f"{100 * levels['service_level_target']:.0f} %",
            "lead time / review": f"{levels['lead_time']} / {levels['review_period']} periods",
            "lines to order": f"{len(reorder):,}",
            "units to order": f"{reorder['order_qty'].sum():,.0f}" if len(reorder) else "0"}
    figures = []
    if len(items):
        top = items.nlargest(min(limit, len(items)), "stockout_probability_no_order")
        figures.append(px.bar(top.assign(series=top["item_id"] + " · " + top["store_id"]),
                              x="stockout_probability_no_order", y="series", orientation="h",
                              title="Stock-out risk within the horizon without an order"))
    columns = [c for c in ("urgency_rank", "item_id", "store_id", "on_hand", "safety_stock",
                           "reorder_point", "order_up_to", "order_qty", "days_of_cover",
                           "stockout_probability_no_order") if c in reorder]
    return Section("Inventory: reorder list", kpis=kpis, figures=figures,
                   tables=[reorder[columns].head(limit)] if len(reorder) else [],
                   notes=list(levels.get("notes", [])))
