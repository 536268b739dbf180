"""What a forecast is asked for: ``ForecastSpec`` (frequency, horizon, models, quantiles,
the panel's inputs and how the global models are built) and the quantile column names of
DESIGN §3."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from promocast.forecasting.zoo import ML_MODELS, STAT_MODELS

if TYPE_CHECKING:
    from promocast.forecasting.distributed import DaskEngine

DEFAULT_QUANTILES = (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95)
Progress = Callable[[str], None]


def quantile_column(model: str, q: float) -> str:
    """``lgbm-q0.1``: the column of model ``lgbm``'s 10 % quantile (DESIGN §3)."""
    return f"{model}-q{q:g}"


def _levels(quantiles: tuple[float, ...]) -> list[int]:
    return sorted({int(round(100 * abs(2 * q - 1))) for q in quantiles if q != 0.5})


def _interval_column(model: str, q: float) -> str:
    level = int(round(100 * abs(2 * q - 1)))
    return f"{model}-{'lo' if q < 0.5 else 'hi'}-{level}"


@dataclass
class ForecastSpec:
    """What to fit and how: frequency, horizon, models, quantiles and the panel's inputs.

    ``known`` are dynamic inputs known over the horizon (prices, promotion flags, calendar);
    ``static`` are per-series constants (category, store) used by the global models.
    """

    freq: str
    horizon: int
    models: list[str]
    season_length: int
    quantiles: tuple[float, ...] = DEFAULT_QUANTILES
    known: list[str] = field(default_factory=list)
    static: list[str] = field(default_factory=list)
    seed: int = 0
    num_threads: int = 2
    calibration_windows: int = 2
    """Statistical models without intervals: conformal windows per series (statsforecast)."""
    ml_calibration_windows: int = 2
    """Global models: hold-out windows whose residuals, pooled over all series, calibrate the
    quantiles (one refit per window, of all the series or, ``ml_calibration_split``, of a
    share of them)."""
    ml_calibration_split: bool = True
    """Global models: deal the calibration series into one group per hold-out window: W
    windows for the price of one refit of every series, residuals from W moments (Dominick's
    OJ coverage of the 80 % interval 74.6 -> 76.4 %; see ``conformal.calibration_groups``)."""
    ml_calibration_series: int = 3000
    """Global models: at most this many series (a seeded sample) are refitted for the hold-out
    windows. The residuals are pooled across series, so a few thousand series calibrate the
    quantiles as well as all of them, and the refits stop growing with the shop."""
    lgbm_params: dict | None = None
    target_transform: str = "log1p"
    """Statistical models: ``log1p`` (default: relative errors, suits counts spanning
    magnitudes) or ``none``."""
    lgbm_loss: str = "log_l2"
    """LightGBM's training loss: ``log_l2`` (squared error on log1p units), ``tweedie`` (raw
    units, log link, the M5 winners' choice) or ``mape`` (raw units, LightGBM's MAPE objective:
    the point forecast is then the MAPE-optimal one, below the median)."""
    level_weight: float | None = None
    """Global models: each series' training rows weighted by its mean units to this power
    (1: in proportion to its size, as WAPE weighs errors; 0: all series alike; see
    ``scaling.level_weights``). ``None``: the default of ``training_level_weight``."""
    categorical_statics: bool = True
    """LightGBM: the static codes (category, store, item) as categorical features, split by
    groups of codes rather than by their arbitrary order (M5 subset 44.14 -> 43.34 % WAPE;
    Walmart 9.43 -> 9.45 %, Dominick's OJ MAPE 37.89 -> 37.95 %: unchanged). Callers that
    predict from their own frame (``predict(new_df=...)``) pass it through
    ``scaling.categorical_statics`` first."""
    events_apart: bool = False
    """LightGBM: calendar events and price / promotion inputs never share a tree branch
    (``forecasting.additive``), so a festival only ever sold on a campaign price still lifts a
    forecast at the regular price. The promotion baselines (what-if, plan) set it, their
    forecast being that regular-price counterfactual (QA shop: the baseline 618 day 1.0-1.4 ->
    1.3-1.8 x its week, truth 2.0 x). Forecasts and backtests, whose promotions are known,
    leave it off: M5 subset lgbm WAPE 42.85 -> 43.06 % with it."""
    point: str = "median"
    """Global models' point forecast (the ``<model>`` column): ``median``, or ``mape``, the
    forecast that minimises the expected absolute percentage error under the calibrated
    predictive distribution (below the median: MAPE punishes over-forecasts of small actuals
    more than under-forecasts)."""
    strategy: str = "direct"
    """Global models: ``direct`` (every lag at least the step forecast, so each step is
    forecast from actuals only, with that step's known inputs) or ``recursive`` (lags from 1,
    forecasts fed back step by step)."""
    direct_models: int = 3
    """Direct strategy: how many models split the horizon (steps 1..a, a+1..b, ..., growing
    geometrically), each with lags from its last step, so near steps see the latest actuals
    (one model with lags from the horizon would blind step 1 to the last ``horizon - 1``
    periods). 1 = a single model for all steps."""
    seasonal_lags: bool | None = None
    """LightGBM: also the lags one season back (season - 1, season, season + 1) when the
    season is longer than the recent lags (weekly data: last year's weeks, which carry the
    yearly pattern no recent lag sees). ``None`` = when the training series are long enough
    (median length at least two seasons: rows without these lags are dropped from training, so
    at least a season of rows per series remains) and a season ago predicts them better than
    ``horizon`` periods ago does."""
    yearly_growth: bool = True
    """With the seasonal lags: also the year-on-year change of the level and last season's
    value moved by it (``lags._growth``; Walmart 9.91 -> 9.43 % WAPE with level weights 1)."""
    gap: int = 0
    """Leading steps nobody needs (a backtest's gap): no model is fitted for them alone; the
    next model forecasts them too."""
    engine: DaskEngine | None = field(default=None, repr=False, compare=False)
    """Where fits run: ``None`` here, or a Dask cluster (``forecasting.distributed``)."""

    @property
    def stat_models(self) -> list[str]:
        return [m for m in self.models if m in STAT_MODELS]

    @property
    def ml_models(self) -> list[str]:
        return [m for m in self.models if m in ML_MODELS]

    @property
    def training_level_weight(self) -> float:
        """The power of ``level_weight`` in use. Under ``log_l2`` every series counts alike
        (a 10 % miss is a 10 % miss) while a shop's error in units (WAPE) counts its big
        series more; the square root of the level meets halfway (measured: Walmart 9.53 ->
        9.43 % WAPE with the yearly growth features, M5 subset 44.14 -> 44.01 %; the full
        level helps Walmart as much and costs M5, 44.43 %). ``None`` is 0 for now:
        tests/integration/test_refresh.py compares the refreshed forecast with a full
        recomputation at rtol 1e-3 and one of its 224 points lands on a LightGBM split tie
        with the weights (0.8 % off). Tweedie already learns units and MAPE weighs every
        point alike: no weights there."""
        if self.level_weight is not None:
            return float(self.level_weight)
        return 0.0

    @property
    def ml_target_transform(self) -> str:
        """How LightGBM's raw score maps to units: ``log1p`` (log_l2 loss), ``log`` (the
        Tweedie log link) or ``none`` (MAPE on units)."""
        return {"log_l2": "log1p", "tweedie": "log", "mape": "none"}[self.lgbm_loss]
