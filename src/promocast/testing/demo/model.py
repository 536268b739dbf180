"""The demo shop's true demand formula, as one pure function.

Kept apart from the simulation so that a benchmark can price any promotion plan with the true
parameters (read back from ``ground_truth.json``) and score an optimiser against the plan that
knows the truth. Units per item x store x day are log-linear in every driver:

    expected_units = calendar                                   # level x trend x seasons x festivals
                     x (price / reference_price) ** price_elasticity
                     x prod(1 + lift[m] for the non-price mechanisms m active that day)
                     x (1 - post_promo_dip)        on the DIP_DAYS days after a promotion ends
                     - loss x scale

    loss  = (the product above) x (1 - (1 - cannibalisation_rate) ** min(rivals_on_promo, CAP))
    scale = min(1, gain / loss) summed per category x store x day (1 where nothing is lost)
    gain  = the promoted items' own incremental units (their product above minus their units at
            the regular price with no promotion), summed over the same cell

``price_elasticity`` is d log units / d log price (DESIGN §3); ``lift[m]`` is units with the
mechanism / units without it at the same price - 1, so percent_off and amount_off have lift 0:
they act through the price only. ``rivals_on_promo`` counts the other items of the same
category on promotion in the same store that day under a *different* promotion (items sharing
one category-wide promotion do not steal from each other). The scale is physics: a shopper
who switches buys the promoted item instead, so the rivals of a cell cannot lose more units than
the cell's promoted items gain (a slow item on promotion cannot take 4 units a day from a rival
selling 100). Without the scale a planner that respects this bound would be scored against an
impossible world.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from promocast.data.schema import PROMO_TYPES

MECHANISMS: tuple[str, ...] = PROMO_TYPES
LIFT_MECHANISMS: tuple[str, ...] = ("threshold", "gift", "flash_sale", "bundle", "feature_display")
"""Mechanisms that multiply demand at a given price (their true lift is non-zero)."""
PRICE_MECHANISMS: tuple[str, ...] = ("percent_off", "amount_off", "flash_sale")
"""Mechanisms that cut the unit price paid (flash_sale also carries a lift)."""
DIP_DAYS = 7
"""Days after a promotion ends during which the post-promotion dip (pantry loading) applies."""
CANNIBALISATION_CAP = 3
"""At most this many rival promotions of the category count towards cannibalisation."""

DEMAND_MODEL = (
    "expected_units[item, store, day] = calendar x (price / reference_price) ** price_elasticity"
    " x prod(1 + lift[m] for active non-price mechanisms m)"
    f" x (1 - post_promo_dip if within {DIP_DAYS} days after a promotion ended and not on promotion)"
    " - loss x scale, loss = (the product before) x (1 - (1 - cannibalisation_rate) **"
    f" min(rivals_on_promo, {CANNIBALISATION_CAP})), scale = min(1, gain / loss) with gain and"
    " loss summed per category x store x day and gain = the promoted items' units (the product"
    " before) minus their units at the regular price with no promotion (rivals lose no more"
    " units than the promoted items win); calendar = base_level[store] x exp(trend x years since start)"
    " x exp(yearly_amplitude x cos(2 pi (day_of_year - yearly_peak_day) / 365.25))"
    " x weekly[category][channel][weekday] x festival multiplier x launch ramp"
    " (1 - 0.7 exp(-days since launch / launch_ramp_days) for launches inside the history, 0 before"
    " launch); units ~ Poisson(expected_units x Gamma(dispersion, 1 / dispersion)), then"
    " censored by stock: units = min(demand, on hand at opening + receipts). A promotion's"
    " feature / display flags switch on the feature_display lift whatever its type; rivals_on_promo"
    " = other items of the category on promotion in the store that day under another promo_id."
    " baseline_units = expected units at the regular price with no promotion anywhere (no lift,"
    " no dip, no cannibalisation)."
)


@dataclass(frozen=True)
class DemandParams:
    """True per-item parameters, arrays aligned on the item axis (axis 0 of every input).

    ``reference_price``: the price at which ``calendar`` is stated (the item's first regular
    price); ``lift``: (n_items, len(LIFT_MECHANISMS)); ``post_promo_dip`` and
    ``cannibalisation_rate`` are fractions of units lost.
    """

    reference_price: np.ndarray
    price_elasticity: np.ndarray
    lift: np.ndarray
    post_promo_dip: np.ndarray
    cannibalisation_rate: np.ndarray

    @classmethod
    def from_truth(cls, truth: dict, item_ids: Sequence[str] | None = None) -> DemandParams:
        """Rebuild the parameters from ``ground_truth.json`` (all items, in file order, or
        ``item_ids`` in that order) so a plan can be evaluated outside the generator."""
        ids = list(truth["items"]) if item_ids is None else list(item_ids)
        rows = [truth["items"][i] for i in ids]
        return cls(
            reference_price=np.array([r["reference_price"] for r in rows], dtype=float),
            price_elasticity=np.array([r["price_elasticity"] for r in rows], dtype=float),
            lift=np.array(
                [[r["lift"][m] for m in LIFT_MECHANISMS] for r in rows], dtype=float
            ).reshape(len(rows), len(LIFT_MECHANISMS)),
            post_promo_dip=np.array([r["post_promo_dip"] for r in rows], dtype=float),
            cannibalisation_rate=np.array([r["cannibalisation_rate"] for r in rows], dtype=float),
        )

    def subset(self, index: np.ndarray | slice) -> DemandParams:
        """The parameters of some items (for block-wise simulation)."""
        return DemandParams(
            self.reference_price[index],
            self.price_elasticity[index],
            self.lift[index],
            self.post_promo_dip[index],
            self.cannibalisation_rate[index],
        )


def _per_item(values: np.ndarray, ndim: int) -> np.ndarray:
    """Reshape a per-item vector so it broadcasts along axis 0 of an ``ndim`` array."""
    return values.reshape((-1,) + (1,) * (ndim - 1))


def expected_demand(
    params: DemandParams,
    calendar: np.ndarray,
    price: np.ndarray,
    mechanisms: np.ndarray | None = None,
    *,
    after_promo: np.ndarray | None = None,
    rivals_on_promo: np.ndarray | None = None,
    rival_scale: np.ndarray | float = 1.0,
) -> np.ndarray:
    """True expected units (the mean before noise and stock censoring).

    ``calendar``: units at the reference price with no promotion, shape (n_items, ...), e.g.
    (items, stores, days). ``price``: unit price paid, same shape. ``mechanisms``: booleans of
    shape calendar.shape + (len(LIFT_MECHANISMS),), the non-price mechanisms active.
    ``after_promo``: True on post-promotion dip days. ``rivals_on_promo``: integer count of
    other category items on another promotion; ``rival_scale``: the share of the cannibalised
    units that are lost (``cannibal_bound.rival_scale`` of the item's cell; 1 = unbounded). Omitted inputs
    mean "none" (the baseline).
    """
    ndim = calendar.ndim
    relative = np.asarray(price, dtype=float) / _per_item(params.reference_price, ndim)
    mean = calendar * relative ** _per_item(params.price_elasticity, ndim)
    if mechanisms is not None:
        lift = params.lift.reshape((-1,) + (1,) * (ndim - 1) + (params.lift.shape[1],))
        mean = mean * np.prod(np.where(mechanisms, 1.0 + lift, 1.0), axis=-1)
    if after_promo is not None:
        mean = mean * np.where(after_promo, 1.0 - _per_item(params.post_promo_dip, ndim), 1.0)
    if rivals_on_promo is not None:
        mean = mean - rival_loss(params, mean, rivals_on_promo) * rival_scale
    return mean


def rival_loss(params: DemandParams, mean: np.ndarray, rivals_on_promo: np.ndarray) -> np.ndarray:
    """Units each item would lose to its category's rival promotions, before the bound."""
    kept = 1.0 - _per_item(params.cannibalisation_rate, mean.ndim)
    return mean * (1.0 - kept ** np.minimum(rivals_on_promo, CANNIBALISATION_CAP))


def cell_sums(values: np.ndarray, codes: np.ndarray, n_cells: int) -> np.ndarray:
    """Sum an (items, ...) array into (n_cells, ...) by each item's category code."""
    out = np.zeros((n_cells, *values.shape[1:]))
    for c in np.unique(codes):
        out[c] = values[codes == c].sum(axis=0)
    return out


def cannibal_terms(
    params: DemandParams,
    calendar: np.ndarray,
    price: np.ndarray,
    regular: np.ndarray,
    mechanisms: np.ndarray | None,
    *,
    on_promo: np.ndarray,
    after_promo: np.ndarray | None,
    rivals_on_promo: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """(gain, loss) per item x ...: the promoted items' own incremental units (0 off
    promotion) and the units each item would lose to rival promotions before the bound; sum
    both per cell with ``cell_sums`` and turn them into a scale with
    ``promotions.cannibal_bound.rival_scale`` (the bound the what-if and the plan apply)."""
    mean = expected_demand(params, calendar, price, mechanisms, after_promo=after_promo)
    base = expected_demand(params, calendar, regular)
    gain = np.where(on_promo, np.maximum(mean - base, 0.0), 0.0)
    return gain, rival_loss(params, mean, rivals_on_promo)
