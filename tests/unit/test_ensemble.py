"""The backtest ensemble: averaged quantiles rescaled around the median, fold by fold, by
factors learnt on the other folds."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from promocast.forecasting.ensemble import (
    apply_recipe,
    best_weights,
    ensemble_columns,
    overall_weights,
    recipe,
    weight_grid,
)
from promocast.forecasting.metrics import quantile_column

QS = (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95)


def _backtest(seed: int = 0, n: int = 3000, member_sd: float = 3.0) -> pd.DataFrame:
    """Three folds; y ~ Normal(level, 1); two members forecast the level with quantiles of a
    Normal(level, member_sd): right in shape, three times too wide."""
    rng = np.random.default_rng(seed)
    level = rng.uniform(20, 40, n)
    frame = pd.DataFrame({"unique_id": np.arange(n) % 50, "cutoff": np.repeat([1, 2, 3], n // 3),
                          "actual": level + rng.standard_normal(n)})
    for m in ("a", "b"):
        frame[m] = level
        for q in QS:
            frame[quantile_column(m, q)] = level + member_sd * stats.norm.ppf(q)
    return frame


def _coverage(frame: pd.DataFrame, lo: float, hi: float) -> float:
    inside = ((frame["actual"] >= frame[quantile_column("ensemble", lo)])
              & (frame["actual"] <= frame[quantile_column("ensemble", hi)]))
    return float(inside.mean())


def test_ensemble_intervals_are_calibrated_across_folds() -> None:
    raw = _backtest()
    out = ensemble_columns(raw, ["a", "b"], QS)
    # the members' 80 % interval covers ~99.9 %; the ensemble's is brought back to ~80 %
    assert _coverage(out.assign(**{quantile_column("ensemble", q): raw[quantile_column("a", q)]
                                   for q in QS}), 0.1, 0.9) > 0.99
    assert abs(_coverage(out, 0.1, 0.9) - 0.80) < 0.03
    assert abs(_coverage(out, 0.05, 0.95) - 0.90) < 0.03
    assert np.allclose(out["ensemble"], raw["a"])  # the point is the members' mean
    qcols = [quantile_column("ensemble", q) for q in QS]
    assert (np.diff(out[qcols].to_numpy(), axis=1) >= 0).all()


def test_a_fold_is_never_calibrated_on_its_own_actuals() -> None:
    raw = _backtest()
    moved = raw.copy()
    moved.loc[moved["cutoff"] == 1, "actual"] += 50 * np.random.default_rng(1).standard_normal(
        int((moved["cutoff"] == 1).sum()))
    a, b = ensemble_columns(raw, ["a", "b"], QS), ensemble_columns(moved, ["a", "b"], QS)
    col = quantile_column("ensemble", 0.9)
    first = raw["cutoff"] == 1
    assert np.allclose(a.loc[first, col], b.loc[first, col])
    assert not np.allclose(a.loc[~first, col], b.loc[~first, col])


def test_one_fold_keeps_the_averaged_quantiles() -> None:
    raw = _backtest()
    raw["cutoff"] = 1
    out = ensemble_columns(raw, ["a", "b"], QS)
    assert np.allclose(out[quantile_column("ensemble", 0.9)], raw[quantile_column("a", 0.9)])


def _two_members(seed: int = 0, n: int = 3000) -> pd.DataFrame:
    """Three folds; member ``good`` is off by noise of sd 1, ``poor`` by noise of sd 4."""
    rng = np.random.default_rng(seed)
    level = rng.uniform(20, 40, n)
    frame = pd.DataFrame({"unique_id": np.arange(n) % 50, "cutoff": np.repeat([1, 2, 3], n // 3),
                          "actual": level})
    for m, sd in (("good", 1.0), ("poor", 4.0)):
        frame[m] = level + sd * rng.standard_normal(n)
        for q in QS:
            frame[quantile_column(m, q)] = frame[m] + sd * stats.norm.ppf(q)
    return frame


def test_the_better_member_weighs_more_and_the_mix_beats_both() -> None:
    raw = _two_members()
    out = ensemble_columns(raw, ["good", "poor"], QS)
    weights = overall_weights(out, ["good", "poor"])
    # inverse-variance weights would be 16:1; the 0.1 grid lands on 0.9 or 1.0
    assert weights["good"] >= 0.9 and weights["good"] + weights["poor"] == 1.0

    def wape(col: str) -> float:
        return float((out[col] - out["actual"]).abs().sum() / out["actual"].sum())

    assert wape("ensemble") <= wape("good") * 1.01
    assert wape("ensemble") < 0.5 * (wape("good") + wape("poor"))  # the equal mean's error


def test_a_fold_is_never_weighted_by_its_own_actuals() -> None:
    raw = _two_members()
    moved = raw.copy()
    first = raw["cutoff"] == 1
    moved.loc[first, "actual"] = moved.loc[first, "poor"]  # fold 1 now favours ``poor``
    a = ensemble_columns(raw, ["good", "poor"], QS)
    b = ensemble_columns(moved, ["good", "poor"], QS)
    assert np.allclose(a.loc[first, "ensemble"], b.loc[first, "ensemble"])
    assert not np.allclose(a.loc[~first, "ensemble"], b.loc[~first, "ensemble"])


def test_mape_selection_weighs_for_mape() -> None:
    """Member ``a`` is exact on big actuals and three times too high on small ones, ``b`` the
    other way round (30 % high on big ones): WAPE, dominated by the big actuals, picks ``a``,
    MAPE picks ``b``. The weights follow the metric the backtest selects on."""
    actual = np.tile([1.0, 100.0], 500)
    points = np.column_stack([np.where(actual < 10, 3.0, actual), np.where(actual < 10, actual, 130.0)])
    assert weight_grid(2).shape == (11, 2) and np.allclose(weight_grid(2)[0], 0.5)
    assert np.allclose(best_weights(actual, points, "wape"), [1.0, 0.0])
    assert np.allclose(best_weights(actual, points, "mape"), [0.0, 1.0])


def test_a_missing_member_leaves_the_others_weight() -> None:
    raw = _two_members()
    raw.loc[:9, "poor"] = np.nan
    out = ensemble_columns(raw, ["good", "poor"], QS)
    assert np.allclose(out.loc[:9, "ensemble"], raw.loc[:9, "good"])
    assert out["ensemble"].notna().all()


def test_the_recipe_rebuilds_the_scored_ensemble_for_a_forecast() -> None:
    raw = _backtest()
    plan = recipe(raw, ["a", "b"], QS)
    assert plan["weights"] == {"a": 0.5, "b": 0.5}
    # members three times too wide: the factors bring the 80 % interval back to ~80 %
    assert 0.25 < plan["spread"]["0.1"] < 0.45 and 0.25 < plan["spread"]["0.9"] < 0.45
    out = apply_recipe(raw.drop(columns=["actual", "cutoff"]), plan, QS)
    out["actual"] = raw["actual"]
    assert abs(_coverage(out, 0.1, 0.9) - 0.80) < 0.03
    one = raw.assign(cutoff=1)
    assert recipe(one, ["a", "b"], QS)["spread"] == {}  # one fold: the interval was not rescaled
