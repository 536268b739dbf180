"""promocast against plain Nixtla peers on one data set, side by side in one run.

Both sides see the same regular panel (``load_panel``: gaps filled by interpolation, flagged
``observed = 0``), the same cutoffs (promocast's rolling origins; the peers' own
``cross_validation(h, n_windows, step_size)`` must land on them, which :func:`compare` checks)
and are scored on the same points: observed actuals (no gap, no stock-out) that every model
forecast, with promocast's ``evaluate`` (WAPE = sum |error| / sum |actual|).

The peers are what a user gets from the libraries' documentation: statsforecast ``AutoETS`` and
``SeasonalNaive`` with the season length of the data, and mlforecast with a default
``LGBMRegressor`` on standard lags and date features, recursive, with no exogenous inputs.
"""

from __future__ import annotations

import inspect
import os
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import pandas as pd  # noqa: E402

PEER_STATS = {"AutoETS": "statsforecast AutoETS", "SeasonalNaive": "statsforecast SeasonalNaive"}
PEER_ML = {"plain_lgbm": "mlforecast LGBMRegressor()"}
PEERS = {**PEER_STATS, **PEER_ML}
KEYS = ["unique_id", "cutoff", "ds"]


@contextmanager
def spec_overrides(**settings: object) -> Iterator[None]:
    """Build every ``ForecastSpec`` that ``run_backtest`` makes with ``settings`` on top (e.g.
    ``num_threads=1``; or ``lgbm_loss="tweedie"`` for an experiment) without touching src/."""
    from promocast.forecasting.engine import ForecastSpec
    from promocast.services import forecasting as service

    def patched(**kwargs: object) -> ForecastSpec:
        return ForecastSpec(**{**kwargs, **settings})

    service.ForecastSpec = patched
    try:
        yield
    finally:
        service.ForecastSpec = ForecastSpec


@dataclass
class PromocastRuns:
    """run_backtest once per model: documents, predictions and wall seconds per model."""

    documents: dict[str, dict] = field(default_factory=dict)
    predictions: dict[str, pd.DataFrame] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def run_promocast(db: Path, *, horizon: int, folds: int, step: int, models: list[str],
                  country: str = "US", **settings: object) -> PromocastRuns:
    """Each model through ``run_backtest`` on one thread (defaults otherwise, unless
    ``settings`` override ForecastSpec fields)."""
    from promocast.services.forecasting import run_backtest

    runs = PromocastRuns()
    threads = {"num_threads": 1} if "num_threads" in inspect.signature(run_backtest).parameters else {}
    overrides = {} if threads else {"num_threads": 1}
    for model in models:
        started = time.perf_counter()
        with spec_overrides(**overrides, **settings):
            doc, pred = run_backtest(db, horizon=horizon, folds=folds, step=step, models=[model],
                                     country=country, **threads)
        runs.seconds[model] = time.perf_counter() - started
        runs.documents[model], runs.predictions[model] = doc, pred
        print(f"promocast {model}: WAPE {doc['models'][model]['wape']:.2f} % "
              f"in {runs.seconds[model]:.0f} s", flush=True)
    return runs


def merged_predictions(runs: PromocastRuns) -> pd.DataFrame:
    """One frame: keys, actual and every model's median and quantile columns."""
    keys = [*KEYS, "actual"]
    out = None
    for pred in runs.predictions.values():
        out = pred if out is None else out.merge(pred, on=keys, how="outer")
    return out


def add_ensemble(frame: pd.DataFrame, runs: PromocastRuns, metric: str = "wape",
                 ) -> tuple[pd.DataFrame, dict[str, float]]:
    """promocast's ensemble from the per-model runs, as ``run_backtest`` builds it: the
    weighted mean of the (up to) three best models on ``metric`` (each on its own backtest
    points), weights learnt on the other folds. Returns the frame with the ``ensemble`` columns
    and the members with the weights learnt on every fold."""
    from promocast.forecasting.engine import DEFAULT_QUANTILES
    from promocast.forecasting.ensemble import ensemble_columns, overall_weights

    scored = {m: d["models"][m][metric] for m, d in runs.documents.items()
              if d["models"][m][metric] is not None and m != "naive"}
    members = sorted(scored, key=scored.get)[:3]
    out = ensemble_columns(frame, members, DEFAULT_QUANTILES, metric=metric)
    return out, overall_weights(out, members, metric)


def comparable(panel: pd.DataFrame, *, horizon: int, folds: int, step: int) -> pd.DataFrame:
    """The series every side can forecast at every cutoff: they run to the panel's last date
    (the peers' cutoffs are counted back from each series' own end) and have more than two
    horizons of history at the first cutoff (promocast's minimum; statsforecast refuses
    shorter series)."""
    size = panel.groupby("unique_id")["ds"].transform("size")
    end = panel.groupby("unique_id")["ds"].transform("max")
    need = horizon + (folds - 1) * step + 2 * horizon
    return panel[(end == panel["ds"].max()) & (size > need)].reset_index(drop=True)


@dataclass(frozen=True)
class PeerFeatures:
    """The plain mlforecast set-up: lags, lag transforms and date features, as in its docs."""

    lags: list[int]
    lag_transforms: dict
    date_features: list[str]


def peers(panel: pd.DataFrame, *, freq: str, season_length: int, horizon: int, folds: int,
          step: int, features: PeerFeatures,
          ) -> tuple[pd.DataFrame, dict[str, float], list[pd.Timestamp]]:
    """The plain peers' own cross-validation on the panel's regular grid (y interpolated over
    gaps, as they refuse gaps). Returns unique_id, cutoff, ds and one column per peer (plus the
    statsforecast 80 % bounds as ``<peer>-q0.1`` / ``-q0.9``), wall seconds, the cutoffs."""
    import lightgbm as lgb
    from mlforecast import MLForecast
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS, SeasonalNaive

    df = comparable(panel, horizon=horizon, folds=folds, step=step)[["unique_id", "ds", "y"]]
    seconds: dict[str, float] = {}
    frames = []
    # statsforecast's ETS has no seasonal state beyond 24 periods (as R's ets, which refuses
    # them) yet still searches seasonal fits at 52 for many minutes: non-seasonal ETS, as R does.
    ets_season = season_length if season_length <= 24 else 1
    for model in (SeasonalNaive(season_length=season_length), AutoETS(season_length=ets_season)):
        started = time.perf_counter()
        sf = StatsForecast(models=[model], freq=freq, n_jobs=1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cv = sf.cross_validation(df=df, h=horizon, n_windows=folds, step_size=step, level=[80])
        name = str(model)
        seconds[name] = time.perf_counter() - started
        cv = cv.rename(columns={f"{name}-lo-80": f"{name}-q0.1", f"{name}-hi-80": f"{name}-q0.9"})
        frames.append(cv.drop(columns="y").set_index(KEYS))
        print(f"peer {name}: {seconds[name]:.0f} s", flush=True)
    started = time.perf_counter()
    mlf = MLForecast(models={"plain_lgbm": lgb.LGBMRegressor(verbosity=-1, num_threads=1)},
                     freq=freq, lags=features.lags, lag_transforms=features.lag_transforms,
                     date_features=features.date_features, num_threads=1)
    cv = mlf.cross_validation(df, n_windows=folds, h=horizon, step_size=step)
    seconds["plain_lgbm"] = time.perf_counter() - started
    print(f"peer plain_lgbm: {seconds['plain_lgbm']:.0f} s", flush=True)
    frames.append(cv.drop(columns="y").set_index(KEYS))
    out = pd.concat(frames, axis=1, join="inner").reset_index()
    return out, seconds, sorted(out["cutoff"].unique())


@dataclass
class Comparison:
    """Scores of every promocast model and every peer on the same points."""

    scores: dict[str, dict]
    seconds: dict[str, float]
    members: dict[str, float]
    cutoffs: list[pd.Timestamp]
    series: int
    points: int
    panel_series: int

    @property
    def promocast_models(self) -> list[str]:
        return [m for m in self.scores if m not in PEERS]

    def best(self, models: list[str], metric: str = "wape") -> str:
        return min(models, key=lambda m: self.scores[m][metric])


def compare(db: Path, *, horizon: int, folds: int, step: int, models: list[str],
            features: PeerFeatures, country: str = "US", **settings: object) -> Comparison:
    """promocast (each model, then the ensemble of the best three) and the peers on one
    store, scored on the points every one of them forecast."""
    from promocast.forecasting.metrics import evaluate
    from promocast.services.forecasting import load_panel

    panel = load_panel(db, country=country)
    runs = run_promocast(db, horizon=horizon, folds=folds, step=step, models=models,
                         country=country, **settings)
    ours, members = add_ensemble(merged_predictions(runs), runs)
    seconds = dict(runs.seconds)
    seconds["ensemble"] = sum(runs.seconds[m] for m in members)
    theirs, peer_seconds, peer_cutoffs = peers(
        panel.frame, freq=panel.freq, season_length=panel.season_length, horizon=horizon,
        folds=folds, step=step, features=features)
    cutoffs = sorted(pd.Timestamp(c) for c in next(iter(runs.documents.values()))["cutoffs"])
    if [pd.Timestamp(c) for c in peer_cutoffs] != cutoffs:
        raise RuntimeError(f"peers' cutoffs {peer_cutoffs} differ from promocast's {cutoffs}")
    names = [*models, "ensemble", *PEERS]
    joined = ours.merge(theirs, on=KEYS, how="inner").dropna(subset=["actual", *names])
    train = panel.frame.loc[panel.frame["observed"] == 1, ["unique_id", "ds", "y"]]
    scores = evaluate(joined, names, train=train, season_length=panel.season_length,
                      freq=panel.freq)
    return Comparison(scores, {**seconds, **peer_seconds}, members, cutoffs,
                      int(joined["unique_id"].nunique()), len(joined),
                      int(panel.frame["unique_id"].nunique()))


def table(result: Comparison, *, coverage_target: tuple[float, float] | None = None) -> str:
    """The Markdown table and the verdict lines of one comparison."""
    lines = ["| model | WAPE % | MAPE % | coverage_80 % | wall s (3 folds) |",
             "|---|---|---|---|---|"]

    def cell(value: float | None, fmt: str = ".2f") -> str:
        return "-" if value is None else format(value, fmt)

    for model in [*result.promocast_models, *PEERS]:
        s = result.scores[model]
        label = f"plain {PEERS[model]}" if model in PEERS else f"promocast {model}"
        if model == "ensemble":
            label += " (weighted mean: " + ", ".join(
                f"{m} {w:.1f}" for m, w in result.members.items()) + ")"
        lines.append(f"| {label} | {cell(s['wape'])} | {cell(s['mape'])} | "
                     f"{cell(s['coverage_80'], '.1f')} | {result.seconds[model]:.0f} |")
    ours = result.best(result.promocast_models)
    peer = result.best(list(PEERS))
    ratio = result.scores[ours]["wape"] / result.scores[peer]["wape"]
    lines += ["", f"Best promocast: **{ours}** at {result.scores[ours]['wape']:.2f} % WAPE; best "
              f"peer: {PEERS[peer]} at {result.scores[peer]['wape']:.2f} %. Ratio "
              f"{ratio:.3f} (target <= 0.90: **{'met' if ratio <= 0.90 else 'NOT met'}**)."]
    if coverage_target is not None:
        cover = result.scores[ours]["coverage_80"]
        low, high = coverage_target
        met = cover is not None and low <= cover <= high
        lines.append(f"Coverage of promocast {ours}'s 80 % interval: {cell(cover, '.1f')} % "
                     f"(target {low:.0f}-{high:.0f} %: **{'met' if met else 'NOT met'}**).")
    return "\n".join(lines)
