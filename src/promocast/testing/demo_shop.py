"""The synthetic demo shop (public entry point; the code lives in ``promocast.testing.demo``).

``generate(out_dir, seed=...)`` writes sales, items, promotions, events, inventory, orders and
stores as canonical CSV files, plus ``ground_truth.json`` and ``ground_truth_baseline.parquet``
so that estimated effects and optimised plans can be scored against the truth.
"""

from promocast.testing.demo import *  # noqa: F403  (the same names, one list: demo.__all__)
from promocast.testing.demo import __all__  # noqa: F401
