"""Evaluation of past promotions: the counterfactual baseline against the demo shop's truth,
and the per-promotion arithmetic on a hand-made panel whose answer is known exactly."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from conftest import load_demo_shop
from promocast.promotions.counterfactual import counterfactual_baseline
from promocast.promotions.evaluate import evaluate_promotions

# --------------------------------------------------------------------------- demo shop


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """30 items x 2 stores x 2 years, its panel, tables, truth, baseline and evaluation."""
    from promocast.data.storage import Store
    from promocast.services.forecasting import load_panel

    root = tmp_path_factory.mktemp("evaluate_shop")
    db = load_demo_shop(root, seed=1, n_items=30, years=2.0)
    panel = load_panel(db)
    with Store(db, read_only=True) as store:
        promotions, items = store.read("promotions"), store.read("items")
    truth = pd.read_parquet(root / "data" / "ground_truth_baseline.parquet")
    truth["ds"] = pd.to_datetime(truth["date"])
    sales = pd.read_csv(root / "data" / "sales.csv", usecols=["date", "item_id", "store_id",
                                                               "promo_id"])
    truth = truth.merge(sales, on=["date", "item_id", "store_id"])
    baseline = counterfactual_baseline(panel.frame, panel.known, panel.static, panel.freq)
    evaluation = evaluate_promotions(panel.frame, promotions, baseline, items, freq=panel.freq)
    return {"panel": panel, "promotions": promotions, "items": items, "truth": truth,
            "baseline": baseline, "evaluation": evaluation}


def _on_truth(shop: dict) -> pd.DataFrame:
    """Estimated baseline beside the true baseline and expected units, observed rows."""
    frame = shop["panel"].frame[["item_id", "store_id", "ds", "y", "observed"]]
    merged = shop["baseline"].merge(shop["truth"], on=["item_id", "store_id", "ds"],
                                    suffixes=("", "_true"))
    return merged.merge(frame, on=["item_id", "store_id", "ds"])


def test_baseline_of_promoted_days_is_close_to_the_truth(shop: dict) -> None:
    rows = _on_truth(shop)
    promoted = rows[rows["promo_id"].notna()]
    est, true = promoted["baseline_units"], promoted["baseline_units_true"]
    # Measured (seed 1, 30 items x 2 stores x 2 years, 5,814 promoted rows): daily WAPE
    # 14.4 %, bias -1.4 %; summed per promotion 9.6 %. On un-promoted days the model scores
    # 12.4 % where a flat level (the series' mean of clean days) scores 20.9 %.
    wape = np.abs(est - true).sum() / true.sum()
    assert wape < 0.17
    assert abs(est.sum() / true.sum() - 1) < 0.05
    per_promo = promoted.groupby("promo_id")[["baseline_units", "baseline_units_true"]].sum()
    promo_wape = (np.abs(per_promo["baseline_units"] - per_promo["baseline_units_true"]).sum()
                  / per_promo["baseline_units_true"].sum())
    assert promo_wape < 0.11
    clean = rows[(rows["promo_id"].isna()) & (rows["observed"] == 1)]
    flat = clean.groupby(["item_id", "store_id"])["y"].transform("mean")
    flat_wape = np.abs(flat - clean["baseline_units_true"]).sum() / clean[
        "baseline_units_true"].sum()
    model_wape = np.abs(clean["baseline_units"] - clean["baseline_units_true"]).sum() / clean[
        "baseline_units_true"].sum()
    assert model_wape < 0.75 * flat_wape


def test_incremental_units_follow_the_true_incremental_units(shop: dict) -> None:
    rows = _on_truth(shop)
    rows = rows[rows["promo_id"].notna() & (rows["observed"] == 1)]
    true_inc = (rows["expected_units"] - rows["baseline_units_true"]).groupby(
        rows["promo_id"]).sum().rename("true_incremental")
    table = shop["evaluation"].table.set_index("promo_id").join(true_inc, how="inner")
    assert len(table) > 0.9 * len(shop["evaluation"].table)
    # Measured: correlation 0.87 over 530 promotions; estimated total 1.7 % below the truth
    # (10 % below before the baseline stopped reading "next to a promotion" features).
    assert np.corrcoef(table["incremental_units"], table["true_incremental"])[0, 1] > 0.75
    assert table["incremental_units"].sum() == pytest.approx(table["true_incremental"].sum(),
                                                             rel=0.2)


def test_totals_add_up_and_rank_follows_margin(shop: dict) -> None:
    evaluation = shop["evaluation"]
    table = evaluation.table
    assert evaluation.ranked_by == "incremental_margin"
    assert [n for n in evaluation.notes if "within noise" not in n] == []
    assert list(table["rank"]) == list(range(1, len(table) + 1))
    # by margin, those within the baseline's noise after the others (QA5 #19). Measured (seed
    # 1): 392 of 534 flagged; the flag agrees with "true gain inside the band" for 451 (84 %)
    noise = table["within_noise"].astype(bool)
    assert noise.is_monotonic_increasing and 0 < noise.sum() < len(table)
    for group in (table[~noise], table[noise]):
        assert group["incremental_margin"].astype(float).is_monotonic_decreasing
    np.testing.assert_allclose(table["actual_units"],
                               table["baseline_units"] + table["incremental_units"])
    np.testing.assert_allclose(
        table["net_incremental_units"],
        table["incremental_units"] - table["units_taken_from_other_items"]
        - table["post_promo_dip_units"])
    assert (table["discount_cost"] >= table["fixed_cost"] - 1e-9).all()
    # Demo truth: promotions take units from the category and leave a dip behind them.
    assert table["units_taken_from_other_items"].sum() > 0
    assert table["post_promo_dip_units"].sum() > 0
    # Revenue of one percent-off promotion recomputed by hand from the panel.
    row = table[(table["promo_type"] == "percent_off") & (table["scope"] == "item")].iloc[0]
    frame = shop["panel"].frame
    stores = row["stores"].split(",")
    covered = frame[(frame["item_id"] == row["item_id"]) & frame["store_id"].isin(stores)
                    & frame["ds"].between(row["start"], row["end"]) & (frame["observed"] == 1)]
    assert row["actual_units"] == pytest.approx(covered["y"].sum())
    assert row["revenue"] == pytest.approx((covered["y"] * covered["price"]).sum(), rel=1e-6)


def test_an_items_baseline_never_looks_at_its_own_promotions(shop: dict) -> None:
    panel = shop["panel"]
    frame = panel.frame
    promoted = frame.loc[frame["promo"] > 0, "item_id"].value_counts().index[0]
    changed = frame.copy()
    mask = (changed["item_id"] == promoted) & (changed["promo"] > 0)
    changed.loc[mask, "y"] = changed.loc[mask, "y"] * 5 + 20
    before = counterfactual_baseline(frame, panel.known, panel.static, panel.freq, rounds=40)
    after = counterfactual_baseline(changed, panel.known, panel.static, panel.freq, rounds=40)
    mine = before["item_id"] == promoted
    np.testing.assert_array_equal(before.loc[mine, "baseline_units"],
                                  after.loc[mine, "baseline_units"])
    # The change is real: the items of the other fold, whose model learnt from it, move.
    assert not np.allclose(before.loc[~mine, "baseline_units"], after.loc[~mine, "baseline_units"])


# --------------------------------------------------------------------------- exact arithmetic


def _tiny() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """One category, one store, 3 items over 20 days; baseline 10 units a day everywhere.

    A: 20 % off on days 5-7 (price 8, sells 20), then sells 7 for the 7 dip days.
    B: never promoted, sells 8 on days 5-7 (2 lost a day to the promotions).
    C: a gift on day 6 (sells 12), otherwise 10.
    """
    days = pd.date_range("2024-01-01", periods=20, freq="D")
    rows = []
    for item in ("A", "B", "C"):
        for d, ds in enumerate(days, start=1):
            units, price, flags = 10.0, 10.0, {"promo_percent_off": 0, "promo_gift": 0}
            if item == "A" and 5 <= d <= 7:
                units, price, flags["promo_percent_off"] = 20.0, 8.0, 1
            elif item == "A" and 8 <= d <= 14:
                units = 7.0
            elif item == "B" and 5 <= d <= 7:
                units = 8.0
            elif item == "C" and d == 6:
                units, flags["promo_gift"] = 12.0, 1
            rows.append({"unique_id": f"{item}/s1", "item_id": item, "store_id": "s1",
                         "category": "tea", "ds": ds, "y": units, "price": price,
                         "base_price": 10.0, "observed": 1, **flags,
                         "promo": max(flags.values())})
    frame = pd.DataFrame(rows)
    baseline = frame[["unique_id", "item_id", "store_id", "ds"]].assign(baseline_units=10.0)
    promotions = pd.DataFrame([
        {"promo_id": "P1", "promo_type": "percent_off", "start_date": "2024-01-05",
         "end_date": "2024-01-07", "item_id": "A", "store_id": "s1", "discount_pct": 20.0,
         "fixed_cost": 10.0},
        {"promo_id": "P2", "promo_type": "gift", "start_date": "2024-01-06",
         "end_date": "2024-01-06", "item_id": "C", "gift_value": 1.5},
        {"promo_id": "OLD", "promo_type": "gift", "start_date": "2023-11-01",
         "end_date": "2023-11-05", "item_id": "A", "gift_value": 1.0},
        {"promo_id": "RUNNING", "promo_type": "percent_off", "start_date": "2024-01-18",
         "end_date": "2024-01-25", "item_id": "B", "discount_pct": 10.0},
        {"promo_id": "GHOST", "promo_type": "percent_off", "start_date": "2024-01-02",
         "end_date": "2024-01-03", "item_id": "Z", "discount_pct": 10.0},
    ])
    items = pd.DataFrame({"item_id": ["A", "B", "C"], "category": "tea",
                          "unit_cost": [5.0, 5.0, 5.0]})
    return frame, promotions, baseline, items


def test_every_column_matches_the_hand_computed_answer() -> None:
    frame, promotions, baseline, items = _tiny()
    evaluation = evaluate_promotions(frame, promotions, baseline, items, freq="D")
    table = evaluation.table.set_index("promo_id")
    assert list(table.index) == ["P1", "P2"]
    p1, p2 = table.loc["P1"], table.loc["P2"]
    assert (p1["baseline_units"], p1["actual_units"], p1["incremental_units"]) == (30, 60, 30)
    assert p1["revenue"] == pytest.approx(60 * 8)
    assert p1["discount_cost"] == pytest.approx(60 * 2 + 10)
    # margin with it 60 x (8 - 5) minus margin without 30 x (10 - 5), minus the fixed cost
    assert p1["incremental_margin"] == pytest.approx(180 - 150 - 10)
    assert p1["roi"] == pytest.approx(20 / 130)
    # B loses 2 a day on days 5-7; day 6 is shared with P2, so each gets half of it.
    assert p1["units_taken_from_other_items"] == pytest.approx(2 + 1 + 2)
    assert p2["units_taken_from_other_items"] == pytest.approx(1)
    assert p1["post_promo_dip_units"] == pytest.approx(7 * 3)
    assert p2["post_promo_dip_units"] == pytest.approx(0)
    assert p1["net_incremental_units"] == pytest.approx(30 - 5 - 21)
    assert p2["discount_cost"] == pytest.approx(12 * 1.5)
    assert p2["incremental_margin"] == pytest.approx(12 * (10 - 1.5 - 5) - 10 * 5)
    assert (p1["rank"], p2["rank"]) == (1, 2)
    assert p1["stores"] == "s1" and p2["n_items"] == 1
    notes = " ".join(evaluation.notes)
    for promo_id in ("OLD", "RUNNING", "GHOST"):
        assert promo_id in notes


def test_a_gift_on_a_spend_costs_each_unit_its_share_of_the_basket() -> None:
    """P2's gift of 1.5 given on a spend of 30: a unit at 10 carries a third of it (0.5)."""
    frame, promotions, baseline, items = _tiny()
    promotions.loc[promotions["promo_id"] == "P2", "threshold_amount"] = 30.0
    table = evaluate_promotions(frame, promotions, baseline, items, freq="D").table
    p2 = table.set_index("promo_id").loc["P2"]
    assert p2["discount_cost"] == pytest.approx(12 * 0.5)
    assert p2["incremental_margin"] == pytest.approx(12 * (10 - 0.5 - 5) - 10 * 5)


def test_a_threshold_giving_a_share_back_is_costed_from_its_discount_pct() -> None:
    """P2 as 'spend 30 get 20 % off' (no amount_off): each unit at 10 gets 2 back."""
    frame, promotions, baseline, items = _tiny()
    p2 = promotions["promo_id"] == "P2"
    promotions.loc[p2, ["promo_type", "threshold_amount", "discount_pct"]] = ["threshold",
                                                                             30.0, 20.0]
    promotions.loc[p2, "gift_value"] = np.nan
    frame["promo_threshold"] = frame.pop("promo_gift")
    row = evaluate_promotions(frame, promotions, baseline, items, freq="D").table.set_index(
        "promo_id").loc["P2"]
    assert row["discount_cost"] == pytest.approx(12 * 2.0)
    assert row["revenue"] == pytest.approx(12 * 8.0)


def test_missing_unit_cost_gives_null_margin_a_note_and_ranks_by_units() -> None:
    frame, promotions, baseline, items = _tiny()
    items.loc[items["item_id"] == "C", "unit_cost"] = np.nan
    evaluation = evaluate_promotions(frame, promotions, baseline, items, freq="D")
    table = evaluation.table.set_index("promo_id")
    assert table.loc["P2", "incremental_margin"] is None and table.loc["P2", "roi"] is None
    assert table.loc["P1", "incremental_margin"] == pytest.approx(20)
    assert evaluation.ranked_by == "incremental_units"
    assert any("unit_cost missing" in n and "C" in n for n in evaluation.notes)
    no_cost = evaluate_promotions(frame, promotions, baseline, items.drop(columns="unit_cost"),
                                  freq="D")
    assert no_cost.table["incremental_margin"].isna().all()
    assert any("A" in n and "unit_cost" in n for n in no_cost.notes)
    document = no_cost.to_json()
    text = json.dumps(document, allow_nan=False)
    assert document["promotions"][0]["incremental_margin"] is None
    assert document["promotions"][0]["start"] == "2024-01-05" and "RUNNING" in text


def test_effect_params_give_the_model_view_of_the_lift() -> None:
    frame, promotions, baseline, items = _tiny()
    params = pd.DataFrame({"item_id": ["A", "B", "C"], "store_id": "all", "category": "tea",
                           "price_elasticity": -2.0, "lift_gift": 0.2,
                           "lift_feature_display": 0.0})
    table = evaluate_promotions(frame, promotions, baseline, items, freq="D",
                                params=params).table.set_index("promo_id")
    assert table.loc["P1", "model_incremental_units"] == pytest.approx(30 * (0.8 ** -2 - 1))
    assert table.loc["P2", "model_incremental_units"] == pytest.approx(10 * 0.2)


def test_a_monthly_shops_last_month_promotion_is_judged() -> None:
    """A month is not 30 days: a promotion of December 1-31 in a history whose last month is
    December was skipped as 'still running at the end of the history (12-30)'."""
    months = pd.date_range("2024-07-01", periods=6, freq="MS")
    frame = pd.DataFrame({"unique_id": "A/s1", "item_id": "A", "store_id": "s1",
                          "category": "tea", "ds": months, "y": [300.0] * 5 + [450.0],
                          "price": [10.0] * 5 + [8.0], "base_price": 10.0, "observed": 1,
                          "promo_percent_off": [0] * 5 + [1], "promo": [0] * 5 + [1]})
    baseline = frame[["unique_id", "item_id", "store_id", "ds"]].assign(baseline_units=300.0)
    promotions = pd.DataFrame([{"promo_id": "DEC", "promo_type": "percent_off",
                                "start_date": "2024-12-01", "end_date": "2024-12-31",
                                "item_id": "A", "discount_pct": 20.0}])
    items = pd.DataFrame({"item_id": ["A"], "category": "tea", "unit_cost": [5.0]})
    evaluation = evaluate_promotions(frame, promotions, baseline, items, freq="MS")
    assert list(evaluation.table["promo_id"]) == ["DEC"], evaluation.notes
    assert evaluation.table["incremental_units"].iloc[0] == pytest.approx(150)


def test_overlapping_promotions_share_the_rows_they_both_cover() -> None:
    """P4, a gift of 1.0 on A on day 6, lies inside P1 (20 % off A, days 5-7). It was skipped
    as having 'no sales row' and P1 took the whole day. Now each has half of day 6: its units,
    baseline and money (the day's giveaway is the price cut plus the gift)."""
    frame, promotions, baseline, items = _tiny()
    promotions = pd.concat([promotions, pd.DataFrame([
        {"promo_id": "P4", "promo_type": "gift", "start_date": "2024-01-06",
         "end_date": "2024-01-06", "item_id": "A", "store_id": "s1", "gift_value": 1.0}])],
        ignore_index=True)
    params = pd.DataFrame({"item_id": ["A", "B", "C"], "store_id": "all", "category": "tea",
                           "price_elasticity": -2.0, "lift_gift": 0.2,
                           "lift_feature_display": 0.0})
    evaluation = evaluate_promotions(frame, promotions, baseline, items, freq="D",
                                     params=params)
    table = evaluation.table.set_index("promo_id")
    p1, p4 = table.loc["P1"], table.loc["P4"]
    assert (p1["baseline_units"], p1["actual_units"], p1["incremental_units"]) == (25, 50, 25)
    assert (p4["baseline_units"], p4["actual_units"], p4["incremental_units"]) == (5, 10, 5)
    assert (p1["n_periods"], p1["shared_periods"], p4["shared_periods"]) == (3, 1, 1)
    # days 5 and 7: 20 units x 2 off; day 6 halved: 10 units x (2 off + 1 gift); fixed 10
    assert p1["discount_cost"] == pytest.approx(80 + 30 + 10)
    assert p4["discount_cost"] == pytest.approx(30)
    assert p1["incremental_margin"] == pytest.approx(2 * (60 - 50) + (10 * 2 - 5 * 5) - 10)
    assert p4["incremental_margin"] == pytest.approx(10 * 2 - 5 * 5)
    with_gift = 0.8 ** -2 * 1.2 - 1
    assert p1["model_incremental_units"] == pytest.approx(20 * (0.8 ** -2 - 1) + 5 * with_gift)
    assert p4["model_incremental_units"] == pytest.approx(5 * with_gift)
    assert any("P1 & P4 (1 period(s))" in n for n in evaluation.notes)
    assert not any("no sales row" in n and "P4" in n for n in evaluation.notes)


def test_an_item_promotion_carries_its_items_category() -> None:
    """QA finding 18: item-level promotions name no category; the table left it empty."""
    frame, promotions, baseline, items = _tiny()
    frame.loc[frame["item_id"] == "C", "category"] = "coffee"
    wide = {"promo_id": "CAT", "promo_type": "gift", "start_date": "2024-01-10",
            "end_date": "2024-01-10", "category": "tea", "gift_value": 1.0}
    promotions = pd.concat([promotions, pd.DataFrame([wide])], ignore_index=True)
    table = evaluate_promotions(frame, promotions, baseline, items, freq="D").table
    assert table.set_index("promo_id")["category"].to_dict() == {
        "P1": "tea", "P2": "coffee", "CAT": "tea"}


def test_a_planned_promotion_is_not_started_yet_not_still_running() -> None:
    """QA5 #19: future Double 11 promotions in the promotions table were skipped as 'still
    running at the end of the history'; only one that started and has not ended is."""
    frame, promotions, baseline, items = _tiny()
    promotions = pd.concat([promotions, pd.DataFrame([
        {"promo_id": "D11", "promo_type": "percent_off", "start_date": "2024-11-11",
         "end_date": "2024-11-11", "item_id": "A", "discount_pct": 30.0}])],
        ignore_index=True)
    notes = evaluate_promotions(frame, promotions, baseline, items, freq="D").notes
    planned = [n for n in notes if "not started yet" in n]
    running = [n for n in notes if "still running" in n]
    assert len(planned) == 1 and "D11" in planned[0] and "RUNNING" not in planned[0]
    assert planned[0].startswith("1 promotion(s) skipped") and "2024-01-20" in planned[0]
    assert len(running) == 1 and "RUNNING" in running[0] and "D11" not in running[0]
