"""The nuisance part of the effects model: the calendar shape of demand, learnt across items.

Festivals, holidays, weekdays and the ramp-up of new launches move every item of a category in
a store alike, and an item has far too few festival days to learn them alone. A LightGBM
Poisson model learns this shape pooled over items, on calendar inputs (weekday, the
``days_to_*`` / ``days_from_*`` / ``is_*`` columns, store, category, age of the series); its
log prediction becomes the offset of every item's own model (``effects``).

It never sees an item's identity, and it is cross-fitted: the offset of an item comes from a
model trained on the other items (folds of items, stratified by category), so it cannot soak up
the item's own treatment effects or noise. It starts from each item's own linear predictor
(``init_score``), so it learns only what the item models leave unexplained.

The first fit also sees what the promotions did to each row (``treatment_inputs``: price paid
relative to the regular price, lift exposures, dip days, rival promotions) and predicts with
them switched off. Learning from promotion-free rows only, as it did before, a festival was
seen through the items *not* on promotion, whose sales the promoted rivals were eating, and
not at all in a category whose every item ran the festival's category-wide deal: the festival
came out too small, and its extra sales were read as price response and threshold lifts
(demo shop, 200 items, one year, seed 0: elasticity bias -0.11 -> -0.05, threshold lift
bias +0.09 -> +0.07; seed 1: +0.09 -> -0.01). The learning rate went from 0.05 to 0.15 at the same
200 rounds: the slower model had not reached the festival peaks yet.
"""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pandas as pd

from promocast.promotions.item_model import TREATMENTS
from promocast.reproducible import LIGHTGBM_REPRODUCIBLE

CALENDAR_PREFIXES = ("days_to_", "days_from_", "is_")
AGE_CAP_DAYS = 365
"""Series age (days since its first row) is capped here: past a year an item is established."""


def calendar_inputs(frame: pd.DataFrame, freq: str) -> pd.DataFrame:
    """The nuisance model's inputs: calendar columns, weekday (daily data), store, category and
    the series' age (capped; a series already selling on the panel's first date counts as
    established)."""
    cols = [c for c in frame.columns if c.startswith(CALENDAR_PREFIXES)]
    out = frame[cols].astype("float32").copy()
    if freq.upper().startswith("D"):
        out["weekday"] = frame["ds"].dt.weekday.astype("float32")
    out["store"] = frame["store_id"].astype("category").cat.codes.astype("int32")
    out["category"] = (
        frame["category"].astype("category").cat.codes.astype("int32") if "category" in frame else 0
    )
    first = frame.groupby("unique_id", sort=False)["ds"].transform("min")
    age = (frame["ds"] - first).dt.days.astype("float32")
    established = first <= frame["ds"].min()
    out["age"] = np.where(established, AGE_CAP_DAYS, np.minimum(age, AGE_CAP_DAYS)).astype(
        "float32"
    )
    return out


def treatment_inputs(frame: pd.DataFrame) -> pd.DataFrame:
    """Per row, what the promotions did: log of the price paid over the regular price (0 at the
    regular price), the lift exposures, the dip days and the rival promotions (0 = none).

    The regular price is the panel's ``base_price`` (or, without one, the series' highest
    price)."""
    price = frame["price"].to_numpy(float)
    if "base_price" in frame:
        regular = frame["base_price"].to_numpy(float)
    else:
        regular = frame.groupby("unique_id", sort=False)["price"].transform("max").to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where((price > 0) & (regular > 0), price / regular, 1.0)
    out = pd.DataFrame({"log_rel_price": np.log(np.clip(rel, 0.01, 1.0)).astype("float32")},
                       index=frame.index)
    for col in TREATMENTS:  # the item model's treatment columns (design.treatment_design)
        out[col] = frame[col].to_numpy("float32") if col in frame else np.float32(0)
    return out


def item_folds(items: pd.Series, categories: pd.Series, folds: int, seed: int) -> dict[str, int]:
    """Items dealt into ``folds`` folds in a random order within each category."""
    rng = np.random.default_rng(seed)
    table = pd.DataFrame({"item_id": items.astype(str), "category": categories.astype(str)})
    table = table.drop_duplicates("item_id").sort_values(["category", "item_id"])
    table["draw"] = rng.random(len(table))
    table = table.sort_values(["category", "draw"])
    table["fold"] = table.groupby("category").cumcount() % max(folds, 1)
    return dict(zip(table["item_id"], table["fold"], strict=True))


def _params(seed: int, num_threads: int) -> dict:
    return {
        "objective": "poisson",
        "learning_rate": 0.15,
        "num_leaves": 15,
        "min_data_in_leaf": 200,
        "lambda_l2": 10.0,
        "feature_fraction": 0.9,
        "bagging_fraction": 0.8,
        "bagging_freq": 1,
        "seed": seed,
        **LIGHTGBM_REPRODUCIBLE,
        "num_threads": num_threads,
        "verbosity": -1,
        "max_cat_to_onehot": 8,
    }


def calendar_offset(
    inputs: pd.DataFrame,
    y: np.ndarray,
    init: np.ndarray,
    train: np.ndarray,
    fold: np.ndarray,
    *,
    rounds: int = 200,
    seed: int = 0,
    num_threads: int = 1,
    treatments: pd.DataFrame | None = None,
) -> np.ndarray:
    """Log calendar multiplier of every row, cross-fitted over item folds.

    ``y``: units; ``init``: each row's log prediction from the item part of the model (the
    model learns on top of it); ``train``: rows to learn from; ``fold``: item fold per row.
    Rows of fold k get the prediction of the model trained on the other folds' ``train`` rows.
    ``treatments`` (``treatment_inputs``): learnt from too, and set to none (0) to predict, so
    the multiplier is the calendar's alone.
    """
    out = np.zeros(len(y))
    untreated = inputs
    if treatments is not None:
        untreated = pd.concat([inputs, pd.DataFrame(0.0, index=treatments.index,
                                                    columns=treatments.columns,
                                                    dtype="float32")], axis=1)
        inputs = pd.concat([inputs, treatments], axis=1)
    categorical = [c for c in ("store", "category") if c in inputs]
    folds = np.unique(fold)
    for k in folds:
        learn = train & ((fold != k) if len(folds) > 1 else True)
        if learn.sum() < 50:
            continue
        data = lgb.Dataset(
            inputs.loc[learn],
            label=y[learn],
            init_score=init[learn],
            categorical_feature=categorical,
            free_raw_data=True,
        )
        booster = lgb.train(_params(seed, num_threads), data, num_boost_round=rounds)
        target = fold == k
        out[target] = booster.predict(untreated.loc[target], raw_score=True)
    return out
