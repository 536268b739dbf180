"""A category's evidence on a mechanism from the items that ran it too rarely for their own fit.

An item that ran one or two one-day flash sales cannot tell its own flash-sale lift: its fit
leaves those rows out (``item_model``), and shrinkage then gives it its category's mean. But
that mean was learnt only from the few items with enough exposure of their own, so with a
year of history most of a category's flash sales were never used: on the demo shop every
category came out at the shop's mean while the true category lifts run from +37 % to +96 %.

Here the left-out rows are added up per category. Each row carries the mean its item's own
fit predicts for it without the treatment (price response, other mechanisms, calendar and
level included); the category's log lift b solves the one-parameter Poisson model

    units_r ~ Poisson(mu_r x exp(b x exposure_r))

(stock-out rows by the same expectation-maximisation as the item fits), with a standard
error clustered by item and never below the negative-binomial model's. As evidence about the category's mean effect its variance also
holds the spread of the items' true effects (tau^2, weighted by how much each item counts).
``shrinkage.shrink`` combines it with the item estimates of the category.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from promocast.promotions.item_model import ItemFit, censored_mean

MIN_ITEMS = 2
"""A pooled estimate needs rows of at least this many items (one item is its own noise)."""
MAX_STEPS = 50


def pooled_effect(rows: pd.DataFrame) -> tuple[float, float, float] | None:
    """(log effect, standard error, concentration) of one treatment in one category from
    ``thin`` rows of its items (item_id, exposure, y, log_mu, censored, alpha); concentration
    = sum of the squared shares of each item in the information (1 / items when they count
    alike). None when fewer than MIN_ITEMS items or no units to learn from."""
    if rows["item_id"].nunique() < MIN_ITEMS or rows["y"].sum() <= 0:
        return None
    x = rows["exposure"].to_numpy(float)
    y = rows["y"].to_numpy(float)
    base = np.exp(np.clip(rows["log_mu"].to_numpy(float), -30, 30))
    censored = rows["censored"].to_numpy(bool)
    alpha = rows["alpha"].to_numpy(float)
    b = 0.0
    demand = y.copy()
    for _ in range(MAX_STEPS):
        mu = base * np.exp(b * x)
        if censored.any():
            for a in np.unique(alpha[censored]):
                pick = censored & (alpha == a)
                demand[pick] = censored_mean(y[pick], mu[pick], float(a))
        info = float(np.sum(x * x * mu))
        if info <= 0:
            return None
        step = float(np.sum(x * (demand - mu))) / info
        b += float(np.clip(step, -1.0, 1.0))
        if abs(step) < 1e-8:
            break
    mu = base * np.exp(b * x)
    info = float(np.sum(x * x * mu))
    codes = pd.factorize(rows["item_id"])[0]
    score = np.bincount(codes, weights=x * (demand - mu))
    share = np.bincount(codes, weights=x * x * mu) / info
    n = len(share)
    # Clustered by item (CR1), but never below the negative-binomial model's own variance:
    # with three or four items a clustered variance can come out near zero by chance.
    robust = float(np.sum(score**2)) / info**2 * n / (n - 1)
    model = float(np.sum(x * x * mu * (1 + alpha * mu))) / info**2
    variance = max(robust, model)
    if not np.isfinite(b) or abs(b) > 8 or not np.isfinite(variance) or variance <= 0:
        return None
    return b, float(np.sqrt(variance)), float(np.sum(share**2))


def pooled_effects(thin: pd.DataFrame, treatment: str) -> pd.DataFrame:
    """Per category (index): estimate, se and concentration of ``treatment`` from the
    ``thin`` rows of every item (columns item_id, category, treatment, ...)."""
    picked = thin[thin["treatment"] == treatment] if len(thin) else thin
    out = {}
    for category, rows in picked.groupby("category", sort=True):
        found = pooled_effect(rows)
        if found is not None:
            out[category] = found
    return pd.DataFrame.from_dict(out, orient="index",
                                  columns=["estimate", "se", "concentration"])


def thin_table(fits: dict[str, ItemFit], category_of: pd.Series) -> pd.DataFrame:
    """Every item's rows of treatments too rare for its own fit (``item_model.thin_rows``)."""
    frames = [fit.thin.assign(item_id=item_id, category=category_of[item_id])
              for item_id, fit in fits.items() if fit.thin is not None]
    if not frames:
        return pd.DataFrame(columns=["item_id", "category", "treatment", "exposure", "y",
                                     "log_mu", "censored", "alpha", "elasticity_used",
                                     "log_rel_price"])
    return pd.concat(frames, ignore_index=True)


def with_elasticity(thin: pd.DataFrame, elasticity: pd.Series) -> pd.DataFrame:
    """The thin rows' predicted means with each item's shrunk elasticity instead of its own
    (one flash sale's depth times a noisy or missing elasticity would land in the lift)."""
    if thin.empty:
        return thin
    shrunk = thin["item_id"].map(elasticity).fillna(thin["elasticity_used"])
    swap = (shrunk - thin["elasticity_used"]) * thin["log_rel_price"]
    return thin.assign(log_mu=thin["log_mu"] + swap)
