"""The model zoo: DESIGN §3 model ids mapped onto statsforecast and mlforecast models.

Local statistical models (one fit per series) come from statsforecast; global machine-learning
models (one fit over all series, sharing lags, prices, promotions and calendar inputs) from
mlforecast with LightGBM and scikit-learn. Nothing here is re-implemented.
"""

from __future__ import annotations

from dataclasses import dataclass

import lightgbm as lgb
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.ensemble import RandomForestRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression, Ridge
from sklearn.tree import DecisionTreeRegressor
from statsforecast.models import (
    ADIDA,
    TSB,
    AutoARIMA,
    AutoETS,
    AutoTheta,
    CrostonClassic,
    Naive,
    SeasonalNaive,
    WindowAverage,
)

from promocast.forecasting.additive import EventsApartLGBM
from promocast.reproducible import LIGHTGBM_REPRODUCIBLE

STAT_MODELS = ("naive", "seasonal_naive", "window_average", "autoarima", "autoarima_x", "autoets",
               "theta", "croston", "tsb", "adida")
WITH_INPUTS = ("autoarima_x",)
"""Statistical models that take the horizon's known inputs (``forecasting.arimax``)."""
ML_MODELS = ("linear", "ridge", "decision_tree", "random_forest", "lgbm", "lgbm_tweedie")
LIGHTGBM = ("lgbm", "lgbm_tweedie")
"""The LightGBM global models: ``lgbm`` under ``ForecastSpec.lgbm_loss`` (log1p units by
default), ``lgbm_tweedie`` always on raw units under the Tweedie loss (the M5 winners' choice
for intermittent counts). Their errors differ enough for the backtest ensemble to gain from
both (M5 subset: 43.34 and 43.81 % WAPE alone, 43.02 % weighted)."""
DEEP_MODELS = ("lstm", "nhits")
ALL_MODELS = (*STAT_MODELS, *ML_MODELS, *DEEP_MODELS, "ensemble")
DEFAULT_MODELS = ("seasonal_naive", "autoets", "croston", "ridge", "lgbm", "ensemble")
NO_INTERVALS = ("croston", "tsb", "adida", "window_average")
"""statsforecast models without their own intervals: conformal intervals are used."""


@dataclass(frozen=True)
class ZooConfig:
    """Settings shared by the zoo's models."""

    season_length: int
    seed: int = 0
    num_threads: int = 2
    lgbm_params: dict | None = None
    lgbm_loss: str = "log_l2"
    events_apart: bool = False  # ``ForecastSpec.events_apart``


LGBM_OBJECTIVES = {"log_l2": {"objective": "l2"},
                   "tweedie": {"objective": "tweedie", "tweedie_variance_power": 1.2},
                   # MAPE's gradient is dominated by the smallest actuals: big leaves and few
                   # trees keep the model from chasing them (OJ: 41 % -> 38.6 % MAPE). On raw
                   # units each tree must also carve out the series' scales, spanning orders of
                   # magnitude: many leaves (backtests on MAPE, 50 -> 255 leaves: Dominick's
                   # OJ 37.79 -> 34.6 %, canned tuna 26.94 -> 26.44 %, demo shop 54.10 ->
                   # 53.67 %, Stallion 82.76 % unchanged; min_child_samples stays 200).
                   # 255 leaves make each tree's split search long: 63 histogram bins instead
                   # of 255 cut it (OJ 12 rounds: 124-138 -> 105-115 s wall; MAPE over seeds
                   # 0 and 1: 34.12 / 34.26 -> 34.15 / 34.20 %, the same within seed noise).
                   "mape": {"objective": "mape", "n_estimators": 100, "num_leaves": 255,
                            "min_child_samples": 200, "subsample": 0.7, "colsample_bytree": 0.9,
                            "max_bin": 63}}
"""LightGBM objective per ``ForecastSpec.lgbm_loss``, with the settings each one needs."""


def stat_model(name: str, cfg: ZooConfig):
    """A statsforecast model under its DESIGN id (``alias`` keeps our names in the output)."""
    s = cfg.season_length
    factories = {
        "naive": lambda: Naive(alias=name),
        "seasonal_naive": lambda: SeasonalNaive(season_length=s, alias=name),
        "window_average": lambda: WindowAverage(window_size=min(s, 8) if s > 1 else 4, alias=name),
        # approximation + a small stepwise search: AutoARIMA is slow here (STACK.md).
        "autoarima": lambda: AutoARIMA(season_length=s if s <= 12 else 1, approximation=True,
                                       max_p=3, max_q=3, alias=name),
        "autoarima_x": lambda: _autoarima_x(s, name),
        "autoets": lambda: AutoETS(season_length=s if s <= 24 else 1, alias=name),
        "theta": lambda: AutoTheta(season_length=s if s <= 24 else 1, alias=name),
        "croston": lambda: CrostonClassic(alias=name),
        "tsb": lambda: TSB(alpha_d=0.2, alpha_p=0.2, alias=name),
        "adida": lambda: ADIDA(alias=name),
    }
    return factories[name]()


def _autoarima_x(season_length: int, name: str):
    """``autoarima``'s search with the known inputs as regressors (``forecasting.arimax``)."""
    from promocast.forecasting.arimax import AutoARIMAX

    return AutoARIMAX(season_length=season_length if season_length <= 12 else 1,
                      approximation=True, max_p=3, max_q=3, alias=name)


class MedianImputed(RegressorMixin, BaseEstimator):
    """``estimator`` on features whose missing values are the training medians.

    A scikit-learn ``Pipeline`` of ``SimpleImputer`` and the model would do, but it refuses
    the ``sample_weight`` mlforecast passes (unless metadata routing is switched on for the
    whole process)."""

    def __init__(self, estimator: BaseEstimator) -> None:
        self.estimator = estimator

    def fit(self, X, y, sample_weight=None) -> MedianImputed:  # noqa: N803 (scikit-learn's X)
        self.imputer_ = SimpleImputer(strategy="median", keep_empty_features=True).fit(X)
        self.estimator_ = clone(self.estimator).fit(self.imputer_.transform(X), y,
                                                    sample_weight=sample_weight)
        return self

    def predict(self, X):  # noqa: N803
        return self.estimator_.predict(self.imputer_.transform(X))


def ml_model(name: str, cfg: ZooConfig):
    """A scikit-learn compatible regressor for mlforecast under its DESIGN id."""
    if name in LIGHTGBM:
        params = {"n_estimators": 400, "learning_rate": 0.05, "num_leaves": 63,
                  "min_child_samples": 20, "subsample": 0.8, "subsample_freq": 1,
                  "colsample_bytree": 0.8, "random_state": cfg.seed,
                  "num_threads": cfg.num_threads, "verbosity": -1, **LIGHTGBM_REPRODUCIBLE}
        params.update(LGBM_OBJECTIVES["tweedie" if name == "lgbm_tweedie" else cfg.lgbm_loss])
        params.update(cfg.lgbm_params or {})
        return EventsApartLGBM(**params) if cfg.events_apart else lgb.LGBMRegressor(**params)
    if name in ("linear", "ridge"):
        # a missing feature at prediction time (a lag a young series lacks, a known input a
        # file left empty: Walmart's markdowns) is the training median, not a crash:
        # scikit-learn's linear models refuse NaN, its trees and LightGBM take it
        return MedianImputed(LinearRegression() if name == "linear" else Ridge(alpha=1.0))
    if name == "decision_tree":
        return DecisionTreeRegressor(min_samples_leaf=20, max_depth=12, random_state=cfg.seed)
    if name == "random_forest":
        return RandomForestRegressor(n_estimators=100, min_samples_leaf=5, max_features=0.5,
                                     n_jobs=cfg.num_threads, random_state=cfg.seed)
    raise KeyError(name)


def parse_models(text: str | None) -> list[str]:
    """``"lgbm,autoets"`` -> ids, refusing unknown ones with the list of known ids."""
    if not text:
        return list(DEFAULT_MODELS)
    names = [m.strip() for m in text.split(",") if m.strip()]
    unknown = [m for m in names if m not in ALL_MODELS]
    if unknown:
        raise ValueError(f"unknown model id(s) {', '.join(unknown)}; known: {', '.join(ALL_MODELS)}")
    return names
