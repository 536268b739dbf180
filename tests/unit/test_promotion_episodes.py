"""Past promotions told from sales rows when there is no promotions table."""

from __future__ import annotations

import numpy as np
import pandas as pd

from promocast.promotions.episodes import promotions_from_sales


def _series(uid: str, store: str, flags: list[int], prices: list[float], freq: str = "D",
            base: float = 10.0) -> pd.DataFrame:
    n = len(flags)
    return pd.DataFrame({"unique_id": f"{uid}/{store}", "item_id": uid, "store_id": store,
                         "ds": pd.date_range("2024-03-04", periods=n, freq=freq),
                         "on_promo": flags, "price": prices, "base_price": base})


def test_runs_of_flagged_days_become_promotions() -> None:
    a = _series("A", "s1", [0, 1, 1, 1, 0, 0, 1, 0], [10, 8, 8, 7, 10, 10, 10, 10])
    b = _series("B", "s1", [1, 1, 0, 0, 0, 0, 0, 0], [9, 9, 10, 10, 10, 10, 10, 10])
    got, notes = promotions_from_sales(pd.concat([b, a], ignore_index=True), "D")
    assert got["promo_id"].tolist() == ["A@240305", "A@240310", "B@240304"]
    assert got["promo_type"].tolist() == ["percent_off", "feature_display", "percent_off"]
    assert got["start_date"].dt.strftime("%m-%d").tolist() == ["03-05", "03-10", "03-04"]
    assert got["end_date"].dt.strftime("%m-%d").tolist() == ["03-07", "03-10", "03-05"]
    np.testing.assert_allclose(got["discount_pct"], [20.0, np.nan, 10.0])
    assert "3 promotions told from the sales rows' on_promo flags" in notes[0]
    assert "2 with a price cut as percent_off" in notes[0] and "1 without one" in notes[0]


def test_without_flags_price_cuts_of_5_percent_count_and_long_ones_do_not() -> None:
    short = _series("C", "s1", [0] * 10, [10, 9.6, 9, 9, 10, 10, 10, 10, 10, 10])
    held = _series("D", "s1", [0] * 70, [10] * 5 + [8] * 65)
    frame = pd.concat([short, held], ignore_index=True).drop(columns="on_promo")
    got, notes = promotions_from_sales(frame, "D")
    assert got["promo_id"].tolist() == ["C@240306"]  # 9.6 is a 4 % move: noise
    assert got["discount_pct"].tolist() == [10.0]
    assert "prices at least 5% under the regular price" in notes[0]
    assert notes[1].startswith("1 runs longer than 56 days left out")


def test_weekly_promotions_run_to_the_end_of_their_week_and_name_the_store() -> None:
    a = _series("A", "s1", [0, 1, 1, 0], [10, 7, 7, 10], freq="W-MON")
    b = _series("A", "s2", [0, 0, 0, 0], [10, 10, 10, 10], freq="W-MON")
    got, _ = promotions_from_sales(pd.concat([a, b], ignore_index=True), "W-MON")
    assert got[["promo_id", "store_id"]].values.tolist() == [["A/s1@240311", "s1"]]
    assert (got["start_date"].iloc[0], got["end_date"].iloc[0]) == (
        pd.Timestamp("2024-03-11"), pd.Timestamp("2024-03-24"))


def test_no_promoted_row_gives_no_promotion() -> None:
    got, notes = promotions_from_sales(_series("A", "s1", [0] * 5, [10] * 5), "D")
    assert got.empty and notes == []
