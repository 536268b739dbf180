"""LightGBM whose trees keep calendar events apart from price and promotion inputs.

A shop's big festival days usually come with its deepest discounts: every 618 and Double 11
of the history was sold on a campaign price. A tree free to split on both learns the festival
spike inside the "discounted" branch only, so the spike vanishes from any forecast at the
regular price, which is exactly the no-promotion baseline a what-if or a plan prices its
promotions against. QA round 5 (finding 8): a shop selling 2.0 x on the 618 day in truth had
its baseline 618 day at 1.0-1.4 x its neighbours; with events and prices kept apart 1.3-1.8 x.

LightGBM's ``interaction_constraints`` say which features may share a branch. Two groups are
given: calendar events plus everything else, and price / promotion inputs plus everything
else. Lags, rolling means, dates and the series codes still combine with either; an event and
a price never meet in one branch, so their effects add up (on the model's log units they
multiply, as in the promotion effects model, ``promotions.item_model``).
"""

from __future__ import annotations

from collections.abc import Sequence

import lightgbm as lgb

from promocast.features.exogenous import CATEGORY_INPUTS, PRICE_INPUTS, PROMO_FLAGS

EVENT_PREFIXES = ("days_to_", "days_from_", "is_")
"""Calendar event features (``features.calendar.event_features``, ``features.user_events``)."""
PRICE_FEATURES = frozenset([*PRICE_INPUTS, "promo", *PROMO_FLAGS, *CATEGORY_INPUTS])
"""Price and promotion features (``features.exogenous``)."""


def apart_constraints(columns: Sequence[str]) -> list[list[int]] | None:
    """LightGBM ``interaction_constraints`` keeping event and price columns out of each other's
    branches, or ``None`` when the features lack one of the two kinds (nothing to keep apart)."""
    names = [str(c) for c in columns]
    event = {i for i, c in enumerate(names) if c.startswith(EVENT_PREFIXES)}
    price = {i for i, c in enumerate(names) if c in PRICE_FEATURES}
    if not event or not price:
        return None
    free = [i for i in range(len(names)) if i not in event and i not in price]
    return [sorted([*free, *event]), sorted([*free, *price])]


class EventsApart:
    """Mixin for a LightGBM scikit-learn estimator: its fit sets ``interaction_constraints``
    from the frame's columns (``apart_constraints``), since mlforecast builds the feature frame
    and the positions are only known there. Everything else is LightGBM's own."""

    def fit(self, X, y, *args, **kwargs):  # noqa: N803 (scikit-learn's X)
        columns = getattr(X, "columns", None)
        constraints = None if columns is None else apart_constraints(list(columns))
        self.set_params(interaction_constraints=constraints or [])
        return super().fit(X, y, *args, **kwargs)


class EventsApartLGBM(EventsApart, lgb.LGBMRegressor):
    """The zoo's LightGBM: ``LGBMRegressor`` with events and prices apart (``booster_`` for
    SHAP and ``predict`` are LightGBM's)."""
