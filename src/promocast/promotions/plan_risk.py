"""How sure a planned promotion is to pay: its incremental margin's range and the chance it is
positive, from the uncertainty of the effects it rests on.

An optimiser picks the options whose estimated effects look best, so the promotions it keeps
near break-even are the ones where a small error in a lift turns a gain into a loss (demo shop,
one year of history: feature / display promotions worth a few dozen over a fixed cost of 150,
on a category lift estimated 0.06 too high, ended up losing money). The plan still maximises the
expected margin; this says which of its choices are a coin toss, so a planner can trial them
on a few stores first.

The units of an option are ``baseline x (price ratio) ** elasticity x prod(1 + lift_m)``, so
their log has the variance ``log(ratio)^2 sd(elasticity)^2 + sum_m sd(log(1 + lift_m))^2``,
each sd read off the EffectParams' intervals (``price_elasticity_lo`` / ``_hi``,
``lift_<m>_lo`` / ``_hi``, normal on those scales; correlations between them are left out).
The baseline forecast, the dip and the cannibalisation are taken as known: the range is that
of the effects alone.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

INTERVAL_LEVEL = 0.9
"""Level of the EffectParams intervals (``promo effects``' default ``--level``)."""
RANGE_LEVEL = 0.8
"""Level of the incremental-margin range reported per planned promotion."""


def interval_sd(lo: np.ndarray, hi: np.ndarray, level: float) -> np.ndarray:
    """The normal standard deviation whose central ``level`` interval is [lo, hi] (0 where the
    interval is missing or empty)."""
    z = stats.norm.ppf(0.5 + level / 2)
    sd = (np.asarray(hi, float) - np.asarray(lo, float)) / (2 * z)
    return np.where(np.isfinite(sd) & (sd > 0), sd, 0.0)


def log_units_sd(cells: pd.DataFrame, ratio: np.ndarray, lifts: tuple[str, ...],
                 level: float = INTERVAL_LEVEL) -> np.ndarray:
    """Standard deviation of log(units) of an option that sets the shelf price to ``ratio``
    x the regular price and switches on the ``lifts`` mechanisms (0 where no interval is
    known)."""
    var = np.zeros(len(cells))
    if {"price_elasticity_lo", "price_elasticity_hi"} <= set(cells):
        sd_e = interval_sd(cells["price_elasticity_lo"], cells["price_elasticity_hi"], level)
        var += (np.log(np.clip(ratio, 1e-6, None)) * sd_e) ** 2
    for m in lifts:
        lo, hi = f"lift_{m}_lo", f"lift_{m}_hi"
        if {lo, hi} <= set(cells):
            with np.errstate(invalid="ignore", divide="ignore"):
                var += interval_sd(np.log1p(cells[lo].to_numpy(float)),
                                   np.log1p(cells[hi].to_numpy(float)), level) ** 2
    return np.sqrt(var)


def margin_risk(chosen: pd.DataFrame, level: float = RANGE_LEVEL) -> pd.DataFrame:
    """Per chosen option: ``margin_lo`` / ``margin_hi`` (the ``level`` range of its incremental
    margin, fixed cost included) and ``chance_profitable`` (the chance it is above 0).

    The option's margin is m exp(s Z) - K: m the margin on its expected units, s the sd of
    their log (``log_units_sd``), Z standard normal, K what it costs whatever it sells (the
    baseline margin it replaces, the dip, the rivals' lost margin, the fixed cost). Options
    from elsewhere than ``plan.build_candidates`` (no ``margin``) get NaN."""
    if "margin" not in chosen or chosen.empty:
        return pd.DataFrame(np.nan, index=chosen.index,
                            columns=["margin_lo", "margin_hi", "chance_profitable"])
    m = chosen["margin"].to_numpy(float)
    total = chosen["incremental_margin"].to_numpy(float)
    k = m - total
    s = chosen.get("log_units_sd", pd.Series(0.0, index=chosen.index)).to_numpy(float)
    z = stats.norm.ppf(0.5 + level / 2)
    ends = np.stack([m * np.exp(-z * s) - k, m * np.exp(z * s) - k])
    with np.errstate(invalid="ignore", divide="ignore"):
        # m e^{sZ} > K  <=>  Z > log(K / m) / s when m > 0;  Z < log(K / m) / s when m < 0
        edge = np.log(k / m) / np.where(s > 0, s, np.nan)
        chance = np.where(m > 0, np.where(k <= 0, 1.0, stats.norm.sf(edge)),
                          np.where(k < 0, stats.norm.cdf(edge), 0.0))
    chance = np.where((s > 0) & (m != 0), chance, (total > 0).astype(float))
    return pd.DataFrame({"margin_lo": ends.min(axis=0), "margin_hi": ends.max(axis=0),
                         "chance_profitable": np.nan_to_num(chance, nan=0.0)},
                        index=chosen.index)


def cautious(cand: pd.DataFrame, caution: float) -> pd.DataFrame:
    """The candidates as the optimiser weighs them: each option's margin and revenue on its
    expected units taken ``caution`` standard deviations of the effects' uncertainty toward
    the worse side (``m exp(-caution s)`` for a gain, ``m exp(caution s)`` for a loss), and
    its incremental margin / revenue moved by the same amount.

    An optimiser picks the options whose estimates look best, so among hundreds of options the
    ones it keeps are, more often than not, the overestimated ones (the optimiser's curse). On
    the demo shop the plan made from estimated effects put 16 feature / display promotions in
    the Double 11 week whose lifts the estimates had 0.12-0.16 too high, and earned 15 % of
    what the plan made with the true effects (benchmarks/promo_plan.py, seed 1). Valuing each
    option a little under its mean, by how unsure its effects are, makes a sure gain beat an
    equally large but uncertain one. The plan's reported margins stay the expected ones."""
    if caution <= 0 or "log_units_sd" not in cand:
        return cand
    s = cand["log_units_sd"].to_numpy(float)
    out = cand.copy()
    for money, increment in (("margin", ("incremental_margin", "gross_incremental_margin")),
                             ("revenue", ("incremental_revenue",))):
        if money not in cand:
            continue
        value = cand[money].to_numpy(float)
        moved = value * np.exp(-caution * s * np.sign(value))
        out[money] = moved
        for column in increment:
            if column in cand:
                out[column] = cand[column].to_numpy(float) - (value - moved)
    return out
