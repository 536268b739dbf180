"""Metrics of DESIGN §3 against hand computations."""

from __future__ import annotations

import math

import pandas as pd

from promocast.forecasting.metrics import evaluate, parse_quantile_column, per_series_winner


def _frame() -> pd.DataFrame:
    return pd.DataFrame({
        "unique_id": ["A", "A", "B", "B"],
        "cutoff": pd.Timestamp("2024-01-10"),
        "ds": pd.to_datetime(["2024-01-11", "2024-01-12"] * 2),
        "actual": [10.0, 0.0, 4.0, 6.0],
        "m": [8.0, 1.0, 4.0, 9.0],
        "m-q0.1": [5.0, 0.0, 5.0, 5.0],
        "m-q0.9": [12.0, 2.0, 6.0, 7.0],
    })


def test_point_metrics_by_hand() -> None:
    scores = evaluate(_frame(), ["m"])["m"]
    errors = [2, 1, 0, 3]
    assert scores["mae"] == 1.5
    assert math.isclose(scores["rmse"], math.sqrt(sum(e * e for e in errors) / 4), rel_tol=1e-6)
    # MAPE over actual > 0 only: 2/10, 0/4, 3/6
    assert math.isclose(scores["mape"], 100 * (0.2 + 0 + 0.5) / 3, rel_tol=1e-6)
    assert math.isclose(scores["wape"], 100 * 6 / 20)
    smape = [2 * 2 / 18, 2 * 1 / 1, 0, 2 * 3 / 15]
    assert math.isclose(scores["smape"], 100 * sum(smape) / 4, rel_tol=1e-6)
    assert scores["mase"] is None and scores["rmsse"] is None  # no training data given


def test_quantile_metrics_by_hand() -> None:
    scores = evaluate(_frame(), ["m"])["m"]
    inside = [10 <= 12 and 10 >= 5, 0 >= 0 and 0 <= 2, 4 >= 5, 6 <= 7 and 6 >= 5]
    assert scores["coverage_80"] == 100 * sum(inside) / 4
    def pin(q, a, f):
        return max(q * (a - f), (q - 1) * (a - f))
    lo = sum(pin(0.1, a, f) for a, f in zip([10, 0, 4, 6], [5, 0, 5, 5], strict=True)) / 4
    hi = sum(pin(0.9, a, f) for a, f in zip([10, 0, 4, 6], [12, 2, 6, 7], strict=True)) / 4
    assert math.isclose(scores["pinball"], (lo + hi) / 2, rel_tol=1e-6)
    assert parse_quantile_column("lgbm-q0.05") == ("lgbm", 0.05)


def test_scaled_metrics_and_row_order() -> None:
    train = pd.DataFrame({"unique_id": ["A"] * 3 + ["B"] * 3,
                          "ds": pd.to_datetime(["2024-01-08", "2024-01-09", "2024-01-10"] * 2),
                          "y": [1.0, 3.0, 6.0, 2.0, 2.0, 4.0]})
    scores = evaluate(_frame(), ["m"], train=train, season_length=1)["m"]
    # naive in-sample MAE: A = (2 + 3) / 2, B = (0 + 2) / 2; MASE = mean(1.5 / 2.5, 1.5 / 1)
    assert math.isclose(scores["mase"], (1.5 / 2.5 + 1.5 / 1.0) / 2, rel_tol=1e-6)
    shuffled = evaluate(_frame().sample(frac=1, random_state=1), ["m"], train=train)["m"]
    assert shuffled == scores


def test_per_series_winner() -> None:
    frame = _frame().assign(n=[10.0, 0.0, 0.0, 0.0])
    winners = per_series_winner(frame, ["m", "n"]).set_index("unique_id")["best_model"]
    assert winners.to_dict() == {"A": "n", "B": "m"}
