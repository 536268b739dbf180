"""Customer lifetime value: BG/NBD (how many more purchases, is the customer still alive) and
Gamma-Gamma (how much per purchase), fitted with ``lifetimes`` 0.11.3.

Why these models: they need only each customer's purchase dates and values, are the textbook
pair (Fader, Hardie & Lee 2005; Fader & Hardie 2013) and ``lifetimes`` reproduces the published
CDNOW parameters under our numpy / pandas (STACK.md). Time runs in days. Conventions are the
models': ``frequency`` = repeat purchase days (distinct days with a purchase - 1), ``recency`` =
days from the first to the last purchase day, ``T`` = days from the first purchase to the end
of observation, ``monetary_value`` = mean revenue of the repeat purchase days. Gamma-Gamma is
fitted on repeat buyers only and assumes spend does not depend on frequency: the correlation is
reported so a user can see when that is doubtful.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from promocast.customers.orders import net_share, refunds_by_customer

DAYS_PER_MONTH = 30.0


@dataclass(frozen=True)
class ClvResult:
    """Per-customer values and the fitted parameters of both models."""

    customers: pd.DataFrame  # customer_id, frequency, recency, T, monetary_value, prob_alive,
    #                          expected_purchases, expected_order_value, clv
    bgnbd_params: dict[str, float]
    gamma_gamma_params: dict[str, float]
    horizon_days: int
    monthly_discount_rate: float
    frequency_monetary_corr: float | None
    fit: dict | None = None  # penalizer and tolerance each model converged with

    def to_json(self, top: int = 20) -> dict:
        table = self.customers.sort_values("clv", ascending=False)
        return {
            "horizon_days": self.horizon_days,
            "monthly_discount_rate": self.monthly_discount_rate,
            "customers": int(len(table)),
            "total_clv": round(float(table["clv"].sum()), 2),
            "mean_prob_alive": round(float(table["prob_alive"].mean()), 4),
            "bgnbd": {k: round(v, 6) for k, v in self.bgnbd_params.items()},
            "gamma_gamma": {k: round(v, 6) for k, v in self.gamma_gamma_params.items()},
            "frequency_monetary_corr": (None if self.frequency_monetary_corr is None
                                        else round(self.frequency_monetary_corr, 4)),
            "fit": self.fit,
            "top": _records(table.head(top)),
        }


def _records(frame: pd.DataFrame) -> list[dict]:
    out = frame.copy()
    for col in out.select_dtypes("number").columns:
        out[col] = out[col].round(4)
    return out.astype(object).where(out.notna(), None).to_dict(orient="records")


def clv_summary(purchases: pd.DataFrame, as_of: pd.Timestamp,
                returns: pd.DataFrame | None = None) -> pd.DataFrame:
    """frequency / recency / T / monetary_value per customer from purchases before ``as_of``
    (the ``lifetimes`` summary, one purchase day per customer and day).

    Spend is net of ``returns`` (``customers.orders.RETURN_COLUMNS``) before ``as_of``: a
    return names no purchase it undoes (UCI's ``C...`` invoices are orders of their own), so
    each purchase day's revenue is scaled by the share of the customer's money kept,
    max(paid - returned, 0) / paid. Returns never add or remove purchase days."""
    from lifetimes.utils import summary_data_from_transaction_data

    seen = purchases[purchases["timestamp"] < as_of]
    daily = (seen.assign(day=seen["timestamp"].dt.normalize())
             .groupby(["customer_id", "day"], as_index=False)["revenue"].sum())
    if returns is not None and len(returns):
        gross = daily.groupby("customer_id")["revenue"].sum()
        kept = net_share(gross, refunds_by_customer(returns, as_of))
        daily["revenue"] = daily["revenue"] * daily["customer_id"].map(kept).to_numpy(float)
    summary = summary_data_from_transaction_data(
        daily, "customer_id", "day", monetary_value_col="revenue",
        observation_period_end=as_of.normalize(), freq="D")
    return summary.reset_index()


def fit_clv(summary: pd.DataFrame, *, horizon_days: int = 365,
            monthly_discount_rate: float = 0.01, penalizer: float = 0.001) -> ClvResult:
    """Fit BG/NBD on everyone and Gamma-Gamma on repeat buyers; value every customer over
    ``horizon_days`` discounted at ``monthly_discount_rate``. ``penalizer``: the small L2
    penalty ``lifetimes`` recommends so a few extreme customers cannot push the fit to the
    boundary (0 reproduces the published CDNOW estimates)."""
    from lifetimes import BetaGeoFitter, GammaGammaFitter

    freq, rec, age = summary["frequency"], summary["recency"], summary["T"]
    repeat = summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
    if len(repeat) < 3:
        raise ValueError("lifetime value needs at least 3 customers who bought twice")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bgf, bg_fit = _fit(BetaGeoFitter, (freq, rec, age), penalizer)
        ggf, gg_fit = _fit(GammaGammaFitter, (repeat["frequency"], repeat["monetary_value"]),
                           penalizer)
        out = summary.copy()
        out["prob_alive"] = bgf.conditional_probability_alive(freq, rec, age)
        out["expected_purchases"] = bgf.conditional_expected_number_of_purchases_up_to_time(
            horizon_days, freq, rec, age)
        value = ggf.conditional_expected_average_profit(freq, summary["monetary_value"])
        if ggf.params_["q"] <= 1:
            # the population mean spend v p / (q - 1) is infinite: customers without a repeat
            # purchase get the mean repeat spend instead of a meaningless (negative) value
            value = value.where(freq > 0, float(repeat["monetary_value"].mean()))
        out["expected_order_value"] = value
        out["clv"] = discounted_value(bgf, freq, rec, age, value, horizon_days,
                                      monthly_discount_rate)
    corr = float(np.corrcoef(repeat["frequency"], repeat["monetary_value"])[0, 1])
    return ClvResult(out, {k: float(v) for k, v in bgf.params_.items()},
                     {k: float(v) for k, v in ggf.params_.items()}, horizon_days,
                     monthly_discount_rate, corr, {"bgnbd": bg_fit, "gamma_gamma": gg_fit})


def discounted_value(bgf, freq: pd.Series, rec: pd.Series, age: pd.Series, value: pd.Series,
                     horizon_days: int, monthly_discount_rate: float) -> pd.Series:
    """Sum over months m of (expected purchases in month m) x value / (1 + rate) ** m, as in
    lifetimes' ``customer_lifetime_value`` (the last month may be partial)."""
    ends = np.append(np.arange(DAYS_PER_MONTH, horizon_days, DAYS_PER_MONTH), horizon_days)
    total = pd.Series(0.0, index=freq.index)
    previous = pd.Series(0.0, index=freq.index)
    for month, end in enumerate(ends, start=1):
        cumulative = bgf.conditional_expected_number_of_purchases_up_to_time(end, freq, rec, age)
        total += (cumulative - previous) * value / (1 + monthly_discount_rate) ** month
        previous = cumulative
    return total


FALLBACK_TOLERANCES = (1e-7, 1e-5)


def _fit(fitter_class, args: tuple, penalizer: float):
    """Fit a ``lifetimes`` model; when its optimiser stops with "precision loss" (common when
    a parameter runs to its boundary, e.g. BG/NBD's dropout a -> 0 on shops where nobody seems
    to leave) retry with a looser tolerance, then without the penalty. Returns (fitter, what
    was used). lifetimes prints the optimiser's output on failure: kept off the terminal."""
    from lifetimes.utils import ConvergenceError

    attempts = [(penalizer, tol) for tol in FALLBACK_TOLERANCES]
    if penalizer > 0:
        attempts += [(0.0, tol) for tol in FALLBACK_TOLERANCES]
    last: Exception | None = None
    for pen, tol in attempts:
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                fitter = fitter_class(penalizer_coef=pen).fit(*args, tol=tol)
            return fitter, {"penalizer": pen, "tol": tol}
        except ConvergenceError as exc:
            last = exc
    raise ValueError(f"{fitter_class.__name__} did not converge on these customers") from last
