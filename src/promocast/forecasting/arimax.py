"""AutoARIMA with the known price, promotion and festival inputs as regressors
(``autoarima_x``): regression with ARIMA errors, as R's ``auto.arima(xreg=)`` fits it,
through statsforecast.

``autoarima`` stays univariate, the baseline published benchmarks report (Dominick's OJ
70.80 % MAPE); ``autoarima_x`` is the statistical model a planner can ask "what if the price
drops" of: its forecast moves with the horizon's planned prices and promotions.

Regressors are few on purpose (the log price, whether a promotion runs, a feature / display,
a festival day): an ARIMA fits one series at a time, and each regressor costs a parameter
estimated from that series alone. Per series, only an independent set of them enters: a
column the series never varied (an item never on promotion) or one that repeats another (a
promotion always featured) makes statsforecast refuse the fit ("xreg is rank deficient").
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.linalg import qr
from statsforecast.models import AutoARIMA

ARIMA_INPUTS = ("log_price", "promo", "promo_feature_display", "is_festival")
"""The known inputs ``autoarima_x`` regresses on, those the panel has (``price`` stands in
for ``log_price`` as its log)."""


def independent_columns(x: np.ndarray, tol: float = 1e-8) -> np.ndarray:
    """Per column of ``x``: whether it belongs to a linearly independent set of the columns
    that vary (QR with column pivoting on the centred columns; the intercept and the
    differencing take the constant ones)."""
    keep = np.zeros(x.shape[1], dtype=bool)
    if x.size == 0:
        return keep
    centred = x - x.mean(axis=0)
    scale = np.linalg.norm(centred, axis=0)
    varying = np.flatnonzero(scale > tol * max(1.0, float(np.abs(x).max())))
    if not len(varying):
        return keep
    _, r, pivot = qr(centred[:, varying] / scale[varying], mode="economic", pivoting=True)
    diag = np.abs(np.diag(r))
    rank = int((diag > tol * max(float(diag.max()), 1e-12)).sum())
    keep[varying[pivot[:rank]]] = True
    return keep


class AutoARIMAX(AutoARIMA):
    """statsforecast's AutoARIMA, each series' regressors cut to an independent set that
    varies in its history (``independent_columns``); a fit that still fails falls back to
    the univariate model of that series instead of failing every series of the call."""

    def forecast(self, y, h, X=None, X_future=None, level=None, fitted=False):  # noqa: N803
        if X is not None and X_future is not None and len(X):
            keep = independent_columns(np.asarray(X, dtype=float))
            if keep.any():
                try:
                    return super().forecast(y=y, h=h, X=X[:, keep], X_future=X_future[:, keep],
                                            level=level, fitted=fitted)
                except (ValueError, np.linalg.LinAlgError):
                    pass
        return super().forecast(y=y, h=h, level=level, fitted=fitted)


def arima_inputs(frame: pd.DataFrame, known: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """unique_id, ds and the regressors of ``autoarima_x`` from ``frame`` (history and horizon
    together, so a missing value of the horizon takes the series' last known one)."""
    cols = [c for c in ARIMA_INPUTS if c in known and c in frame]
    out = frame[["unique_id", "ds"]].copy()
    if "log_price" not in cols and "price" in known and "price" in frame:
        price = frame["price"].astype(float)
        out["log_price"] = np.log(price.where(price > 0))
        cols = ["log_price", *cols]
    for col in cols:
        if col not in out:
            out[col] = frame[col].astype(float)
    if cols:
        out = out.sort_values(["unique_id", "ds"], ignore_index=True)
        out[cols] = out.groupby("unique_id")[cols].ffill()
        out[cols] = out.groupby("unique_id")[cols].bfill()
        out[cols] = out[cols].fillna(0.0)
    return out, cols
