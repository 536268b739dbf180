"""The global model keeps calendar events and prices apart (``forecasting.additive``): a
festival only ever sold at a campaign price still lifts a forecast at the regular price,
which is the no-promotion baseline what-ifs and plans are priced against (QA5 #8)."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pandas as pd

from promocast.forecasting.additive import EventsApartLGBM, apart_constraints
from promocast.forecasting.zoo import ZooConfig, ml_model

PARAMS = dict(n_estimators=200, learning_rate=0.05, num_leaves=15, min_child_samples=20,
              verbosity=-1, random_state=0)


def _history(n: int = 6000) -> tuple[pd.DataFrame, pd.Series]:
    """log units = level + 0.7 on festival days - 3 log(relative price); every festival day
    of the history is sold at 30 % off."""
    rng = np.random.default_rng(0)
    x = pd.DataFrame({"lag7": rng.normal(0, 0.2, n),
                      "is_festival": (rng.random(n) < 0.03).astype(float),
                      "rel_price": np.where(rng.random(n) < 0.2, 0.7, 1.0)})
    x.loc[x["is_festival"] == 1, "rel_price"] = 0.7
    y = x["lag7"] + 0.7 * x["is_festival"] - 3 * np.log(x["rel_price"]) + rng.normal(0, 0.1, n)
    return x, y


def test_a_festival_sold_only_on_discount_still_lifts_the_regular_price_day() -> None:
    x, y = _history()
    days = pd.DataFrame({"lag7": 0.0, "is_festival": [0.0, 1.0, 0.0, 1.0],
                         "rel_price": [1.0, 1.0, 0.7, 0.7]})
    apart = EventsApartLGBM(**PARAMS).fit(x, y).predict(days)
    plain = lgb.LGBMRegressor(**PARAMS).fit(x, y).predict(days)
    # at the regular price the unconstrained trees never saw a festival: no lift at all
    assert abs(plain[1] - plain[0]) < 0.05
    assert abs((apart[1] - apart[0]) - 0.7) < 0.1
    # on discount both see it; the price effect (3 x 0.357 = 1.07) is kept
    assert abs((apart[3] - apart[2]) - 0.7) < 0.1
    assert abs((apart[2] - apart[0]) - 3 * np.log(1 / 0.7)) < 0.1


def test_constraints_put_lags_with_both_and_events_never_with_prices() -> None:
    cols = ["lag7", "rolling_mean_lag7_window_size28", "days_to_festival_618", "is_holiday",
            "rel_price", "promo_gift", "cat_rel_price", "store_code", "deal"]
    events, prices = apart_constraints(cols)
    assert [cols[i] for i in events] == ["lag7", "rolling_mean_lag7_window_size28",
                                         "days_to_festival_618", "is_holiday", "store_code",
                                         "deal"]
    assert [cols[i] for i in prices] == ["lag7", "rolling_mean_lag7_window_size28", "rel_price",
                                         "promo_gift", "cat_rel_price", "store_code", "deal"]
    # nothing to keep apart: no constraint (a shop without prices, or without events)
    assert apart_constraints(["lag7", "is_holiday"]) is None
    assert apart_constraints(["lag7", "price"]) is None


def test_the_zoo_lightgbm_is_constrained_when_asked_and_keeps_its_booster() -> None:
    assert type(ml_model("lgbm", ZooConfig(season_length=7))) is lgb.LGBMRegressor
    model = ml_model("lgbm", ZooConfig(season_length=7, events_apart=True))
    assert isinstance(model, EventsApartLGBM)
    x, y = _history(800)
    fitted = model.fit(x, y)
    assert fitted.get_params()["interaction_constraints"] == [[0, 1], [0, 2]]
    assert fitted.booster_.num_trees() > 0  # what explain's SHAP reads
