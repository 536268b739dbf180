"""Purchase propensity: will a customer buy again within ``horizon_days``?

Examples are (customer, cutoff) pairs. Features come only from purchases strictly before the
cutoff; the label is whether the customer buys in ``[cutoff, cutoff + horizon)``. Cutoffs step
back from the split date one horizon apart, so training labels all end by the split and every
test label lies after it (a time split: the models never see the period they are scored on).
Stacking several cutoffs gives the models customers in many states (new, lapsing, regular).

Five well-known classifiers compete by ROC AUC on the test cutoffs: logistic regression,
decision tree, random forest, an RBF-kernel SVM (Nystroem features + linear SVM: an exact SVC is
quadratic in the rows) and LightGBM, all on one thread. Each is calibrated with Platt scaling
(``CalibratedClassifierCV``) on the latest training cutoff, held out from its fit, so its
probabilities mean what they say; the Brier score before and after and a reliability curve are
reported. The best model by AUC is refitted on every cutoff whose label is known and scores
every customer at the end of the data.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from promocast.customers.rfm import customer_summary

MODEL_IDS = ("logistic", "decision_tree", "random_forest", "svm", "lightgbm")
WINDOWS = (30, 90, 180)
"""Look-back windows (days) of the recent-activity features."""
Progress = Callable[[str], None]


# -- examples ---------------------------------------------------------------------------------
def customer_features(purchases: pd.DataFrame, cutoff: pd.Timestamp) -> pd.DataFrame:
    """One row per customer who bought before ``cutoff``, from those purchases only: RFM,
    tenure, purchases and revenue in the last 30/90/180 days, the mean gap between purchase
    days and recency relative to it (a regular buyer past due is likely to come back), basket
    size and the share of money saved by discounts. Indexed by customer_id."""
    seen = purchases[purchases["timestamp"] < cutoff]
    summary = customer_summary(seen, cutoff).set_index("customer_id")
    frame = summary[["recency_days", "frequency", "monetary", "avg_order_value",
                     "tenure_days"]].astype(float)
    age = (cutoff - seen["timestamp"]).dt.total_seconds() / 86400.0
    by = seen["customer_id"]
    for days in WINDOWS:
        recent = age <= days
        frame[f"purchases_{days}d"] = recent.groupby(by).sum().reindex(frame.index, fill_value=0)
        frame[f"revenue_{days}d"] = (seen["revenue"].where(recent, 0.0).groupby(by).sum()
                                     .reindex(frame.index, fill_value=0.0))
    days_bought = seen["timestamp"].dt.normalize().groupby(by).nunique().reindex(frame.index)
    frame["purchase_days"] = days_bought.astype(float)
    span = (summary["last_purchase"] - summary["first_purchase"]).dt.total_seconds() / 86400.0
    gap = span / (days_bought - 1).where(days_bought > 1)
    frame["mean_gap_days"] = gap.fillna(frame["tenure_days"] + 365.0)  # one-off: no rhythm yet
    frame["recency_over_gap"] = frame["recency_days"] / frame["mean_gap_days"].clip(lower=1.0)
    totals = seen.groupby(by)[["lines", "units", "discount"]].sum().reindex(frame.index)
    frame["lines_per_order"] = totals["lines"] / frame["frequency"]
    frame["units_per_order"] = totals["units"] / frame["frequency"]
    frame["discount_share"] = totals["discount"] / (totals["discount"] + frame["monetary"])
    return frame.fillna(0.0)


def buys_within(purchases: pd.DataFrame, customers: pd.Index, cutoff: pd.Timestamp,
                horizon_days: int) -> pd.Series:
    """1 when the customer buys in ``[cutoff, cutoff + horizon_days)``, else 0."""
    window = purchases[(purchases["timestamp"] >= cutoff)
                       & (purchases["timestamp"] < cutoff + pd.Timedelta(days=horizon_days))]
    return pd.Series(customers.isin(window["customer_id"].unique()).astype(int), index=customers,
                     name="label")


def examples(purchases: pd.DataFrame, cutoffs: list[pd.Timestamp], horizon_days: int
             ) -> pd.DataFrame:
    """Features and label for every customer at every cutoff (column ``cutoff`` added)."""
    parts = []
    for cutoff in cutoffs:
        features = customer_features(purchases, cutoff)
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
def _log_features():
    from sklearn.preprocessing import FunctionTransformer

    # counts and money are heavy-tailed: linear models see them on a log scale
    return FunctionTransformer(lambda x: np.log1p(np.clip(x, 0.0, None)), validate=False)


def make_model(model_id: str, seed: int = 0):
    """An unfitted scikit-learn classifier for ``model_id`` (one thread)."""
    from lightgbm import LGBMClassifier
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.kernel_approximation import Nystroem
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import LinearSVC
    from sklearn.tree import DecisionTreeClassifier

    if model_id == "logistic":
        return make_pipeline(_log_features(), StandardScaler(), LogisticRegression(max_iter=2000))
    if model_id == "decision_tree":
        return DecisionTreeClassifier(max_depth=6, min_samples_leaf=50, random_state=seed)
    if model_id == "random_forest":
        return RandomForestClassifier(n_estimators=150, min_samples_leaf=20, max_features=0.5,
                                      max_samples=0.5, n_jobs=1, random_state=seed)
    if model_id == "svm":
        return make_pipeline(_log_features(), StandardScaler(),
                             Nystroem(kernel="rbf", gamma=0.05, n_components=300,
                                      random_state=seed),
                             LinearSVC(C=0.1, random_state=seed))
    if model_id == "lightgbm":
        return LGBMClassifier(n_estimators=300, learning_rate=0.03, num_leaves=15,
                              min_child_samples=40, subsample=0.8, subsample_freq=1,
                              colsample_bytree=0.8, reg_lambda=1.0, num_threads=1,
                              random_state=seed, verbose=-1)
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

    def to_json(self, top: int = 20) -> dict:
        return {
            "label": f"buys within {self.horizon_days} days",
            "split_date": str(self.split_date.date()),
            "horizon_days": self.horizon_days,
            "train_cutoffs": [str(c.date()) for c in self.train_cutoffs],
            "test_cutoffs": [str(c.date()) for c in self.test_cutoffs],
            "rows": self.rows,
            "models": self.models,
            "best": self.best,
            "scored_at": str(self.scored_at.date()),
            "customers": int(len(self.scores)),
            "expected_buyers": round(float(self.scores["probability"].sum()), 1),
            "top": [{"customer_id": r.customer_id, "probability": round(float(r.probability), 4)}
                    for r in self.scores.head(top).itertuples(index=False)],
        }


def compare_models(purchases: pd.DataFrame, *, horizon_days: int = 30,
                   split_date: pd.Timestamp | None = None, models: tuple[str, ...] = MODEL_IDS,
                   seed: int = 0, progress: Progress | None = None) -> PropensityResult:
    """Fit every model on the training cutoffs, score it on the test cutoffs (AUC, Brier before
    and after calibration, log loss, reliability curve), then refit the best one on every cutoff
    with a known label and score every customer at the day after the last purchase."""
    from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score

    say = progress or (lambda _m: None)
    split = pd.Timestamp(split_date) if split_date is not None else default_split(purchases)
    train_cutoffs, test_cutoffs = time_split_cutoffs(purchases, split, horizon_days)
    if len(train_cutoffs) < 2 or not test_cutoffs:
        raise ValueError(
            f"not enough history around the split date {split.date()} for a {horizon_days}-day "
            f"label: need two training cutoffs before it and one test window after it "
            f"(got {len(train_cutoffs)} and {len(test_cutoffs)}); move --split-date or shorten "
            "--horizon")
    say("building features at each cutoff")
    train = examples(purchases, train_cutoffs, horizon_days)
    test = examples(purchases, test_cutoffs, horizon_days)
    features = [c for c in train.columns if c not in ("label", "cutoff")]
    if train["label"].nunique() < 2 or test["label"].nunique() < 2:
        raise ValueError("every customer has the same label: propensity cannot be compared")
    x_test, y_test = test[features].to_numpy(float), test["label"].to_numpy()
    results: dict[str, dict] = {}
    for model_id in models:
        say(f"fitting {model_id}")
        started = time.perf_counter()
        calibrated = fit_calibrated(model_id, train, features, seed)
        p = calibrated.predict_proba(x_test)[:, 1]
        raw = _raw_probability(calibrated, x_test)
        results[model_id] = {
            "auc": round(float(roc_auc_score(y_test, p)), 4),
            "brier": round(float(brier_score_loss(y_test, p)), 4),
            "brier_uncalibrated": (None if raw is None
                                   else round(float(brier_score_loss(y_test, raw)), 4)),
            "log_loss": round(float(log_loss(y_test, np.clip(p, 1e-6, 1 - 1e-6))), 4),
            "calibration": calibration_bins(y_test, p),
            "seconds": round(time.perf_counter() - started, 2),
        }
    best = max(results, key=lambda m: results[m]["auc"])
    say(f"scoring every customer with {best}")
    last_day = purchases["timestamp"].max().normalize()
    final = fit_calibrated(best, pd.concat([train, test]), features, seed)
    scored_at = last_day + pd.Timedelta(days=1)
    now = customer_features(purchases, scored_at)
    now.insert(0, "probability", final.predict_proba(now[features].to_numpy(float))[:, 1])
    scores = (now.reset_index().sort_values(["probability", "customer_id"],
                                            ascending=[False, True]).reset_index(drop=True))
    rows = {"train": int(len(train)), "test": int(len(test)),
            "train_positive_rate": round(float(train["label"].mean()), 4),
            "test_positive_rate": round(float(test["label"].mean()), 4),
            "refit_cutoffs": len(train_cutoffs) + len(test_cutoffs)}
    return PropensityResult(horizon_days, split, train_cutoffs, test_cutoffs, results, best,
                            scores, scored_at, rows)
