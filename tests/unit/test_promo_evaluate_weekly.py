"""The counterfactual baseline of a small weekly shop whose deals cover whole categories.

Such a shop has few promoted rows (tens per fold of items), and a category-wide deal promotes
every item of the category in the same weeks, so cross-fitting by items does not hide the deal:
the weeks themselves carry it. QA found the baselines of such a shop 6-29 % above the truth."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from promocast.promotions.counterfactual import counterfactual_baseline
from promocast.promotions.evaluate import evaluate_promotions

ELASTICITY = -2.5
LIFT = 1.3


def _truth(ds: pd.Series) -> np.ndarray:
    """Units a week with no promotion: 50 with a yearly swing of +-30 %."""
    return 50 * (1 + 0.3 * np.sin(2 * np.pi * ds.dt.dayofyear / 365))


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """20 items in 4 categories x 3 stores, 2 years of weeks, 7 deals (4 category-wide)."""
    from promocast.services.ingest import ingest
    from promocast.services.shop import read_shop

    rng = np.random.default_rng(7)
    root = tmp_path_factory.mktemp("weekly_shop")
    weeks = pd.date_range("2024-11-25", "2026-11-23", freq="W-MON")
    cats = ["drinks", "snacks", "dairy", "frozen"]
    items = pd.DataFrame({"item_id": [f"W{i:02d}" for i in range(20)],
                          "category": [cats[i % 4] for i in range(20)],
                          "base_price": [round(3 + i * 0.7, 2) for i in range(20)]})
    items["unit_cost"] = (items["base_price"] * 0.6).round(2)
    promos = pd.DataFrame([
        ("CP1", "percent_off", "2025-06-02", "2025-06-15", None, "drinks", None, 20, None, None,
         None),
        ("CP2", "threshold", "2025-11-03", "2025-11-16", None, "snacks", None, None, 50, 10,
         None),
        ("CP3", "gift", "2026-03-02", "2026-03-15", None, "dairy", "S1", None, 30, None, 5),
        ("CP4", "percent_off", "2026-06-01", "2026-06-14", "W05", None, None, 15, None, None,
         None),
        ("CP5", "threshold", "2026-09-07", "2026-09-20", None, "frozen", "S2", None, 40, 8,
         None),
        ("CP6", "gift", "2025-09-01", "2025-09-14", "W10", None, None, None, 20, None, 3),
        ("CP7", "amount_off", "2026-01-05", "2026-01-18", "W02", None, "S3", None, None, 1.0,
         None),
    ], columns=["promo_id", "promo_type", "start_date", "end_date", "item_id", "category",
                "store_id", "discount_pct", "threshold_amount", "amount_off", "gift_value"])
    rows = []
    for store in ("S1", "S2", "S3"):
        for item in items.itertuples():
            for week in weeks:
                price, lift = item.base_price, 1.0
                for p in promos.itertuples():
                    on = pd.Timestamp(p.start_date) <= week <= pd.Timestamp(p.end_date)
                    on &= p.item_id == item.item_id or p.category == item.category
                    on &= p.store_id in (None, store)
                    if not on:
                        continue
                    if p.promo_type == "percent_off":
                        price = item.base_price * (1 - p.discount_pct / 100)
                    elif p.promo_type == "amount_off":
                        price = item.base_price - p.amount_off
                    else:
                        lift *= LIFT
                mean = (price / item.base_price) ** ELASTICITY * lift * _truth(
                    pd.Series([week]))[0]
                rows.append((week.date(), item.item_id, store, rng.poisson(mean),
                             round(price, 2), item.base_price))
    sales = pd.DataFrame(rows, columns=["date", "item_id", "store_id", "units", "price",
                                        "base_price"])
    files = {"items": root / "items.csv", "promotions": root / "promotions.csv",
             "sales": root / "sales.csv"}
    items.to_csv(files["items"], index=False)
    promos.to_csv(files["promotions"], index=False)
    sales.to_csv(files["sales"], index=False)
    db = root / "shop.duckdb"
    ingest(list(files.values()), db)
    loaded = read_shop(Path(db))
    panel = loaded.panel
    baseline = counterfactual_baseline(panel.frame, panel.known, panel.static, panel.freq)
    evaluation = evaluate_promotions(panel.frame, loaded.promotions, baseline, loaded.items,
                                     freq=panel.freq)
    return {"panel": panel, "items": items, "promotions": promos, "baseline": baseline,
            "evaluation": evaluation}


def test_weekly_category_deals_get_a_baseline_near_the_truth(shop: dict) -> None:
    frame = shop["baseline"].merge(shop["items"][["item_id", "category"]], on="item_id")
    frame["truth"] = _truth(frame["ds"])
    errors = {}
    for p in shop["promotions"].itertuples():
        rows = frame["ds"].between(pd.Timestamp(p.start_date), pd.Timestamp(p.end_date))
        rows &= (frame["item_id"] == p.item_id) if p.item_id else (frame["category"]
                                                                   == p.category)
        if p.store_id:
            rows &= frame["store_id"] == p.store_id
        covered = frame[rows]
        errors[p.promo_id] = covered["baseline_units"].sum() / covered["truth"].sum() - 1
    # Measured (this shop): -3 .. +4 %; before the mend +6 .. +29 % (CP1, the 20 % category
    # deal in the run-up to 618, +29 %), as in the QA shop.
    assert max(abs(e) for e in errors.values()) < 0.10, errors
    assert abs(np.mean(list(errors.values()))) < 0.04, errors


def test_weekly_category_deal_incremental_units_follow_the_truth(shop: dict) -> None:
    """CP1: 20 % off at elasticity -2.5 sells 0.8 ** -2.5 = 1.75 times the baseline."""
    row = shop["evaluation"].table.set_index("promo_id").loc["CP1"]
    true_share = 0.8 ** ELASTICITY - 1
    share = row["incremental_units"] / row["baseline_units"]
    assert share == pytest.approx(true_share, abs=0.15)
