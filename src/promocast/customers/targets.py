"""Target list for a planned promotion: the customers most likely to respond to it.

A ranking, not a calibrated probability. Responding needs three things, each measured
separately and multiplied: the customer buys at all soon (the propensity model's calibrated
probability of buying within the horizon), the promoted item or category suits them
(``affinity`` in [0, 1]) and promotions move them (``promo_factor``, their smoothed promotion
share relative to the shop's, 1 for an average customer):

    response_score = probability x affinity x promo_factor

Affinity for a category is the customer's share of purchase days in it, shrunk towards the
shop's share with ``PRIOR_DAYS`` pseudo purchase days (one purchase is weak evidence); for an
item it is the percentile rank of the item-to-item model's score for that item among customers
(1 for customers who already buy it). Without item or category every customer has affinity 1.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from promocast.customers.recommend import Interactions, ItemToItem

PRIOR_DAYS = 5.0
"""Pseudo purchase days shrinking small customers' shares towards the shop's."""
TARGET_COLUMNS = ["rank", "customer_id", "response_score", "probability", "affinity",
                  "promo_factor", "segment"]


def category_affinity(days: pd.DataFrame, items: pd.DataFrame, category: str) -> pd.Series:
    """Smoothed share of each customer's purchase days (``recommend.purchase_days``) in
    ``category``, scaled to [0, 1] by the largest one."""
    in_category = set(items.loc[items["category"].astype(str) == str(category), "item_id"]
                      .astype(str))
    if not in_category:
        raise ValueError(f"no item of category {category!r} in the items table")
    hit = days["item_id"].astype(str).isin(in_category)
    per_customer = pd.DataFrame({"customer_id": days["customer_id"], "hit": hit.astype(float),
                                 "n": 1.0}).groupby("customer_id").sum()
    shop = float(hit.mean()) if len(hit) else 0.0
    share = (per_customer["hit"] + PRIOR_DAYS * shop) / (per_customer["n"] + PRIOR_DAYS)
    return (share / share.max()).rename("affinity") if share.max() > 0 else share


def item_affinity(model: ItemToItem, interactions: Interactions, item_id: str) -> pd.Series:
    """Percentile rank among customers of the item-to-item score for ``item_id``; customers
    who already bought it get 1."""
    if item_id not in set(model.items_):
        raise ValueError(f"item {item_id!r} has no purchase history to learn who likes it")
    col = int(pd.Index(model.items_).get_loc(item_id))
    scores = np.concatenate([
        model.scores(interactions, np.arange(s, min(s + 4096, len(interactions.customers))))[
            :, col] for s in range(0, len(interactions.customers), 4096)])
    affinity = pd.Series(scores, index=interactions.customers).rank(pct=True)
    bought = interactions.matrix[:, model.columns_[col]].toarray().ravel() > 0
    affinity[bought] = 1.0
    return affinity.rename("affinity")


def promo_factor(responsiveness: pd.DataFrame) -> pd.Series:
    """(promo_lines + PRIOR x shop share) / (lines + PRIOR) / shop share per customer: 1 for
    an average customer, above 1 for deal seekers; all 1 when the shop never ran a promotion."""
    lines, promo = responsiveness["lines"], responsiveness["promo_lines"]
    shop = float(promo.sum() / lines.sum()) if lines.sum() > 0 else 0.0
    if shop <= 0:
        return pd.Series(1.0, index=responsiveness["customer_id"], name="promo_factor")
    share = (promo + PRIOR_DAYS * shop) / (lines + PRIOR_DAYS)
    return pd.Series((share / shop).to_numpy(), index=responsiveness["customer_id"],
                     name="promo_factor")


def target_list(scores: pd.DataFrame, *, affinity: pd.Series | None = None,
                factor: pd.Series | None = None, segments: pd.DataFrame | None = None,
                top: int | None = 100) -> pd.DataFrame:
    """Rank customers by response_score. ``scores``: customer_id, probability (propensity);
    ``affinity`` and ``factor`` indexed by customer_id (missing = 0 affinity / factor 1)."""
    table = scores[["customer_id", "probability"]].copy()
    table["affinity"] = (table["customer_id"].map(affinity).fillna(0.0)
                         if affinity is not None else 1.0)
    table["promo_factor"] = (table["customer_id"].map(factor).fillna(1.0)
                             if factor is not None else 1.0)
    table["response_score"] = table["probability"] * table["affinity"] * table["promo_factor"]
    table["segment"] = (table["customer_id"].map(segments.set_index("customer_id")["segment"])
                        if segments is not None else None)
    table = table.sort_values(["response_score", "customer_id"], ascending=[False, True])
    table = table[table["response_score"] > 0]
    if top is not None:
        table = table.head(top)
    table["rank"] = np.arange(1, len(table) + 1)
    return table[TARGET_COLUMNS].reset_index(drop=True)
