"""Stock checks of a what-if: does the stock on hand cover the promoted demand until the
promotion ends, at the median forecast and at a high quantile (from the joint draws)?"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from promocast.promotions.simulate_draws import sample_quantiles
from promocast.promotions.simulate_factors import Factors
from promocast.promotions.simulate_inputs import lookup


def stock_warnings(
    ds: np.ndarray,
    promoted_days: np.ndarray,
    series: pd.DataFrame,
    draws: np.ndarray,
    f: Factors,
    rows_m: np.ndarray,
    extra: dict[str, np.ndarray],
    bsid: np.ndarray,
    stock: pd.DataFrame | None,
    high: float,
) -> list[dict[str, Any]]:
    """Promoted item x stores whose stock on hand runs out before the promotion ends, at the
    median and at the ``high`` quantile of the cumulative demand from the horizon start.
    ``ds`` / ``promoted_days``: per baseline row (rows of a series are in date order)."""
    promoted = np.flatnonzero(series["role"].to_numpy() == "promoted")
    if stock is None or not len(promoted):
        return []
    column = "available_units" if "available_units" in stock else "on_hand"
    on_hand = lookup(series.iloc[promoted], stock, {"on_hand": column})["on_hand"]
    out: list[dict[str, Any]] = []
    if (unknown := int(np.isnan(on_hand).sum())) > 0:
        out.append(
            {
                "kind": "stock_unknown",
                "message": f"no stock on hand for {unknown} "
                "promoted item x store(s); their stock is not checked",
            }
        )
    where_m = np.full(len(bsid), -1, dtype=np.intp)
    where_m[rows_m] = np.arange(len(rows_m))
    for k, s in enumerate(promoted):
        if np.isnan(on_hand[k]):
            continue
        idx = np.flatnonzero(bsid == s)
        idx = idx[: np.flatnonzero(promoted_days[idx] > 0)[-1] + 1]  # through the last promoted row
        units = draws[idx] * f.coef["units"][idx, None]
        hit = where_m[idx]
        if (moving := hit >= 0).any():
            units[moving] += draws[idx[moving]] * extra["units"][hit[moving]]
        cum = np.cumsum(units, axis=0)
        mid, top = sample_quantiles(cum, [0.5, high], axis=1)
        if top[-1] <= on_hand[k]:
            continue
        short = bool(mid[-1] > on_hand[k])
        when = pd.Timestamp(ds[idx][np.argmax((mid if short else top) > on_hand[k])])
        item, store = series["item_id"].iat[s], series["store_id"].iat[s]
        how = (
            f"runs out around {when.date()} at the median forecast"
            if short
            else f"may run out around {when.date()} (at the q{high:g} forecast; enough at the "
            "median)"
        )
        out.append(
            {
                "kind": "stock_median" if short else "stock_high",
                "item_id": item,
                "store_id": store,
                "on_hand": float(on_hand[k]),
                "needed_median": float(mid[-1]),
                f"needed_q{high:g}": float(top[-1]),
                "runs_out": when,
                "message": f"stock of {item} in {store} ({on_hand[k]:.0f} on hand) {how}: the "
                f"promotion needs {mid[-1]:.0f} units (median), {top[-1]:.0f} at q{high:g}, by "
                "its last day",
            }
        )
    return out
