"""What the point forecasts add up to: medians of slow, intermittent series under-sum demand.

A forecast's point is the median of each period's distribution (DESIGN §3), the number that
is right most often. For a series selling 0 or 1 a day the median is 0 on most days, so a
planner adding the item forecasts of such a shop gets a fraction of the units it will sell
(QA: an orders-derived shop selling 45 a day had item medians adding up to 15). The means
(from the quantiles) add up; ``medians_under_means`` says when the two part ways.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from promocast.forecasting.reconciliation import mean_from_quantiles

SHARE = 0.8
"""Medians adding up to less than this share of the means are worth a warning."""


def medians_under_means(predicted: pd.DataFrame, model: str, quantiles: Sequence[float],
                        share: float = SHARE) -> dict | None:
    """None when ``model``'s medians add up to at least ``share`` of its means over the whole
    forecast; else ``{"model", "median_total", "mean_total", "share", "series", "message"}``
    (``series``: how many series' medians add up to less than ``share`` of their means)."""
    if model not in predicted or len(quantiles) < 2:
        return None
    median = np.nan_to_num(predicted[model].to_numpy(float))
    mean = np.nan_to_num(mean_from_quantiles(predicted, model, quantiles))
    total_median, total_mean = float(median.sum()), float(mean.sum())
    if total_mean <= 0 or total_median >= share * total_mean:
        return None
    per_series = pd.DataFrame({"id": predicted["unique_id"].to_numpy(), "median": median,
                               "mean": mean}).groupby("id")[["median", "mean"]].sum()
    low = int((per_series["median"] < share * per_series["mean"]).sum())
    ratio = total_median / total_mean
    return {"model": model, "median_total": round(total_median, 2),
            "mean_total": round(total_mean, 2), "share": round(ratio, 3), "series": low,
            "message": (f"{model}'s medians add up to {ratio:.0%} of the expected units "
                        f"({total_median:,.0f} against {total_mean:,.0f}): {low} series sell "
                        "too rarely for their median to add up. For totals (orders, budgets) "
                        "add the means, or forecast the totals with --levels (--point mean)")}
