"""Lead-time demand: from each period's quantile forecast to the distribution of demand over a
lead time plus review period.

A forecaster gives quantiles per day; an order has to cover the *sum* of several days. Summing
days as if their errors were independent makes the total far too narrow: a forecast that is
high today tends to be high tomorrow too (the level, a promotion's effect or a trend were
misjudged for the whole window). Demand paths are therefore drawn from a Gaussian copula:

* each day's quantile function is interpolated linearly in normal-score space between the
  forecast quantiles (exact for normal demand) and extended beyond the outer quantiles along
  a normal tail fitted to the upper / lower half, never below 0;
* one draw per path is shared by all days (weight ``sqrt(rho)``) and one is the day's own
  (weight ``sqrt(1 - rho)``): ``rho = 1`` is the comonotone sum (quantiles add up),
  ``rho = 0`` independent days;
* both the draws' calibration and ``rho`` are measured on how past forecasts missed: the
  randomised PIT of every held-out actual gives a normal score, and the scores' empirical
  distribution becomes the calibration map of the draws (``Dependence.from_pit``: each day's
  draws then spread as actuals did around their forecasts; the identity for a calibrated
  forecaster); ``rho`` is then fitted so that past lead-time totals fall below each stock
  quantile as often as its level says (``fit_window_rho``). The correlation of the scores
  between days is measured too but only reported: it lives mostly in the lower tail (runs of
  zero sales) and, carried by a symmetric copula into the upper tail, over-stocks.

Measured with the LightGBM quantiles of the rolling-fold replay (benchmarks/inventory_replay.py):
the calibration map matters most (the quantiles are too wide below the median for slow items),
the fitted rho is small (0-0.2 over 10-day windows on the demo shop and the M5 subset).

Everything is in periods of the data (days for daily data, weeks for weekly data).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import norm, rankdata

__all__ = [
    "DEFAULT_RHO",
    "DemandPaths",
    "Dependence",
    "draw_paths",
    "fit_window_rho",
    "pit_scores",
    "quantile_values",
]

DEFAULT_RHO = 0.1
"""Equicorrelation of daily forecast errors used until a replay has measured it: fitted to
10-day totals of LightGBM forecasts, the demo shop gives 0.1 and the M5 subset 0-0.2
(``fit_window_rho``); the correlation of the scores themselves is 0.1 and 0.25."""
MARGIN_LEVELS = np.linspace(0.01, 0.99, 99)
"""Probabilities at which the calibration map (``Dependence.margin``) is kept."""
Z_LIMIT = 4.0
"""Normal scores are clipped to +-4 (probabilities 3e-5 .. 1 - 3e-5): a forecast that missed
by more than that says nothing more about the spread, and one outlier must not set it."""


@dataclass(frozen=True)
class Dependence:
    """How forecast errors behave in normal-score space, so that draws match past misses.

    ``margin``: quantiles of the past scores at ``MARGIN_LEVELS``: a draw's score is mapped
    through them, so each day's draws are distributed as past actuals were around their
    forecasts (a calibrated forecaster gives the standard normal quantiles, the identity; a
    forecaster too narrow or biased is widened or moved, above and below the median apart).
    ``lag_correlation[k - 1]``: correlation of the recalibrated scores of two days ``k``
    periods apart in the same forecast window; ``rho`` is used where none was measured.
    ``shift`` / ``scale``: mean and standard deviation of the scores (reported; used instead
    of ``margin`` when that is empty)."""

    rho: float = DEFAULT_RHO
    lag_correlation: tuple[float, ...] = ()
    shift: float = 0.0
    scale: float = 1.0
    margin: tuple[float, ...] = ()
    rho_by_level: tuple[tuple[float, float], ...] = ()
    """(level, rho) fitted to past lead-time totals (``fit_window_rho``): where given, the rho
    of the quantile level a decision uses (interpolated between levels), for any window
    length; the lag correlations are then only reported."""
    points: int = 0
    """Held-out actuals behind the estimate (0: the defaults)."""
    source: str = "default"

    def window_rho(self, days: int, level: float | None = None) -> float:
        """The equicorrelation for a ``days``-long window: fitted to past totals at the
        quantile ``level`` when known, else the one that gives the sum of scores the variance
        the lag correlations imply (pairs ``k`` apart occur ``days - k`` times)."""
        if self.rho_by_level:
            taus, rhos = zip(*self.rho_by_level, strict=True)
            at = level if level is not None else 0.9
            return float(np.interp(at, taus, rhos))
        if days <= 1 or not self.lag_correlation:
            return float(np.clip(self.rho, 0.0, 1.0))
        lags = np.arange(1, days)
        known = np.asarray(self.lag_correlation, dtype=float)
        # beyond the measured lags the last measured correlation is kept (errors of the level
        # do not fade within a few weeks)
        corr = np.where(lags <= len(known), known[np.minimum(lags, len(known)) - 1], known[-1])
        weights = (days - lags).astype(float)
        return float(np.clip((weights * corr).sum() / weights.sum(), 0.0, 1.0))

    def scores(self, z: np.ndarray) -> np.ndarray:
        """Standard normal scores -> the forecast's own scores (the calibration map): through
        ``margin`` (unit slope beyond its ends), else ``shift + scale * z``."""
        if len(self.margin) == len(MARGIN_LEVELS):
            knots = norm.ppf(MARGIN_LEVELS)
            margin = np.asarray(self.margin)
            out = np.interp(z, knots, margin)
            out = np.where(z < knots[0], margin[0] + (z - knots[0]), out)
            return np.where(z > knots[-1], margin[-1] + (z - knots[-1]), out)
        return self.shift + self.scale * z

    def as_dict(self, days: int | None = None) -> dict:
        out = {"rho": round(self.rho, 4), "shift": round(self.shift, 4),
               "scale": round(self.scale, 4), "points": self.points, "source": self.source,
               "lag_correlation": [round(c, 4) for c in self.lag_correlation],
               "margin": [round(m, 4) for m in self.margin],
               "rho_by_level": [list(p) for p in self.rho_by_level]}
        if days is not None:
            out["window_rho"] = round(self.window_rho(days), 4)
        return out

    @classmethod
    def from_dict(cls, data: dict) -> Dependence:
        return cls(rho=float(data.get("rho", DEFAULT_RHO)),
                   lag_correlation=tuple(float(c) for c in data.get("lag_correlation", ())),
                   shift=float(data.get("shift", 0.0)), scale=float(data.get("scale", 1.0)),
                   margin=tuple(float(m) for m in data.get("margin", ())),
                   rho_by_level=tuple((float(t), float(r))
                                      for t, r in data.get("rho_by_level", ())),
                   points=int(data.get("points", 0)), source=str(data.get("source", "kept")))

    @classmethod
    def from_pit(cls, scores: pd.DataFrame, max_lag: int, min_points: int = 200,
                 source: str = "replay") -> Dependence:
        """Estimate from held-out normal scores: ``scores`` has ``window`` (one forecast of one
        series: a series and a cutoff), ``step`` (periods after the cutoff) and ``z``.

        The margin is the scores' empirical quantiles. Lag correlations are correlations of
        all pairs ``k`` steps apart within a window, pooled over windows, of the scores mapped
        back to standard normal through the margin (a Gaussian copula's correlation; each
        window centred on the pooled mean, not its own: the window's own level error is exactly
        the dependence to measure). With fewer than ``min_points`` scores the defaults stay."""
        frame = scores.dropna(subset=["z"])
        if len(frame) < min_points:
            return cls(points=len(frame))
        z = frame["z"].to_numpy(float)
        shift, scale = float(z.mean()), float(z.std(ddof=1))
        margin = np.maximum.accumulate(np.quantile(z, MARGIN_LEVELS))
        wide = frame.pivot_table(index="window", columns="step", values="z", aggfunc="first")
        wide = wide.reindex(columns=range(int(wide.columns.min()), int(wide.columns.max()) + 1))
        # normal scores of the ranks: standard normal whatever the forecaster's calibration
        raw = wide.to_numpy(float)
        seen = np.isfinite(raw)
        values = np.full(raw.shape, np.nan)
        values[seen] = norm.ppf((rankdata(raw[seen]) - 0.5) / seen.sum())
        lags = []
        for k in range(1, min(max_lag, values.shape[1] - 1) + 1):
            a, b = values[:, :-k].ravel(), values[:, k:].ravel()
            ok = np.isfinite(a) & np.isfinite(b)
            if ok.sum() < min_points // 2:
                break
            lags.append(float(np.clip(np.mean(a[ok] * b[ok]), -0.99, 0.99)))
        rho = float(np.clip(np.mean(lags), 0.0, 1.0)) if lags else DEFAULT_RHO
        return cls(rho=rho, lag_correlation=tuple(lags), shift=shift, scale=scale,
                   margin=tuple(float(m) for m in margin), points=len(frame), source=source)


WINDOW_LEVELS = (0.8, 0.9, 0.95, 0.98)
"""Quantiles of lead-time demand that stock decisions use: ``fit_window_rho`` scores them."""
RHO_GRID = tuple(np.round(np.arange(0.0, 0.61, 0.1), 2))


def fit_window_rho(values: np.ndarray, levels: Sequence[float], totals: np.ndarray,
                   dependence: Dependence, *, samples: int = 200, seed: int = 0,
                   grid: Sequence[float] = RHO_GRID) -> dict[float, float]:
    """For each of ``WINDOW_LEVELS``, the equicorrelation under which past lead-time totals
    fell below that quantile of their simulated distribution as often as the level says.

    ``values`` (W, D, K): past forecast quantiles of W windows of D days, ``totals`` (W,): the
    demand those windows had. For each ``rho`` of the grid the windows' totals are simulated
    with the calibration map of ``dependence`` (the same random numbers for every rho) and
    the share of totals at or below each quantile is counted. Fitting the totals, not the
    day-to-day correlation of the scores, matters: errors hang together most in the lower
    tail (runs of zero sales of items off the shelf, M5), and a symmetric copula carrying
    that correlation into the upper tail over-stocks (M5: 94.5 % of 10-day totals under their
    90 % quantile with the scores' correlation 0.25, 89.6 % with rho 0)."""
    values = np.asarray(values, dtype=float)
    totals = np.asarray(totals, dtype=float)
    n_windows, n_days, _ = values.shape
    taus = np.asarray(WINDOW_LEVELS)
    rng = np.random.default_rng(seed)
    half = max(1, samples // 2)
    below = np.zeros((len(grid), len(taus)))
    for start in range(0, n_windows, 500):
        block = slice(start, start + 500)
        v = values[block]
        common = rng.standard_normal((len(v), 1, half), dtype=np.float32)
        own = rng.standard_normal((len(v), n_days, half), dtype=np.float32)
        for g, rho in enumerate(grid):
            base = np.sqrt(rho) * common + np.sqrt(1.0 - rho) * own
            z = dependence.scores(np.concatenate([base, -base], axis=2))
            sums = quantile_values(v, levels, z).sum(axis=1)  # (w, samples)
            q = np.floor(np.quantile(sums, taus, axis=1).T + 0.5)  # whole units, as stocked
            below[g] += (totals[block, None] <= q).sum(axis=0)
    coverage = below / max(n_windows, 1)
    best = np.argmin(np.abs(coverage - taus[None, :]), axis=0)
    return {float(t): float(grid[b]) for t, b in zip(taus, best, strict=True)}


def _z_knots(levels: Sequence[float]) -> np.ndarray:
    levels = np.asarray(levels, dtype=float)
    if levels.ndim != 1 or len(levels) < 3 or np.any(np.diff(levels) <= 0):
        raise ValueError(f"need at least 3 increasing quantile levels, got {list(levels)}")
    if levels[0] <= 0 or levels[-1] >= 1:
        raise ValueError(f"quantile levels must lie strictly between 0 and 1, got {list(levels)}")
    return norm.ppf(levels)


def _tail_slopes(knots: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Slopes (units per normal score) of the lower and upper tails: a normal fitted to the
    outer quantile and the median side of each half, never flatter than the outermost segment
    (tied outer quantiles, common with few calibration residuals, must not cap the tail)."""
    mid = int(np.argmin(np.abs(knots)))
    lo = (values[..., mid] - values[..., 0]) / max(knots[mid] - knots[0], 1e-9)
    hi = (values[..., -1] - values[..., mid]) / max(knots[-1] - knots[mid], 1e-9)
    lo_edge = (values[..., 1] - values[..., 0]) / (knots[1] - knots[0])
    hi_edge = (values[..., -1] - values[..., -2]) / (knots[-1] - knots[-2])
    return np.maximum(lo, lo_edge), np.maximum(hi, hi_edge)


def quantile_values(values: np.ndarray, levels: Sequence[float], z: np.ndarray) -> np.ndarray:
    """Demand at normal scores from quantile forecasts.

    ``values``: (..., K) forecast quantiles at ``levels``; ``z``: (..., M) scores, M of them
    per row of ``values`` (same leading shape). Linear in normal-score space between the
    quantiles, normal tails outside (scores beyond +-Z_LIMIT count as +-Z_LIMIT), clipped at 0.
    Returns (..., M)."""
    knots = _z_knots(levels)
    values = np.sort(np.asarray(values, dtype=float), axis=-1)
    lo_slope, hi_slope = _tail_slopes(knots, values)
    # the tails as two more knots at +-Z_LIMIT: one interpolation serves everything
    knots = np.concatenate([[-Z_LIMIT], knots, [Z_LIMIT]])
    values = np.concatenate([values[..., :1] - (knots[1] + Z_LIMIT) * lo_slope[..., None],
                             values,
                             values[..., -1:] + (Z_LIMIT - knots[-2]) * hi_slope[..., None]],
                            axis=-1)
    z = np.clip(np.asarray(z, dtype=float), -Z_LIMIT, Z_LIMIT)
    j = np.ones(z.shape, dtype=np.intp)  # the segment of each score: knots[j - 1] < z <= knots[j]
    for knot in knots[1:-1]:  # a dozen vector comparisons beat searchsorted per element
        j += z > knot
    left = np.take_along_axis(values, j - 1, axis=-1)
    right = np.take_along_axis(values, j, axis=-1)
    left += (z - knots[j - 1]) / np.diff(knots)[j - 1] * (right - left)
    return np.clip(left, 0.0, None, out=left)


@dataclass
class DemandPaths:
    """Simulated demand paths: ``paths[s, n, d]`` units of series ``ids[s]`` on day ``d`` of
    draw ``n``. Window sums come from the paths, so every window of one series is consistent
    (lead time, lead time + review period, horizon)."""

    ids: np.ndarray
    paths: np.ndarray
    dependence: Dependence = field(default_factory=Dependence)

    def window(self, start: int, length: int) -> np.ndarray:
        """Demand of periods ``start .. start + length - 1`` (0 = the first forecast period)
        per series and draw: (S, N)."""
        if length <= 0:
            return np.zeros(self.paths.shape[:2])
        if start + length > self.paths.shape[2]:
            raise ValueError(f"window {start}+{length} runs past the {self.paths.shape[2]} "
                             "forecast periods: forecast a longer horizon")
        return self.paths[:, :, start:start + length].sum(axis=2)

    @property
    def daily_mean(self) -> np.ndarray:
        """(S, D) mean demand per period."""
        return self.paths.mean(axis=1)


def draw_paths(values: np.ndarray, levels: Sequence[float], *, dependence: Dependence,
               samples: int = 1000, seed: int = 0, ids: Sequence | None = None,
               rho_window: int | None = None, level: float | None = None) -> DemandPaths:
    """Demand paths over the forecast days: ``values`` (S series, D days, K quantiles).

    Scores are ``dependence.scores(sqrt(rho) * common + sqrt(1 - rho) * own)``, with ``rho``
    the equicorrelation of a ``rho_window``-day window (default D: give the window whose sum
    matters most, lead time + review period, when the paths run longer) at the quantile
    ``level`` the decision uses (the service level); half the draws are
    the antithetic (negated) normals of the other half, which halves the noise of means."""
    values = np.asarray(values, dtype=float)
    if values.ndim != 3:
        raise ValueError(f"values must be (series, days, quantiles), got shape {values.shape}")
    n_series, n_days, _ = values.shape
    rho = dependence.window_rho(rho_window or n_days, level)
    rng = np.random.default_rng(seed)
    half = max(1, samples // 2)
    common = rng.standard_normal((n_series, 1, half), dtype=np.float32)
    own = rng.standard_normal((n_series, n_days, half), dtype=np.float32)
    base = np.sqrt(rho) * common + np.sqrt(1.0 - rho) * own
    z = dependence.scores(np.concatenate([base, -base], axis=2))
    paths = quantile_values(values, levels, z).transpose(0, 2, 1)  # (S, N, D) view
    return DemandPaths(np.asarray(ids if ids is not None else np.arange(n_series)), paths,
                       dependence)


def pit_scores(values: np.ndarray, levels: Sequence[float], actual: np.ndarray,
               seed: int = 0) -> np.ndarray:
    """Randomised PIT of each actual under its forecast, as a normal score.

    ``values`` (P, K) quantiles, ``actual`` (P,). Where the quantile function is flat at the
    actual (several quantiles equal to it, typically 0 units on a slow day) the score is drawn
    uniformly in probability over that flat stretch, so a calibrated forecaster's scores are
    standard normal even for counts. NaN actuals give NaN."""
    grid = np.linspace(-Z_LIMIT, Z_LIMIT, 321)
    values = np.asarray(values, dtype=float)
    actual = np.asarray(actual, dtype=float)
    out = np.full(len(actual), np.nan)
    rng = np.random.default_rng(seed)
    for start in range(0, len(actual), 20000):
        block = slice(start, start + 20000)
        v, y = values[block], actual[block]
        curve = quantile_values(v, levels, np.broadcast_to(grid, (len(v), len(grid))))
        below = (curve < y[:, None] - 1e-9).sum(axis=1)  # grid scores with Q(z) < y
        at_most = (curve <= y[:, None] + 1e-9).sum(axis=1)  # grid scores with Q(z) <= y
        lo = np.where(below == 0, 0.0, norm.cdf(grid[np.clip(below - 1, 0, None)]))
        hi = np.where(at_most == len(grid), 1.0, norm.cdf(grid[np.clip(at_most, 0, len(grid) - 1)]))
        hi = np.maximum(hi, lo)
        u = lo + rng.random(len(y)) * (hi - lo)
        z = np.clip(norm.ppf(np.clip(u, 1e-12, 1 - 1e-12)), -Z_LIMIT, Z_LIMIT)
        out[block] = np.where(np.isfinite(y), z, np.nan)
    return out
