"""The synthetic demo shop (public entry point; the code lives in ``promocast.testing.demo``).

``generate(out_dir, seed=...)`` writes sales, items, promotions, events, inventory, orders and
stores as canonical CSV files, plus ``ground_truth.json`` and ``ground_truth_baseline.parquet``
so that estimated effects and optimised plans can be scored against the truth.
"""

from promocast.testing.demo import (
    LIFT_MECHANISMS,
    MECHANISMS,
    PRICE_MECHANISMS,
    DemandParams,
    DemoShop,
    calendar_demand,
    expected_demand,
    generate,
)

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
