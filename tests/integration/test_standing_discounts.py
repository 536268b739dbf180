"""A discount that never ends is the price: the forecast keeps it (``standing_discounts``).

Stallion's beer series carry a trade discount in every month of five years. Forecast at the
regular price, they were asked about a price they never had and LightGBM put them a fifth
under the truth; kept at their current price, the forecast is unbiased."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import shared_path
from promocast.data.storage import Store
from promocast.features.calendar import build_calendar
from promocast.forecasting.engine import ForecastSpec, fit_predict
from promocast.services.forecast import future_inputs, standing_discounts
from promocast.services.forecasting import load_panel
from promocast.services.ingest import ingest


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
        last = train.groupby("unique_id")["price"].last()
        held = future[future["unique_id"].isin(hold)]
        np.testing.assert_allclose(held["price"], last.reindex(held["unique_id"]).to_numpy())
        free = future[~future["unique_id"].isin(hold)]
        np.testing.assert_allclose(free["price"].dropna(), free["base_price"].dropna())
        scored = fit_predict(train, future, spec).merge(after[["unique_id", "ds", "y"]],
                                                        on=["unique_id", "ds"])
        scores[name] = (float((scored["lgbm"] - scored["y"]).abs().sum() / scored["y"].sum()),
                        float(scored["lgbm"].sum() / scored["y"].sum() - 1))
    (wape_regular, bias_regular), (wape_held, bias_held) = scores["regular"], scores["held"]
    assert abs(bias_held) < 0.08, scores
    assert bias_regular < -0.15, scores  # the failure this guards against
    assert wape_held < 0.8 * wape_regular, scores
