"""Data-quality warnings with hand-computed numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd

from promocast.data.quality import (
    demand_classes,
    outliers,
    quality_report,
    series_gaps,
    zero_stock_days,
)


def _series(item: str, units: list[float], start: str = "2024-01-01", freq: str = "D",
            store: str = "s1") -> pd.DataFrame:
    dates = pd.date_range(start, periods=len(units), freq=freq)
    return pd.DataFrame({"date": dates, "item_id": item, "store_id": store, "units": units})


def test_gaps_count_missing_weeks_and_name_the_first() -> None:
    weekly = _series("A", [5.0] * 10, start="2024-01-04", freq="7D")
    weekly = weekly.drop(index=[3, 4]).reset_index(drop=True)
    gaps = series_gaps(weekly, {"s1": "W"})
    assert gaps["missing_periods"].tolist() == [2]
    assert gaps["first_missing"].tolist() == [pd.Timestamp("2024-01-25")]
    assert series_gaps(_series("B", [1.0] * 5), {"s1": "D"}).empty


def test_zero_stock_days_are_censored_sales() -> None:
    sales = _series("A", [3.0, 0.0, 2.0])
    inventory = sales[["date", "item_id", "store_id"]].assign(on_hand=[4.0, 0.0, 7.0])
    found = zero_stock_days(sales, inventory)
    assert found["date"].tolist() == [pd.Timestamp("2024-01-02")]


def test_planted_outlier_found_normal_series_clean() -> None:
    rng = np.random.default_rng(0)
    normal = _series("N", list(rng.poisson(20, 200).astype(float)))
    spiked = _series("S", list(rng.poisson(20, 200).astype(float)))
    spiked.loc[50, "units"] = 400.0
    found = outliers(pd.concat([normal, spiked], ignore_index=True))
    assert found["item_id"].tolist() == ["S"]
    assert found["units"].tolist() == [400.0]
    promo = spiked.assign(on_promo=0)
    promo.loc[50, "on_promo"] = 1
    assert outliers(promo).empty  # a promotion explains the spike


def test_demand_classes_by_adi_and_cv2() -> None:
    frames = [
        _series("smooth", [10, 11, 9, 10, 10, 11, 9, 10]),          # ADI 1, CV² tiny
        _series("erratic", [1, 30, 2, 40, 1, 35, 2, 50]),           # ADI 1, CV² large
        _series("intermittent", [0, 0, 5, 0, 0, 5, 0, 6]),          # ADI 8/3, CV² small
        _series("lumpy", [0, 0, 1, 0, 0, 40, 0, 0]),                # ADI 4, CV² large
        _series("none", [0, 0, 0, 0]),
    ]
    classes = demand_classes(pd.concat(frames, ignore_index=True)).set_index("item_id")
    assert classes.loc["smooth", "demand_class"] == "smooth"
    assert classes.loc["erratic", "demand_class"] == "erratic"
    assert classes.loc["intermittent", "demand_class"] == "intermittent"
    assert classes.loc["lumpy", "demand_class"] == "lumpy"
    assert classes.loc["none", "demand_class"] == "no_demand"
    assert np.isclose(classes.loc["intermittent", "adi"], 8 / 3)
    sizes = np.array([5.0, 5.0, 6.0])
    assert np.isclose(classes.loc["intermittent", "cv2"], (sizes.std(ddof=1) / sizes.mean()) ** 2)


def test_report_has_every_kind_even_when_clean() -> None:
    report = quality_report(_series("A", [1.0, 2.0, 3.0]))
    assert [w["kind"] for w in report["warnings"]] == ["gap", "zero_stock", "outlier", "guest_orders"]
    assert all(w["count"] == 0 for w in report["warnings"])
    assert report["demand_classes"]["smooth"] == 1
    orders = pd.DataFrame({"customer_id": ["C1", None, None]})
    report = quality_report(_series("A", [1.0]), orders=orders)
    assert report["warnings"][3]["count"] == 2
