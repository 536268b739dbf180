"""Settings that make a LightGBM fit the same on every run and every machine.

Left to itself LightGBM times row-wise against column-wise histogram building on the data at
hand and keeps the faster: the choice follows the machine's load, and the two sum gradients in
a different order, so a split can fall the other way. Measured on Dominick's OJ (12-round MAPE
backtest of ``lgbm``): three runs of the same code gave 34.13, 34.42 and 34.50 %; with these
settings every run gives the same figure. Row-wise is LightGBM's advice for many rows, few
threads and row subsampling (our global models), and was the faster here (102 s against 105 s
column-wise and 119 s left to choose). LightGBM warns that row-wise costs more memory for the
binned data; the benchmarks' peak RSS did not grow (on 188fe79: OJ 735 MB, M5 subset 924 MB,
both lower than before).
"""

from __future__ import annotations

LIGHTGBM_REPRODUCIBLE: dict[str, bool] = {"deterministic": True, "force_row_wise": True}
"""Parameters for every LightGBM model promocast fits (``lgb.train`` or the scikit-learn API)."""
