"""A forecast on a short history (a shop with a few weeks of sales): fit what the history
carries and say plainly what it does not.

QA round 5, finding 4 (8 weeks of one item): horizons 13 and 14 crashed inside LightGBM,
10-18 were refused for want of hold-out windows, 20-27 worked with every quantile equal to
the median, and 28 was refused with a limit that did not say why. Now the global models are
dropped (with a note) when their features need more periods than any series has and other
models were asked for; a forecast left with no model is refused with the real limit and the
longest horizon that works; quantiles the hold-out could not calibrate come from the series'
own spread and are flagged approximate.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from promocast.exceptions import TooLittleHistory
from promocast.forecasting.engine import ForecastSpec, GlobalState, fit_global
from promocast.forecasting.lags import direct_buckets, first_row
from promocast.forecasting.short_history import GlobalModelsTooShort, uncalibrated


def longest_series(frame: pd.DataFrame) -> int:
    """Periods of history of the longest series (rows per unique_id)."""
    return int(frame.groupby("unique_id")["ds"].size().max()) if len(frame) else 0


def no_long_series(horizon: int, frame: pd.DataFrame) -> TooLittleHistory:
    """The refusal when no series has more than twice ``horizon`` periods: a forecast fits on
    one horizon's worth of periods at least and checks on another."""
    longest = longest_series(frame)
    return TooLittleHistory(
        f"too little history for a forecast {horizon} periods ahead: it needs a series with "
        f"more than twice the horizon ({2 * horizon + 1} periods) and the longest has "
        f"{longest}: forecast at most {max(longest - 1, 0) // 2} periods ahead, or load more "
        "history")


def features_need(spec: ForecastSpec) -> int:
    """Periods a series needs before the global models of ``spec`` have one training row
    (the lags of the last direct bucket, then the rolling means)."""
    from promocast.forecasting.engine import _forecaster, _ml_groups

    return max(first_row(_forecaster(spec, names, log, lags_from=last)) + 1
               for names, log in _ml_groups(spec) for _first, last in direct_buckets(spec))


def longest_global_horizon(spec: ForecastSpec, longest: int) -> int:
    """The longest horizon up to ``spec.horizon`` whose global-model features leave at least
    two training periods in a series of ``longest`` periods (0: none)."""
    for h in range(spec.horizon - 1, 0, -1):
        if features_need(replace(spec, horizon=h)) + 1 <= longest:
            return h
    return 0


def fit_what_fits(train: pd.DataFrame, spec: ForecastSpec, *, local: bool = True,
                  ) -> tuple[GlobalState | None, ForecastSpec, dict]:
    """The fitted global models (None on a cluster, or when they were dropped), the spec of
    the models that will forecast, and the summary's notes about what the history did not
    carry (``models_dropped``, ``approximate_intervals``).

    Raises ``TooLittleHistory`` when the global models were the only ones asked for."""
    if not local or not spec.ml_models:
        return None, spec, {}
    try:
        fitted = fit_global(train, spec)
    except GlobalModelsTooShort as exc:
        longest = longest_series(train)
        others = [m for m in spec.models if m not in spec.ml_models]
        fits = longest_global_horizon(spec, longest)
        why = (f"their features need {exc.need} periods of a series {spec.horizon} periods "
               f"ahead (lags from the horizon back, then 28-period means) and the longest has "
               f"{longest}")
        if not others:
            raise TooLittleHistory(
                f"too little history for {', '.join(spec.ml_models)}: {why}: "
                + (f"forecast at most {fits} periods ahead, " if fits else "")
                + "load more history, or ask for models that need less (--models "
                "seasonal_naive,window_average)") from None
        note = {"models": spec.ml_models, "longest_horizon": fits,
                "message": f"{', '.join(spec.ml_models)} left out: {why}"}
        return None, replace(spec, models=others), {"models_dropped": note}
    rough = [m for m in spec.ml_models if uncalibrated(fitted.residuals, m)]
    if not rough:
        return fitted, spec, {}
    return fitted, spec, {"approximate_intervals": {
        "models": rough,
        "message": f"the quantiles of {', '.join(rough)} are approximate: the history is too "
                   f"short to hold back {spec.horizon} periods and measure the models' errors, "
                   "so they are a count distribution with each series' own spread around the "
                   "forecast; load more history (or forecast a shorter horizon) for calibrated "
                   "ones"}}
