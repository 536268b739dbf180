"""A promotion whose gain lies within the baseline's own noise is flagged and ranked after
the others (QA5 #19: a gift on an item selling 2 a day, +6.7 units on a baseline of 10.3,
led the ranking with an ROI of +10,613 %)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from promocast.promotions.evaluate import TABLE_COLUMNS, evaluate_promotions
from promocast.promotions.noise import Z, dispersion, noise_band, rank_order


def _shop() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """BIG sells 100 a day at 10 and 160 on its 3 promoted days (+180, at a low margin); TINY
    sells 2 a day at 1,000 and 3 on its 3 promoted days (+3: a huge margin, but noise)."""
    days = pd.date_range("2024-01-01", periods=60, freq="D")
    rng = np.random.default_rng(0)
    rows = []
    for item, level, price in (("BIG", 100.0, 10.0), ("TINY", 2.0, 1000.0)):
        units = rng.poisson(level, len(days)).astype(float)
        promo = (days >= "2024-02-10") & (days <= "2024-02-12")
        units[promo] = 1.6 * level if item == "BIG" else 3.0
        rows.append(pd.DataFrame({
            "unique_id": f"{item}/s1", "item_id": item, "store_id": "s1", "category": "c",
            "ds": days, "y": units, "price": np.where(promo, 0.9 * price, price),
            "base_price": price, "observed": 1, "promo_percent_off": promo.astype(int),
            "promo": promo.astype(int)}))
    frame = pd.concat(rows, ignore_index=True)
    level = frame["item_id"].map({"BIG": 100.0, "TINY": 2.0})
    baseline = frame[["unique_id", "item_id", "store_id", "ds"]].assign(baseline_units=level)
    promotions = pd.DataFrame([
        {"promo_id": f"P_{item}", "promo_type": "percent_off", "start_date": "2024-02-10",
         "end_date": "2024-02-12", "item_id": item, "store_id": "s1", "discount_pct": 10.0}
        for item in ("BIG", "TINY")])
    items = pd.DataFrame({"item_id": ["BIG", "TINY"], "category": "c",
                          "unit_cost": [8.5, 100.0]})
    return frame, promotions, baseline, items


def test_a_gain_inside_the_baseline_noise_is_flagged_and_ranked_last() -> None:
    frame, promotions, baseline, items = _shop()
    evaluation = evaluate_promotions(frame, promotions, baseline, items, freq="D")
    table = evaluation.table.set_index("promo_id")
    big, tiny = table.loc["P_BIG"], table.loc["P_TINY"]
    assert tiny["incremental_margin"] > big["incremental_margin"]  # TINY would lead
    assert bool(tiny["within_noise"]) and not bool(big["within_noise"])
    assert tiny["noise_band_units"] >= Z * np.sqrt(6) > tiny["incremental_units"]
    assert (big["rank"], tiny["rank"]) == (1, 2)
    assert list(evaluation.table["promo_id"]) == ["P_BIG", "P_TINY"]
    assert any("1 promotion(s) within noise" in n for n in evaluation.notes)
    assert list(evaluation.table.columns) == [c for c in TABLE_COLUMNS
                                              if c != "model_incremental_units"]
    assert evaluation.to_json()["promotions"][1]["within_noise"] is True


def test_dispersion_is_never_below_poisson_and_reads_the_clean_rows() -> None:
    codes = np.repeat([0, 1, 2], 20)
    expected = np.full(60, 10.0)
    y = np.concatenate([np.full(20, 10.0), np.tile([0.0, 20.0], 10), np.full(20, 10.0)])
    clean = np.ones(60, bool)
    clean[40:] = False  # series 2 has none: the shop's median
    phi = dispersion(codes, y, expected, clean)
    assert phi[0] == 1.0 and phi[20] == pytest.approx(10.0)  # (10^2) / 10
    assert phi[40] == pytest.approx(np.median([0.0, 10.0])) == 5.0
    band = noise_band(np.array(["P"] * 3 + ["Q"] * 2), np.array([10.0] * 5),
                      np.array([1.0, 1.0, 1.0, 4.0, 4.0]))
    assert band["P"] == pytest.approx(Z * np.sqrt(30)) and band["Q"] == pytest.approx(Z * np.sqrt(80))


def test_rank_order_keeps_missing_values_last_in_their_group() -> None:
    table = pd.DataFrame({"value": [5.0, np.nan, 50.0, 1.0, 2.0],
                          "within_noise": [False, False, True, False, True]})
    assert rank_order(table, "value").tolist() == [1, 3, 4, 2, 5]
