"""A forecast without a plan says when it is the demand of a hi-lo shop without its promotions."""

from __future__ import annotations

import numpy as np
import pandas as pd

from promocast.services.forecast import unplanned_promotions


def _weekly(uid: str, on: np.ndarray, weeks: int = 60) -> pd.DataFrame:
    ds = pd.date_range("2024-01-04", periods=weeks, freq="W-THU")
    promo = np.resize(on, weeks).astype(int)
    return pd.DataFrame({"unique_id": uid, "ds": ds, "y": np.where(promo, 30.0, 10.0),
                         "promo": promo, "on_promo": promo, "weight": 1.0,
                         "discount_depth": np.where(promo, 0.2, 0.0)})


def _future(ids: list[str], planned: set[str] = frozenset()) -> pd.DataFrame:
    ds = pd.date_range("2025-03-06", periods=4, freq="W-THU")
    return pd.DataFrame([{"unique_id": u, "ds": d, "promo": int(u in planned),
                          "on_promo": int(u in planned), "discount_depth": 0.0}
                         for u in ids for d in ds])


def test_hi_lo_series_without_a_plan_are_counted_with_their_lift() -> None:
    panel = pd.concat([
        _weekly("hilo", np.array([1, 0])),          # every other week on deal: 50 %
        _weekly("rare", np.array([1] + [0] * 9)),   # 10 %: not a habit
        _weekly("planned", np.array([1, 0, 0])),    # 33 %, but its next deal is planned
        _weekly("standing", np.array([1])),         # always on: held by the forecast already
    ], ignore_index=True)
    ids = ["hilo", "rare", "planned", "standing"]
    found = unplanned_promotions(panel, _future(ids, {"planned"}), "W-THU", ["standing"])
    assert found == {"series": 1, "promo_share": 0.5, "promoted_vs_other": 3.0}
    # once its promotions are planned nothing is left to say
    assert unplanned_promotions(panel, _future(ids, {"planned", "hilo"}), "W-THU",
                                ["standing"]) is None


def test_only_the_last_year_of_observed_periods_counts() -> None:
    old_deals = _weekly("s", np.array([0]), weeks=120)
    old_deals.loc[:59, ["promo", "on_promo"]] = 1  # deals more than a year ago only
    assert unplanned_promotions(old_deals, _future(["s"]), "W-THU") is None
    hidden = _weekly("s", np.array([1, 0]))
    hidden.loc[hidden["promo"] == 1, "weight"] = 0.0  # promoted weeks were stock-outs
    assert unplanned_promotions(hidden, _future(["s"]), "W-THU") is None
