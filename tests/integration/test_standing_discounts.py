"""A discount that never ends is the price: the forecast keeps it (``standing_discounts``).

Stallion's beer series carry a trade discount in every month of five years. Forecast at the
regular price, they were asked about a price they never had and LightGBM put them a fifth
under the truth; kept at their current price, the forecast is unbiased. The promotion
baseline keeps it too, and a planned promotion's depth comes off the price they sell at."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import shared_path
from promocast.data.storage import Store
from promocast.features.calendar import build_calendar
from promocast.forecasting.engine import ForecastSpec, fit_predict
from promocast.services.forecast import (
    future_inputs,
    standing_discounts,
    usual_prices,
)
from promocast.services.forecasting import load_panel
from promocast.services.ingest import ingest
from promocast.services.promo_baseline import baseline_forecast
from promocast.services.scenarios import scenario_frame
from promocast.services.shop import Shop, read_shop
from promocast.services.whatif import rows_frame, simulate_planned


def _panel(rows: list[tuple[str, int, float, float, int]]) -> pd.DataFrame:
    """unique_id, period, price, base_price, on_promo -> a weekly panel with the columns the
    rule reads."""
    frame = pd.DataFrame(rows, columns=["unique_id", "k", "price", "base_price", "on_promo"])
    frame["ds"] = pd.Timestamp("2024-01-07") + pd.to_timedelta(frame.pop("k") * 7, unit="D")
    frame["discount_depth"] = (1 - frame["price"] / frame["base_price"]).clip(lower=0)
    return frame


def test_only_a_discount_over_each_of_the_last_periods_stands() -> None:
    rows = []
    for k in range(12):
        rows.append(("always", k, 8.0, 10.0, 1))  # discounted every week
        rows.append(("priced", k, 9.0, 10.0, 0))  # under the regular price, no promo flag
        rows.append(("gap", k, 10.0 if k == 9 else 8.0, 10.0, int(k != 9)))  # one full-price week
        rows.append(("short", k, 8.0 if k >= 6 else 10.0, 10.0, int(k >= 6)))  # 6 weeks only
        rows.append(("regular", k, 10.0, 10.0, 0))
    rows += [("young", k, 8.0, 10.0, 1) for k in range(5)]  # fewer periods than the rule
    assert standing_discounts(_panel(rows), "W-SUN") == ["always", "priced"]


def test_daily_data_needs_eight_weeks() -> None:
    days = pd.date_range("2024-01-01", periods=70, freq="D")
    frame = pd.DataFrame({"unique_id": "a", "ds": days, "on_promo": np.r_[np.zeros(20), np.ones(50)],
                          "discount_depth": 0.0})
    assert standing_discounts(frame, "D") == []  # 50 days: a long promotion, not a price
    frame["on_promo"] = np.r_[np.zeros(14), np.ones(56)]
    assert standing_discounts(frame, "D") == ["a"]


def test_the_usual_price_is_the_median_discount_on_the_newest_base_price() -> None:
    """One deep week among eight does not set the price a standing discount sells at."""
    rows = [("a", k, 6.0 if k == 11 else 8.0, 10.0, 1) for k in range(12)]
    rows += [("b", k, 9.0, 10.0 if k < 11 else 12.0, 1) for k in range(12)]  # list price rose
    usual = usual_prices(_panel(rows), "W-SUN", ["a", "b"])
    assert usual.to_dict() == pytest.approx({"a": 8.0, "b": 10.8})
    assert usual_prices(_panel(rows), "W-SUN", []).empty


@pytest.fixture(scope="module")
def stallion(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("stallion") / "s.duckdb"
    ingest([shared_path("stallion_beverage")], db, fmt="stallion")
    return db


def test_stallion_forecast_keeps_the_standing_discounts(stallion: Path) -> None:
    """Train to June 2017, forecast July-September with no plan: held at their discount, the
    forecast's total is within 8 % of what sold and its WAPE under 0.8 times the one at the
    regular price."""
    panel = load_panel(stallion, country="US")
    with Store(stallion, read_only=True) as store:
        promotions, items = store.read("promotions"), store.read("items", ["item_id", "category"])
        events = store.query("SELECT date, event, store_id FROM events")
    cutoff, horizon = pd.Timestamp("2017-06-01"), 3
    train = panel.frame[panel.frame["ds"] <= cutoff]
    after = panel.frame[(panel.frame["ds"] > cutoff) & (panel.frame["observed"] == 1)]
    standing = standing_discounts(train, panel.freq)
    assert 300 <= len(standing) <= 350  # 218 series were discounted in every month
    calendar = build_calendar(train["ds"].min(), cutoff + pd.Timedelta(days=800), "US", events)
    spec = ForecastSpec(freq=panel.freq, horizon=horizon, models=["lgbm"],
                        season_length=panel.season_length, known=panel.known, static=panel.static)
    scores = {}
    for name, hold in (("regular", []), ("held", standing)):
        future = future_inputs(train, panel.freq, horizon, panel.known, promotions, items,
                               calendar, hold=hold)
        usual = usual_prices(train, panel.freq, hold)
        held = future[future["unique_id"].isin(hold)]
        np.testing.assert_allclose(held["price"], usual.reindex(held["unique_id"]).to_numpy())
        free = future[~future["unique_id"].isin(hold)]
        np.testing.assert_allclose(free["price"].dropna(), free["base_price"].dropna())
        scored = fit_predict(train, future, spec).merge(after[["unique_id", "ds", "y"]],
                                                        on=["unique_id", "ds"])
        scores[name] = (float((scored["lgbm"] - scored["y"]).abs().sum() / scored["y"].sum()),
                        float(scored["lgbm"].sum() / scored["y"].sum() - 1))
    # a planned 10 % off cuts from the price the series usually sells at
    uid = standing[0]
    item, store = train.loc[train["unique_id"] == uid, ["item_id", "store_id"]].iloc[0]
    planned = scenario_frame(pd.DataFrame([{
        "promo_id": "P1", "promo_type": "percent_off", "start_date": "2017-08-01",
        "end_date": "2017-08-31", "item_id": item, "store_id": store, "discount_pct": 10}]), "t")
    future = future_inputs(train, panel.freq, horizon, panel.known, promotions, items, calendar,
                           planned, hold=standing)
    prices = future[future["unique_id"] == uid].set_index("ds")["price"]
    usual = float(usual_prices(train, panel.freq, [uid]).iloc[0])
    assert prices[pd.Timestamp("2017-08-01")] == pytest.approx(0.9 * usual)
    assert prices[pd.Timestamp("2017-07-01")] == pytest.approx(usual)
    (wape_regular, bias_regular), (wape_held, bias_held) = scores["regular"], scores["held"]
    assert abs(bias_held) < 0.08, scores
    assert bias_regular < -0.15, scores  # the failure this guards against
    assert wape_held < 0.8 * wape_regular, scores


def test_stallion_baseline_goes_on_at_the_standing_discount(stallion: Path) -> None:
    """The no-promotion baseline trained to June 2017: the held series' July-September total
    within 10 % of what they sold (at the regular price it was a fifth under)."""
    shop = read_shop(stallion, country="US")
    cutoff = pd.Timestamp("2017-06-01")
    frame = shop.panel.frame
    train = frame[frame["ds"] <= cutoff]
    short = Shop(replace(shop.panel, frame=train), shop.promotions.iloc[0:0], shop.items,
                 shop.events, shop.inventory)
    baseline = baseline_forecast(short, 3, country="US")
    standing = standing_discounts(train, shop.panel.freq)
    held = baseline[baseline["unique_id"].isin(standing)]
    np.testing.assert_allclose(held["usual_price"], usual_prices(train, shop.panel.freq, standing)
                               .reindex(held["unique_id"]).to_numpy())
    assert baseline.loc[~baseline["unique_id"].isin(standing), "usual_price"].isna().all()
    sold = frame[frame["unique_id"].isin(standing) & (frame["ds"] > cutoff)
                 & (frame["ds"] <= "2017-09-01") & (frame["observed"] == 1)]["y"].sum()
    assert abs(held["baseline_units"].sum() / sold - 1) < 0.10


def test_stallion_whatif_cuts_from_the_price_it_sells_at(stallion: Path) -> None:
    """10 % off a series on a standing discount: the shelf price is 10 % under the price it
    usually sells at (not under the regular price, which would be dearer than now), the units
    rise in the promoted month, and a warning says how the promotion was priced."""
    panel = read_shop(stallion, country="US").panel
    frame = panel.frame
    held = standing_discounts(frame, panel.freq)
    last = frame[frame["unique_id"] == held[0]].sort_values("ds").iloc[-1]
    usual = float(usual_prices(frame, panel.freq, held[:1]).iloc[0])
    assert usual < 0.95 * last["base_price"]
    rows = [{"item_id": str(last["item_id"]), "store_id": str(last["store_id"]),
             "promo_type": "percent_off", "discount_pct": 10,
             "start_date": "2018-02-01", "end_date": "2018-02-28"}]
    document = simulate_planned(stallion, rows_frame(rows), source="api", country="US",
                                keep=False)
    day = next(d for d in document["days"] if d["promo_type"] == "percent_off")
    assert (day["item_id"], day["store_id"]) == (rows[0]["item_id"], rows[0]["store_id"])
    assert day["regular_price"] == pytest.approx(usual, rel=1e-6)
    assert day["shelf_price"] == pytest.approx(0.9 * usual, abs=0.01)
    assert day["incremental_units"] > 0
    warned = [w for w in document["warnings"] if w["kind"] == "standing_discount"]
    assert warned and warned[0]["items"] == [str(last["item_id"])]
