"""Series that stop before their store's end: late ones are carried on to it (unobserved),
gone ones are left out and named."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from promocast.forecasting.panel import future_grid
from promocast.services.forecast import bring_to_end, not_forecast


def _panel(freq: str, lengths: dict[str, int], periods: int) -> pd.DataFrame:
    dates = pd.date_range("2024-01-01", periods=periods, freq=freq)
    frames = []
    for k, (uid, n) in enumerate(lengths.items()):
        frames.append(pd.DataFrame({
            "unique_id": uid, "item_id": uid, "store_id": "s1", "ds": dates[:n],
            "y": np.arange(n, dtype=float) + k, "price": 9.5 + k, "observed": np.int8(1),
            "weight": np.float32(1.0)}))
    return pd.concat(frames, ignore_index=True)


@pytest.mark.parametrize(("freq", "late", "gone"), [("D", 5, 29), ("W-MON", 2, 9), ("MS", 1, 4)])
def test_late_series_reach_the_end_and_gone_ones_are_named(freq: str, late: int, gone: int
                                                           ) -> None:
    panel = _panel(freq, {"full": 60, "late": 60 - late, "gone": 60 - gone}, 60)
    end = panel["ds"].max()
    out, left = bring_to_end(panel, freq)
    assert left == ["gone"]
    assert set(out["unique_id"]) == {"full", "late"}
    late_rows = out[out["unique_id"] == "late"]
    assert late_rows["ds"].max() == end and len(late_rows) == 60
    added = late_rows.tail(late)
    assert (added["observed"] == 0).all() and (added["weight"] == 0).all()
    assert (added["price"] == 10.5).all()  # the known inputs carried on
    assert (added["y"] == 60 - late - 1 + 1).all()  # the last target, a placeholder
    assert out["observed"].dtype == np.int8 and out["weight"].dtype == np.float32
    # every series' forecast now starts after the data
    assert (future_grid(out, freq, 3).groupby("unique_id")["ds"].min() > end).all()
    # the full series is untouched
    pd.testing.assert_frame_equal(out[out["unique_id"] == "full"].reset_index(drop=True),
                                  panel[panel["unique_id"] == "full"].reset_index(drop=True))


def test_a_panel_without_late_series_is_returned_as_it_is() -> None:
    panel = _panel("D", {"a": 30, "b": 30}, 30)
    out, left = bring_to_end(panel, "D")
    assert out is panel and left == []


def test_stores_end_on_their_own_dates() -> None:
    """A store whose data end a few days earlier (its export lags) is not 'gone' against
    another store's end: its series end on its own last date."""
    a = _panel("D", {"a1": 60}, 60)
    b = _panel("D", {"b1": 50, "b2": 45}, 60).assign(
        unique_id=lambda f: f["unique_id"].str.upper(), store_id="s2")
    out, left = bring_to_end(pd.concat([a, b], ignore_index=True), "D")
    assert left == [] and len(out) == 160
    assert out.groupby("unique_id")["ds"].max().to_dict() == {
        "a1": pd.Timestamp("2024-02-29"), "B1": pd.Timestamp("2024-02-19"),
        "B2": pd.Timestamp("2024-02-19")}


def test_a_closed_store_is_gone() -> None:
    """A store whose rows stop 29 days before the shop's end has closed."""
    a = _panel("D", {"a1": 60}, 60)
    b = _panel("D", {"b1": 31}, 60).assign(unique_id="b1", store_id="s2")
    out, left = bring_to_end(pd.concat([a, b], ignore_index=True), "D")
    assert left == ["b1"] and set(out["unique_id"]) == {"a1"}


def test_not_forecast_counts_and_names() -> None:
    assert not_forecast([], [], 14) is None
    got = not_forecast([f"g{k}" for k in range(7)], ["n1"], 14)
    assert got == {"gone": {"series": 7, "examples": ["g0", "g1", "g2", "g3", "g4"]},
                   "too_short": {"series": 1, "examples": ["n1"], "needs_periods": 29}}
