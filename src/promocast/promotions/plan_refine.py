"""Cannibalisation between promotions that run together, beyond the linear first guess.

``build_candidates`` charges each promotion the first-order loss of its category rivals'
*baseline* margin, as if no rival were promoted. In truth (and in the demo shop) every item
of a category x store x period keeps (1 - cannibalisation_rate) ** min(rivals on promotion,
CAP) of its units, so promoted items lose part of their promoted units to each other and the
loss stops growing past CAP rivals. This module prices a whole plan that way
(``plan_value``) and re-prices every candidate as its marginal value given the rest of a
plan (``marginal_values``), so ``optimise_plan`` can re-solve around its previous answer
(sequential linearisation) and keep the best plan by its exact value.

The units a cell's promotions move away from its items (their own and their rivals') are at
most the promoted items' own incremental units there (``cannibal_bound``, as in the what-if
and in ``build_candidates``): past that every loss of the cell is scaled down alike.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from promocast.promotions.cannibal_bound import rival_scale

RIVAL_CAP = 3
"""Rival promotions beyond this many take nothing more (the demo shop's CANNIBALISATION_CAP)."""
GROUP = ["category", "store_id", "period_start"]
CELL = ["item_id", "store_id", "period_start"]
NEEDED = (
    "cannibalisation_rate",
    "margin",
    "baseline_margin",
    "revenue",
    "baseline_revenue",
    "dip_units",
    "dip_loss",
)


def applicable(cand: pd.DataFrame) -> bool:
    """True when the candidates carry what the refinement needs and some rate is non-zero."""
    return all(c in cand for c in NEEDED) and bool((cand["cannibalisation_rate"] > 0).any())


def _kept(rate: np.ndarray, rivals: np.ndarray) -> np.ndarray:
    return (1 - rate) ** np.minimum(np.maximum(rivals, 0), RIVAL_CAP)


def _cells(cand: pd.DataFrame, chosen: np.ndarray, money: str) -> pd.DataFrame:
    """One row per item x store x period: its rate, its money without promotion, its money
    under the chosen promotion (if any) and whether it is promoted."""
    base = f"baseline_{money}"
    units = "baseline_units" in cand and "expected_units" in cand
    extra = ["baseline_units"] if units and base != "baseline_units" else []
    cells = cand.drop_duplicates(CELL)[[*CELL, "category", "cannibalisation_rate", base, *extra]]
    cells = cells.set_index(CELL)
    picked = cand[chosen].set_index(CELL)
    cells["promoted"] = cells.index.isin(picked.index)
    cells["money"] = cells[base]
    cells.loc[picked.index, "money"] = picked[money].to_numpy()
    if units:  # what the cannibalisation bound weighs
        cells["units"] = cells["baseline_units"]
        cells.loc[picked.index, "units"] = picked["expected_units"].to_numpy()
    cells = cells.reset_index()
    cells["n_promoted"] = cells.groupby(GROUP)["promoted"].transform("sum").astype(int)
    return cells


def _group_sum(cells: pd.DataFrame, values: np.ndarray) -> np.ndarray:
    return pd.Series(values).groupby([cells[c] for c in GROUP]).transform("sum").to_numpy()


def _bounded(cells: pd.DataFrame, kept: np.ndarray) -> np.ndarray:
    """``kept`` with each category x store x period's lost units scaled down to the promoted
    items' own incremental units there (``cannibal_bound``); as is without units."""
    if "units" not in cells:
        return kept
    units = cells["units"].to_numpy(float)
    gain = np.where(cells["promoted"], units - cells["baseline_units"].to_numpy(float), 0.0)
    scale = rival_scale(
        _group_sum(cells, np.maximum(gain, 0.0)), _group_sum(cells, np.abs(units * (1 - kept)))
    )
    return 1 - (1 - kept) * scale


def plan_value(cand: pd.DataFrame, chosen: np.ndarray, objective: str = "margin") -> float:
    """Incremental ``objective`` ("margin" or "revenue") of the chosen candidates over no
    promotion, with cannibalisation compounding and capped; dips and fixed costs as priced."""
    cells = _cells(cand, chosen, objective)
    rivals = cells["n_promoted"].to_numpy() - cells["promoted"].to_numpy()
    kept = _bounded(cells, _kept(cells["cannibalisation_rate"].to_numpy(float), rivals))
    total = float((cells["money"] * kept).sum() - cells[f"baseline_{objective}"].sum())
    picked = cand[chosen]
    dip = (
        picked["dip_loss"]
        if objective == "margin"
        else picked["dip_units"] * picked["regular_price"]
    )
    fixed = picked["fixed_cost"].sum() if objective == "margin" else 0.0
    return total - float(dip.sum()) - float(fixed)


def marginal_values(
    cand: pd.DataFrame, chosen: np.ndarray, objective: str = "margin"
) -> np.ndarray:
    """Each candidate's incremental ``objective`` if it were the promotion of its cell while
    the rest of the plan stays as ``chosen`` (its own units kept at (1 - rate) ** rivals, the
    rivals' extra loss, its dip and fixed cost)."""
    cells = _cells(cand, chosen, objective)
    rate = cells["cannibalisation_rate"].to_numpy(float)
    money = cells["money"].to_numpy(float)
    promoted = cells["promoted"].to_numpy()
    n_all = cells["n_promoted"].to_numpy()
    key = pd.MultiIndex.from_frame(cand[CELL])
    pos = pd.Series(np.arange(len(cells)), index=pd.MultiIndex.from_frame(cells[CELL]))
    at = pos.reindex(key).to_numpy()
    own_promoted = promoted[at]
    shift = own_promoted.astype(int)
    n_others = n_all[at] - shift

    def rivals_loss(values: np.ndarray) -> np.ndarray:
        """The extra loss of the candidate's rivals (``values``: money or units per cell)."""
        # loss a rival i suffers when one more promotion joins n others, for n = N - 1 and N
        rival_n = {}
        for s in (1, 0):  # s 1: the candidate's item is itself promoted now (n = N - 1)
            others = n_all - s - promoted  # i's promoted rivals, j left out
            loss = values * (_kept(rate, others) - _kept(rate, others + 1))
            rival_n[s] = (loss, _group_sum(cells, loss))
        own_loss = np.where(own_promoted, rival_n[1][0][at], rival_n[0][0][at])
        group_loss = np.where(own_promoted, rival_n[1][1][at], rival_n[0][1][at])
        return group_loss - own_loss

    lost = rivals_loss(money)
    if "units" in cells:  # at most the candidate's own incremental units (cannibal_bound)
        own_gain = (cand["expected_units"] - cand["baseline_units"]).to_numpy(float)
        lost = lost * rival_scale(own_gain, rivals_loss(cells["units"].to_numpy(float)))
    base = cand[f"baseline_{objective}"].to_numpy(float)
    kept_own = _kept(cand["cannibalisation_rate"].to_numpy(float), n_others)
    gain = (cand[objective].to_numpy(float) - base) * kept_own
    if objective == "margin":
        extra = cand["dip_loss"].to_numpy(float) + cand["fixed_cost"].to_numpy(float)
    else:
        extra = (cand["dip_units"] * cand["regular_price"]).to_numpy(float)
    return gain - lost - extra


def attributed_values(
    cand: pd.DataFrame, chosen: np.ndarray, objective: str = "margin"
) -> tuple[np.ndarray, np.ndarray]:
    """Each chosen candidate's share of ``plan_value``, in the order of ``cand[chosen]``, and
    the cannibalisation it carries: (values, cannibalisation losses). The shares add up to
    the plan's value exactly, so a plan's rows sum to its headline.

    A promoted item keeps (1 - rate) ** min(promoted rivals, CAP) of its own ``objective``
    (the loss is its own); a rival left unpromoted loses (1 - kept) of its baseline, split
    evenly over the promotions of its category, store and period (they cause it together).
    Marginal values (``marginal_values``) do not add up: each one charges the whole loss its
    promotion adds to every other promoted rival, so a pair's interaction counts twice."""
    cells = _cells(cand, chosen, objective)
    rate = cells["cannibalisation_rate"].to_numpy(float)
    promoted = cells["promoted"].to_numpy()
    n = cells["n_promoted"].to_numpy()
    kept = _bounded(cells, _kept(rate, n - promoted))
    lost = cells["money"].to_numpy(float) * (1 - kept)  # promoted: own units kept lower
    rivals_lost = np.where(promoted, 0.0, lost)
    shared = (
        pd.Series(rivals_lost).groupby([cells[c] for c in GROUP]).transform("sum").to_numpy()
    )
    share = np.where(promoted, shared / np.maximum(n, 1), 0.0)
    key = pd.MultiIndex.from_frame(cand.loc[chosen, CELL])
    at = pd.Series(np.arange(len(cells)), index=pd.MultiIndex.from_frame(cells[CELL]))
    at = at.reindex(key).to_numpy()
    picked = cand[chosen]
    loss = lost[at] + share[at]
    if objective == "margin":
        extra = (picked["dip_loss"] + picked["fixed_cost"]).to_numpy(float)
    else:
        extra = (picked["dip_units"] * picked["regular_price"]).to_numpy(float)
    gain = (picked[objective] - picked[f"baseline_{objective}"]).to_numpy(float)
    return gain - loss - extra, loss
