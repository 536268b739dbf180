"""promocast: sales forecasting and promotion decisions for e-commerce shops."""

import os

# OpenMP threads (LightGBM) spin while they wait by default; on a machine whose cores are busy
# with anything else that turns a 6 s fit into minutes (measured: 422 s against 6.3 s for the
# same 2-thread LightGBM fit under a load of 4 on 2 cores). Waiting threads that sleep cost
# nothing on an idle machine. Set before any OpenMP runtime loads; a user's own setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"
