"""Shop-level aggregates for reports and the dashboard, pushed down to DuckDB."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from promocast.data.storage import Store


def sales_overview(db: Path) -> dict[str, pd.DataFrame]:
    """Frames the overview needs: units and revenue by period and category, promotions by type,
    top items. Aggregated in SQL so a large store is never loaded whole."""
    with Store(db, read_only=True) as store:
        by_category = store.query(
            """SELECT date_trunc('week', s.date)::DATE AS week,
                      coalesce(i.category, 'uncategorised') AS category,
                      sum(s.units) AS units,
                      sum(s.units * coalesce(s.price, s.base_price, i.base_price)) AS revenue,
                      avg(s.on_promo) AS promo_share
               FROM sales s LEFT JOIN items i USING (item_id)
               GROUP BY ALL ORDER BY week, category""")
        promotions = store.query(
            """SELECT promo_type, count(*) AS promotions,
                      avg(date_diff('day', start_date, end_date) + 1) AS avg_days,
                      avg(discount_pct) AS avg_discount_pct
               FROM promotions GROUP BY 1 ORDER BY 2 DESC""")
        top_items = store.query(
            """SELECT s.item_id, any_value(i.name) AS name, any_value(i.category) AS category,
                      sum(s.units) AS units,
                      sum(s.units * coalesce(s.price, s.base_price, i.base_price)) AS revenue,
                      avg(s.on_promo) AS promo_share
               FROM sales s LEFT JOIN items i USING (item_id)
               GROUP BY s.item_id ORDER BY revenue DESC NULLS LAST, units DESC LIMIT 20""")
        # Whole days, not calendar weeks: the last week of the history is usually partial, and
        # comparing it with full weeks would show a fall that is not there.
        recent = store.query(
            """WITH bounds AS (SELECT max(date) AS last FROM sales)
               SELECT CASE WHEN s.date > b.last - INTERVAL 28 DAY THEN 'last_28_days'
                           ELSE 'previous_28_days' END AS period,
                      sum(s.units) AS units,
                      sum(s.units * coalesce(s.price, s.base_price, i.base_price)) AS revenue,
                      min(s.date) AS first_day, max(s.date) AS last_day
               FROM sales s CROSS JOIN bounds b LEFT JOIN items i USING (item_id)
               WHERE s.date > b.last - INTERVAL 56 DAY
               GROUP BY 1 ORDER BY 1""")
    return {"by_category": by_category, "promotions": promotions, "top_items": top_items,
            "recent": recent}
