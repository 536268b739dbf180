"""The global models' features: lags, rolling means and date features that suit the
frequency, seasonal lags when they carry signal, and how the direct strategy splits the
horizon between models."""

from __future__ import annotations

import operator
from dataclasses import replace

import numpy as np
import pandas as pd
from mlforecast import MLForecast
from mlforecast.lag_transforms import Combine, Offset, RollingMean

from promocast.forecasting.spec import ForecastSpec


def direct_buckets(spec: ForecastSpec) -> list[tuple[int, int]]:
    """(first step, last step) of each global model; the model's lags start at its last step.

    Boundaries grow geometrically (horizon 28, three models: steps 1-3, 4-9, 10-28): recent
    actuals matter most for the nearest steps. Buckets holding only gap steps are merged into
    the next one."""
    h = spec.horizon
    if spec.strategy != "direct":
        return [(1, h)]
    n = max(1, min(spec.direct_models, h))
    ends = sorted({max(1, round(h ** (k / n))) for k in range(1, n)} | {h})
    ends = [e for e in ends if e > spec.gap] or [h]
    buckets, start = [], 1
    for end in ends:
        buckets.append((start, end))
        start = end + 1
    return buckets


def _lags(spec: ForecastSpec, first: int | None = None, seasonal: bool = False,
          ) -> tuple[list[int], dict, list[str]]:
    """Lags, rolling means and date features that suit the frequency (the M5 winners' habits
    scaled to the data: weekly and yearly memory for daily data).

    With the ``direct`` strategy every lag is at least the horizon: the features of step h are
    then actuals at the cutoff or before, so one model forecasts all steps without feeding its
    own forecasts back (errors do not compound; the known inputs of the target period still
    enter as they are)."""
    if first is None:
        first = spec.horizon if spec.strategy == "direct" else 1
    if spec.freq == "D":
        lags = sorted({*range(first, first + 7), *(k for k in (7, 14, 21, 28) if k >= first)})
        # a week, a month, a quarter and a year of level (weekly data's 4 / 13 / 40 weeks):
        # the long means steady slow sellers whose recent weeks are mostly zeros. They read
        # what there is once the month's mean has its 28 days, so they drop no training row.
        transforms = {first: [RollingMean(7), RollingMean(28), RollingMean(91, min_samples=28),
                              RollingMean(364, min_samples=28)]}
        if first < 7:  # last week's level, a week back (the same weekday mix as the target)
            transforms[7] = [RollingMean(7, min_samples=1)]
        dates = ["dayofweek", "month", "dayofyear"]
    elif spec.freq.startswith("W"):
        lags = list(range(first, first + 8))
        transforms = {first: [RollingMean(4), RollingMean(13), RollingMean(40, min_samples=4)]}
        dates = ["month", "week"]
    else:
        lags = sorted({first, first + 1, first + 2, *(k for k in (12,) if k >= first)})
        transforms = {first: [RollingMean(3), RollingMean(12, min_samples=3)]}
        dates = ["month"]
    s = spec.season_length
    if seasonal and spec.seasonal_lags and s - 1 > max(lags):
        lags = [*lags, s - 1, s, s + 1]
        if spec.yearly_growth and s > first:
            transforms[first] = [*transforms[first], *_growth(s, first)]
    return lags, transforms, dates


def _growth(season: int, first: int) -> list:
    """The year-on-year change of the level (mean of the last quarter-season against the same
    weeks a season earlier) and last season's value of the target period moved by it: the
    seasonal naive forecast with growth, which the trees would otherwise have to assemble
    from three features (all in the model's target units: log1p, so growth is relative)."""
    window = max(2, season // 4)
    growth = Combine(RollingMean(window), Offset(RollingMean(window), season), operator.sub)
    last_season = Offset(RollingMean(1), season - first)  # the target period a season ago
    return [growth, Combine(last_season, growth, operator.add)]


def resolve_seasonal_lags(spec: ForecastSpec, train: pd.DataFrame) -> ForecastSpec:
    """``spec`` with ``seasonal_lags`` decided from the training data when left to ``None``."""
    if spec.seasonal_lags is not None:
        return spec
    length = train.groupby("unique_id")["ds"].size().median() if len(train) else 0
    on = bool(length >= 2 * spec.season_length) and _seasonal_beats_recent(
        train, spec.season_length, spec.horizon)
    return replace(spec, seasonal_lags=on)


def _seasonal_beats_recent(train: pd.DataFrame, season: int, horizon: int) -> bool:
    """Whether the value a season ago predicts the training data better than the value
    ``horizon`` periods ago (the latest a forecast of the last step sees), by the pooled mean
    absolute change in log1p units over observed rows: the seasonal lags then carry signal
    (Walmart departments: 0.27 against 0.40 at 13 weeks); where promotions and noise dominate
    (Dominick's OJ: 0.80 against 0.76 at 3 weeks) they would only cost training rows."""
    frame = train.sort_values(["unique_id", "ds"])
    log_y = np.log1p(frame["y"].clip(lower=0).astype(float))
    if "observed" in frame:
        log_y = log_y.where(frame["observed"] == 1)
    by = log_y.groupby(frame["unique_id"].to_numpy(), sort=False)
    seasonal = (log_y - by.shift(season)).abs().mean()
    recent = (log_y - by.shift(horizon)).abs().mean()
    return bool(np.isfinite(seasonal) and seasonal < recent)


def reach(transform: object, least: bool = False) -> int:
    """Periods before its lag that a lag transform reads: a rolling window's size, an
    ``Offset``'s shift plus its transform's reach, the longer of a ``Combine``'s two (what a
    fitted model must keep of each series to predict). ``least``: the periods it needs to give
    a value at all (a window's ``min_samples``), which tells the first training row."""
    if isinstance(transform, Combine):
        return max(reach(transform.tfm1, least), reach(transform.tfm2, least))
    if isinstance(transform, Offset):
        return transform.n + reach(transform.tfm, least)
    size = int(getattr(transform, "window_size", 0) or 0)
    return int(getattr(transform, "min_samples", None) or size) if least else size


def keep_last(mlf: MLForecast) -> int:
    """Periods each series must keep for prediction: the longest lag, or lag + window of the
    longest rolling mean (predictions are unchanged; the fitted state stays small)."""
    lags = list(mlf.ts.lags or [1])
    for lag, transforms in (mlf.ts.lag_transforms or {}).items():
        lags += [lag + reach(t) for t in transforms]
    return int(max(lags)) + 1


def first_row(mlf: MLForecast) -> int:
    """Index of a series' first row with every lag and rolling mean (mlforecast drops the
    rows before it from training)."""
    firsts = list(mlf.ts.lags or [0])
    for lag, transforms in (mlf.ts.lag_transforms or {}).items():
        firsts += [lag + reach(t, least=True) - 1 for t in transforms]
    return int(max(firsts))
