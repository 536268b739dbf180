"""Purchase propensity: will a customer buy again within ``horizon_days``?

Examples are (customer, cutoff) pairs. Features come only from purchases strictly before the
cutoff; the label is whether the customer buys in ``[cutoff, cutoff + horizon)``. Cutoffs step
back from the split date one horizon apart, so training labels all end by the split and every
test label lies after it (a time split: the models never see the period they are scored on).
Stacking several cutoffs (monthly for a 30-day label, up to a year) gives the models customers
in many states (new, lapsing, regular) and the label's seasons.

Who is scored: at each cutoff, every customer with at least one purchase before it, the list a
shop can target. Long-dormant customers (no purchase in ``DORMANT_DAYS``) stay in: a shop mails
them too. They are easy negatives that lift the AUC, so the AUC without them is reported next to
it (``auc_without_dormant``), as are the AUC per test cutoff and a 95 % bootstrap interval
that resamples customers (a customer appears at several cutoffs, so rows are not independent).
"Beats logistic regression" is the paired bootstrap interval of the AUC gain lying above 0.

Five well-known classifiers compete by ROC AUC on the test cutoffs: logistic regression,
decision tree, random forest, an RBF-kernel SVM (Nystroem features + linear SVM: an exact SVC is
quadratic in the rows) and LightGBM, all on one thread. Each is calibrated with Platt scaling
(``CalibratedClassifierCV``) on the latest training cutoff, held out from its fit, so its
probabilities mean what they say; the Brier score before and after and a reliability curve are
reported. The best model by AUC is refitted on every cutoff whose label is known and scores
every customer at the end of the data.
"""

from __future__ import annotations

import contextlib
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from promocast.customers.rfm import customer_summary
from promocast.reproducible import LIGHTGBM_REPRODUCIBLE
from promocast.wording import option

MODEL_IDS = ("logistic", "decision_tree", "random_forest", "svm", "lightgbm")
WINDOWS = (30, 90, 180, 365)
"""Look-back windows (days) of the recent-activity features."""
DORMANT_DAYS = 365
"""A customer without a purchase in this many days is long-dormant (still scored)."""
BOOTSTRAP_REPS = 500
"""Customer-bootstrap draws behind every AUC interval (500 keep the 2.5 % tails steady)."""
Progress = Callable[[str], None]


# -- examples ---------------------------------------------------------------------------------
def purchase_days(seen: pd.DataFrame, cutoff: pd.Timestamp) -> pd.DataFrame:
    """One row per customer and day with a purchase: revenue and ``age`` (whole days from the
    day to the cutoff's day). Several orders on one day are one decision to shop, so
    the rhythm features count days, as the repeat-purchase models do."""
    days = (seen.assign(day=seen["timestamp"].dt.normalize())
            .groupby(["customer_id", "day"], as_index=False, sort=True)
            .agg(revenue=("revenue", "sum")))
    days["age"] = (cutoff.normalize() - days["day"]).dt.days.astype(float)
    return days


def _rhythm(days: pd.DataFrame, index: pd.Index, tenure: pd.Series, recency: pd.Series
            ) -> pd.DataFrame:
    """Inter-purchase gaps (days between purchase days): mean, spread, the latest one, and how
    overdue the customer is against their own mean gap (a regular buyer past due is likely to
    come back, an irregular one less surely). One-day customers have no rhythm yet: their mean
    gap is their tenure + a year (rarely back soon) and their spread 0."""
    gaps = days.groupby("customer_id")["day"].diff().dt.days
    by = gaps.groupby(days["customer_id"])
    out = pd.DataFrame(index=index)
    no_rhythm = tenure + 365.0
    out["gap_mean_days"] = by.mean().reindex(index).fillna(no_rhythm)
    out["gap_std_days"] = by.std().reindex(index).fillna(0.0)
    out["gap_cv"] = out["gap_std_days"] / out["gap_mean_days"].clip(lower=1.0)
    out["last_gap_days"] = by.last().reindex(index).fillna(no_rhythm)
    out["recency_over_gap"] = recency / out["gap_mean_days"].clip(lower=1.0)
    out["last_gap_over_mean"] = out["last_gap_days"] / out["gap_mean_days"].clip(lower=1.0)
    return out


def bgnbd_features(seen: pd.DataFrame, cutoff: pd.Timestamp, horizon_days: int,
                   index: pd.Index) -> pd.DataFrame:
    """BG/NBD P(alive) and expected purchase days in the horizon, fitted on the purchases
    before ``cutoff`` only (no leakage: every cutoff has its own fit). When the fit fails or
    degenerates (no dropout, a -> 0, as on UCI) the fields fall back to "alive" and the
    gamma-Poisson rate, so the column always exists."""
    from lifetimes import BetaGeoFitter

    from promocast.customers.clv import _fit, clv_summary

    summary = clv_summary(seen, cutoff).set_index("customer_id").reindex(index)
    freq, rec, age = summary["frequency"], summary["recency"], summary["T"]
    fallback = (freq + 1.0) / age.clip(lower=1.0) * horizon_days
    alive, expected = np.ones(len(index)), fallback.to_numpy(float)
    with contextlib.suppress(ValueError), warnings.catch_warnings(), \
            np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        fitter, _used = _fit(BetaGeoFitter, (freq, rec, age), 0.001)
        alive = np.asarray(fitter.conditional_probability_alive(freq, rec, age), float)
        expected = np.asarray(fitter.conditional_expected_number_of_purchases_up_to_time(
            horizon_days, freq, rec, age), float)
    bad = ~np.isfinite(expected)
    expected[bad] = fallback.to_numpy(float)[bad]
    alive = np.where(np.isfinite(alive), alive, 1.0)
    return pd.DataFrame({"bgnbd_p_alive": alive, "bgnbd_expected": expected}, index=index)


def customer_features(purchases: pd.DataFrame, cutoff: pd.Timestamp, horizon_days: int = 30,
                      *, bgnbd: bool = True) -> pd.DataFrame:
    """One row per customer who bought before ``cutoff``, from those purchases only (the
    features of the usual churn / repeat-purchase models):

    * RFM and tenure: recency_days, tenure_days (since the first purchase), frequency (orders),
      purchase_days, monetary, avg_order_value;
    * activity: purchase days and revenue in the last 30/90/180/365 days; spend and visit trend
      (last 90 days against the 90 before), the recent purchase rate over the lifetime rate;
    * rhythm (``_rhythm``): inter-purchase gap mean / std / cv / last, and overdue ratios;
    * basket: lines, units and orders per purchase day, value per unit;
    * promotions: the share of money saved by discounts and of orders with a discount;
    * habit: the share of purchase days on the customer's usual weekday, and purchase days in
      the same horizon one year before the label window (seasonal buyers come back);
    * BG/NBD P(alive) and expected purchases (``bgnbd_features``, off with ``bgnbd=False``).

    Indexed by customer_id; no missing values."""
    seen = purchases[purchases["timestamp"] < cutoff]
    summary = customer_summary(seen, cutoff).set_index("customer_id")
    frame = summary[["recency_days", "tenure_days", "frequency", "monetary",
                     "avg_order_value"]].astype(float)
    index = frame.index
    days = purchase_days(seen, cutoff)
    customer = days["customer_id"]

    def per_customer(values: pd.Series, fill: float = 0.0) -> pd.Series:
        return values.groupby(customer).sum().reindex(index, fill_value=fill).astype(float)

    frame["purchase_days"] = per_customer(pd.Series(1.0, index=days.index))
    for window in WINDOWS:
        recent = days["age"] < window
        frame[f"days_{window}d"] = per_customer(recent.astype(float))
        frame[f"revenue_{window}d"] = per_customer(days["revenue"].where(recent, 0.0))
    frame = frame.join(_rhythm(days, index, frame["tenure_days"], frame["recency_days"]))
    previous = (days["age"] >= 90) & (days["age"] < 180)
    frame["spend_trend"] = (np.log1p(frame["revenue_90d"])
                            - np.log1p(per_customer(days["revenue"].where(previous, 0.0))))
    frame["days_trend"] = 2 * frame["days_90d"] - frame["days_180d"]
    lifetime_rate = frame["purchase_days"] / frame["tenure_days"].clip(lower=1.0)
    frame["recent_rate_ratio"] = frame["days_90d"] / 90.0 / lifetime_rate
    totals = seen.groupby("customer_id")[["lines", "units", "discount"]].sum().reindex(index)
    frame["lines_per_order"] = totals["lines"] / frame["frequency"]
    frame["units_per_order"] = totals["units"] / frame["frequency"]
    frame["orders_per_day"] = frame["frequency"] / frame["purchase_days"]
    frame["value_per_unit"] = frame["monetary"] / totals["units"].clip(lower=1.0)
    frame["discount_share"] = totals["discount"] / (totals["discount"] + frame["monetary"])
    frame["promo_order_share"] = ((seen["discount"] > 0).groupby(seen["customer_id"]).mean()
                                  .reindex(index).astype(float))
    weekday = days.groupby(["customer_id", days["day"].dt.dayofweek]).size().unstack(fill_value=0)
    frame["weekday_habit"] = (weekday.max(axis=1) / weekday.sum(axis=1)).reindex(index)
    year_ago = (days["age"] >= 365 - horizon_days) & (days["age"] < 365)
    frame["days_year_ago"] = per_customer(year_ago.astype(float))
    if bgnbd:
        frame = frame.join(bgnbd_features(seen, cutoff, horizon_days, index))
    return frame.fillna(0.0)


def buys_within(purchases: pd.DataFrame, customers: pd.Index, cutoff: pd.Timestamp,
                horizon_days: int) -> pd.Series:
    """1 when the customer buys in ``[cutoff, cutoff + horizon_days)``, else 0."""
    window = purchases[(purchases["timestamp"] >= cutoff)
                       & (purchases["timestamp"] < cutoff + pd.Timedelta(days=horizon_days))]
    return pd.Series(customers.isin(window["customer_id"].unique()).astype(int), index=customers,
                     name="label")


def examples(purchases: pd.DataFrame, cutoffs: list[pd.Timestamp], horizon_days: int, *,
             bgnbd: bool = True) -> pd.DataFrame:
    """Features and label for every customer at every cutoff (column ``cutoff`` added)."""
    parts = []
    for cutoff in cutoffs:
        features = customer_features(purchases, cutoff, horizon_days, bgnbd=bgnbd)
        features["label"] = buys_within(purchases, features.index, cutoff, horizon_days)
        features["cutoff"] = cutoff
        parts.append(features)
    return pd.concat(parts) if parts else pd.DataFrame()


def default_split(purchases: pd.DataFrame, months: int = 3) -> pd.Timestamp:
    """The last ``months`` months of the data hold the test labels."""
    return purchases["timestamp"].max().normalize() - pd.DateOffset(months=months)


def time_split_cutoffs(purchases: pd.DataFrame, split: pd.Timestamp, horizon_days: int, *,
                       min_history_days: int = 60, max_train_cutoffs: int = 12
                       ) -> tuple[list[pd.Timestamp], list[pd.Timestamp]]:
    """(training cutoffs, test cutoffs), one horizon apart: training labels end by ``split``,
    test cutoffs start at ``split`` and their label windows end by the last day of data."""
    step = pd.Timedelta(days=horizon_days)
    first = purchases["timestamp"].min().normalize() + pd.Timedelta(days=min_history_days)
    last = purchases["timestamp"].max().normalize()
    train = []
    cutoff = split - step
    while cutoff >= first and len(train) < max_train_cutoffs:
        train.append(cutoff)
        cutoff -= step
    test = []
    cutoff = split
    while cutoff + step <= last:
        test.append(cutoff)
        cutoff += step
    return sorted(train), test


# -- models -----------------------------------------------------------------------------------
def _signed_log(x: np.ndarray) -> np.ndarray:
    return np.sign(x) * np.log1p(np.abs(x))


def _log_features():
    from sklearn.preprocessing import FunctionTransformer

    # counts and money are heavy-tailed: linear models see them on a (signed: trends can be
    # negative) log scale
    return FunctionTransformer(_signed_log, validate=False)


def _clip_to_training_range():
    """Clip every feature to the range it had in the fitting rows (``MinMaxScaler(clip=True)``;
    the scaler after it standardises anyway). Training cutoffs are earlier than the scored
    ones, so counts such as tenure or purchases in 365 days run past anything seen in
    training; a linear model would extend its line there (on UCI with a 90-day label, fitted on
    a single cutoff with 100 days of history, that turned its AUC from 0.75 to 0.55). Trees are
    flat beyond their last split already."""
    from sklearn.preprocessing import MinMaxScaler

    return MinMaxScaler(clip=True)


def make_model(model_id: str, seed: int = 0):
    """An unfitted scikit-learn classifier for ``model_id`` (one thread). LightGBM is kept
    small and strongly regularised (7 leaves, 100 customers a leaf, L2 10, row and column
    subsampling): a few tens of thousands of noisy customer-cutoffs overfit a default-sized
    booster, which then ranks below logistic regression."""
    from lightgbm import LGBMClassifier
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.kernel_approximation import Nystroem
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import LinearSVC
    from sklearn.tree import DecisionTreeClassifier

    if model_id == "logistic":
        return make_pipeline(_log_features(), _clip_to_training_range(), StandardScaler(),
                             LogisticRegression(max_iter=2000))
    if model_id == "decision_tree":
        return DecisionTreeClassifier(max_depth=6, min_samples_leaf=50, random_state=seed)
    if model_id == "random_forest":
        return RandomForestClassifier(n_estimators=150, min_samples_leaf=20, max_features=0.5,
                                      max_samples=0.5, n_jobs=1, random_state=seed)
    if model_id == "svm":
        return make_pipeline(_log_features(), _clip_to_training_range(), StandardScaler(),
                             Nystroem(kernel="rbf", gamma=0.05, n_components=300,
                                      random_state=seed),
                             LinearSVC(C=0.1, random_state=seed))
    if model_id == "lightgbm":
        return LGBMClassifier(n_estimators=300, learning_rate=0.02, num_leaves=7,
                              min_child_samples=100, subsample=0.7, subsample_freq=1,
                              colsample_bytree=0.6, reg_lambda=10.0, num_threads=1,
                              random_state=seed, verbose=-1, **LIGHTGBM_REPRODUCIBLE)
    raise ValueError(f"model_id must be one of {', '.join(MODEL_IDS)}; got {model_id!r}")


def fit_calibrated(model_id: str, frame: pd.DataFrame, features: list[str], seed: int = 0):
    """Fit ``model_id`` on every cutoff but the latest and calibrate it (Platt) on the latest."""
    from sklearn.calibration import CalibratedClassifierCV

    latest = frame["cutoff"] == frame["cutoff"].max()
    split = [(np.flatnonzero(~latest.to_numpy()), np.flatnonzero(latest.to_numpy()))]
    if not len(split[0][0]):
        raise ValueError("calibration needs at least two training cutoffs")
    model = CalibratedClassifierCV(make_model(model_id, seed), method="sigmoid", cv=split)
    return model.fit(frame[features].to_numpy(float), frame["label"].to_numpy())


def _raw_probability(calibrated, x: np.ndarray) -> np.ndarray | None:
    base = calibrated.calibrated_classifiers_[0].estimator
    return base.predict_proba(x)[:, 1] if hasattr(base, "predict_proba") else None


def calibration_bins(y: np.ndarray, p: np.ndarray, bins: int = 10) -> list[dict]:
    """Reliability curve: mean predicted vs observed rate per predicted-probability decile."""
    edges = np.unique(np.quantile(p, np.linspace(0, 1, bins + 1)))
    which = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, max(len(edges) - 2, 0))
    out = []
    for b in np.unique(which):
        mask = which == b
        out.append({"predicted": round(float(p[mask].mean()), 4),
                    "observed": round(float(y[mask].mean()), 4), "count": int(mask.sum())})
    return out


def _weighted_auc(y: np.ndarray, group: np.ndarray, groups: int, weight: np.ndarray) -> float:
    """ROC AUC with row weights from precomputed tie groups of the scores (``group``: rank of
    each row's distinct score): the weighted share of (buyer, non-buyer) pairs ranked right,
    ties counting half. A few bincounts, so thousands of bootstrap draws stay cheap."""
    pos = np.bincount(group, weight * y, minlength=groups)
    neg = np.bincount(group, weight * (1 - y), minlength=groups)
    below = np.cumsum(neg) - neg
    total = pos.sum() * neg.sum()
    return float((pos * (below + 0.5 * neg)).sum() / total) if total > 0 else float("nan")


def bootstrap_auc(y: np.ndarray, scores: dict[str, np.ndarray], groups: np.ndarray, *,
                  reference: str | None = "logistic", reps: int = BOOTSTRAP_REPS, seed: int = 0
                  ) -> dict[str, dict[str, list[float]]]:
    """95 % percentile intervals of each model's AUC, resampling whole customers (``groups``)
    with replacement, the same draws for every model; with ``reference`` among the scores
    also the interval of each model's AUC minus the reference's on the same draws (paired:
    far narrower than comparing two separate intervals)."""
    y = np.asarray(y, float)
    _, which = np.unique(groups, return_inverse=True)
    n = int(which.max()) + 1
    ranks = {m: np.unique(p, return_inverse=True) for m, p in scores.items()}
    rng = np.random.default_rng(seed)
    draws = np.empty((reps, len(scores)))
    for r in range(reps):
        weight = np.bincount(rng.integers(0, n, n), minlength=n)[which].astype(float)
        for j, (distinct, group) in enumerate(ranks.values()):
            draws[r, j] = _weighted_auc(y, group, len(distinct), weight)

    def interval(values: np.ndarray) -> list[float]:
        return [round(float(q), 4) for q in np.nanpercentile(values, [2.5, 97.5])]

    names = list(scores)
    out: dict[str, dict[str, list[float]]] = {}
    for j, m in enumerate(names):
        out[m] = {"auc_ci95": interval(draws[:, j])}
        if reference in scores and m != reference:
            gain = draws[:, j] - draws[:, names.index(reference)]
            out[m][f"gain_over_{reference}_ci95"] = interval(gain)
    return out


def _auc(y: np.ndarray, p: np.ndarray) -> float | None:
    from sklearn.metrics import roc_auc_score

    return round(float(roc_auc_score(y, p)), 4) if len(np.unique(y)) == 2 else None


@dataclass
class PropensityResult:
    """Model comparison on the time split and the best model's scores for every customer."""

    horizon_days: int
    split_date: pd.Timestamp
    train_cutoffs: list[pd.Timestamp]
    test_cutoffs: list[pd.Timestamp]
    models: dict[str, dict]
    best: str
    scores: pd.DataFrame  # customer_id, probability, + the features at the scoring date
    scored_at: pd.Timestamp
    rows: dict[str, int] = field(default_factory=dict)
    population: dict = field(default_factory=dict)

    @property
    def best_beats_logistic(self) -> bool | None:
        """The best model is not logistic regression and its paired 95 % interval of the AUC
        gain over it lies above 0 (None when logistic regression was not compared)."""
        if "logistic" not in self.models:
            return None
        gain = self.models[self.best].get("gain_over_logistic_ci95")
        return bool(self.best != "logistic" and gain is not None and gain[0] > 0)

    def to_json(self, top: int = 20) -> dict:
        return {
            "label": f"buys within {self.horizon_days} days",
            "split_date": str(self.split_date.date()),
            "horizon_days": self.horizon_days,
            "train_cutoffs": [str(c.date()) for c in self.train_cutoffs],
            "test_cutoffs": [str(c.date()) for c in self.test_cutoffs],
            "rows": self.rows,
            "population": self.population,
            "models": self.models,
            "best": self.best,
            "best_beats_logistic": self.best_beats_logistic,
            "scored_at": str(self.scored_at.date()),
            "customers": int(len(self.scores)),
            "expected_buyers": round(float(self.scores["probability"].sum()), 1),
            "top": [{"customer_id": r.customer_id, "probability": round(float(r.probability), 4)}
                    for r in self.scores.head(top).itertuples(index=False)],
        }


def split_cutoffs(purchases: pd.DataFrame, split_date: pd.Timestamp | None, horizon_days: int,
                  ) -> tuple[pd.Timestamp, list[pd.Timestamp], list[pd.Timestamp]]:
    """The split (default ``default_split``) and the training and test cutoffs around it;
    ValueError when the purchases leave fewer than two training cutoffs or no test window."""
    split = pd.Timestamp(split_date) if split_date is not None else default_split(purchases)
    train_cutoffs, test_cutoffs = time_split_cutoffs(purchases, split, horizon_days)
    if len(train_cutoffs) < 2 or not test_cutoffs:
        raise ValueError(
            f"not enough history around the split date {split.date()} for a {horizon_days}-day "
            f"label: need two training cutoffs before it and one test window after it "
            f"(got {len(train_cutoffs)} and {len(test_cutoffs)}); move {option('split_date')} "
            f"or shorten {option('horizon_days')}")
    return split, train_cutoffs, test_cutoffs


def compare_models(purchases: pd.DataFrame, *, horizon_days: int = 30,
                   split_date: pd.Timestamp | None = None, models: tuple[str, ...] = MODEL_IDS,
                   seed: int = 0, bgnbd: bool = True, bootstrap_reps: int = BOOTSTRAP_REPS,
                   progress: Progress | None = None) -> PropensityResult:
    """Fit every model on the training cutoffs, score it on the test cutoffs (AUC with a
    customer-bootstrap interval, per test cutoff and without long-dormant customers; Brier
    before and after calibration, log loss, reliability curve), then refit the best one on
    every cutoff with a known label and score every customer at the day after the last
    purchase."""
    from sklearn.metrics import brier_score_loss, log_loss

    say = progress or (lambda _m: None)
    split, train_cutoffs, test_cutoffs = split_cutoffs(purchases, split_date, horizon_days)
    say("building features at each cutoff")
    train = examples(purchases, train_cutoffs, horizon_days, bgnbd=bgnbd)
    test = examples(purchases, test_cutoffs, horizon_days, bgnbd=bgnbd)
    features = [c for c in train.columns if c not in ("label", "cutoff")]
    if train["label"].nunique() < 2 or test["label"].nunique() < 2:
        raise ValueError("every customer has the same label: propensity cannot be compared")
    x_test, y_test = test[features].to_numpy(float), test["label"].to_numpy()
    active = (test["recency_days"] <= DORMANT_DAYS).to_numpy()
    cutoff_of = test["cutoff"].to_numpy()
    results: dict[str, dict] = {}
    probabilities: dict[str, np.ndarray] = {}
    for model_id in models:
        say(f"fitting {model_id}")
        started = time.perf_counter()
        calibrated = fit_calibrated(model_id, train, features, seed)
        p = calibrated.predict_proba(x_test)[:, 1]
        raw = _raw_probability(calibrated, x_test)
        probabilities[model_id] = p
        results[model_id] = {
            "auc": _auc(y_test, p),
            "auc_without_dormant": _auc(y_test[active], p[active]),
            "auc_by_cutoff": {str(c.date()): _auc(y_test[cutoff_of == c], p[cutoff_of == c])
                              for c in test_cutoffs},
            "brier": round(float(brier_score_loss(y_test, p)), 4),
            "brier_uncalibrated": (None if raw is None
                                   else round(float(brier_score_loss(y_test, raw)), 4)),
            "log_loss": round(float(log_loss(y_test, np.clip(p, 1e-6, 1 - 1e-6))), 4),
            "calibration": calibration_bins(y_test, p),
            "seconds": round(time.perf_counter() - started, 2),
        }
    if bootstrap_reps:
        say("bootstrap intervals of the AUC")
        intervals = bootstrap_auc(y_test, probabilities, test.index.to_numpy(),
                                  reps=bootstrap_reps, seed=seed)
        for model_id, extra in intervals.items():
            results[model_id].update(extra)
    best = max(results, key=lambda m: results[m]["auc"])
    say(f"scoring every customer with {best}")
    last_day = purchases["timestamp"].max().normalize()
    final = fit_calibrated(best, pd.concat([train, test]), features, seed)
    scored_at = last_day + pd.Timedelta(days=1)
    now = customer_features(purchases, scored_at, horizon_days, bgnbd=bgnbd)
    now.insert(0, "probability", final.predict_proba(now[features].to_numpy(float))[:, 1])
    scores = (now.reset_index().sort_values(["probability", "customer_id"],
                                            ascending=[False, True]).reset_index(drop=True))
    rows = {"train": int(len(train)), "test": int(len(test)),
            "train_positive_rate": round(float(train["label"].mean()), 4),
            "test_positive_rate": round(float(test["label"].mean()), 4),
            "refit_cutoffs": len(train_cutoffs) + len(test_cutoffs)}
    population = {
        "scored": "every customer with a purchase before the cutoff",
        "dormant_days": DORMANT_DAYS,
        "test_dormant_share": round(float(1 - active.mean()), 4),
        "test_positive_rate_without_dormant": round(float(y_test[active].mean()), 4),
        "features": len(features),
    }
    return PropensityResult(horizon_days, split, train_cutoffs, test_cutoffs, results, best,
                            scores, scored_at, rows, population)
