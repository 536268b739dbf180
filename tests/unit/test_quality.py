"""Data-quality warnings and demand classes, checked against numbers computed by hand."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from promocast.data.quality import (
    WARNING_KINDS,
    demand_classes,
    outliers,
    quality_report,
    series_gaps,
    store_frequencies,
    zero_stock_days,
)


def _series(item: str, units: list[float], start: str = "2024-01-01", freq: str = "D",
            store: str = "s1") -> pd.DataFrame:
    dates = pd.date_range(start, periods=len(units), freq=freq)
    return pd.DataFrame({"date": dates, "item_id": item, "store_id": store,
                         "units": np.asarray(units, dtype=float)})


def _weekly_with_two_missing_weeks() -> pd.DataFrame:
    weekly = _series("A", [5.0] * 10, start="2024-01-04", freq="7D", store="w")
    return weekly.drop(index=[3, 4]).reset_index(drop=True)  # 2024-01-25 and 2024-02-01


# --- gaps -----------------------------------------------------------------------------------

def test_gaps_count_missing_weeks_and_name_the_first() -> None:
    gaps = series_gaps(_weekly_with_two_missing_weeks(), {"w": "W"})
    assert gaps.columns.tolist() == ["item_id", "store_id", "missing_periods", "first_missing"]
    assert gaps.to_dict("records") == [{"item_id": "A", "store_id": "w", "missing_periods": 2,
                                        "first_missing": pd.Timestamp("2024-01-25")}]
    # The store's frequency is inferred from its dates when not given.
    assert series_gaps(_weekly_with_two_missing_weeks())["missing_periods"].tolist() == [2]


def test_gaps_daily_and_monthly_on_their_own_grid() -> None:
    daily = _series("D1", [1.0] * 10, store="d").drop(index=[2, 5, 6])  # 3 days missing
    monthly = pd.DataFrame({"date": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-05-01"]),
                            "item_id": "M1", "store_id": "m", "units": 1.0})  # March, April
    clean = _series("C", [1.0] * 5, store="d")
    gaps = series_gaps(pd.concat([monthly, daily, clean]), {"d": "D", "m": "MS"})
    assert gaps["item_id"].tolist() == ["D1", "M1"]
    assert gaps["missing_periods"].tolist() == [3, 2]
    assert gaps["first_missing"].tolist() == [pd.Timestamp("2024-01-03"), pd.Timestamp("2024-03-01")]
    assert store_frequencies(pd.concat([monthly, daily])) == {"m": "MS", "d": "D"}


def test_no_gaps_is_an_empty_frame_with_the_columns() -> None:
    gaps = series_gaps(_series("B", [1.0] * 5), {"s1": "D"})
    assert gaps.empty
    assert gaps.columns.tolist() == ["item_id", "store_id", "missing_periods", "first_missing"]


# --- zero stock -----------------------------------------------------------------------------

def test_zero_stock_days_are_censored_sales() -> None:
    sales = _series("A", [3.0, 0.0, 2.0])
    inventory = pd.DataFrame({
        "date": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-05"]),
        "item_id": "A", "store_id": "s1", "on_hand": [4.0, 0.0, 7.0, 0.0]})
    found = zero_stock_days(sales, inventory)
    assert found.columns.tolist() == ["date", "item_id", "store_id", "units"]
    assert found["date"].tolist() == [pd.Timestamp("2024-01-02"), pd.Timestamp("2024-01-05")]
    assert found["units"].iloc[0] == 0.0
    assert math.isnan(found["units"].iloc[1])  # stocked out, and no sales row that day
    assert zero_stock_days(sales, None).empty


def test_zero_stock_matches_the_right_store() -> None:
    sales = pd.concat([_series("A", [3.0, 1.0], store="s1"), _series("A", [8.0, 6.0], store="s2")])
    inventory = pd.DataFrame({"date": pd.to_datetime(["2024-01-02"]), "item_id": ["A"],
                              "store_id": ["s2"], "on_hand": [0.0]})
    assert zero_stock_days(sales, inventory)["units"].tolist() == [6.0]


# --- outliers -------------------------------------------------------------------------------

def test_planted_outlier_found_normal_series_clean() -> None:
    rng = np.random.default_rng(0)
    normal = _series("N", list(rng.poisson(20, 200).astype(float)))
    spiked = _series("S", list(rng.poisson(20, 200).astype(float)))
    spiked.loc[50, "units"] = 400.0
    found = outliers(pd.concat([normal, spiked], ignore_index=True))
    assert found.columns.tolist() == ["item_id", "store_id", "date", "units", "robust_z"]
    assert found["item_id"].tolist() == ["S"]
    assert found["units"].tolist() == [400.0]
    assert found["date"].tolist() == [pd.Timestamp("2024-02-20")]


def test_robust_z_by_hand() -> None:
    # Sorted: 80 90 95 100 100 100 105 110 120 400 -> median 100; absolute deviations sorted
    # 0 0 0 5 5 10 10 20 20 300 -> MAD 7.5; scale 1.4826 * 7.5 = 11.1195 (above sqrt(100)).
    sales = _series("H", [100, 110, 90, 105, 95, 100, 120, 80, 100, 400])
    found = outliers(sales)
    assert found["units"].tolist() == [400.0]
    assert found["robust_z"].iloc[0] == pytest.approx(300 / (1.4826 * 7.5))
    # MAD 0 (a flat series): mean absolute deviation 380 / 20 = 19, scale 1.2533 * 19.
    flat = outliers(_series("F", [20.0] * 19 + [400.0]))
    assert flat["robust_z"].tolist() == pytest.approx([380 / (1.2533 * 19)])


def test_intermittent_sales_and_short_series_are_not_outliers() -> None:
    # Median 0, MAD 0, mean absolute deviation 0.15: only the floor sqrt(max(0, 1)) = 1 keeps
    # the sale of 2 units at z = 2.
    assert outliers(_series("I", [0.0] * 18 + [1.0, 2.0])).empty
    assert outliers(_series("Short", [10, 11, 9, 500])).empty  # 4 rows: no baseline


def test_promotions_explain_spikes() -> None:
    sales = _series("P", [100, 110, 90, 105, 95, 100, 120, 80, 100, 400]).assign(on_promo=0)
    sales.loc[9, "on_promo"] = 1
    assert outliers(sales).empty
    cut = sales.drop(columns="on_promo").assign(price=2.0, base_price=2.0)
    assert len(outliers(cut)) == 1
    cut.loc[9, "price"] = 1.5  # a temporary price reduction explains the spike as well
    assert outliers(cut).empty


# --- demand classes -------------------------------------------------------------------------

def test_demand_classes_by_adi_and_cv2() -> None:
    frames = [
        _series("smooth", [10, 11, 9, 10, 10, 11, 9, 10]),  # ADI 1, var 4/7, CV² 4/700
        _series("erratic", [1, 9, 1, 9]),                     # ADI 1, var 64/3, CV² 64/75
        _series("intermittent", [0, 0, 5, 0, 0, 5, 0, 6]),    # ADI 8/3, var 1/3, CV² 3/256
        _series("lumpy", [0, 0, 1, 0, 0, 9, 0, 0]),           # ADI 4, var 32, CV² 32/25
        _series("single", [0, 0, 0, 4]),                      # ADI 4, CV² 0
        _series("none", [0, 0, 0, 0]),
    ]
    classes = demand_classes(pd.concat(frames, ignore_index=True)).set_index("item_id")
    expected = {"smooth": (1.0, 4 / 700, "smooth"), "erratic": (1.0, 64 / 75, "erratic"),
                "intermittent": (8 / 3, 3 / 256, "intermittent"),
                "lumpy": (4.0, 32 / 25, "lumpy"), "single": (4.0, 0.0, "intermittent")}
    for item, (adi, cv2, label) in expected.items():
        assert classes.loc[item, "adi"] == pytest.approx(adi), item
        assert classes.loc[item, "cv2"] == pytest.approx(cv2), item
        assert classes.loc[item, "demand_class"] == label, item
    assert classes.loc["none", "demand_class"] == "no_demand"
    assert math.isnan(classes.loc["none", "adi"])


def test_gaps_are_not_zero_demand_periods() -> None:
    sales = _series("G", [3.0, 0.0, 5.0, 3.0]).drop(index=[2])  # rows: 3, 0, (gap), 3
    assert demand_classes(sales)["adi"].tolist() == [pytest.approx(3 / 2)]


# --- report ---------------------------------------------------------------------------------

def test_report_has_every_kind_even_when_clean() -> None:
    report = quality_report(_series("A", [1.0, 2.0, 3.0]))
    assert [w["kind"] for w in report["warnings"]] == list(WARNING_KINDS)
    assert all(w["count"] == 0 and w["examples"] == [] for w in report["warnings"])
    assert report["demand_classes"] == {"smooth": 1, "erratic": 0, "intermittent": 0,
                                        "lumpy": 0, "no_demand": 0}


def test_report_counts_and_is_plain_json() -> None:
    spiked = _series("S", [100, 110, 90, 105, 95, 100, 120, 80, 100, 400], store="w")
    sales = pd.concat([_weekly_with_two_missing_weeks(), spiked.assign(date=pd.date_range(
        "2024-01-04", periods=10, freq="7D"))], ignore_index=True)
    inventory = pd.DataFrame({"date": pd.to_datetime(["2024-01-11"]), "item_id": ["A"],
                              "store_id": ["w"], "on_hand": [0.0]})
    orders = pd.DataFrame({"order_id": ["o1", "o1", "o2", "o3"],
                           "customer_id": [None, None, " ", "C7"]})
    report = quality_report(sales, inventory, {"w": "W"}, orders)
    warnings = {w["kind"]: w for w in report["warnings"]}
    assert (warnings["gap"]["count"], warnings["gap"]["periods"]) == (1, 2)
    assert warnings["gap"]["examples"] == ["A/w: 2 periods missing, first 2024-01-25"]
    assert warnings["zero_stock"]["count"] == 1
    assert warnings["zero_stock"]["examples"] == ["A/w on 2024-01-11"]
    assert (warnings["outlier"]["count"], warnings["outlier"]["series"]) == (1, 1)
    assert (warnings["guest_orders"]["count"], warnings["guest_orders"]["orders"]) == (3, 2)
    assert warnings["guest_orders"]["examples"] == ["order o1", "order o2"]
    assert report["demand_classes"]["smooth"] == 1  # A: constant 5
    assert json.loads(json.dumps(report)) == report  # plain ints, floats and strings


def test_guest_orders_without_order_ids_count_lines() -> None:
    orders = pd.DataFrame({"customer_id": ["C1", None, None]})
    report = quality_report(_series("A", [1.0]), orders=orders)
    assert (report["warnings"][3]["count"], report["warnings"][3]["orders"]) == (2, None)


def test_examples_are_capped_at_five() -> None:
    rng = np.random.default_rng(1)
    frames = [_series(f"I{i}", list(rng.poisson(30, 40).astype(float))).drop(index=[5])
              for i in range(8)]
    report = quality_report(pd.concat(frames, ignore_index=True), freq_by_store={"s1": "D"})
    gap = report["warnings"][0]
    assert (gap["count"], gap["periods"], len(gap["examples"])) == (8, 8, 5)
