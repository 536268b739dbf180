"""Purchase propensity: no leakage (features from orders before the cutoff only, BG/NBD fitted
per cutoff), labels from the window after it, a proper time split, features that mean what
their names say, customer-bootstrap AUC intervals, and five calibrated models that find real
signal."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from promocast.customers.propensity import (
    DORMANT_DAYS,
    MODEL_IDS,
    _weighted_auc,
    bootstrap_auc,
    buys_within,
    calibration_bins,
    compare_models,
    customer_features,
    examples,
    make_model,
    time_split_cutoffs,
)

START = pd.Timestamp("2023-01-01")


def synthetic_purchases(n_customers: int = 400, days: int = 540, seed: int = 0) -> pd.DataFrame:
    """Customers with their own buying rate; a third stop buying at a random day."""
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(n_customers):
        rate = rng.lognormal(-3.0, 1.0)  # purchases per day
        join = int(rng.integers(0, days // 2))
        stop = int(rng.integers(join, days)) if rng.random() < 0.35 else days
        n = rng.poisson(rate * (stop - join)) + 1
        for day in np.sort(rng.integers(join, max(stop, join + 1), n)):
            rows.append((f"c{c:04d}", START + pd.Timedelta(days=int(day), hours=12),
                         float(rng.gamma(2.0, 20.0))))
    frame = pd.DataFrame(rows, columns=["customer_id", "timestamp", "revenue"])
    frame["order_id"] = [f"o{i}" for i in range(len(frame))]
    frame["units"] = 1.0
    frame["lines"] = 1.0
    frame["discount"] = 0.0
    return frame.sort_values("timestamp").reset_index(drop=True)


@pytest.fixture(scope="module")
def purchases() -> pd.DataFrame:
    return synthetic_purchases()


def test_features_use_only_orders_before_the_cutoff(purchases: pd.DataFrame) -> None:
    cutoff = pd.Timestamp("2023-09-01")
    before = customer_features(purchases, cutoff)
    changed = purchases.copy()
    after = changed["timestamp"] >= cutoff
    changed.loc[after, "revenue"] *= 100  # anything after the cutoff may change ...
    extra = changed[after].head(50).assign(order_id=lambda f: f["order_id"] + "x")
    changed = pd.concat([changed, extra])
    pd.testing.assert_frame_equal(customer_features(changed, cutoff), before)  # ... unseen
    # customers whose first purchase comes later are not in the frame at all
    first = purchases.groupby("customer_id")["timestamp"].min()
    assert set(before.index) == set(first[first < cutoff].index)
    assert (before["recency_days"] > 0).all()


def test_labels_are_the_window_after_the_cutoff() -> None:
    ts = pd.to_datetime(["2023-01-05", "2023-02-01", "2023-03-02", "2023-01-10"])
    frame = pd.DataFrame({"customer_id": ["a", "a", "b", "b"], "timestamp": ts})
    label = buys_within(frame, pd.Index(["a", "b", "c"]), pd.Timestamp("2023-02-01"), 29)
    assert label.to_dict() == {"a": 1, "b": 0, "c": 0}  # b's next purchase is on day 29: out
    label = buys_within(frame, pd.Index(["a", "b"]), pd.Timestamp("2023-02-01"), 30)
    assert label.to_dict() == {"a": 1, "b": 1}


def test_time_split_keeps_training_labels_before_the_split(purchases: pd.DataFrame) -> None:
    split = pd.Timestamp("2024-03-01")
    train, test = time_split_cutoffs(purchases, split, 30)
    assert len(train) >= 2 and test[0] == split
    assert max(train) + pd.Timedelta(days=30) <= split
    assert max(test) + pd.Timedelta(days=30) <= purchases["timestamp"].max().normalize()
    rows = examples(purchases, train, 30)
    assert set(rows["cutoff"]) == set(train)
    assert rows["label"].isin([0, 1]).all()
    # whatever happens after the split cannot reach a training example (features or label)
    changed = purchases[purchases["timestamp"] < split]
    late = purchases[purchases["timestamp"] >= split].assign(revenue=1e6)
    pd.testing.assert_frame_equal(examples(pd.concat([changed, late.iloc[::2]]), train, 30), rows)


def test_features_mean_what_they_say() -> None:
    """One customer with purchase days 2022-12-20 (Tue), 2023-01-02 (Mon), 01-12 (Thu), 02-01
    (Wed; two orders, one on promotion) and 03-03 (Fri), scored on 2023-12-10."""
    ts = pd.to_datetime(["2022-12-20 10:00", "2023-01-02 10:00", "2023-01-12 10:00",
                         "2023-02-01 09:00", "2023-02-01 17:00", "2023-03-03 12:00"])
    frame = pd.DataFrame({"customer_id": "a", "order_id": [f"o{i}" for i in range(6)],
                          "timestamp": ts, "revenue": [10.0, 10, 20, 30, 10, 20],
                          "units": 2.0, "lines": 1.0, "discount": [0, 0, 0, 0, 10.0, 0]})
    cutoff = pd.Timestamp("2023-12-10")
    row = customer_features(frame, cutoff, 30, bgnbd=False).loc["a"]
    gaps = np.array([13.0, 10, 20, 30])  # days between the five purchase days
    assert row["frequency"] == 6 and row["purchase_days"] == 5
    assert row["gap_mean_days"] == pytest.approx(gaps.mean())
    assert row["gap_std_days"] == pytest.approx(gaps.std(ddof=1))
    assert row["last_gap_days"] == 30
    assert row["recency_over_gap"] == pytest.approx(row["recency_days"] / gaps.mean())
    assert row["days_365d"] == 5 and row["days_180d"] == 0  # 282 to 355 days back
    # a year before the label window [cutoff, cutoff + h): ages in [365 - h, 365)
    assert row["days_year_ago"] == 2  # 12-20 and 01-02: 355 and 342 days back
    short = customer_features(frame, cutoff, 10, bgnbd=False).loc["a"]
    assert short["days_year_ago"] == 1  # only 12-20 lies 355..364 days back
    assert row["promo_order_share"] == pytest.approx(1 / 6)
    assert row["discount_share"] == pytest.approx(10 / 110)
    assert row["orders_per_day"] == pytest.approx(6 / 5)
    assert row["weekday_habit"] == pytest.approx(1 / 5)  # five different weekdays
    one = customer_features(frame.head(1), cutoff, 30, bgnbd=False).loc["a"]
    assert one["gap_mean_days"] == pytest.approx(one["tenure_days"] + 365)  # no rhythm yet
    assert one["gap_std_days"] == 0
    alive = customer_features(frame, cutoff, 30).loc["a"]  # BG/NBD on one customer: fallback
    assert 0 <= alive["bgnbd_p_alive"] <= 1 and np.isfinite(alive["bgnbd_expected"])


def test_weighted_auc_and_bootstrap_intervals() -> None:
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 3000)
    groups = np.arange(3000) // 3  # a customer at three cutoffs
    signal = np.round(y + rng.normal(0, 1.2, 3000), 1)  # ties on purpose
    weight = rng.integers(0, 3, 3000).astype(float)
    distinct, tie = np.unique(signal, return_inverse=True)
    assert _weighted_auc(y.astype(float), tie, len(distinct), weight) == pytest.approx(
        roc_auc_score(y, signal, sample_weight=weight))
    better = signal + 0.8 * y  # a model with extra real signal
    noise = signal + rng.normal(0, 0.01, 3000)  # the same ranking up to noise
    out = bootstrap_auc(y, {"logistic": signal, "better": better, "same": noise}, groups,
                        reps=300)
    low, high = out["logistic"]["auc_ci95"]
    assert low < roc_auc_score(y, signal) < high and high - low < 0.06
    assert out["better"]["gain_over_logistic_ci95"][0] > 0.03  # clearly better: above 0
    low, high = out["same"]["gain_over_logistic_ci95"]
    assert low < 0 < high and high - low < 0.01  # paired: a tie is a tight interval on 0
    assert "gain_over_logistic_ci95" not in out["logistic"]


def test_models_find_the_signal_and_are_calibrated(purchases: pd.DataFrame) -> None:
    result = compare_models(purchases, horizon_days=30, split_date=pd.Timestamp("2024-03-01"))
    assert set(result.models) == set(MODEL_IDS)
    for name, row in result.models.items():
        assert row["auc"] > 0.7, name
        assert 0 < row["brier"] < 0.25, name
        observed = np.array([b["observed"] for b in row["calibration"]])
        predicted = np.array([b["predicted"] for b in row["calibration"]])
        assert np.abs(observed - predicted).mean() < 0.1, name  # reliability curve near y = x
    assert result.best == max(result.models, key=lambda m: result.models[m]["auc"])
    for name, row in result.models.items():
        low, high = row["auc_ci95"]
        assert low < row["auc"] < high, name
        assert set(row["auc_by_cutoff"]) == {str(c.date()) for c in result.test_cutoffs}
        assert all(a > 0.6 for a in row["auc_by_cutoff"].values()), name
        # long-dormant customers are easy negatives: without them the AUC is lower
        assert 0.6 < row["auc_without_dormant"] < row["auc"], name
        assert ("gain_over_logistic_ci95" in row) == (name != "logistic")
    gain = result.models[result.best].get("gain_over_logistic_ci95")
    assert result.best_beats_logistic == (result.best != "logistic" and gain[0] > 0)
    assert result.population["dormant_days"] == DORMANT_DAYS
    assert 0 < result.population["test_dormant_share"] < 0.5
    document = result.to_json()
    assert document["label"] == "buys within 30 days"
    assert document["split_date"] == "2024-03-01"
    assert document["best_beats_logistic"] == result.best_beats_logistic
    assert set(document["models"][result.best]) >= {"auc", "brier", "calibration"}
    scores = result.scores
    assert scores["probability"].between(0, 1).all()
    assert scores["customer_id"].is_unique and len(scores) == purchases["customer_id"].nunique()
    # the scored customers who are still buying rank above those who stopped long ago
    recent = scores["recency_days"] < 30
    assert scores.loc[recent, "probability"].mean() > 2 * scores.loc[~recent, "probability"].mean()


def test_refuses_a_split_without_history(purchases: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="not enough history"):
        compare_models(purchases, split_date=START + pd.Timedelta(days=70))


def test_unknown_model_and_calibration_bins() -> None:
    with pytest.raises(ValueError, match="model_id must be one of"):
        make_model("xgboost")
    y = np.array([0, 0, 1, 1, 0, 1, 1, 1, 0, 0])
    p = np.linspace(0.05, 0.95, 10)
    bins = calibration_bins(y, p, bins=5)
    assert sum(b["count"] for b in bins) == 10
    assert bins[0]["predicted"] < bins[-1]["predicted"]


def test_linear_models_do_not_extrapolate_past_the_training_range() -> None:
    """Scored cutoffs have longer histories than the training ones: a tenure beyond anything
    seen in training must score like the longest seen, not run along the fitted line."""
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 100, (400, 2))
    y = (x[:, 0] + rng.normal(0, 20, 400) > 50).astype(int)
    for model_id in ("logistic", "svm"):
        model = make_model(model_id).fit(x, y)
        score = model.decision_function(np.array([[100.0, 50.0], [400.0, 50.0], [80.0, 50.0]]))
        assert score[1] == pytest.approx(score[0], abs=0.05), model_id  # flat past the edge
        assert score[0] > score[2], model_id  # still increasing inside the range
