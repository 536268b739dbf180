"""A promotion whose store_id means every store ('all', '*', empty) covers every store, in
the flags and in the forecast's prices (it matched only a store literally named 'all')."""

from __future__ import annotations

import numpy as np
import pandas as pd

from promocast.features.exogenous import promo_flags
from promocast.features.promo_prices import promoted_prices


def _frame() -> pd.DataFrame:
    days = pd.date_range("2026-03-01", periods=4)
    return pd.DataFrame([{"unique_id": f"A/{s}", "item_id": "A", "store_id": s, "ds": d}
                         for s in ("north", "south") for d in days])


def _promotions(store: object) -> pd.DataFrame:
    return pd.DataFrame([{"promo_id": "P", "promo_type": "percent_off", "item_id": "A",
                          "category": None, "store_id": store, "discount_pct": 20.0,
                          "start_date": pd.Timestamp("2026-03-02"),
                          "end_date": pd.Timestamp("2026-03-03")}])


def test_all_star_and_empty_mean_every_store() -> None:
    frame = _frame()
    expected = frame["ds"].between("2026-03-02", "2026-03-03").to_numpy()
    for store in ("all", "ALL", "*", "", None):
        flags = promo_flags(frame, _promotions(store))
        np.testing.assert_array_equal(flags["promo_percent_off"].to_numpy() > 0, expected)
        price, covered = promoted_prices(frame, _promotions(store), np.full(8, 10.0))
        np.testing.assert_array_equal(covered, expected)
        np.testing.assert_allclose(price, np.where(expected, 8.0, 10.0))
    one = promo_flags(frame, _promotions("south"))["promo_percent_off"].to_numpy() > 0
    np.testing.assert_array_equal(one, expected & (frame["store_id"] == "south").to_numpy())
