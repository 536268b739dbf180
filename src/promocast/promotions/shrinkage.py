"""Empirical Bayes: shrink each item's estimate toward its category, and each category toward
the shop, by how noisy they are.

Model (two levels): an item's true effect b_i ~ Normal(mu_c, tau^2) around its category's mean,
the category's mean mu_c ~ Normal(mu_0, omega^2) around the shop's, and the item's estimate
beta_i ~ Normal(b_i, se_i^2).

- ``tau^2`` (how much items of one category truly differ) is estimated once per parameter,
  pooling the within-category spread of every category (a DerSimonian-Laird moment estimator
  summed over categories): a category of four items cannot tell its own spread, the shop can.
- Each category's own mean m_c is the precision-weighted mean of its items (weights
  1 / (se_i^2 + tau^2)), with standard error s_c; where the items that ran a mechanism too
  rarely for an estimate of their own were pooled (``promotions.pooled``), that pooled
  estimate enters as one more observation of m_c.
- ``omega^2`` (how much categories truly differ) is the DerSimonian-Laird estimate over the
  category means; mu_0 is their precision-weighted mean. A category's mean is then shrunk
  toward the shop's like an item toward its category: a mechanism a category ran a handful of
  times (one-day flash sales) borrows from the other categories instead of trusting a mean that
  two lucky items made. With one category (or categories that truly differ far more than their
  noise) this level changes nothing.

The posteriors (Morris's approximation, which adds the uncertainty of the mean shrunk toward):

    g_c      = s_c^2 / (s_c^2 + omega^2)
    mu_c     = (1 - g_c) m_c + g_c mu_0,      var(mu_c) = (1 - g_c) s_c^2 + g_c^2 var(mu_0)
    shrink_i = se_i^2 / (se_i^2 + tau^2)
    mean_i   = (1 - shrink_i) beta_i + shrink_i mu_c
    var_i    = (1 - shrink_i) se_i^2 + shrink_i^2 var(mu_c)

An item with no estimate of its own (never on that mechanism, price never moved) gets its
category's prediction: mean mu_c, variance tau^2 + var(mu_c); a category with no estimate at
all gets the shop's (mu_0, omega^2 + var(mu_0)).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize


@dataclass(frozen=True)
class Shrunk:
    """Posterior per item (indexed like the input) and the category means."""

    mean: pd.Series
    sd: pd.Series
    own: pd.Series  # True where the item had an estimate of its own
    categories: pd.DataFrame  # index category: mu, se_mu (posterior), mu_own, se_own, n_items
    tau2: float
    omega2: float = 0.0


def between_item_variance(estimate: np.ndarray, se: np.ndarray, group: np.ndarray) -> float:
    """tau^2 by the DerSimonian-Laird moments summed over groups (0 when they show no spread)."""
    q_total, dof, scale = 0.0, 0.0, 0.0
    for g in np.unique(group):
        b, s = estimate[group == g], se[group == g]
        if len(b) < 2:
            continue
        w = 1.0 / s**2
        mean = np.sum(w * b) / np.sum(w)
        q_total += float(np.sum(w * (b - mean) ** 2))
        dof += len(b) - 1
        scale += float(np.sum(w) - np.sum(w**2) / np.sum(w))
    if dof == 0 or scale <= 0:
        return 0.0
    return max(0.0, (q_total - dof) / scale)


def paule_mandel(estimate: np.ndarray, se: np.ndarray) -> float:
    """Between-group variance of one set of estimates by Paule and Mandel's estimator: the
    spread at which the weighted squares equal their degrees of freedom. Less biased toward
    zero than DerSimonian-Laird when the groups are few (Veroniki et al. 2016)."""
    if len(estimate) < 2:
        return 0.0

    def excess(spread2: float) -> float:
        w = 1.0 / (se**2 + spread2)
        mean = np.sum(w * estimate) / np.sum(w)
        return float(np.sum(w * (estimate - mean) ** 2)) - (len(estimate) - 1)

    if excess(0.0) <= 0:
        return 0.0
    upper = float(np.var(estimate)) * 10 + 1e-12
    while excess(upper) > 0:
        upper *= 10
    return float(optimize.brentq(excess, 0.0, upper, xtol=1e-10))


def _toward(est: np.ndarray, var: np.ndarray, spread2: float, target: float,
            target_var: float) -> tuple[np.ndarray, np.ndarray]:
    """Posterior mean and variance of estimates with sampling variances ``var`` whose truths
    spread by ``spread2`` around ``target`` (itself known to variance ``target_var``)."""
    factor = var / (var + spread2) if spread2 > 0 else np.ones_like(var)
    return (1 - factor) * est + factor * target, (1 - factor) * var + factor**2 * target_var


def shrink(
    estimate: pd.Series,
    se: pd.Series,
    group: pd.Series,
    tau2: float | None = None,
    pooled: pd.DataFrame | None = None,
    se_pool: pd.Series | None = None,
    omega2: float | None = None,
) -> Shrunk:
    """Shrink ``estimate`` (NaN = no estimate of its own) toward its ``group``'s mean, and the
    group means toward the shop's. ``pooled`` (index group; estimate, se, concentration):
    a group's evidence from items with no estimate of their own (``promotions.pooled``),
    one more observation of the group's mean, with variance se^2 + tau^2 x concentration.

    ``se_pool``: the standard errors that weigh the items in their category's mean and in
    tau^2, when the honest ones (``se``, which still set each item's own shrinkage) depend on
    the outcome. An item whose flash sales sold out has a larger ``se`` (the stock hid its
    demand) because its demand was high: weighing by it would tilt every category mean
    toward the items that happened to sell less (``item_model.covariance``).

    ``tau2`` / ``omega2``: the spreads of items within a category and of categories, when
    known (a benchmark's true ones); estimated from the estimates otherwise."""
    est, err = estimate.to_numpy(float), se.to_numpy(float)
    grp = group.astype(str).to_numpy()
    own = np.isfinite(est) & np.isfinite(err) & (err > 0)
    weigh = err if se_pool is None else se_pool.to_numpy(float)
    weigh = np.where(np.isfinite(weigh) & (weigh > 0), weigh, err)
    if tau2 is None:
        tau2 = between_item_variance(est[own], weigh[own], grp[own])
    rows = []
    for g in np.unique(grp):
        inside = own & (grp == g)
        values, w = est[inside], 1.0 / (weigh[inside] ** 2 + tau2)
        variance = weigh[inside] ** 2 + tau2
        if pooled is not None and g in pooled.index:
            extra = pooled.loc[g]
            values = np.append(values, float(extra["estimate"]))
            extra_var = float(extra["se"]) ** 2 + tau2 * float(extra["concentration"])
            w, variance = np.append(w, 1.0 / extra_var), np.append(variance, extra_var)
        if len(w):
            rows.append((g, float(np.sum(w * values) / np.sum(w)),
                         float(np.sqrt(np.sum(w**2 * variance)) / np.sum(w)), int(inside.sum())))
        else:
            rows.append((g, np.nan, np.nan, 0))
    cats = pd.DataFrame(rows, columns=["category", "mu_own", "se_own", "n_items"]).set_index(
        "category")
    known = cats["mu_own"].notna().to_numpy()
    m, s = cats["mu_own"].to_numpy(), cats["se_own"].to_numpy()
    if omega2 is None:
        omega2 = paule_mandel(m[known], s[known])
    mu, var_mu = m.copy(), s**2
    if known.any():
        w0 = 1.0 / (s[known] ** 2 + omega2)
        mu0, var0 = float(np.sum(w0 * m[known]) / np.sum(w0)), float(1.0 / np.sum(w0))
        if known.sum() > 1:
            mu[known], var_mu[known] = _toward(m[known], s[known] ** 2, omega2, mu0, var0)
        mu[~known], var_mu[~known] = mu0, omega2 + var0
    cats["mu"], cats["se_mu"] = mu, np.sqrt(var_mu)
    mu_i = cats["mu"].reindex(grp).to_numpy()
    var_mu_i = cats["se_mu"].reindex(grp).to_numpy() ** 2
    with np.errstate(invalid="ignore", divide="ignore"):
        factor = np.where(own, err**2 / (err**2 + tau2) if tau2 > 0 else 1.0, 1.0)
        factor = np.where(own & (tau2 == 0), 1.0, factor)
        mean = np.where(own, (1 - factor) * est + factor * mu_i, mu_i)
        var = np.where(own, (1 - factor) * err**2 + factor**2 * var_mu_i, tau2 + var_mu_i)
    return Shrunk(
        pd.Series(mean, index=estimate.index),
        pd.Series(np.sqrt(var), index=estimate.index),
        pd.Series(own, index=estimate.index),
        cats[["mu", "se_mu", "mu_own", "se_own", "n_items"]],
        float(tau2),
        float(omega2),
    )


def given_elasticity(est: pd.Series, se: pd.Series, cov: pd.Series,
                      elasticity: tuple[pd.DataFrame, pd.Series, pd.Series] | None,
                      ) -> tuple[pd.Series, pd.Series]:
    """An item's effect estimates moved to its shrunk elasticity: the effect given the
    elasticity under the joint normal distribution of the item's estimates,

        b | e = b + k (e_shrunk - e_own),  k = cov(b, e) / var(e),
        var   = se_b^2 - k^2 var(e) + k^2 sd(e_shrunk)^2.

    A flash sale cuts the price by 30-50 %: fitted together, an elasticity drawn too flat
    leaves part of the price response to the flash-sale lift (an item with a true elasticity
    of -3.0 read as -2.5 at half price adds 0.35 to its log lift). Shrinkage moves the
    elasticity toward its category; without this, the lift would keep what the elasticity
    gave back and a plan would count that response twice."""
    if elasticity is None:
        return est, se
    table, mean, sd = elasticity
    own_e, own_se = table["estimate"].reindex(est.index), table["se"].reindex(est.index)
    ok = own_e.notna() & (own_se > 0) & cov.notna() & est.notna()
    k = (cov / own_se**2).where(ok, 0.0)
    moved = est + k * (mean - own_e).where(ok, 0.0)
    variance = (se**2 - k**2 * (own_se**2 - sd**2).where(ok, 0.0)).astype(float)
    # astype: an all-missing column (prices that never moved) arrives as objects, which
    # np.sqrt refuses
    return moved.astype(float), np.sqrt(variance.clip(lower=(se**2).astype(float) * 0.05))
