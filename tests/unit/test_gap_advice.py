"""The gap warning suggests reading missing days as zero sales when gaps are common
(``data.quality.gap_advice``), and only while the shop reads them as unknown."""

from __future__ import annotations

import pandas as pd

from promocast.data.quality import GAPS_COMMON, gap_advice, quality_report


def test_common_gaps_get_the_suggestion_rare_ones_do_not() -> None:
    assert gap_advice(95, 5)["share_missing"] == GAPS_COMMON == 0.05
    assert gap_advice(95, 5)["message"].startswith(
        "5% of the periods inside the series have no row: they are read as unknown demand")
    assert gap_advice(96, 4) == {"share_missing": 0.04, "message": None}
    assert gap_advice(10, 30, "zero") == {"share_missing": 0.75, "message": None}
    assert gap_advice(0, 0) == {"share_missing": 0.0, "message": None}


def test_the_report_counts_the_share_of_missing_periods() -> None:
    days = pd.to_datetime(["2024-01-01", "2024-01-05", "2024-01-09", "2024-01-02"])
    sales = pd.DataFrame({"date": days, "item_id": ["A", "A", "A", "B"], "store_id": "all",
                          "units": 1.0, "on_promo": 0.0})
    gap = quality_report(sales)["warnings"][0]
    assert (gap["kind"], gap["count"], gap["periods"]) == ("gap", 1, 6)
    assert gap["share_missing"] == round(6 / 10, 4) and "--missing-days zero" in gap["message"]
    kept = quality_report(sales, missing_days="zero")["warnings"][0]
    assert kept["share_missing"] == 0.6 and kept["message"] is None
