"""What the global models do when the history is too short for them.

Two limits of a short shop (8 weeks of days): the global models' features (lags from the
last step of a direct bucket, then 28-day means) need more periods than some series have, and
the hold-out windows that calibrate their quantiles need yet more (each window holds back a
horizon). A fit that cannot be done raises ``GlobalModelsTooShort`` (never LightGBM's own
``num_data > 0`` traceback), so the caller can drop the global models or say what to do; a
calibration that found no hold-out residual falls back to ``own_spread_quantiles``: a count
distribution around each forecast with the spread the series' own recent periods show (the
approach ``forecasting.young`` takes for new series). Without it every quantile was the
median (q0.05 = q0.95), and the inventory's safety stock of a 20-a-day item came out 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from promocast.exceptions import UsageError
from promocast.forecasting.young import count_quantiles

SPREAD_PERIODS = 91
"""Newest periods of a series whose spread stands for its forecasts' (a quarter of days)."""


class GlobalModelsTooShort(UsageError):
    """The series are too short for the global models' features (lags and rolling means)."""

    def __init__(self, message: str, *, longest: int, need: int) -> None:
        self.longest, self.need = longest, need
        super().__init__(message)

    @classmethod
    def of(cls, longest: int, need: int, last: int) -> GlobalModelsTooShort:
        """The refusal of a fit whose longest series has ``longest`` periods where the features
        of a model with lags from ``last`` periods back need ``need``."""
        return cls(f"too little history for the global models: the series they learn from have "
                   f"at most {min(longest, need - 1)} periods and their features need {need} "
                   f"(lags start {last} periods back, then rolling means): forecast a shorter "
                   "horizon or load more history", longest=longest, need=need)

    def __reduce__(self):  # pickled whole (a fold worker may raise it)
        return (type(self), (str(self),), {"longest": self.longest, "need": self.need})


def series_spread(train: pd.DataFrame) -> pd.DataFrame:
    """Per series (unique_id index): ``level`` (mean units of its newest ``SPREAD_PERIODS``
    observed periods), ``variance`` and ``n`` of them.

    The variance is half that of the changes from one period to the next (what an iid series
    has, Var(y_t - y_{t-1}) = 2 Var(y)), so a rising or falling level does not pass for noise;
    with fewer than three periods it is the plain variance."""
    rows = train[["unique_id", "ds", "y"] + (["observed"] if "observed" in train else [])]
    rows = rows.sort_values(["unique_id", "ds"]).groupby("unique_id", sort=False).tail(
        SPREAD_PERIODS)
    y = rows["y"].astype(float)
    if "observed" in rows:
        y = y.where(rows["observed"] > 0)
    by = y.groupby(rows["unique_id"].to_numpy(), sort=False)
    change = (y - by.shift(1)).groupby(rows["unique_id"].to_numpy(), sort=False)
    out = pd.DataFrame({"level": by.mean(), "variance": change.var() / 2, "n": by.count()})
    plain = by.var()
    out["variance"] = out["variance"].where(out["n"] >= 3, plain).fillna(0.0)
    out.index.name = "unique_id"
    return out


def own_spread_quantiles(points: pd.DataFrame, spread: pd.DataFrame, model: str,
                         quantiles: tuple[float, ...]) -> np.ndarray:
    """Quantiles (one column per level of ``quantiles``) of each forecast of ``model`` as a
    count whose mean is the forecast: Poisson where the series' periods vary no more than a
    Poisson count, else negative binomial with the series' overdispersion relative to its
    level, plus the uncertainty of a level measured over ``n`` periods. The median stays the
    model's forecast. Approximate: the model's own errors were never measured."""
    point = np.clip(points[model].to_numpy(dtype=float), 0, None)
    own = spread.reindex(points["unique_id"].to_numpy())
    level = own["level"].to_numpy(dtype=float)
    variance = own["variance"].to_numpy(dtype=float)
    n = np.maximum(own["n"].to_numpy(dtype=float), 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        extra = (np.maximum(variance - level, 0.0) + variance / n) / level**2
    extra = np.nan_to_num(extra, nan=0.0, posinf=0.0)
    mean = np.nan_to_num(point)
    out = np.empty((len(point), len(quantiles)))
    for k, q in enumerate(quantiles):
        out[:, k] = point if abs(q - 0.5) < 1e-9 else count_quantiles(
            mean, mean + mean**2 * extra, q)
    return out


def uncalibrated(residuals: pd.DataFrame, model: str) -> bool:
    """Whether ``model`` has no hold-out residual to calibrate its quantiles with."""
    return model not in residuals or residuals[model].dropna().empty


def with_spread(values: np.ndarray, points: pd.DataFrame, residuals: pd.DataFrame,
                spread: pd.DataFrame | None, model: str, quantiles: tuple[float, ...],
                ) -> np.ndarray:
    """The conformal quantiles ``values`` of ``model``, or, where it had no hold-out residual
    and the series' ``spread`` is known, ``own_spread_quantiles``."""
    if spread is None or not uncalibrated(residuals, model):
        return values
    return own_spread_quantiles(points, spread, model, quantiles)
