"""Shop-level aggregates for reports and the dashboard, pushed down to DuckDB."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from promocast.data.storage import Store
from promocast.data.validate import infer_store_frequencies
from promocast.services.periods import shop_period


def sales_overview(db: Path, freq: str | None = None) -> dict[str, pd.DataFrame]:
    """Frames the overview needs: units and revenue by period and category, promotions by type,
    top items, and the recent window against the one before. Aggregated in SQL so a large store
    is never loaded whole.

    ``freq``: the shop's frequency (``store_info``'s ``freq``; read from the sales when None).
    The trend is by week (daily and weekly data) or month; the recent window is 28 days,
    8 weeks or 3 months (``services.periods``), said in ``recent``'s ``periods`` and ``unit``."""
    with Store(db, read_only=True) as store:
        if freq is None:
            found = set(infer_store_frequencies(
                store.query("SELECT DISTINCT store_id, date FROM sales")).values())
            freq = found.pop() if len(found) == 1 else "mixed"
        shop = shop_period(freq)
        by_category = store.query(
            f"""SELECT date_trunc('{shop.trend}', s.date)::DATE AS week,
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
        # Whole periods of the data back from its last date, not calendar weeks: the last week
        # of a daily history is usually partial, and comparing it with full weeks would show a
        # fall that is not there. A weekly shop's 8 weeks are its last 8 dates, a monthly
        # shop's 3 months its last 3.
        span = {"day": "{n} DAY", "week": "{w} DAY", "month": "{n} MONTH"}[shop.unit]
        window = span.format(n=shop.recent, w=7 * shop.recent)
        twice = span.format(n=2 * shop.recent, w=14 * shop.recent)
        recent = store.query(
            f"""WITH bounds AS (SELECT max(date) AS last FROM sales)
               SELECT CASE WHEN s.date > b.last - INTERVAL {window} THEN 'last'
                           ELSE 'previous' END AS period,
                      {shop.recent} AS periods, '{shop.unit}' AS unit,
                      sum(s.units) AS units,
                      sum(s.units * coalesce(s.price, s.base_price, i.base_price)) AS revenue,
                      min(s.date) AS first_day, max(s.date) AS last_day
               FROM sales s CROSS JOIN bounds b LEFT JOIN items i USING (item_id)
               WHERE s.date > b.last - INTERVAL {twice}
               GROUP BY 1 ORDER BY 1""")
    return {"by_category": by_category, "promotions": promotions, "top_items": top_items,
            "recent": recent}
