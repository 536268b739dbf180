"""The vectorised promotion flags equal the plain row-by-row join they replace (kept below as
the reference), on daily and weekly panels with item, store and category promotions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from promocast.features.exogenous import PROMO_FLAGS, _covered_days, price_features, promo_flags


def _reference_flags(frame: pd.DataFrame, promotions: pd.DataFrame,
                     items: pd.DataFrame) -> pd.DataFrame:
    """The former implementation: every panel row joined to every covered promotion day."""
    out = frame.copy()
    for flag in PROMO_FLAGS:
        out[flag] = np.int8(0)
    promos = promotions.copy()
    by_cat = promos[promos["item_id"].isna() & promos["category"].notna()].merge(
        items[["item_id", "category"]], on="category", suffixes=("_drop", ""))
    by_cat = by_cat.drop(columns=[c for c in by_cat.columns if c.endswith("_drop")])
    promos = pd.concat([promos[promos["item_id"].notna()], by_cat], ignore_index=True)
    promos = promos[promos["item_id"].notna()]
    days = _covered_days(promos)
    keys = out[["item_id", "store_id", "ds"]].reset_index()
    everywhere = days[days["store_id"].isna()].drop(columns="store_id")
    local = days[days["store_id"].notna()]
    hits = pd.concat([keys.merge(everywhere, on=["item_id", "ds"]),
                      keys.merge(local, on=["item_id", "store_id", "ds"])], ignore_index=True)
    for kind, rows in hits.groupby("promo_type"):
        out.loc[rows["index"].unique(), f"promo_{kind}"] = 1
    any_flag = np.maximum(out[PROMO_FLAGS].max(axis=1), out["on_promo"].fillna(0))
    out["promo"] = any_flag.astype("int8")
    return out


def _panel(freq: str) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(3)
    dates = pd.date_range("2024-01-01", periods=40, freq=freq)
    items = pd.DataFrame({"item_id": ["A", "B", "C", "D-1", "D"],
                          "category": ["x", "x", "y", "y", None]})
    rows = [(i, s, d) for i in items["item_id"] for s in ("s1", "s2") for d in dates]
    frame = pd.DataFrame(rows, columns=["item_id", "store_id", "ds"])
    frame = frame.iloc[rng.permutation(len(frame))[: len(frame) - 20]]  # gaps, shuffled
    frame["unique_id"] = frame["item_id"] + "/" + frame["store_id"]
    frame["on_promo"] = rng.integers(0, 2, len(frame)).astype(float)
    frame.loc[frame.index[:5], "on_promo"] = np.nan
    day = pd.Timestamp("2024-01-01")
    promotions = pd.DataFrame([
        ("P1", "percent_off", day + pd.Timedelta(days=3), day + pd.Timedelta(days=20), "A", None, None),
        ("P2", "gift", day + pd.Timedelta(days=10), day + pd.Timedelta(days=12), "A", None, "s2"),
        ("P3", "threshold", day + pd.Timedelta(days=5), day + pd.Timedelta(days=90), None, "y", None),
        ("P4", "flash_sale", day - pd.Timedelta(days=9), day + pd.Timedelta(days=1), "D", None, "s1"),
        ("P5", "bundle", day + pd.Timedelta(days=400), day + pd.Timedelta(days=401), "B", None, None),
        ("P6", "feature_display", day + pd.Timedelta(days=8), day + pd.Timedelta(days=8), "D-1", None,
         "s1"),
    ], columns=["promo_id", "promo_type", "start_date", "end_date", "item_id", "category",
                "store_id"])
    return frame, promotions, items


@pytest.mark.parametrize(("freq", "with_ids"), [("D", True), ("W-MON", True), ("D", False)])
def test_promo_flags_equal_the_row_join(freq: str, with_ids: bool) -> None:
    frame, promotions, items = _panel(freq)
    if not with_ids:
        frame = frame.drop(columns="unique_id")
    got = promo_flags(frame, promotions, items)
    want = _reference_flags(frame, promotions, items)
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
    assert got[PROMO_FLAGS].to_numpy().sum() > 0
    assert "promo" not in frame and "promo_gift" not in frame


def test_promo_flags_without_promotions_use_on_promo() -> None:
    frame, promotions, items = _panel("D")
    got = promo_flags(frame, promotions.iloc[:0], items)
    assert (got[PROMO_FLAGS].to_numpy() == 0).all()
    assert got["promo"].tolist() == frame["on_promo"].fillna(0).astype(int).tolist()


def test_price_features_leave_the_input_alone() -> None:
    frame, _, _ = _panel("D")
    frame["price"] = np.where(frame["on_promo"] == 1, 8.0, 10.0)
    before = frame.copy()
    out = price_features(frame)
    pd.testing.assert_frame_equal(frame, before)
    assert out["rel_price"].between(0, 1).all()


def _reference_prices(frame: pd.DataFrame) -> pd.DataFrame:
    """The former implementation, with pandas group-by fills and rolling windows."""
    out = frame.sort_values(["unique_id", "ds"]).copy()
    by = out.groupby("unique_id", sort=False)
    out["price"] = by["price"].ffill()
    out["price"] = out.groupby("unique_id", sort=False)["price"].bfill()
    by = out.groupby("unique_id", sort=False)
    rolling_max = by["price"].rolling(8, min_periods=1).max().reset_index(level=0, drop=True)
    out["base_price"] = out["base_price"].fillna(rolling_max)
    out["base_price"] = np.fmax(out["base_price"], out["price"])
    has_price = out["price"].notna()
    out["rel_price"] = (out["price"] / out["base_price"]).where(has_price, 1.0).astype("float32")
    out["discount_depth"] = (1.0 - out["rel_price"]).clip(lower=0.0).astype("float32")
    out["log_price"] = np.log(out["price"]).astype("float32")
    prev = by["price"].shift(1)
    out["price_momentum_1"] = (out["price"] / prev).fillna(1.0).astype("float32")
    mean4 = prev.groupby(out["unique_id"], sort=False).rolling(4, min_periods=1).mean(
    ).reset_index(level=0, drop=True)
    out["price_momentum_4"] = (out["price"] / mean4).fillna(1.0).astype("float32")
    return out


@pytest.mark.parametrize("presorted", [True, False])
def test_price_features_equal_the_group_by_version(presorted: bool) -> None:
    frame, _, _ = _panel("D")
    rng = np.random.default_rng(5)
    frame["price"] = np.round(rng.uniform(5, 10, len(frame)), 2)
    frame["base_price"] = 10.0
    frame.loc[rng.random(len(frame)) < 0.3, "price"] = np.nan
    frame.loc[rng.random(len(frame)) < 0.4, "base_price"] = np.nan
    frame.loc[frame["unique_id"] == "C/s2", "price"] = np.nan  # a series without any price
    if presorted:
        frame = frame.sort_values(["unique_id", "ds"])
    got = price_features(frame)
    want = _reference_prices(frame)
    pd.testing.assert_frame_equal(got, want, check_dtype=False, rtol=1e-6)


def test_calendar_features_equal_the_merge_on_dates() -> None:
    from promocast.features.calendar import build_calendar, event_features
    from promocast.features.exogenous import calendar_features

    frame, _, _ = _panel("D")
    frame.index = frame.index + 1000
    calendar = build_calendar(pd.Timestamp("2023-12-01"), pd.Timestamp("2024-04-01"), "CN")
    got = calendar_features(frame, calendar, window=14)
    dates = pd.Series(np.sort(frame["ds"].unique()))
    feats = event_features(dates, calendar, window=14)
    feats.insert(0, "ds", dates.to_numpy())
    want = frame.merge(feats, on="ds", how="left")
    pd.testing.assert_frame_equal(got, want)
    assert got[[c for c in feats if c != "ds"]].to_numpy().any()
