"""Time series diagnostics, one series at a time: unit-root tests and the differencing they
suggest, autocorrelation, an STL decomposition with trend and seasonal strength, and small
ARIMA / ETS fits with information criteria and a Ljung-Box check of their residuals.

Pure: arrays or a long frame (``unique_id, ds, y``) in, plain dicts of floats out (NaN -> None,
ready for JSON) plus the decomposition as a frame for plots. A series too short, constant or
all missing gets a note instead of an exception; so does any test that cannot run on it.

Choices (the textbook ones, Hyndman & Athanasopoulos, *Forecasting: principles and practice*):
- ``suggested_D``: 1 when the STL seasonal strength F_S exceeds 0.64 (feasts' ``unitroot_nsdiffs``);
- ``suggested_d``: KPSS tests repeated on the (seasonally) differenced series until it no longer
  rejects level stationarity at 5 %, at most 2 (``forecast::ndiffs``); the ADF version is reported
  beside it;
- strengths F_T = max(0, 1 - var(R) / var(T + R)), F_S = max(0, 1 - var(R) / var(S + R))
  (Wang, Smith & Hyndman 2006) from a robust STL when the series spans three full seasons
  (else a LOWESS trend alone: no F_S, D = 0; weekly data needs three years);
- ARIMA: statsforecast AutoARIMA with d and D fixed to the suggestions, p, q <= 2 and P, Q <= 1
  (seasonal AR/MA terms only for seasons up to 24 periods: with weekly data and two or three
  years there are too few seasons); ETS: statsforecast AutoETS (seasonal up to 24 periods).
  Both report the full Gaussian log-likelihood, so their AIC share a scale; an ARIMA with
  differencing still scores fewer observations, hence ``aic_comparable``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from promocast.forecasting.panel import season_length as panel_season_length

ALPHA = 0.05
MIN_OBS = 12
"""Fewer observed periods than this: nothing is tested (a note says so)."""
SEASONAL_STRENGTH_D = 0.64
MAX_D = 2
ACF_MAX_LAGS = 60
MIN_SEASONS = 3
"""Full seasons needed before STL estimates a seasonal component."""

Progress = Callable[[str], None]


@dataclass
class SeriesDiagnostics:
    """The diagnostics of one series: ``summary`` (JSON-able) and the decomposition for plots.

    ``components`` has ``ds, y`` (the series as analysed: interpolated, log1p when asked),
    ``observed`` (0 where a missing value was interpolated), ``trend, seasonal, remainder``."""

    unique_id: str
    summary: dict
    components: pd.DataFrame = field(repr=False)

    def to_dict(self) -> dict:
        return plain(self.summary)


def plain(value: object) -> object:
    """Numpy scalars to Python, NaN / inf to None, recursively (JSON-safe)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [plain(v) for v in value]
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    return value


_EMPTY = {"adf": None, "kpss": None, "suggested_d": None, "suggested_D": None, "ndiffs": None,
          "acf": [], "acf_bound": [], "pacf": [], "pacf_bound": None, "stl": None,
          "arima": None, "ets": None, "best_by_aic": None, "aic_comparable": None,
          "ljung_box_p": None}


def diagnose_panel(frame: pd.DataFrame, *, freq: str, season_length: int | None = None,
                   log: bool = False, fit_models: bool = True, progress: Progress | None = None,
                   id_col: str = "unique_id", time_col: str = "ds",
                   target_col: str = "y") -> list[SeriesDiagnostics]:
    """Diagnose every series of a long frame, in order of first appearance.

    Rows with ``observed == 0`` (gaps, stock-outs: see ``forecasting.panel``) count as missing;
    periods absent from the frame are put back on the ``freq`` grid as missing too."""
    m = season_length or panel_season_length(freq)
    say = progress or (lambda _m: None)
    results = []
    groups = list(frame.groupby(id_col, sort=False))
    for k, (uid, group) in enumerate(groups, start=1):
        say(f"diagnosing {uid} ({k}/{len(groups)})")
        group = group.sort_values(time_col)
        y = group[target_col].astype(float)
        if "observed" in group:
            y = y.where(group["observed"].to_numpy() != 0)
        series = pd.Series(y.to_numpy(), index=pd.DatetimeIndex(group[time_col]))
        series = series[~series.index.duplicated()]
        if len(series) > 1:
            series = series.reindex(pd.date_range(series.index[0], series.index[-1], freq=freq))
        results.append(diagnose_series(series.to_numpy(), season_length=m, ds=series.index,
                                       unique_id=str(uid), log=log, fit_models=fit_models))
    return results


def diagnose_series(y: Iterable[float], *, season_length: int, ds: Iterable | None = None,
                    unique_id: str = "series", log: bool = False,
                    fit_models: bool = True) -> SeriesDiagnostics:
    """Diagnostics of one regularly spaced series (NaN = missing period).

    Leading and trailing missing periods are dropped; inner ones are linearly interpolated for
    the tests and fits (the summary counts them). ``log`` analyses log1p(y)."""
    values = np.asarray(list(y) if not isinstance(y, np.ndarray) else y, dtype=float)
    dates = pd.DatetimeIndex(ds) if ds is not None else pd.RangeIndex(len(values))
    m = max(1, int(season_length))
    notes: list[str] = []
    summary: dict = {"unique_id": unique_id, "n": 0, "season_length": m, "missing": 0,
                     "transform": "log1p" if log else "none", "notes": notes}
    summary.update(_EMPTY)
    finite = np.flatnonzero(np.isfinite(values))
    if not len(finite):
        notes.append("no observed value: nothing to diagnose")
        return SeriesDiagnostics(unique_id, summary, _components(dates[:0], values[:0]))
    first, last = finite[0], finite[-1]
    if first > 0 or last < len(values) - 1:
        notes.append(f"{first + len(values) - 1 - last} leading/trailing missing period(s) dropped")
    values, dates = values[first:last + 1], dates[first:last + 1]
    observed = np.isfinite(values)
    missing = int((~observed).sum())
    if missing:
        values = pd.Series(values).interpolate("linear").to_numpy()
        notes.append(f"{missing} of {len(values)} periods missing (gaps or stock-outs): "
                     "linearly interpolated for the tests and fits")
    if log:
        if (values < 0).any():
            notes.append("negative values: log1p not applied, analysed as is")
            summary["transform"] = "none"
        else:
            values = np.log1p(values)
    summary.update(n=len(values), missing=missing, start=_date(dates[0]), end=_date(dates[-1]),
                   mean=float(np.mean(values)), std=float(np.std(values)))
    if int(observed.sum()) < MIN_OBS:
        notes.append(f"too short: {int(observed.sum())} observed periods, at least {MIN_OBS} "
                     "are needed for the tests")
        return SeriesDiagnostics(unique_id, summary, _components(dates, values, observed))
    if np.ptp(values) == 0:
        notes.append("constant series: no test applies (no differencing needed)")
        summary.update(suggested_d=0, suggested_D=0)
        return SeriesDiagnostics(unique_id, summary, _components(dates, values, observed))

    # The regressions here are small: BLAS threads only fight over the cores (an ADF on 2,000
    # points took 8 s instead of 0.1 s with OpenBLAS threads on a busy two-core machine).
    with warnings.catch_warnings(), threadpool_limits(limits=1, user_api="blas"):
        warnings.simplefilter("ignore")
        stl, trend, seasonal, remainder = decompose(values, m, notes)
        suggested_D = int(stl["seasonal_strength"] is not None
                          and stl["seasonal_strength"] > SEASONAL_STRENGTH_D
                          and len(values) > m + MIN_OBS)
        adjusted = values[m:] - values[:-m] if suggested_D else values
        summary.update(
            adf=adf_test(values), kpss=kpss_test(values), stl=stl, suggested_D=suggested_D,
            suggested_d=(d := ndiffs(adjusted, "kpss")),
            ndiffs={"kpss": d, "adf": ndiffs(adjusted, "adf")},
            **autocorrelation(values, m))
        if fit_models:
            summary["arima"] = fit_arima(values, m, summary["suggested_d"], suggested_D)
            summary["ets"] = fit_ets(values, m)
            summary.update(_best(summary["arima"], summary["ets"]))
    return SeriesDiagnostics(unique_id, summary,
                             _components(dates, values, observed, trend, seasonal, remainder))


def _date(value: object) -> str | int:
    return str(value.date()) if isinstance(value, pd.Timestamp) else int(value)


def _components(dates, values, observed=None, trend=None, seasonal=None,
                remainder=None) -> pd.DataFrame:
    n = len(values)
    nan = np.full(n, np.nan)
    return pd.DataFrame({
        "ds": np.asarray(dates), "y": values,
        "observed": (np.ones(n) if observed is None else observed).astype("int8"),
        "trend": nan if trend is None else trend, "seasonal": nan if seasonal is None else seasonal,
        "remainder": nan if remainder is None else remainder})


# -- unit roots and differencing -------------------------------------------------------------

def adf_test(x: np.ndarray) -> dict | None:
    """Augmented Dickey-Fuller with a constant, lags by AIC. H0: a unit root."""
    from statsmodels.tsa.stattools import adfuller

    try:
        stat, p, lags, _nobs, crit, _ = adfuller(x, regression="c", autolag="AIC")
    except (ValueError, np.linalg.LinAlgError):
        return None
    return {"statistic": stat, "p_value": p, "lags": int(lags), "critical_5pct": crit["5%"],
            "verdict": "stationary (unit root rejected)" if p < ALPHA
            else "unit root not rejected"}


def kpss_test(x: np.ndarray) -> dict | None:
    """KPSS around a level. H0: level-stationary. Its p-value comes from a table and is
    clipped to [0.01, 0.10]."""
    from statsmodels.tsa.stattools import kpss

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            stat, p, lags, crit = kpss(x, regression="c", nlags="auto")
    except (ValueError, OverflowError, np.linalg.LinAlgError):
        return None
    return {"statistic": stat, "p_value": p, "lags": int(lags), "critical_5pct": crit["5%"],
            "verdict": "not stationary (level stationarity rejected)" if p < ALPHA
            else "stationary (not rejected)"}


def ndiffs(x: np.ndarray, test: str = "kpss", max_d: int = MAX_D) -> int:
    """How many first differences make ``x`` stationary by ``test`` ("kpss" or "adf") at 5 %."""
    d = 0
    while d < max_d and len(x) >= MIN_OBS and np.ptp(x) > 0:
        result = kpss_test(x) if test == "kpss" else adf_test(x)
        if result is None:
            break
        stationary = result["p_value"] >= ALPHA if test == "kpss" else result["p_value"] < ALPHA
        if stationary:
            break
        x, d = np.diff(x), d + 1
    return d


# -- autocorrelation and decomposition ---------------------------------------------------------

def acf_lags(n: int, m: int) -> int:
    """10 log10(n) lags, at least one season and a bit, under n / 2 and ``ACF_MAX_LAGS``."""
    wanted = max(round(10 * math.log10(n)), m + 1 if m > 1 else 0)
    return max(1, min(wanted, n // 2 - 1, ACF_MAX_LAGS))


def autocorrelation(x: np.ndarray, m: int) -> dict:
    """ACF (Bartlett 95 % bounds per lag) and PACF (bound 1.96 / sqrt(n)); list index = lag."""
    from statsmodels.tsa.stattools import acf, pacf

    nlags = acf_lags(len(x), m)
    values, confint = acf(x, nlags=nlags, alpha=ALPHA, fft=True)
    partial = pacf(x, nlags=nlags, method="ywadjusted")
    return {"acf": values.tolist(), "acf_bound": (confint[:, 1] - values).tolist(),
            "pacf": partial.tolist(), "pacf_bound": 1.959964 / math.sqrt(len(x))}


def decompose(x: np.ndarray, m: int,
              notes: list[str]) -> tuple[dict, np.ndarray, np.ndarray, np.ndarray]:
    """Robust STL with period ``m``; a LOWESS trend alone with fewer than ``MIN_SEASONS``
    seasons (with two, each cycle-subseries smoother passes through its two points: the
    seasonal component swallows the noise and F_S comes out near 1 whatever the data)."""
    n = len(x)
    if m >= 2 and n >= MIN_SEASONS * m:
        from statsmodels.tsa.seasonal import STL

        fit = STL(x, period=m, robust=True).fit()
        trend, seasonal, remainder = fit.trend, fit.seasonal, fit.resid
        method = "STL"
    else:
        from statsmodels.nonparametric.smoothers_lowess import lowess

        trend = lowess(x, np.arange(n), frac=min(1.0, max(0.25, 7 / n)), return_sorted=False)
        seasonal, remainder = np.zeros(n), x - trend
        method = "LOWESS trend (no seasonal component)"
        if m >= 2:
            notes.append(f"{n} periods make {n / m:.1f} seasons of {m}, fewer than "
                         f"{MIN_SEASONS}: no seasonal decomposition (trend only), "
                         "suggested_D = 0")
    var_r = float(np.var(remainder))
    trend_strength = _strength(var_r, float(np.var(trend + remainder)))
    seasonal_strength = (_strength(var_r, float(np.var(seasonal + remainder)))
                         if method == "STL" else None)
    amplitude = float(np.ptp(seasonal[-m:])) if method == "STL" else None
    return ({"method": method, "period": m if method == "STL" else None,
             "trend_strength": trend_strength, "seasonal_strength": seasonal_strength,
             "seasonal_amplitude": amplitude, "remainder_std": math.sqrt(var_r)},
            trend, seasonal, remainder)


def _strength(var_remainder: float, var_total: float) -> float | None:
    if var_total <= 0:
        return None
    return max(0.0, 1.0 - var_remainder / var_total)


# -- model fits ------------------------------------------------------------------------------

def fit_arima(x: np.ndarray, m: int, d: int, D: int) -> dict:
    """AutoARIMA with d and D fixed, small orders; AIC, AICc, BIC, order, Ljung-Box."""
    from statsforecast.models import AutoARIMA

    seasonal_terms = 1 if 1 < m <= 24 else 0
    try:
        model = AutoARIMA(d=d, D=D if m > 1 else 0, max_p=2, max_q=2, max_P=seasonal_terms,
                          max_Q=seasonal_terms, season_length=m if m > 1 else 1,
                          approximation=len(x) > 150).fit(x).model_
    except Exception as exc:  # noqa: BLE001 - a failed fit is a finding, not a crash
        return {"error": f"{type(exc).__name__}: {exc}"}
    p, q, P, Q, period, dd, DD = (int(v) for v in model["arma"])
    coef = model.get("coef") or {}
    label = f"ARIMA({p},{dd},{q})" + (f"({P},{DD},{Q})[{period}]" if P or DD or Q else "")
    label += " with drift" if "drift" in coef else " with mean" if "intercept" in coef else ""
    burn = dd + DD * period
    residuals = np.asarray(model["residuals"], dtype=float)[burn:]
    return {"label": label, "order": [p, dd, q], "seasonal_order": [P, DD, Q, period],
            "aic": model.get("aic"), "aicc": model.get("aicc"), "bic": model.get("bic"),
            "loglik": model.get("loglik"), "n_scored": len(x) - burn,
            "rmse": _rmse(residuals),
            "ljung_box": ljung_box(residuals, m, model_df=p + q + P + Q)}


def fit_ets(x: np.ndarray, m: int) -> dict:
    """AutoETS (multiplicative forms only for positive data); information criteria on the full
    Gaussian likelihood, comparable with ARIMA's."""
    from statsforecast.models import AutoETS

    try:
        model = AutoETS(season_length=m if 1 < m <= 24 else 1, model="ZZZ").fit(x).model_
    except Exception as exc:  # noqa: BLE001 - a failed fit is a finding, not a crash
        return {"error": f"{type(exc).__name__}: {exc}"}
    error, trend, season, damped = str(model["components"])[:4]
    label = f"ETS({error},{trend}{'d' if damped == 'D' else ''},{season})"
    n = len(x)
    # statsforecast (like R's ets) drops the constant of the Gaussian likelihood; add it back.
    shift = n * (math.log(2 * math.pi / n) + 1)
    residuals = np.asarray(model["residuals"], dtype=float)
    k = sum(1 for v in np.asarray(model["par"], dtype=float)[:4] if np.isfinite(v))
    return {"label": label, "aic": _shift(model.get("aic"), shift),
            "aicc": _shift(model.get("aicc"), shift), "bic": _shift(model.get("bic"), shift),
            "loglik": _shift(model.get("loglik"), -shift / 2), "n_scored": n,
            "rmse": _rmse(np.asarray(model["actual_residuals"], dtype=float)),
            "ljung_box": ljung_box(residuals, m, model_df=k)}


def _shift(value: float | None, by: float) -> float | None:
    return None if value is None or not np.isfinite(value) else float(value) + by


def _rmse(residuals: np.ndarray) -> float | None:
    residuals = residuals[np.isfinite(residuals)]
    return float(np.sqrt(np.mean(residuals ** 2))) if len(residuals) else None


def ljung_box(residuals: np.ndarray, m: int, model_df: int = 0) -> list[dict]:
    """Ljung-Box at lag 10 and at 2 seasons (capped at T / 5); H0: no autocorrelation left.
    ``model_df`` (fitted coefficients) is taken off the degrees of freedom."""
    from statsmodels.stats.diagnostic import acorr_ljungbox

    residuals = residuals[np.isfinite(residuals)]
    t = len(residuals)
    if t < MIN_OBS or np.ptp(residuals) == 0:
        return []
    lags = {min(10, t - 2)}
    if m > 1:
        lags.add(min(2 * m, max(10, t // 5), t - 2))
    table = acorr_ljungbox(residuals, lags=sorted(lags), model_df=model_df, return_df=True)
    return [{"lag": int(lag), "statistic": float(row.lb_stat),
             "p_value": float(row.lb_pvalue) if lag > model_df else None}
            for lag, row in zip(sorted(lags), table.itertuples(), strict=True)]


def _best(arima: dict | None, ets: dict | None) -> dict:
    """The lower AIC of the two fits, and its Ljung-Box p-value at the first lag."""
    scored = {name: fit for name, fit in (("arima", arima), ("ets", ets))
              if fit and fit.get("aic") is not None and np.isfinite(fit["aic"])}
    if not scored:
        return {"best_by_aic": None, "aic_comparable": None, "ljung_box_p": None}
    best = min(scored, key=lambda name: scored[name]["aic"])
    lb = scored[best]["ljung_box"]
    comparable = len(scored) == 2 and scored["arima"]["n_scored"] == scored["ets"]["n_scored"]
    return {"best_by_aic": best, "aic_comparable": comparable,
            "ljung_box_p": lb[0]["p_value"] if lb else None}
