"""One item's Poisson model: its own controls and treatments, the calendar as an offset.

    log E[units] = offset (calendar shape, ``baseline``) + store level + trend + yearly harmonics
                   + elasticity x log price + sum_m log(1 + lift_m) x exposure_m
                   + log(1 - dip) x after_promotion + log(1 - cannibalisation) x rivals
                   [+ cross elasticity_j x log price of rival j, when rival prices are known]

Fitted by Poisson quasi-likelihood (consistent for any mean-correct count model, zeros
included, whatever the over-dispersion) with standard errors clustered by period (robust to
over-dispersion and to shocks shared by the stores of one period), see ``covariance``.

Stock-out rows (``censored``: the shelf emptied, so demand was *at least* the units sold) enter
by expectation-maximisation: each round replaces their units by the expected demand given that
it reached the units sold, under a negative binomial with the fitted mean and the item's
over-dispersion, and refits. Dropping them instead keeps only the days on which demand stayed
below the stock, which are the low-demand days: on a deep, short promotion that stocks out one
day in four, the lift came out about 0.2 too low that way. The imputed demand is not observed
demand: the standard errors count a stock-out row only for what it tells (``covariance``), so
an item whose flash sales mostly sold out is shrunk toward its category as it should be.

Rows of a treatment the item ran too rarely to estimate (one-day flash sales) are left out of
its fit; ``thin_rows`` keeps them, with the mean the fit predicts for them without it, for the
category-level pooling (``promotions.pooled``).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from promocast.promotions.design import LIFT_MECHANISMS

TREATMENTS: tuple[str, ...] = (
    *(f"lift_{m}" for m in LIFT_MECHANISMS),
    "after_promotion",
    "rivals_on_promotion",
)
CENSORED_ROUNDS = 4
"""EM rounds for stock-out rows (the imputed demand settles within a few)."""
UNSTABLE = 8.0
"""An effect (log scale) or a standard error beyond this means the data do not pin it down
(e.g. a mechanism whose every period sold nothing): reported as not identified."""


@dataclass
class ItemFit:
    """Estimates (log scale) and standard errors of one item's effects, and its predictor."""

    item_id: str
    estimates: dict[str, float] = field(default_factory=dict)
    se: dict[str, float] = field(default_factory=dict)
    se_pool: dict[str, float] = field(default_factory=dict)  # as if no row had stocked out
    cov_price: dict[str, float] = field(default_factory=dict)  # covariance with the elasticity
    sold_out: dict[str, tuple[int, int]] = field(default_factory=dict)  # (sold out, exposed)
    exposure: dict[str, float] = field(default_factory=dict)  # periods with the treatment
    eta: np.ndarray | None = None  # linear predictor without the offset, per row
    n_rows: int = 0
    problem: str | None = None
    thin: pd.DataFrame | None = None  # rows of treatments too rare to fit, see ``thin_rows``
    left_out: np.ndarray | None = None  # bool per row: left out of the fit (a thin treatment)


def _harmonics(span_days: float, wanted: int) -> int:
    if span_days >= 300:
        return wanted
    return min(wanted, 1) if span_days >= 180 else 0


def item_matrix(
    rows: pd.DataFrame,
    start: pd.Timestamp,
    *,
    harmonics: int,
    min_exposed: int,
    rival_prices: list[str],
) -> tuple[pd.DataFrame, dict[str, float]]:
    """Design matrix of one item's observed rows (controls first, then what is identified)."""
    cols: dict[str, np.ndarray] = {}
    for store in sorted(rows["store_id"].astype(str).unique()):
        cols[f"store={store}"] = (rows["store_id"].astype(str) == store).to_numpy(float)
    span = (rows["ds"].max() - rows["ds"].min()).days
    if span >= 90:
        years = (rows["ds"] - start).dt.days.to_numpy(float) / 365.25
        cols["trend"] = years - years.mean()
    angle = 2 * np.pi * rows["ds"].dt.dayofyear.to_numpy(float) / 365.25
    for k in range(1, _harmonics(span, harmonics) + 1):
        cols[f"cos{k}"], cols[f"sin{k}"] = np.cos(k * angle), np.sin(k * angle)
    exposure: dict[str, float] = {}
    log_price = np.log(rows["price"].to_numpy(float))
    if np.isfinite(log_price).all() and log_price.std() > 1e-3:
        cols["log_price"] = log_price - log_price.mean()
    for name in TREATMENTS:
        values = rows[name].to_numpy(float)
        exposure[name] = float((values > 0).sum())
        if exposure[name] >= min_exposed and values.std() > 0:
            cols[name] = values
    for col in rival_prices:
        values = np.log(rows[col].to_numpy(float))
        if np.isfinite(values).all() and values.std() > 1e-3:
            cols[f"xprice:{col}"] = values - values.mean()
    return pd.DataFrame(cols, index=rows.index), exposure


def _drop_collinear(matrix: pd.DataFrame) -> pd.DataFrame:
    """Drop treatment columns that are exact combinations of earlier ones (QR pivoting)."""
    values = matrix.to_numpy()
    scale = np.linalg.norm(values, axis=0)
    scale[scale == 0] = 1.0
    _, r = np.linalg.qr(values / scale)
    diag = np.abs(np.diag(r))
    keep = diag > 1e-8 * max(diag.max(), 1e-12)
    return matrix.loc[:, keep]


def dispersion(y: np.ndarray, mu: np.ndarray) -> float:
    """Negative-binomial alpha (variance mu + alpha mu^2) by moments; 0 when under-dispersed."""
    return max(0.0, float(np.sum((y - mu) ** 2 - mu) / max(np.sum(mu**2), 1e-12)))


def censored_mean(sold: np.ndarray, mu: np.ndarray, alpha: float) -> np.ndarray:
    """E[demand | demand >= sold] for demand ~ NegBin(mean mu, variance mu + alpha mu^2)
    (Poisson when alpha is 0): the expected demand of a day the shelf ran empty.

    Uses y p(y; n, p) = mu p(y - 1; n + 1, p) for the negative binomial with n = 1 / alpha, so
    E[Y 1(Y >= c)] = mu P(Y' >= c - 1) with Y' ~ NegBin(n + 1, p)."""
    c = np.asarray(sold, float)
    mu = np.maximum(np.asarray(mu, float), 1e-9)
    if alpha < 1e-6:
        log_ratio = stats.poisson.logsf(c - 2, mu) - stats.poisson.logsf(c - 1, mu)
    else:
        n = 1.0 / alpha
        p = n / (n + mu)
        log_ratio = stats.nbinom.logsf(c - 2, n + 1, p) - stats.nbinom.logsf(c - 1, n, p)
    expected = mu * np.exp(np.clip(log_ratio, -50, 50))
    return np.where(np.isfinite(expected), np.maximum(expected, c), c)


def censored_variance(sold: np.ndarray, mu: np.ndarray, alpha: float) -> np.ndarray:
    """Var[demand | demand >= sold] under the same negative binomial as ``censored_mean``: how
    much a stock-out row leaves unknown. By the same identity one step further,
    E[Y (Y - 1) 1(Y >= c)] = mu^2 (1 + alpha) P(Y'' >= c - 2) with Y'' ~ NegBin(n + 2, p)."""
    c = np.asarray(sold, float)
    mu = np.maximum(np.asarray(mu, float), 1e-9)
    if alpha < 1e-6:
        denominator = stats.poisson.logsf(c - 1, mu)
        log_second = stats.poisson.logsf(c - 3, mu) - denominator
    else:
        n = 1.0 / alpha
        p = n / (n + mu)
        denominator = stats.nbinom.logsf(c - 1, n, p)
        log_second = stats.nbinom.logsf(c - 3, n + 2, p) - denominator
    first = censored_mean(c, mu, alpha)
    second = mu**2 * (1 + alpha) * np.exp(np.clip(log_second, -50, 50))
    variance = second + first - first**2
    total = mu * (1 + alpha * mu)
    return np.clip(np.where(np.isfinite(variance), variance, 0.0), 0.0, total)


def covariance(x: np.ndarray, y: np.ndarray, mu: np.ndarray, cluster: np.ndarray,
               censored: np.ndarray | None = None, sold: np.ndarray | None = None) -> np.ndarray:
    """Covariance of the Poisson quasi-likelihood estimates.

    Shape from a negative-binomial working variance mu + alpha mu^2 (alpha by moments over the
    item's rows), scale from the data: the model covariance is multiplied by the median ratio
    of a cluster-robust (CR3, leverage-corrected) variance to it over the well-supported
    columns (store levels, trend, seasons, price), which carries any correlation inside a
    period (stores of one week moving together) without letting a lift seen on three days
    take its standard error from its own three residuals. Those three residuals would make
    the error large exactly when the estimate is high, and shrinkage would then pull every
    high estimate down more than every low one.

    Stock-out rows (``censored``: their ``y`` the imputed demand of ``_fit_censored``, their
    ``sold`` the units sold) count
    only for what they tell (Louis's missing information): the EM's estimating equation
    moves less with the parameters on them, by Var[D | D >= sold] / (1 + alpha mu), and
    varies less, by Var[D | D >= sold]. A shelf that emptied at 2 units when 10 were expected
    says little about a lift; counted as 10 observed units, it made the standard errors of
    heavily stocked-out flash sales far too small and shrinkage let their upward drift
    through (the censored estimate's small-sample bias).
    """
    alpha = dispersion(y, mu)
    weight_a, weight_b = mu.copy(), mu * (1 + alpha * mu)
    if censored is not None and sold is not None and censored.any():
        # Over-dispersion as the EM imputed with it: from the rows that were not cut off.
        missing = censored_variance(sold[censored], mu[censored],
                                    dispersion(sold[~censored], mu[~censored]))
        weight_a[censored] = np.maximum(mu[censored] - missing / (1 + alpha * mu[censored]),
                                        1e-6 * mu[censored])
        weight_b[censored] = np.maximum(weight_b[censored] - missing, 1e-6 * mu[censored])
    information = x.T @ (x * weight_a[:, None])
    bread = np.linalg.pinv(information)
    model = bread @ (x.T @ (x * weight_b[:, None])) @ bread
    leverage = np.einsum("ij,jk,ik->i", x, bread, x) * weight_a
    score = x * ((y - mu) / np.clip(1.0 - leverage, 0.05, None))[:, None]
    codes = pd.factorize(cluster)[0]
    summed = np.zeros((codes.max() + 1, x.shape[1]))
    np.add.at(summed, codes, score)
    robust = bread @ (summed.T @ summed) @ bread
    supported = (x != 0).sum(axis=0) >= max(30, x.shape[0] // 10)
    ratio = np.diag(robust)[supported] / np.diag(model)[supported]
    scale = float(np.median(ratio)) if supported.any() else 1.0
    model = model * float(np.clip(scale, 0.5, 25.0))
    blind = uninformed(information)
    model[blind, blind] = np.inf
    return model


def uninformed(information: np.ndarray, share: float = 1e-6) -> np.ndarray:
    """Per column: True where the data hold (numerically) no information on it.

    The pseudo-inverse drops the directions of the information matrix whose eigenvalue is
    below its cut-off and reports them with variance 0, the opposite of the truth: a
    long-tail item that sold nothing on its four flash-sale days (the log lift's maximum
    likelihood is minus infinity) came out at -1.93 with a standard error of 1e-16, and that
    one estimate set the spread of every category's flash-sale lifts near 1 (demo shop seed
    0, three years: category lifts of 1.48 against truths of 0.35-0.88). A column with a
    share above ``share`` of its unit vector in those directions has an unbounded variance."""
    values, vectors = np.linalg.eigh((information + information.T) / 2)
    cut = max(float(values.max()), 0.0) * information.shape[0] * np.finfo(float).eps
    null = vectors[:, values <= cut]
    return (null**2).sum(axis=1) > share


def _poisson(y: np.ndarray, matrix: pd.DataFrame, offset: np.ndarray, weights=None, start=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = sm.GLM(y, matrix, family=sm.families.Poisson(), offset=offset, var_weights=weights)
        return model.fit(maxiter=100, start_params=start)


def _fit_censored(
    y: np.ndarray, censored: np.ndarray, matrix: pd.DataFrame, offset: np.ndarray
) -> tuple[object, np.ndarray]:
    """The Poisson fit with stock-out rows imputed by EM (module docstring); returns the fit
    and the demand it was fitted to (units, with the imputed demand on stock-out rows)."""
    if not censored.any():
        return _poisson(y, matrix, offset), y
    result = _poisson(y, matrix, offset, weights=(~censored).astype(float))
    uncensored = ~censored
    demand = y.copy()
    for _ in range(CENSORED_ROUNDS):
        mu = np.exp(matrix.to_numpy() @ result.params.to_numpy() + offset)
        alpha = dispersion(y[uncensored], mu[uncensored])
        demand[censored] = censored_mean(y[censored], mu[censored], alpha)
        result = _poisson(demand, matrix, offset, start=result.params.to_numpy())
    return result, demand


def _too_little(fit: ItemFit, y: np.ndarray, n_rows: int) -> bool:
    """True (and ``fit`` marked, with a flat predictor over its ``n_rows`` rows) when ``y``, the
    units the model would learn from, is too little to estimate anything."""
    if len(y) >= 20 and y.sum() >= 5:
        return False
    fit.problem = f"too little data ({len(y)} periods, {y.sum():.0f} units)"
    fit.eta = np.full(n_rows, np.log(max(y.mean() if len(y) else 0.0, 1e-3)))
    return True


def thin_rows(rows: pd.DataFrame, thin: list[str], log_mu: np.ndarray,
              alpha: float, elasticity: float) -> pd.DataFrame | None:
    """The rows of one item touched by exactly one treatment too rare for its own fit, with
    the fitted mean they would have had without it (``log_mu``: offset + the item's linear
    predictor, its price response included), the item's over-dispersion, the elasticity that
    predictor used (0 when the price was not estimated) and the log price over the item's
    usual (median) price, so the pooling can swap in the shrunk elasticity: evidence that
    ``promotions.pooled`` adds up over a category's items (one flash sale per item is noise,
    thirty in a category are a measurement)."""
    if not thin:
        return None
    exposure = rows[thin].to_numpy(float)
    alone = (exposure > 0).sum(axis=1) == 1
    if not alone.any():
        return None
    log_price = np.log(rows["price"].to_numpy(float))
    return pd.DataFrame({
        "treatment": np.asarray(thin)[exposure[alone].argmax(axis=1)],
        "exposure": exposure[alone].max(axis=1),
        "y": rows["y"].to_numpy(float)[alone],
        "log_mu": log_mu[alone],
        "censored": (rows["censored"].to_numpy(bool)[alone] if "censored" in rows
                     else np.zeros(int(alone.sum()), bool)),
        "alpha": alpha,
        "elasticity_used": elasticity,
        "log_rel_price": log_price[alone] - np.median(log_price),
    })


def fit_item(
    item_id: str,
    rows: pd.DataFrame,
    offset: np.ndarray,
    start: pd.Timestamp,
    *,
    harmonics: int = 2,
    min_exposed: int = 3,
    rival_prices: list[str] | None = None,
) -> ItemFit:
    """Fit one item's model on its rows (``rows`` holds y, price, store_id, ds, period code
    ``period``, the treatment columns and optionally ``censored``: stock-out rows whose y is
    the units sold, a lower bound of demand)."""
    fit = ItemFit(item_id, n_rows=len(rows))
    y = rows["y"].to_numpy(float)
    censored = (
        rows["censored"].to_numpy(bool) if "censored" in rows else np.zeros(len(rows), bool)
    )
    if _too_little(fit, y, len(rows)):
        return fit
    full, fit.exposure = item_matrix(
        rows, start, harmonics=harmonics, min_exposed=min_exposed, rival_prices=rival_prices or []
    )
    # Rows touched by a treatment seen on too few periods to estimate (a one-day flash sale)
    # are left out: kept without their treatment, the price or the other lifts would explain
    # them (a flash sale's own lift read as a steeper price response).
    thin = [n for n in TREATMENTS if fit.exposure[n] > 0 and n not in full.columns]
    used = (rows[thin].to_numpy(float) == 0).all(axis=1) if thin else np.ones(len(rows), bool)
    fit.left_out = ~used
    matrix = _drop_collinear(full.loc[used])
    offset_all = np.asarray(offset)
    y, censored, offset = y[used], censored[used], offset_all[used]
    if _too_little(fit, y, len(rows)):
        return fit
    try:
        result, demand = _fit_censored(y, censored, matrix, offset)
        args = (matrix.to_numpy(), demand, np.asarray(result.mu), rows["period"].to_numpy()[used])
        cov = pd.DataFrame(covariance(*args, censored=censored, sold=y), index=matrix.columns,
                           columns=matrix.columns)
        se, se_pool = (
            pd.Series(np.sqrt(np.where(v > 0, v, np.nan)), index=matrix.columns)
            for v in (np.diag(cov), np.diag(covariance(*args))))
    except (np.linalg.LinAlgError, ValueError) as exc:  # pragma: no cover - defensive
        fit.problem = f"Poisson fit failed: {exc}"
        fit.eta = np.full(len(rows), np.log(max(y.mean(), 1e-3)))
        return fit
    params = result.params
    # Store levels are log units (about 9 for 8,000 units a week): only effects are bounded.
    level = params.index.str.startswith("store=")
    stable = np.isfinite(params) & np.isfinite(se) & (se < UNSTABLE)
    stable &= (params.abs() < UNSTABLE) | level
    if not stable.get("store=" + str(rows["store_id"].iat[0]), True):
        fit.problem = "Poisson fit did not converge"
    coef = params.where(stable, 0.0)
    fit.eta = full[matrix.columns].to_numpy() @ coef.to_numpy()
    fit.thin = thin_rows(rows, thin, fit.eta + offset_all,
                         dispersion(demand, np.asarray(result.mu)),
                         float(coef.get("log_price", 0.0)))
    for name in params.index:
        if name.startswith(("store=", "cos", "sin")) or name == "trend":
            continue
        if stable[name]:
            # No Jensen term (log of a ratio of sums is biased down by about se^2 / 2): added
            # back, it made every lift of the demo shop 0.02-0.06 too high, because the same
            # noisy items are then pulled to their category by shrinkage anyway.
            fit.estimates[name] = float(params[name])
            fit.se[name] = float(se[name])
            fit.se_pool[name] = float(se_pool[name])
    if "log_price" in fit.estimates:
        fit.cov_price = {name: float(cov.at[name, "log_price"]) for name in fit.estimates}
    for name in (n for n in matrix.columns if n in TREATMENTS):
        exposed = matrix[name].to_numpy() > 0
        fit.sold_out[name] = (int((censored & exposed).sum()), int(exposed.sum()))
        if fit.sold_out[name][0] == fit.sold_out[name][1]:
            # Every period of it sold out: the censored likelihood keeps rising with the lift
            # (no maximum), and the EM's value is where its rounds stopped. Not identified.
            fit.estimates.pop(name, None)
            fit.se.pop(name, None)
            fit.se_pool.pop(name, None)
    return fit


def estimates_table(fits: dict[str, ItemFit], category_of: pd.Series) -> pd.DataFrame:
    """Every item's own estimates, one row per (item, parameter), before shrinkage."""
    records = []
    for item_id, fit in fits.items():
        for name, value in fit.estimates.items():
            records.append(
                (
                    item_id,
                    category_of[item_id],
                    name,
                    value,
                    fit.se[name],
                    fit.se_pool.get(name, fit.se[name]),
                    fit.cov_price.get(name, 0.0),
                    fit.exposure.get(name, np.nan),
                    fit.sold_out.get(name, (0, 0))[0],
                    fit.n_rows,
                )
            )
    return pd.DataFrame(
        records,
        columns=["item_id", "category", "parameter", "estimate", "se", "se_pool", "cov_price",
                 "periods_exposed", "periods_sold_out", "n_rows"],
    )
