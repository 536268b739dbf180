"""Pooled conformal quantiles on a small shop: the spread of log errors follows the size of
the forecast, so a pool too small for one step and size borrows other steps of that size
before other sizes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from promocast.forecasting.conformal import conformal_quantiles

QS = (0.05, 0.5, 0.95)


def _shop(rng: np.random.Generator, steps: int = 14) -> tuple[pd.DataFrame, pd.DataFrame]:
    """15 fast Poisson(80) series forecast at 80 and 15 slow ones (a sale on 10 % of days,
    Poisson(2) units) forecast at 0.2: one hold-out window of ``steps`` residuals each."""
    rows, points = [], []
    for k in range(30):
        fast = k < 15
        mean = 80.0 if fast else 0.2
        y = rng.poisson(80, steps) if fast else rng.poisson(2, steps) * (rng.random(steps) < 0.1)
        rows.append(pd.DataFrame({"unique_id": f"s{k}", "step": np.arange(1, steps + 1),
                                  "y": y.astype(float), "m": mean}))
        points.append(pd.DataFrame({"unique_id": f"s{k}", "m": np.full(steps, mean)}))
    return pd.concat(points, ignore_index=True), pd.concat(rows, ignore_index=True)


def test_fast_series_keep_their_own_spread_on_a_small_shop() -> None:
    points, residuals = _shop(np.random.default_rng(0))
    out, _ = conformal_quantiles(points, residuals, "m", QS)
    fast = out[points["unique_id"].isin([f"s{k}" for k in range(15)]).to_numpy()]
    # Poisson(80): 5 % and 95 % quantiles 65 and 95; with the slow series' log errors the
    # 95 % quantile was about 3 x the median
    assert 60 <= fast[:, 0].mean() <= 70
    assert 90 <= fast[:, 2].mean() <= 102
    assert np.allclose(fast[:, 1], 80)
