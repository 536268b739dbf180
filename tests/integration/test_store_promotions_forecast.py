"""A promotion loaded in the store forecasts as the same row given as a scenario does.

QA (s5): 20 % off Z05 on 5-9 January raised its LightGBM forecast by about 15 % when loaded
with ``promocast ingest`` and by about 50 % as ``forecast --scenario`` (truth: +56 %), because
only scenario rows lowered the horizon's price; a promotion running on past the data's end got
its flags and no price at all. One rule (``features.promo_prices``) now prices both, and where
both cover an item, store and day the scenario (the user's plan) wins."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import load_demo_shop
from promocast.data.storage import Store
from promocast.features.calendar import build_calendar
from promocast.services.forecast import future_inputs, run_forecast
from promocast.services.forecasting import load_panel
from promocast.services.ingest import ingest
from promocast.services.scenarios import scenario_frame

DAY = pd.Timedelta(days=1)


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return load_demo_shop(tmp_path_factory.mktemp("store_promos"), seed=4, n_items=10)


def _day(ts: pd.Timestamp) -> str:
    return str(ts.date())


def _close(actual: object, desired: object) -> None:
    """Equal as the float32 inputs the models read."""
    np.testing.assert_allclose(actual, desired, rtol=1e-5)


def _rows(rows: list[dict]) -> pd.DataFrame:
    return scenario_frame(pd.DataFrame(rows), "test")


def test_store_promotions_set_the_horizon_as_a_scenario_does(shop: Path) -> None:
    """Running-on, category-wide (amount_off) and store-scoped promotions of the store give the
    horizon the inputs the same rows give as a scenario; a scenario row overrides the store's
    on its own item, store and days."""
    panel = load_panel(shop)
    with Store(shop, read_only=True) as store:
        stored, items = store.read("promotions"), store.read("items", ["item_id", "category"])
        events = store.query("SELECT date, event, store_id FROM events")
    end = panel.frame["ds"].max()
    category = items["category"].value_counts().index[0]
    members = sorted(items.loc[items["category"] == category, "item_id"])
    assert len(members) >= 2
    item = str(items.loc[~items["category"].eq(category), "item_id"].iloc[0])
    new = _rows([
        {"promo_id": "RUN", "promo_type": "percent_off", "item_id": item, "discount_pct": 20,
         "start_date": _day(end - 6 * DAY), "end_date": _day(end + 5 * DAY)},
        {"promo_id": "CAT", "promo_type": "amount_off", "category": category,
         "store_id": "store_sh", "amount_off": 1.0,
         "start_date": _day(end + 3 * DAY), "end_date": _day(end + 6 * DAY)}])
    calendar = build_calendar(panel.frame["ds"].min(), end + 800 * DAY, "CN", events)
    args = (panel.frame, panel.freq, 14, panel.known)
    none = future_inputs(*args, stored, items, calendar).set_index(["unique_id", "ds"])
    loaded = future_inputs(*args, pd.concat([stored, new.drop(columns="planned_price")],
                                            ignore_index=True), items, calendar)
    loaded = loaded.set_index(["unique_id", "ds"])
    planned = future_inputs(*args, stored, items, calendar, new).set_index(["unique_id", "ds"])
    pd.testing.assert_frame_equal(loaded[panel.known], planned[panel.known].loc[loaded.index])
    price = loaded["price"]
    for store_id in ("store_sh", "online"):  # running on: 20 % off both stores to day 5
        uid = f"{item}/{store_id}"
        regular = none.loc[uid, "price"]
        _close(price[uid].iloc[:5], 0.8 * regular.iloc[:5])
        _close(price[uid].iloc[5:], regular.iloc[5:])
        assert (loaded.loc[uid, "promo_percent_off"].iloc[:5] == 1).all()
    for member in members:  # the category's items, in store_sh only, on days 3-6
        sh, web = none.loc[f"{member}/store_sh", "price"], none.loc[f"{member}/online", "price"]
        cut = np.maximum(sh.iloc[2:6] - 1.0, 0.1 * sh.iloc[2:6])
        _close(price[f"{member}/store_sh"].iloc[2:6], cut)
        _close(price[f"{member}/store_sh"].iloc[6:], sh.iloc[6:])
        _close(price[f"{member}/online"], web)
    # the user's plan wins its cells: 10 % off online on days 2-3, a display in store_sh day 4
    plan = _rows([
        {"promo_id": "P1", "promo_type": "percent_off", "item_id": item, "store_id": "online",
         "discount_pct": 10, "start_date": _day(end + 2 * DAY), "end_date": _day(end + 3 * DAY)},
        {"promo_id": "P2", "promo_type": "feature_display", "item_id": item,
         "store_id": "store_sh", "display": 1, "start_date": _day(end + 4 * DAY),
         "end_date": _day(end + 4 * DAY)}])
    both = future_inputs(*args, pd.concat([stored, new.drop(columns="planned_price")],
                                          ignore_index=True), items, calendar, plan)
    both = both.set_index(["unique_id", "ds"])
    web, sh = f"{item}/online", f"{item}/store_sh"
    _close(both.loc[web, "price"].iloc[1:3], 0.9 * none.loc[web, "price"].iloc[1:3])
    _close(both.loc[web, "price"].iloc[[0, 3, 4]],
                               0.8 * none.loc[web, "price"].iloc[[0, 3, 4]])
    day4 = both.loc[(sh, end + 4 * DAY)]
    assert day4["price"] == pytest.approx(none.loc[(sh, end + 4 * DAY), "price"])
    assert (day4["promo_percent_off"], day4["promo_feature_display"]) == (0, 1)
    assert both.loc[(sh, end + 3 * DAY), "promo_percent_off"] == 1


def test_forecast_with_a_loaded_promotion_equals_it_as_a_scenario(shop: Path, tmp_path: Path
                                                                   ) -> None:
    """30 % off the best seller on days 3-7 of the horizon: loaded in the store, its forecast
    over those days is the scenario's (within 1 %) and a fifth above the one without it."""
    db = tmp_path / "shop.duckdb"
    shutil.copy(shop, db)
    with Store(db, read_only=True) as store:
        end = pd.Timestamp(store.query("SELECT max(date) AS d FROM sales")["d"].iloc[0])
        item = str(store.query("SELECT item_id FROM sales GROUP BY 1 ORDER BY sum(units) DESC "
                               "LIMIT 1")["item_id"].iloc[0])
    start, stop = end + 3 * DAY, end + 7 * DAY
    plan = tmp_path / "promotions_future.csv"
    plan.write_text("promo_id,promo_type,start_date,end_date,item_id,discount_pct\n"
                    f"FUT1,percent_off,{start.date()},{stop.date()},{item},30\n")
    runs = {}
    for name, scenario in (("none", None), ("scenario", plan), ("store", None)):
        if name == "store":
            ingest([plan], db)
        out = tmp_path / f"{name}.csv"
        run_forecast(db, horizon=14, models=["lgbm"], out=out, scenario=scenario)
        frame = pd.read_csv(out, parse_dates=["ds"])
        window = (frame["item_id"] == item) & frame["ds"].between(start, stop)
        runs[name] = frame[window].sort_values(["store_id", "ds"])["lgbm"].to_numpy()
    np.testing.assert_allclose(runs["store"], runs["scenario"], rtol=0.01)
    assert runs["store"].sum() > 1.2 * runs["none"].sum(), runs
