"""Empirical Bayes: shrink each item's estimate toward its category, by how noisy it is.

Model: an item's true effect b_i ~ Normal(mu_category, tau^2); its estimate
beta_i ~ Normal(b_i, se_i^2). ``tau^2`` (how much items of one category truly differ) is
estimated once per parameter, pooling the within-category spread of every category
(a DerSimonian-Laird moment estimator summed over categories): a category of four items cannot
tell its own spread, the shop as a whole can. ``mu`` per category is the precision-weighted mean
of its items. The posterior of item i (Morris's approximation, which adds the uncertainty of mu):

    shrink_i = se_i^2 / (se_i^2 + tau^2)
    mean_i   = (1 - shrink_i) beta_i + shrink_i mu
    var_i    = (1 - shrink_i) se_i^2 + shrink_i^2 var(mu)

An item with no estimate of its own (never on that mechanism, price never moved) gets the
category's prediction: mean mu, variance tau^2 + var(mu).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Shrunk:
    """Posterior per item (indexed like the input) and the category means."""

    mean: pd.Series
    sd: pd.Series
    own: pd.Series  # True where the item had an estimate of its own
    categories: pd.DataFrame  # index category: mu, se_mu, n_items
    tau2: float


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


def shrink(
    estimate: pd.Series, se: pd.Series, group: pd.Series, tau2: float | None = None
) -> Shrunk:
    """Shrink ``estimate`` (NaN = no estimate of its own) toward its ``group``'s mean."""
    est, err = estimate.to_numpy(float), se.to_numpy(float)
    grp = group.astype(str).to_numpy()
    own = np.isfinite(est) & np.isfinite(err) & (err > 0)
    if tau2 is None:
        tau2 = between_item_variance(est[own], err[own], grp[own])
    rows = []
    for g in np.unique(grp):
        inside = own & (grp == g)
        if inside.any():
            w = 1.0 / (err[inside] ** 2 + tau2)
            rows.append(
                (
                    g,
                    float(np.sum(w * est[inside]) / np.sum(w)),
                    float(np.sqrt(1.0 / np.sum(w))),
                    int(inside.sum()),
                )
            )
        else:
            rows.append((g, np.nan, np.nan, 0))
    cats = pd.DataFrame(rows, columns=["category", "mu", "se_mu", "n_items"]).set_index("category")
    mu = cats["mu"].reindex(grp).to_numpy()
    var_mu = cats["se_mu"].reindex(grp).to_numpy() ** 2
    with np.errstate(invalid="ignore", divide="ignore"):
        factor = np.where(own, err**2 / (err**2 + tau2) if tau2 > 0 else 1.0, 1.0)
        factor = np.where(own & (tau2 == 0), 1.0, factor)
        mean = np.where(own, (1 - factor) * est + factor * mu, mu)
        var = np.where(own, (1 - factor) * err**2 + factor**2 * var_mu, tau2 + var_mu)
    return Shrunk(
        pd.Series(mean, index=estimate.index),
        pd.Series(np.sqrt(var), index=estimate.index),
        pd.Series(own, index=estimate.index),
        cats,
        float(tau2),
    )
