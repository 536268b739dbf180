"""The demo shop: deterministic, valid by the data contract (DESIGN §2), internally consistent
(orders add up to the online sales, stock censors sales), and carrying a truth that the data
actually hold (DESIGN §3 definitions of elasticity and lift)."""

from __future__ import annotations

import hashlib
import re
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from promocast.data.schema import PROMO_TYPES, TABLES
from promocast.testing.demo_shop import (
    LIFT_MECHANISMS,
    DemandParams,
    DemoShop,
    calendar_demand,
    expected_demand,
    generate,
)

SMALL = {"seed": 3, "n_items": 24, "n_stores": 2, "years": 1.0}
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ISO_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> DemoShop:
    return generate(tmp_path_factory.mktemp("shop"), **SMALL)


@pytest.fixture(scope="module")
def tables(shop: DemoShop) -> dict[str, pd.DataFrame]:
    """Every table read as text, so formats are checked as written."""
    return {
        name: pd.read_csv(path, dtype=str, keep_default_na=False)
        for name, path in shop.files.items()
    }


@pytest.fixture(scope="module")
def typed(shop: DemoShop) -> dict[str, pd.DataFrame]:
    """Every table read with type inference (numbers as numbers, empty cells as NaN)."""
    return {name: pd.read_csv(path) for name, path in shop.files.items()}


@pytest.fixture(scope="module")
def sales(typed: dict[str, pd.DataFrame]) -> pd.DataFrame:
    return typed["sales"]


@pytest.fixture(scope="module")
def truth_rows(shop: DemoShop, sales: pd.DataFrame) -> pd.DataFrame:
    """Sales joined with the per-row truth (baseline, expected, demand, stock available)."""
    baseline = pd.read_parquet(shop.out_dir / shop.ground_truth["baseline_file"])
    return sales.merge(baseline, on=["item_id", "store_id", "date"], validate="one_to_one")


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_same_seed_same_bytes_other_seed_differs(tmp_path: Path, shop: DemoShop) -> None:
    again = generate(tmp_path / "again", **SMALL)
    assert _digest(again.out_dir) == _digest(shop.out_dir)
    other = generate(tmp_path / "other", **{**SMALL, "seed": 4})
    first, second = _digest(shop.out_dir), _digest(other.out_dir)
    for name in ("sales.csv", "orders.csv", "promotions.csv", "ground_truth.json"):
        assert first[name] != second[name], name


def test_files_and_columns_follow_the_schema(
    shop: DemoShop, tables: dict[str, pd.DataFrame]
) -> None:
    assert set(shop.files) == {
        "sales",
        "items",
        "promotions",
        "events",
        "inventory",
        "orders",
        "stores",
    }
    for name, frame in tables.items():
        spec = TABLES[name]
        assert set(spec.required) <= set(frame.columns) <= set(spec.names), name
        assert not frame.duplicated(list(spec.key)).any(), f"duplicate key in {name}"
    for name in ("ground_truth.json", "ground_truth_baseline.parquet"):
        assert (shop.out_dir / name).exists()


def test_values_keep_the_rules(
    tables: dict[str, pd.DataFrame], sales: pd.DataFrame, typed: dict[str, pd.DataFrame]
) -> None:
    today = date.today().isoformat()
    for name, column in [
        ("sales", "date"),
        ("inventory", "date"),
        ("events", "date"),
        ("promotions", "start_date"),
        ("promotions", "end_date"),
        ("items", "launch_date"),
    ]:
        values = tables[name][column]
        assert values.str.match(ISO_DATE).all(), (name, column)
        assert (values <= today).all(), (name, column)
    assert tables["orders"]["timestamp"].str.match(ISO_TIMESTAMP).all()

    assert (sales["units"] >= 0).all() and (sales["units"] % 1 == 0).all()
    assert (sales["price"] > 0).all() and (sales["base_price"] > 0).all()
    assert (sales["price"] <= sales["base_price"] + 1e-9).all()
    assert set(sales["on_promo"]) == {0, 1}
    assert (sales["promo_id"].notna() == (sales["on_promo"] == 1)).all()
    assert set(sales["store_id"]) == {"online", "store_sh"}
    for store, group in sales.groupby("store_id"):  # one frequency: every day, no gaps
        days = pd.to_datetime(pd.Series(group["date"].unique())).sort_values()
        assert (days.diff().dropna() == pd.Timedelta(days=1)).all(), store

    items = typed["items"]
    assert (items["unit_cost"] > 0).all() and (items["base_price"] > items["unit_cost"]).all()
    assert set(sales["item_id"]) == set(items["item_id"])
    assert items["category"].nunique() == 8

    inventory = tables["inventory"]
    assert (inventory["on_hand"].astype(int) >= 0).all()
    assert len(inventory) == len(sales)

    stores = tables["stores"]
    assert list(stores["store_id"]) == ["online", "store_sh"]
    assert list(stores["channel"]) == ["online", "offline"]


def test_promotions_cover_every_mechanism(
    sales: pd.DataFrame, typed: dict[str, pd.DataFrame]
) -> None:
    promos = typed["promotions"]
    assert set(promos["promo_type"]) == set(PROMO_TYPES)
    assert (pd.to_datetime(promos["end_date"]) >= pd.to_datetime(promos["start_date"])).all()
    assert (promos["item_id"].notna() ^ promos["category"].notna()).all()
    assert promos["category"].notna().any(), "some promotions are category-wide"
    assert promos["store_id"].isna().any() and promos["store_id"].notna().any()
    assert promos["fixed_cost"].notna().any()
    assert (promos["discount_pct"].dropna().between(0, 100)).all()
    threshold = promos[promos["promo_type"] == "threshold"]
    assert threshold[["threshold_amount", "amount_off"]].notna().all().all()
    assert promos.loc[promos["promo_type"] == "gift", "gift_value"].notna().all()
    display = promos[promos["promo_type"] == "feature_display"]
    assert ((display["feature"] == 1) | (display["display"] == 1)).all()

    on_promo = sales[sales["on_promo"] == 1].merge(promos, on="promo_id", suffixes=("", "_promo"))
    assert len(on_promo) == (sales["on_promo"] == 1).sum(), "every promo_id is in promotions.csv"
    inside = (on_promo["date"] >= on_promo["start_date"]) & (
        on_promo["date"] <= on_promo["end_date"]
    )
    assert inside.all()
    priced = on_promo[on_promo["promo_type"].isin(["percent_off", "flash_sale"])]
    assert np.allclose(
        priced["price"], (priced["base_price"] * (1 - priced["discount_pct"] / 100)).round(2)
    )
    unpriced = on_promo[
        on_promo["promo_type"].isin(["threshold", "gift", "bundle", "feature_display"])
    ]
    assert (unpriced["price"] == unpriced["base_price"]).all()
    items = typed["items"].set_index("item_id")["category"]
    wide = on_promo[on_promo["category"].notna()]
    assert (wide["item_id"].map(items) == wide["category"]).all()


def test_online_sales_equal_the_orders(sales: pd.DataFrame, typed: dict[str, pd.DataFrame]) -> None:
    orders = typed["orders"].copy()
    assert (orders["store_id"] == "online").all()
    assert orders["quantity"].between(1, 3).all()
    numbered = orders.groupby("order_id")["line"].agg(
        lambda x: list(x) == list(range(1, len(x) + 1))
    )
    assert numbered.all(), "lines are numbered 1..n inside each order"
    assert orders.groupby("order_id")["customer_id"].nunique().eq(1).all()
    assert orders.groupby("order_id")["timestamp"].nunique().eq(1).all()
    orders["date"] = orders["timestamp"].str[:10]
    from_orders = orders.groupby(["date", "item_id"])["quantity"].sum()
    online = sales[sales["store_id"] == "online"].set_index(["date", "item_id"])["units"]
    assert from_orders.index.isin(online.index).all()
    assert (from_orders.reindex(online.index).fillna(0).astype(int) == online).all()
    assert online.sum() > 0
    paid = orders.merge(sales[sales["store_id"] == "online"], on=["date", "item_id"])
    assert np.allclose(paid["unit_price"], paid["price"])
    assert (orders["discount"] >= 0).all()


def test_stock_censors_sales(truth_rows: pd.DataFrame, typed: dict[str, pd.DataFrame]) -> None:
    rows = truth_rows
    assert (rows["units"] == np.minimum(rows["demand_units"], rows["available_units"])).all()
    assert (rows["units"] <= rows["available_units"]).all()
    inventory = typed["inventory"]
    merged = rows.merge(inventory, on=["date", "item_id", "store_id"])
    assert (merged["on_hand"] == merged["available_units"] - merged["units"]).all()
    censored = rows["demand_units"] > rows["available_units"]
    assert 0 < censored.mean() < 0.1, "some, not many, stock-outs"
    assert (merged.loc[censored.to_numpy(), "on_hand"] == 0).all()


def test_new_launches_have_no_history_before_launch(
    shop: DemoShop, sales: pd.DataFrame, tables: dict[str, pd.DataFrame]
) -> None:
    items = tables["items"].set_index("item_id")["launch_date"]
    start = shop.ground_truth["start"]
    launched = items[items > start]
    assert len(launched) >= 1
    first = sales.groupby("item_id")["date"].min()
    assert (first[items.index] == items).all()
    inventory_first = tables["inventory"].groupby("item_id")["date"].min()
    assert (inventory_first[launched.index] == launched).all()


def test_ground_truth_is_complete(shop: DemoShop, truth_rows: pd.DataFrame) -> None:
    truth = shop.ground_truth
    for key in (
        "seed",
        "start",
        "end",
        "items",
        "categories",
        "festivals",
        "baseline_file",
        "demand_model",
    ):
        assert key in truth, key
    assert truth["seed"] == SMALL["seed"] and truth["end"] == "2023-12-31"
    assert len(truth["items"]) == SMALL["n_items"]
    for item in truth["items"].values():
        assert item["price_elasticity"] < 0
        assert set(item["lift"]) == set(PROMO_TYPES)
        assert item["lift"]["percent_off"] == item["lift"]["amount_off"] == 0.0
        assert all(item["lift"][m] > 0 for m in LIFT_MECHANISMS)
        assert 0 <= item["post_promo_dip"] < 1 and 0 <= item["cannibalisation_rate"] < 1
        assert set(item["base_level"]) == {"online", "store_sh"}
    for category in truth["categories"].values():
        assert category["price_elasticity"] < 0 and set(category["lift"]) == set(PROMO_TYPES)
    assert {
        "spring_festival",
        "festival_38",
        "festival_520",
        "festival_618",
        "double_11",
        "double_12",
    } <= set(truth["festivals"])
    assert "2023-01-22" in truth["festivals"]["spring_festival"]["dates"]
    assert set(pd.read_csv(shop.files["events"])["event"]) == set(truth["festivals"])
    assert (truth_rows["expected_units"] >= 0).all() and (truth_rows["baseline_units"] > 0).all()


def test_truth_recomputes_the_baseline(shop: DemoShop, truth_rows: pd.DataFrame) -> None:
    """calendar_demand + expected_demand on the JSON truth give back the written baseline."""
    truth = shop.ground_truth
    dates = pd.date_range(truth["start"], truth["end"], freq="D")
    item_ids = list(truth["items"])
    calendar = calendar_demand(truth, dates)
    grid = truth_rows.pivot_table(
        index=["item_id", "store_id"], columns="date", values="base_price"
    )
    base = grid.reindex(pd.MultiIndex.from_product([item_ids, list(truth["stores"])]))
    base = base.reindex(columns=dates.strftime("%Y-%m-%d")).to_numpy().reshape(calendar.shape)
    base = np.where(np.isnan(base), 1.0, base)  # before a launch the calendar is 0 anyway
    baseline = expected_demand(DemandParams.from_truth(truth), calendar, base)
    written = (
        truth_rows.pivot_table(
            index=["item_id", "store_id"], columns="date", values="baseline_units"
        )
        .reindex(pd.MultiIndex.from_product([item_ids, list(truth["stores"])]))
        .reindex(columns=dates.strftime("%Y-%m-%d"))
        .to_numpy()
        .reshape(calendar.shape)
    )
    on_sale = ~np.isnan(written)
    assert np.allclose(baseline[on_sale], written[on_sale], rtol=1e-5, atol=1e-6)
    assert (calendar[~on_sale] == 0).all()


def test_expected_units_follow_the_definitions(
    shop: DemoShop, truth_rows: pd.DataFrame, typed: dict[str, pd.DataFrame]
) -> None:
    """Under a percent-off promotion without feature, expected / baseline is
    (price / base price) ** elasticity times the kept share after rival promotions; under a
    gift promotion at the regular price it is (1 + lift_gift) times that share. The share lies
    between (1 - rate) ** 3 (three rivals, unbounded) and 1: whole steps where the bound does
    not bind, less where it does."""
    truth = shop.ground_truth["items"]
    promos = typed["promotions"]
    rows = truth_rows.merge(promos[["promo_id", "promo_type", "feature", "display"]], on="promo_id")
    rows = rows[(rows["feature"] == 0) & (rows["display"] == 0)]
    elasticity = rows["item_id"].map({k: v["price_elasticity"] for k, v in truth.items()})
    kept = 1 - rows["item_id"].map({k: v["cannibalisation_rate"] for k, v in truth.items()})
    gift = rows["item_id"].map({k: v["lift"]["gift"] for k, v in truth.items()})
    ratio = rows["expected_units"] / rows["baseline_units"]
    own = np.where(
        rows["promo_type"] == "percent_off",
        (rows["price"] / rows["base_price"]) ** elasticity,
        np.where(rows["promo_type"] == "gift", 1 + gift, np.nan),
    )
    share = (ratio / own)[np.isfinite(own)]
    assert len(share) > 20
    assert (share <= 1 + 1e-5).all() and (share >= kept[np.isfinite(own)] ** 3 - 1e-5).all()
    steps = np.log(share) / np.log(kept[np.isfinite(own)])
    whole = np.isclose(steps, np.round(steps), atol=1e-3)
    assert whole.mean() > 0.3 and (~whole).sum() > 5  # both: the bound binds on some days


def test_rivals_lose_no_more_than_the_promoted_items_win(
    shop: DemoShop, truth_rows: pd.DataFrame
) -> None:
    """Per category x store x day, the units the items off promotion lose to rival promotions
    (their expected units below their no-rival level: the baseline, times 1 - dip in the week
    after a promotion) never exceed the promoted items' net gain over their baseline; where the
    bound binds (many cells) the category's units are unchanged by the switching."""
    truth = shop.ground_truth["items"]
    rows = truth_rows.sort_values(["item_id", "store_id", "date"]).reset_index(drop=True)
    rows["category"] = rows["item_id"].map({k: v["category"] for k, v in truth.items()})
    active = rows["on_promo"] == 1
    recent = (
        active.astype(int)
        .groupby([rows["item_id"], rows["store_id"]])
        .transform(lambda x: x.shift(1, fill_value=0).rolling(7, min_periods=1).max())
    )
    dip = (~active) & (recent == 1)
    dip_share = rows["item_id"].map({k: v["post_promo_dip"] for k, v in truth.items()})
    level = rows["baseline_units"] * np.where(dip, 1 - dip_share, 1.0)
    rows["lost"] = np.where(active, 0.0, level - rows["expected_units"])
    rows["won"] = np.where(active, rows["expected_units"] - rows["baseline_units"], 0.0)
    assert (rows["lost"] >= -1e-5).all()
    cells = rows.groupby(["category", "store_id", "date"])[["lost", "won"]].sum()
    cells = cells[cells["lost"] > 1e-3]
    assert len(cells) > 100
    net = cells["won"] - cells["lost"]
    assert (net >= -1e-3 * cells["won"].abs().clip(lower=1)).all()
    assert (net.abs() < 1e-3 * cells["won"].abs().clip(lower=1)).mean() > 0.2


def test_expected_demand_is_the_documented_formula() -> None:
    params = DemandParams(
        reference_price=np.array([10.0]),
        price_elasticity=np.array([-2.0]),
        lift=np.array([[0.2, 0.1, 0.5, 0.3, 0.4]]),
        post_promo_dip=np.array([0.1]),
        cannibalisation_rate=np.array([0.05]),
    )
    calendar = np.array([[8.0, 8.0, 8.0, 8.0]])
    price = np.array([[10.0, 5.0, 10.0, 10.0]])
    flags = np.zeros((1, 4, len(LIFT_MECHANISMS)), dtype=bool)
    flags[0, 2, LIFT_MECHANISMS.index("gift")] = True
    inputs = {
        "after_promo": np.array([[False, False, False, True]]),
        "rivals_on_promo": np.array([[0, 0, 0, 5]]),
    }
    units = expected_demand(params, calendar, price, flags, **inputs)
    assert np.allclose(units, [[8.0, 32.0, 8.8, 8.0 * 0.9 * 0.95**3]])
    half = expected_demand(params, calendar, price, flags, **inputs, rival_scale=0.5)
    assert np.allclose(half[0, 3], 8.0 * 0.9 * (1 - 0.5 * (1 - 0.95**3)))


def test_customers_have_learnable_behaviour(
    shop: DemoShop, tables: dict[str, pd.DataFrame], typed: dict[str, pd.DataFrame]
) -> None:
    orders = typed["orders"].copy()
    people = pd.read_parquet(shop.out_dir / shop.ground_truth["customers_file"])
    per_customer = orders.groupby("customer_id")["order_id"].nunique()
    assert per_customer.max() >= 10 * per_customer.median()  # heterogeneous frequency
    assert orders.groupby("order_id").size().mean() > 1.2  # baskets, not single lines
    items = tables["items"].set_index("item_id")["category"]
    orders["category"] = orders["item_id"].map(items)
    favourite = people.set_index("customer_id")["favourite_category"]
    regular = per_customer[per_customer >= 5].index
    lines = orders[orders["customer_id"].isin(regular)]
    share = (lines["category"] == lines["customer_id"].map(favourite)).mean()
    assert share > 2 / 8  # tastes show in the baskets
    online = typed["sales"].query("store_id == 'online'")
    orders["date"] = orders["timestamp"].str[:10]
    orders = orders.merge(online[["date", "item_id", "on_promo"]], on=["date", "item_id"])
    deal = orders["customer_id"].map(people.set_index("customer_id")["deal_seeker"])
    assert orders.loc[deal, "on_promo"].mean() > orders.loc[~deal, "on_promo"].mean()


def test_log_log_ols_recovers_category_elasticity(tmp_path: Path) -> None:
    """Regular price steps identify elasticity apart from promotions: per category, an OLS of
    log mean units on log price over non-promotion days (one point per item x store x regular
    price, item x store fixed effects) lands near the category's true mean. Days are averaged
    per price first because the log of small daily counts flattens the slope."""
    shop = generate(tmp_path / "medium", seed=11, n_items=48, years=2.0)
    sales = pd.read_csv(shop.files["sales"])
    categories = {k: v["category"] for k, v in shop.ground_truth["items"].items()}
    quiet = sales[sales["on_promo"] == 0]
    points = (
        quiet.groupby(["item_id", "store_id", "price"])["units"].agg(["mean", "size"]).reset_index()
    )
    points = points[(points["mean"] > 0) & (points["size"] >= 14)]
    points["category"] = points["item_id"].map(categories)
    points["log_units"], points["log_price"] = np.log(points["mean"]), np.log(points["price"])
    errors = {}
    for category, group in points.groupby("category"):
        series = group.groupby(["item_id", "store_id"])
        y = group["log_units"] - series["log_units"].transform("mean")
        x = group["log_price"] - series["log_price"].transform("mean")
        slope = float((x * y).sum() / (x * x).sum())
        errors[category] = slope - shop.ground_truth["categories"][category]["price_elasticity"]
    assert len(errors) == 8
    assert np.median(np.abs(list(errors.values()))) < 0.5, errors
    assert sum(abs(e) < 0.5 for e in errors.values()) >= 5, errors
