"""Category-relative inputs: each item's price and promotion against its category's shelf."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from promocast.features.exogenous import CATEGORY_INPUTS, category_features


def _shelf() -> pd.DataFrame:
    """Two stores x one day: three juices and a lone snack in store A, two juices in store B."""
    return pd.DataFrame({
        "unique_id": ["j1/A", "j2/A", "j3/A", "s1/A", "j1/B", "j2/B"],
        "ds": pd.Timestamp("2026-06-18"),
        "category": ["juice", "juice", "juice", "snack", "juice", "juice"],
        "store_id": ["A", "A", "A", "A", "B", "B"],
        "price": [2.0, 4.0, 6.0, 3.0, 5.0, 5.0],
        "discount_depth": [0.5, 0.0, 0.1, 0.0, 0.0, 0.0],
        "promo": [1, 0, 1, 0, 0, 0],
    })


def test_each_item_is_compared_with_its_category_in_its_store_that_day() -> None:
    out = category_features(_shelf())
    # store A's juices cost 2, 4, 6 (mean 4); the snack is alone; store B's two juices tie
    np.testing.assert_allclose(out["cat_rel_price"], [0.5, 1.0, 1.5, 1.0, 1.0, 1.0], rtol=1e-6)
    np.testing.assert_allclose(out["cat_price_rank"], [0.0, 0.5, 1.0, 0.5, 0.5, 0.5])
    np.testing.assert_allclose(out["cat_promo_share"], [2 / 3, 2 / 3, 2 / 3, 0, 0, 0], rtol=1e-6)
    np.testing.assert_allclose(out["cat_rel_discount"], [0.3, -0.2, -0.1, 0, 0, 0], atol=1e-6)
    assert all(out[c].dtype == np.float32 for c in CATEGORY_INPUTS)


def test_input_is_left_alone_and_missing_prices_are_neutral() -> None:
    shelf = _shelf()
    shelf.loc[1, "price"] = np.nan
    before = shelf.copy()
    out = category_features(shelf)
    pd.testing.assert_frame_equal(shelf, before)
    assert out.loc[1, "cat_rel_price"] == pytest.approx(1.0)
    # the two priced juices of store A: 2 and 6, mean 4
    assert out.loc[0, "cat_rel_price"] == pytest.approx(0.5)
    assert out.loc[2, "cat_price_rank"] == pytest.approx(1.0)


def test_a_frame_without_categories_treats_each_store_as_one_shelf() -> None:
    out = category_features(_shelf().drop(columns="category"))
    # store A: 2, 4, 6, 3 (mean 3.75)
    assert out.loc[3, "cat_rel_price"] == pytest.approx(3 / 3.75)
