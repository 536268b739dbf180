"""The backtest ensemble: averaged quantiles rescaled around the median, fold by fold, by
factors learnt on the other folds."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from promocast.forecasting.engine import ensemble_columns
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
