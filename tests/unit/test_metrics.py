"""Every metric of DESIGN §3 against a hand computation on a tiny frame, and order invariance."""

from __future__ import annotations

import io
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from utilsforecast import losses as ufl

from promocast.forecasting.metrics import (
    METRICS,
    evaluate,
    metrics_by_horizon,
    parse_quantile_column,
    per_series_winner,
    quantile_column,
    quantile_columns,
)


def day(d: int) -> pd.Timestamp:
    return pd.Timestamp(f"2024-01-{d:02d}")


def predictions() -> pd.DataFrame:
    """Five scored points, two series, two cutoffs (daily)."""
    return pd.DataFrame(
        {
            "unique_id": ["A", "A", "B", "B", "B"],
            "cutoff": [day(3), day(3), day(3), day(4), day(4)],
            "ds": [day(4), day(5), day(4), day(5), day(6)],
            "actual": [6.0, 10.0, 0.0, 4.0, 5.0],
            "m": [4.0, 7.0, 1.0, 4.0, 2.0],
            "m-q0.1": [3.0, 5.0, 0.0, 4.0, 3.0],
            "m-q0.9": [7.0, 9.0, 2.0, 6.0, 4.0],
        }
    )


def training() -> pd.DataFrame:
    """A on every day; B misses 2 January (a gap, not a zero)."""
    return pd.DataFrame(
        {
            "unique_id": ["A"] * 5 + ["B"] * 5,
            "ds": [day(d) for d in (1, 2, 3, 4, 5)] + [day(d) for d in (1, 3, 4, 5, 6)],
            "y": [1.0, 3.0, 6.0, 6.0, 10.0, 2.0, 5.0, 0.0, 4.0, 5.0],
        }
    )


def test_point_metrics_by_hand() -> None:
    scores = evaluate(predictions(), ["m"])["m"]
    # errors a - f: 2, 3, -1, 0, 3
    assert scores["mae"] == pytest.approx(9 / 5, rel=1e-12)
    assert scores["rmse"] == pytest.approx(math.sqrt((4 + 9 + 1 + 0 + 9) / 5), rel=1e-12)
    # MAPE over actual > 0 only (the 0 actual of B on 4 Jan is left out): 2/6, 3/10, 0/4, 3/5
    assert scores["mape"] == pytest.approx(100 * (2 / 6 + 3 / 10 + 0 / 4 + 3 / 5) / 4, rel=1e-12)
    # sMAPE: |a| + |f| = 10, 17, 1, 8, 7
    assert scores["smape"] == pytest.approx(
        200 * (2 / 10 + 3 / 17 + 1 / 1 + 0 / 8 + 3 / 7) / 5, rel=1e-12
    )
    assert scores["wape"] == pytest.approx(100 * 9 / 25, rel=1e-12)
    assert scores["mase"] is None and scores["rmsse"] is None  # no training data given
    assert list(scores) == list(METRICS)


def test_quantile_metrics_by_hand() -> None:
    scores = evaluate(predictions(), ["m"])["m"]
    # q0.1: a - f = 3, 5, 0, 0, 2 -> losses 0.3, 0.5, 0, 0, 0.2 -> mean 0.2
    # q0.9: a - f = -1, 1, -2, -2, 1 -> losses 0.1, 0.9, 0.2, 0.2, 0.9 -> mean 0.46
    assert scores["pinball"] == pytest.approx((0.2 + 0.46) / 2, rel=1e-12)
    # inside [q0.1, q0.9], bounds included: yes (3<=6<=7), no (10>9), yes (0<=0), yes (4<=4), no (5>4)
    assert scores["coverage_80"] == pytest.approx(60.0, rel=1e-12)


def test_scaled_metrics_by_hand() -> None:
    scores = evaluate(predictions(), ["m"], train=training(), season_length=1)["m"]
    # Scales from the training data up to each point's cutoff, naive pairs one day apart:
    #   A @ 3 Jan: |3-1|, |6-3| -> MAE 2.5, MSE 6.5
    #   B @ 3 Jan: 1 and 3 Jan only (2 Jan missing) -> no pair -> point left out
    #   B @ 4 Jan: |0-5| -> MAE 5, MSE 25
    mase_a = (2 / 2.5 + 3 / 2.5) / 2
    mase_b = (0 / 5 + 3 / 5) / 2
    assert scores["mase"] == pytest.approx((mase_a + mase_b) / 2, rel=1e-12)
    rmsse_a = math.sqrt((4 / 6.5 + 9 / 6.5) / 2)
    rmsse_b = math.sqrt((0 / 25 + 9 / 25) / 2)
    assert scores["rmsse"] == pytest.approx((rmsse_a + rmsse_b) / 2, rel=1e-12)
    # unscaled metrics do not change with train
    assert scores["mae"] == evaluate(predictions(), ["m"])["m"]["mae"]


def test_seasonal_scale_and_zero_scale() -> None:
    frame = predictions().iloc[:2]  # series A, cutoff 3 Jan
    # season_length 2: only the pair (1 Jan, 3 Jan): |6 - 1| = 5
    scores = evaluate(frame, ["m"], train=training(), season_length=2)["m"]
    assert scores["mase"] == pytest.approx((2 / 5 + 3 / 5) / 2, rel=1e-12)
    assert scores["rmsse"] == pytest.approx(math.sqrt((4 / 25 + 9 / 25) / 2), rel=1e-12)
    flat = training().assign(y=7.0)  # every series constant: zero scale everywhere
    scores = evaluate(predictions(), ["m"], train=flat)["m"]
    assert scores["mase"] is None and scores["rmsse"] is None


def test_scale_uses_data_up_to_the_cutoff_only() -> None:
    thursdays = pd.date_range("2024-01-04", periods=4, freq="W-THU")
    train = pd.DataFrame({"unique_id": "A", "ds": thursdays, "y": [1.0, 3.0, 6.0, 20.0]})
    point = pd.DataFrame({"unique_id": ["A"], "ds": [thursdays[3]], "actual": [20.0], "m": [15.0]})
    # a cutoff between two labels (the Friday after the 3rd week) must not see the 4th week
    friday = point.assign(cutoff=thursdays[2] + pd.Timedelta(days=1))
    assert evaluate(friday, ["m"], train=train)["m"]["mase"] == pytest.approx(5 / 2.5, rel=1e-12)
    on_label = point.assign(cutoff=thursdays[2])
    assert evaluate(on_label, ["m"], train=train, freq="W-THU")["m"]["mase"] == pytest.approx(2.0)
    # no cutoff column: the whole of train scales (|3-1|, |6-3|, |20-6|)
    assert evaluate(point, ["m"], train=train)["m"]["mase"] == pytest.approx(
        5 / (19 / 3), rel=1e-12
    )


def test_mase_matches_utilsforecast_on_one_cutoff() -> None:
    """Independent oracle: with one cutoff and regular training data our MASE is the mean over
    series of utilsforecast's per-series MASE."""
    rng = np.random.default_rng(3)
    dates = pd.date_range("2024-01-01", periods=20, freq="D")
    train = pd.DataFrame(
        {
            "unique_id": np.repeat(["A", "B", "C"], 20),
            "ds": np.tile(dates, 3),
            "y": rng.poisson(8, 60).astype(float),
        }
    )
    cutoff = dates[-5]
    test = train[train["ds"] > cutoff].rename(columns={"y": "actual"}).assign(cutoff=cutoff)
    test["m"] = test["actual"] + rng.normal(0, 2, len(test))
    ours = evaluate(test, ["m"], train=train, season_length=7)["m"]
    plain = test.drop(columns="cutoff").rename(columns={"actual": "y"})
    seen = train[train["ds"] <= cutoff]
    theirs = ufl.mase(plain, ["m"], seasonality=7, train_df=seen)
    assert ours["mase"] == pytest.approx(theirs["m"].mean(), rel=1e-9)
    theirs = ufl.rmsse(plain, ["m"], seasonality=7, train_df=seen)
    assert ours["rmsse"] == pytest.approx(theirs["m"].mean(), rel=1e-9)


def test_what_cannot_be_computed_is_none() -> None:
    zeros = predictions().assign(actual=0.0, m=0.0)[["unique_id", "cutoff", "ds", "actual", "m"]]
    scores = evaluate(zeros, ["m"], train=training())["m"]
    assert scores["mae"] == 0.0 and scores["rmse"] == 0.0
    for metric in ("mape", "smape", "wape", "pinball", "coverage_80"):
        assert scores[metric] is None, metric
    only_upper = predictions().drop(columns="m-q0.1")
    scores = evaluate(only_upper, ["m"])["m"]
    assert scores["coverage_80"] is None
    assert scores["pinball"] == pytest.approx(0.46, rel=1e-12)
    empty = evaluate(predictions().assign(m=np.nan), ["m"], train=training())["m"]
    assert set(empty) == set(METRICS) and all(v is None for v in empty.values())


def test_missing_forecasts_leave_their_points_out() -> None:
    frame = predictions()
    frame.loc[1, "m"] = np.nan  # A on 5 Jan: error 3 not counted
    assert evaluate(frame, ["m"])["m"]["mae"] == pytest.approx((2 + 1 + 0 + 3) / 4, rel=1e-12)


def test_string_dates_from_a_csv_give_the_same_numbers() -> None:
    text = predictions().to_csv(index=False)
    from_csv = pd.read_csv(io.StringIO(text))
    train = pd.read_csv(io.StringIO(training().to_csv(index=False)))
    assert evaluate(from_csv, ["m"], train=train) == evaluate(
        predictions(), ["m"], train=training()
    )


def test_refuses_bad_frames() -> None:
    with pytest.raises(ValueError, match="duplicate point"):
        evaluate(pd.concat([predictions(), predictions().iloc[:1]]), ["m"])
    with pytest.raises(ValueError, match="lacks column"):
        evaluate(predictions(), ["lgbm"])
    with pytest.raises(ValueError, match="season_length"):
        evaluate(predictions(), ["m"], train=training(), season_length=0)
    with pytest.raises(ValueError, match="two rows for series"):
        evaluate(predictions(), ["m"], train=pd.concat([training(), training().iloc[:1]]))


def test_per_series_winner() -> None:
    frame = predictions().assign(n=[6.0, 10.0, 0.0, 0.0, 0.0])
    winners = per_series_winner(frame, ["m", "n"])
    assert winners["unique_id"].tolist() == ["A", "B"]
    assert winners["best_model"].tolist() == ["n", "m"]
    assert winners["score"].tolist() == pytest.approx([0.0, 4 / 3], rel=1e-12)
    by_mape = per_series_winner(frame, ["m", "n"], metric="mape")  # B: m 30 % vs n 100 %
    assert by_mape["best_model"].tolist() == ["n", "m"]
    tie = per_series_winner(predictions().assign(n=predictions()["m"]), ["n", "m"])
    assert tie["best_model"].tolist() == ["n", "n"]  # ties go to the model listed first
    with pytest.raises(ValueError, match="lower is better"):
        per_series_winner(frame, ["m"], metric="coverage_80")
    with pytest.raises(ValueError, match="train="):
        per_series_winner(frame, ["m"], metric="mase")


def test_metrics_by_horizon() -> None:
    table = metrics_by_horizon(predictions(), ["m"], train=training())
    assert table.columns.tolist() == ["model", "step", *METRICS]
    assert table["step"].tolist() == [1, 2]
    # step 1: A 4 Jan, B 4 Jan, B 5 Jan -> |e| 2, 1, 0; step 2: A 5 Jan, B 6 Jan -> 3, 3
    assert table["mae"].tolist() == pytest.approx([1.0, 3.0], rel=1e-12)
    # step 1 MASE: A 2/2.5; B only 5 Jan (0/5; 4 Jan has no scale) -> (0.8 + 0) / 2
    assert table.loc[0, "mase"] == pytest.approx(0.4, rel=1e-12)
    gapped = predictions().assign(ds=lambda f: f["ds"] + pd.Timedelta(days=1))
    assert metrics_by_horizon(gapped, ["m"])["step"].tolist() == [2, 3]


def test_quantile_column_naming() -> None:
    assert quantile_column("lgbm", 0.1) == "lgbm-q0.1"
    assert quantile_column("lgbm", 0.05) == "lgbm-q0.05"
    assert quantile_column("lgbm", 0.5) == "lgbm-q0.5"
    assert quantile_column("lgbm", np.float64(0.975)) == "lgbm-q0.975"
    for bad in (0.0, 1.0, 0.1234, -0.1):
        with pytest.raises(ValueError, match="quantile"):
            quantile_column("lgbm", bad)
    for q in (0.001, 0.025, 0.1, 0.5, 0.9, 0.975, 0.999):
        assert parse_quantile_column(quantile_column("seasonal_naive", q)) == ("seasonal_naive", q)
    assert parse_quantile_column("my-model-q0.25") == ("my-model", 0.25)
    assert parse_quantile_column("lgbm-q.1") == ("lgbm", 0.1)
    for name in ("lgbm", "lgbm-lo-80", "lgbm-q1", "lgbm-q0.0", "lgbm-q10", "lgbm-q0.1234"):
        assert parse_quantile_column(name) is None, name
    cols = ["m", "m-q0.9", "m-q0.1", "n-q0.5", "actual"]
    assert quantile_columns(cols, "m") == {0.1: "m-q0.1", 0.9: "m-q0.9"}
    with pytest.raises(ValueError, match="both hold"):
        quantile_columns(["m-q0.1", "m-q0.10"], "m")


_values = st.floats(min_value=0, max_value=1e4, allow_nan=False, allow_infinity=False)


@st.composite
def _scored_frames(draw: st.DrawFn) -> tuple[pd.DataFrame, list[int]]:
    n = draw(st.integers(1, 18))
    actual = draw(st.lists(st.one_of(st.just(0.0), _values), min_size=n, max_size=n))
    forecast = draw(st.lists(_values, min_size=n, max_size=n))
    spread = draw(st.lists(_values, min_size=n, max_size=n))
    frame = pd.DataFrame(
        {
            "unique_id": [("A", "B", "C")[i % 3] for i in range(n)],
            "cutoff": [day(10) if i % 2 else day(12) for i in range(n)],
            "ds": [day(13 + i // 3) for i in range(n)],
            "actual": actual,
            "m": forecast,
        }
    )
    frame["m-q0.1"] = frame["m"] - np.asarray(spread) / 2
    frame["m-q0.9"] = frame["m"] + np.asarray(spread) / 2
    frame["n"] = frame["actual"].mean()
    order = draw(st.permutations(range(n)))
    return frame, list(order)


@settings(max_examples=20, deadline=None)  # each example runs the metrics 12 times
@given(case=_scored_frames(), train_y=st.lists(_values, min_size=36, max_size=36))
def test_metrics_do_not_depend_on_row_order(
    case: tuple[pd.DataFrame, list[int]], train_y: list[float]
) -> None:
    frame, order = case
    train = pd.DataFrame(
        {
            "unique_id": np.repeat(["A", "B", "C"], 12),
            "ds": np.tile(pd.date_range("2024-01-01", periods=12), 3),
            "y": train_y,
        }
    )
    shuffled = frame.iloc[order]
    models = ["m", "n"]
    first = evaluate(frame, models, train=train, season_length=2)
    assert first == evaluate(
        shuffled, models, train=train.sample(frac=1, random_state=0), season_length=2
    )
    for scores in first.values():
        assert list(scores) == list(METRICS)
        assert all(v is None or math.isfinite(v) for v in scores.values())
    pd.testing.assert_frame_equal(
        per_series_winner(frame, models), per_series_winner(shuffled, models)
    )
    pd.testing.assert_frame_equal(
        metrics_by_horizon(frame, models, train=train),
        metrics_by_horizon(shuffled, models, train=train),
    )
