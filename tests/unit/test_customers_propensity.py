"""Purchase propensity: no leakage (features from orders before the cutoff only), labels from
the window after it, a proper time split, and five calibrated models that find real signal."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from promocast.customers.propensity import (
    MODEL_IDS,
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
    document = result.to_json()
    assert document["label"] == "buys within 30 days"
    assert document["split_date"] == "2024-03-01"
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
