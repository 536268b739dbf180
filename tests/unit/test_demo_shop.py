"""The demo shop: deterministic, valid by the data contract, consistent, and with a truth that
the data actually carry."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from promocast.data.schema import PROMO_TYPES
from promocast.testing.demo_shop import generate


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory):
    return generate(tmp_path_factory.mktemp("shop"), seed=3, n_items=24, years=1.0)


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_same_seed_same_bytes_other_seed_differs(tmp_path: Path, shop) -> None:
    again = generate(tmp_path / "a", seed=3, n_items=24, years=1.0)
    assert _digest(again.out_dir) == _digest(shop.out_dir)
    other = generate(tmp_path / "b", seed=4, n_items=24, years=1.0)
    assert _digest(other.out_dir)["sales.csv"] != _digest(shop.out_dir)["sales.csv"]


def test_tables_keep_the_contract(shop) -> None:
    sales = pd.read_csv(shop.files["sales"])
    assert (sales["units"] >= 0).all() and (sales["price"] > 0).all() and (sales["base_price"] > 0).all()
    assert set(sales["on_promo"]) <= {0, 1}
    assert not sales.duplicated(["date", "item_id", "store_id"]).any()
    assert set(sales["store_id"]) == {"online", "store_sh"}
    promos = pd.read_csv(shop.files["promotions"])
    assert set(promos["promo_type"]) == set(PROMO_TYPES)
    assert (pd.to_datetime(promos["end_date"]) >= pd.to_datetime(promos["start_date"])).all()
    assert (promos["item_id"].notna() | promos["category"].notna()).all()
    inventory = pd.read_csv(shop.files["inventory"])
    assert (inventory["on_hand"] >= 0).all()
    orders = pd.read_csv(shop.files["orders"])
    assert not orders.duplicated(["order_id", "line"]).any()


def test_online_sales_equal_the_orders(shop) -> None:
    sales = pd.read_csv(shop.files["sales"])
    orders = pd.read_csv(shop.files["orders"])
    orders["date"] = orders["timestamp"].str[:10]
    from_orders = orders.groupby(["date", "item_id"])["quantity"].sum()
    online = sales[sales["store_id"] == "online"].set_index(["date", "item_id"])["units"]
    assert (from_orders.reindex(online.index).fillna(0) == online).all()
    assert from_orders.sum() == online.sum() > 0


def test_launches_and_stock(shop) -> None:
    sales = pd.read_csv(shop.files["sales"], parse_dates=["date"])
    items = pd.read_csv(shop.files["items"], parse_dates=["launch_date"])
    first = sales.groupby("item_id")["date"].min()
    assert (first.reindex(items["item_id"]).to_numpy() == items["launch_date"].to_numpy()).all()
    inventory = pd.read_csv(shop.files["inventory"])
    assert len(inventory) == len(sales)


def test_truth_is_complete_and_recoverable(shop) -> None:
    truth = shop.ground_truth
    assert len(truth["items"]) == 24
    for item in truth["items"].values():
        assert item["price_elasticity"] < 0
        assert set(item["lift"]) == set(PROMO_TYPES)
        assert item["lift"]["percent_off"] == 0.0
    baseline = pd.read_parquet(shop.out_dir / truth["baseline_file"])
    assert len(baseline) == len(pd.read_csv(shop.files["sales"]))
    # The expected units carry the truth: off promotion only dips and cannibalisation lower
    # them; under percent_off the ratio to baseline is (price / base price) ** elasticity.
    sales = pd.read_csv(shop.files["sales"])
    merged = sales.merge(baseline, on=["item_id", "store_id", "date"])
    merged = merged[merged["baseline_units"] > 0]
    ratio = merged["expected_units"] / merged["baseline_units"]
    off = merged["on_promo"] == 0
    assert ratio[off].between(0.7, 1.0 + 1e-6).all()
    promos = pd.read_csv(shop.files["promotions"])
    pct = merged["promo_id"].isin(promos.loc[promos["promo_type"] == "percent_off", "promo_id"])
    implied = (np.log(ratio[pct]) / np.log(merged.loc[pct, "price"] / merged.loc[pct, "base_price"]))
    by_item = implied.groupby(merged.loc[pct, "item_id"]).median()
    true = pd.Series({i: v["price_elasticity"] for i, v in truth["items"].items()})
    assert len(by_item) >= 5
    error = (by_item - true[by_item.index]).abs()
    assert error.median() < 0.01  # a few items also carry cannibalisation on those days
    assert error.max() < 0.5
