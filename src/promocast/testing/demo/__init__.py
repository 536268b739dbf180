"""The synthetic demo shop: a Chinese e-commerce shop whose true demand model is known.

``generate`` writes the canonical tables plus the truth; ``expected_demand`` and
``calendar_demand`` recompute the true expected units for any price and promotion plan.
"""

from promocast.testing.demo.calendar import calendar_demand
from promocast.testing.demo.model import (
    LIFT_MECHANISMS,
    MECHANISMS,
    PRICE_MECHANISMS,
    DemandParams,
    expected_demand,
)
from promocast.testing.demo.shop import DemoShop, generate

__all__ = [
    "LIFT_MECHANISMS",
    "MECHANISMS",
    "PRICE_MECHANISMS",
    "DemandParams",
    "DemoShop",
    "calendar_demand",
    "expected_demand",
    "generate",
]
