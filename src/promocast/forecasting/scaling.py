"""How a global model weighs and sees its series: log1p units, weights by series size, and
the static codes as categories.

One LightGBM learns from series of very different size (Walmart departments sell 10 to
500,000 dollars a week). On log1p units their shapes are comparable, yet the loss then counts
a 10 % miss on the smallest series as much as on the largest, while the shop's error in units
(WAPE) does not: ``level_weights`` moves the training weights towards the units. (Taking each
series' own level or spread out of the target as well, mlforecast's ``LocalStandardScaler``
after log1p, was measured and dropped: Walmart 10.25 -> 10.12 % WAPE but M5 subset 44.14 ->
44.41 %, and 10.02 % on Walmart together with the level weights against 9.91 % without.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from mlforecast.target_transforms import GlobalSklearnTransformer
from sklearn.preprocessing import FunctionTransformer

from promocast.forecasting.zoo import LIGHTGBM

if TYPE_CHECKING:
    from promocast.forecasting.spec import ForecastSpec


def target_transforms(log_target: bool) -> list | None:
    """mlforecast target transforms of a global model: log1p when its loss works on log
    units, none for raw-unit losses (Tweedie, MAPE)."""
    if not log_target:
        return None
    return [GlobalSklearnTransformer(FunctionTransformer(np.log1p, np.expm1))]


def level_weights(frame: pd.DataFrame, power: float) -> pd.Series:
    """Training weights ``weight * level ** power`` (level: the series' mean units over the
    frame's observed rows), rescaled to average the original weights.

    A model on log1p units weighs a 10 % miss on a 10-dollar series as much as on a
    500,000-dollar one, while WAPE (the shop's error in units) weighs them by their size: with
    ``power`` 1 each series counts in proportion to its units, so the model spends its splits
    where the units are. 0 leaves the weights as they are."""
    weight = frame["weight"].astype("float64")
    if power == 0 or frame.empty:
        return frame["weight"]
    y = frame["y"].astype("float64").clip(lower=0).where(weight > 0)
    level = y.groupby(frame["unique_id"].to_numpy(), sort=False).transform("mean").fillna(0.0)
    floor = max(float(np.nanmean(level.to_numpy())) * 1e-3, 1e-6)  # all-zero series keep a say
    scaled = weight * np.power(np.maximum(level, floor), power)
    total = scaled.sum()
    if total <= 0:
        return frame["weight"]
    return (scaled * (weight.sum() / total)).astype("float32")


def categorical_statics(data: pd.DataFrame, spec: ForecastSpec, models: list[str]) -> pd.DataFrame:
    """``data`` with the static codes as pandas categoricals when ``spec.categorical_statics``
    and only LightGBM learns from it (it splits categoricals by groups of codes; the codes'
    order, which a numeric split follows, means nothing). mlforecast keeps the statics of
    the training frame, so predictions see the same categories.

    Not under LightGBM's ``mape`` loss: LightGBM estimates the rows on each side of a
    categorical split from the hessians, which that loss weighs by 1 / |y| (orders of
    magnitude apart), so a side can be counted empty and training aborts ("Check failed:
    (best_split_info.left_count) > (0)", LightGBM issue 3679; seen on the demo shop with
    ``backtest --metric mape``). The codes then stay numeric features."""
    if not spec.categorical_statics or not spec.static or not set(models) <= set(LIGHTGBM):
        return data
    if spec.lgbm_loss == "mape" and "lgbm" in models:
        return data
    data = data.copy(deep=False)
    for col in spec.static:
        data[col] = data[col].astype("category")
    return data
