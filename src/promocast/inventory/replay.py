"""Replay a stock policy over held-out periods with the demand that actually came.

The forecasts of a rolling-origin backtest (each fold trained only on data up to its cutoff)
drive a periodic review (R, S) policy day by day: every R periods, at the end of the day, the
order-up-to level S is set from the latest forecast, the inventory position is raised to it
(rounded to packs), and the order arrives L periods later, before the next morning's sales.
Unserved demand is lost. What the shop would have seen is then counted:

* cycle service level: share of replenishment cycles (from the arrival of one order to the
  arrival of the next: the R periods the order-up-to level S_t protects after its lead time)
  without a day of unserved demand;
* fill rate: share of demand served from stock; average stock on hand at the end of the day;
* window coverage: share of reviews whose demand over L + R stayed within S (the calibration
  of the lead-time demand distribution itself, free of the lost-sales dynamics).

A day whose demand is unknown (a historical stock-out censored the sales, or a gap) gets a
demand drawn from that day's forecast, conditional on being at least what was sold: leaving
such cycles out would drop exactly the busy weeks and flatter the policy. The service level
over fully observed cycles only is reported beside it.

The copula parameters of each fold come from the normal scores of earlier folds' actuals known
at its cutoff (``prequential_dependence``): the replay never uses information a shop would not
have had.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy.stats import norm

from promocast.inventory.leadtime import (
    Dependence,
    draw_paths,
    fit_window_rho,
    pit_scores,
    quantile_values,
)
from promocast.inventory.policy import InventoryParams, fill_rate_level, round_order, whole_units

__all__ = ["ReplayResult", "calibration_windows", "forecast_scores", "prequential_dependence",
           "replay_policy"]


@dataclass
class ReplayResult:
    """The replay's totals (``summary``), per series figures and per cycle records."""

    summary: dict
    series: pd.DataFrame
    cycles: pd.DataFrame


def forecast_scores(forecasts: pd.DataFrame, actuals: pd.DataFrame, columns: Sequence[str],
                    levels: Sequence[float], seed: int = 0) -> pd.DataFrame:
    """Normal scores (randomised PIT) of every observed actual under its fold's forecast:
    unique_id, cutoff, ds, step, z, window (one id per series and cutoff)."""
    merged = forecasts.merge(actuals[["unique_id", "ds", "y", "observed"]],
                             on=["unique_id", "ds"], how="inner")
    merged = merged[merged["observed"] == 1]
    z = pit_scores(merged[list(columns)].to_numpy(float), levels, merged["y"].to_numpy(float),
                   seed=seed)
    out = merged[["unique_id", "cutoff", "ds", "step"]].assign(z=z)
    out["window"] = out["unique_id"].astype(str) + "@" + out["cutoff"].astype(str)
    return out.reset_index(drop=True)


def calibration_windows(forecasts: pd.DataFrame, actuals: pd.DataFrame, columns: Sequence[str],
                        lead_time: int, review_period: int, levels: Sequence[float],
                        seed: int = 0) -> dict:
    """The lead-time windows of every fold as a replay reviews them (lead time + review period
    from each review, every R periods from the cutoff) on days the series was on sale:
    ``cutoff``, ``end`` (last day), ``values`` (W, L + R, K) forecast quantiles, ``totals``.
    A censored day's demand is drawn as in the replay (at least what it sold): leaving such
    windows out would keep the quiet weeks only and make any spread look wide enough."""
    protect = lead_time + review_period
    merged = forecasts.merge(actuals[["unique_id", "ds", "y", "observed"]],
                             on=["unique_id", "ds"], how="left")
    merged = merged.sort_values(["unique_id", "cutoff", "step"]).reset_index(drop=True)
    hidden = (merged["observed"] == 0).to_numpy()
    if hidden.any():
        merged.loc[hidden, "y"] = _censored_draws(merged.loc[hidden, list(columns)].to_numpy(float),
                                                  levels, merged.loc[hidden, "y"].to_numpy(float),
                                                  seed)
        merged.loc[hidden, "observed"] = 1
    cut, end, cubes, totals = [], [], [], []
    for (_, cutoff), rows in merged.groupby(["unique_id", "cutoff"], sort=False):
        steps = rows["step"].to_numpy()
        for first in range(1, int(steps.max()) - protect + 2, review_period):
            window = rows[(steps >= first) & (steps < first + protect)]
            if len(window) < protect or (window["observed"] != 1).any():
                continue
            cut.append(cutoff)
            end.append(window["ds"].iloc[-1])
            cubes.append(window[list(columns)].to_numpy(float))
            totals.append(float(window["y"].sum()))
    shape = (0, protect, len(columns))
    return {"cutoff": pd.to_datetime(pd.Series(cut, dtype="datetime64[ns]")).to_numpy(),
            "end": pd.to_datetime(pd.Series(end, dtype="datetime64[ns]")).to_numpy(),
            "values": np.stack(cubes) if cubes else np.zeros(shape),
            "totals": np.asarray(totals)}


def prequential_dependence(scores: pd.DataFrame, cutoffs: Sequence[pd.Timestamp], max_lag: int,
                           min_points: int = 200, windows: dict | None = None,
                           levels: Sequence[float] | None = None, min_windows: int = 50,
                           max_windows: int = 2000, seed: int = 0,
                           ) -> dict[pd.Timestamp, Dependence]:
    """For each cutoff, the dependence estimated from what was known then: scores of actuals
    dated up to it from earlier folds (calibration map, score correlations), and, with
    ``windows`` (``calibration_windows``), rho fitted to the lead-time totals of earlier
    windows that ended by the cutoff (the newest ``max_windows``). Defaults while fewer than
    ``min_points`` scores / ``min_windows`` windows are known."""
    out = {}
    for cutoff in cutoffs:
        known = scores[(scores["cutoff"] < cutoff) & (scores["ds"] <= cutoff)]
        dep = Dependence.from_pit(known, max_lag=max_lag, min_points=min_points)
        if windows is not None and levels is not None and dep.points >= min_points:
            use = np.flatnonzero((windows["cutoff"] < np.datetime64(cutoff))
                                 & (windows["end"] <= np.datetime64(cutoff)))[-max_windows:]
            if len(use) >= min_windows:
                fitted = fit_window_rho(windows["values"][use], levels,
                                        windows["totals"][use], dep, seed=seed)
                dep = replace(dep, rho_by_level=tuple(sorted(fitted.items())))
        out[pd.Timestamp(cutoff)] = dep
    return out


def _cube(fold: pd.DataFrame, ids: np.ndarray, days: pd.DatetimeIndex,
          columns: Sequence[str]) -> np.ndarray:
    """Quantiles (S, D, K) of ``ids`` on ``days`` from one fold's forecast rows (NaN if absent)."""
    index = pd.MultiIndex.from_product([ids, days], names=["unique_id", "ds"])
    table = fold.set_index(["unique_id", "ds"])[list(columns)].reindex(index)
    return table.to_numpy(float).reshape(len(ids), len(days), len(columns))


def _censored_draws(quantiles: np.ndarray, levels: Sequence[float], lower: np.ndarray,
                    seed: int) -> np.ndarray:
    """One demand draw per row from its forecast, conditional on being at least ``lower``
    (NaN: no bound); rows without a forecast get the bound (or 0)."""
    bound = np.nan_to_num(lower)
    missing = np.isnan(quantiles).any(axis=1)
    q = np.nan_to_num(quantiles)
    u_low = norm.cdf(pit_scores(q, levels, bound, seed=seed))
    u = u_low + np.random.default_rng(seed + 1).random(len(bound)) * (1.0 - u_low)
    draw = quantile_values(q, levels, norm.ppf(np.clip(u, 1e-9, 1 - 1e-9))[:, None])[:, 0]
    return np.where(missing, bound, np.maximum(draw, bound))


def replay_policy(forecasts: pd.DataFrame, actuals: pd.DataFrame, *, columns: Sequence[str],
                  levels: Sequence[float], params: InventoryParams, freq: str = "D",
                  start: pd.Timestamp | None = None,
                  dependence: Mapping[pd.Timestamp, Dependence] | Dependence | None = None,
                  samples: int = 1000, seed: int = 0) -> ReplayResult:
    """Simulate the (R, S) policy of ``params`` over the folds of ``forecasts``.

    ``forecasts``: unique_id, cutoff, ds and the quantile ``columns`` (at ``levels``) of every
    fold, for every period of its window; ``actuals``: unique_id, ds, y, observed (1: y is
    the demand; 0: y is a lower bound, what a censored day sold, or NaN; no row: the series
    was not on sale, and cycles touching such days are not counted). Reviews fall every R periods from ``start`` (default: the
    first cutoff); each uses the latest fold cut off at or before it whose window covers the
    next L + R periods."""
    if params.review_period < 1:
        raise ValueError("the replay needs review_period >= 1 (orders are placed at reviews)")
    offset = pd.tseries.frequencies.to_offset(freq)
    lead, review = int(params.lead_time), int(params.review_period)
    protect = lead + review
    forecasts = forecasts.assign(cutoff=pd.to_datetime(forecasts["cutoff"]),
                                 ds=pd.to_datetime(forecasts["ds"]))
    folds = {c: f for c, f in forecasts.groupby("cutoff")}
    cutoffs = sorted(folds)
    ends = {c: f["ds"].max() for c, f in folds.items()}
    ids = np.sort(forecasts["unique_id"].unique())
    first = pd.Timestamp(start) if start is not None else cutoffs[0]
    reviews: list[tuple[pd.Timestamp, pd.Timestamp]] = []
    t = first
    while True:
        usable = [c for c in cutoffs if c <= t and ends[c] >= t + protect * offset]
        if not usable:
            break
        reviews.append((t, usable[-1]))
        t = t + review * offset
    if not reviews:
        raise ValueError("no review is covered by the forecasts: forecast at least "
                         f"lead time + review period = {protect} periods per fold")
    last_day = reviews[-1][0] + protect * offset
    days = pd.date_range(first + offset, last_day, freq=offset)
    n_series, n_days = len(ids), len(days)

    # demand per day: the actual where observed; else drawn from the latest fold's forecast
    # above what was sold (a censored day sold its stock, so demand was at least that)
    grid = pd.MultiIndex.from_product([ids, days], names=["unique_id", "ds"])
    acts = actuals.assign(ds=pd.to_datetime(actuals["ds"])).drop_duplicates(["unique_id", "ds"])
    acts = acts.set_index(["unique_id", "ds"]).reindex(grid)
    known = (acts["observed"].fillna(0).to_numpy() == 1).reshape(n_series, n_days)
    active = acts["observed"].notna().to_numpy().reshape(n_series, n_days)
    demand = acts["y"].to_numpy(float).reshape(n_series, n_days)
    latest = (forecasts.sort_values("cutoff").drop_duplicates(["unique_id", "ds"], keep="last")
              .set_index(["unique_id", "ds"])[list(columns)].reindex(grid).to_numpy(float))
    demand = np.where(known | ~active, np.where(active, demand, 0.0),
                      _censored_draws(latest, levels, demand.ravel(), seed).reshape(n_series,
                                                                                   n_days))
    # order-up-to levels at every review
    levels_at = np.zeros((len(reviews), n_series))
    for k, (t, cutoff) in enumerate(reviews):
        window_days = pd.date_range(t + offset, periods=protect, freq=offset)
        cube = _cube(folds[cutoff], ids, window_days, columns)
        missing = np.isnan(cube).any(axis=(1, 2))
        dep = (dependence.get(pd.Timestamp(cutoff), Dependence())
               if isinstance(dependence, Mapping) else dependence or Dependence())
        paths = draw_paths(np.nan_to_num(cube), levels, dependence=dep, samples=samples,
                           seed=seed + k,
                           level=params.fill_rate if params.fill_rate is not None
                           else params.service_level)
        window = paths.window(0, protect)
        if params.fill_rate is not None:
            level = fill_rate_level(window, paths.window(0, lead), paths.window(lead, review),
                                    params.fill_rate)
        else:
            level = np.quantile(window, params.service_level, axis=1)
        levels_at[k] = np.where(missing, 0.0, whole_units(level))

    # day by day, lost sales
    review_index = {days.get_loc(t) if t != first else -1: k for k, (t, _) in enumerate(reviews)}
    on_hand = levels_at[0].copy()  # the position is at S when the replay starts
    pipeline = np.zeros((n_series, n_days + lead + 2))
    sold, short, end_stock = (np.zeros((n_series, n_days)) for _ in range(3))
    for d in range(n_days):
        on_hand += pipeline[:, d]
        served = np.minimum(demand[:, d], on_hand)
        sold[:, d] = served
        short[:, d] = demand[:, d] - served
        on_hand -= served
        end_stock[:, d] = on_hand
        k = review_index.get(d)
        if k is not None and k > 0:
            position = on_hand + pipeline[:, d + 1:].sum(axis=1)
            order = round_order(levels_at[k] - position, params.pack_size, params.min_order)
            pipeline[:, d + lead + 1] += order

    # cycles: the R periods after each review's lead time
    records = []
    for k, (t, cutoff) in enumerate(reviews):
        begin = (days.get_loc(t) if t != first else -1) + lead + 1
        span = slice(begin, begin + review)
        if begin + review > n_days:
            continue
        window = slice(begin - lead, begin + review)
        records.append(pd.DataFrame({
            "unique_id": ids, "review": t, "cutoff": cutoff, "order_up_to": levels_at[k],
            "counted": active[:, window].all(axis=1),
            "observed": known[:, window].all(axis=1),
            "stockout": (short[:, span] > 1e-9).any(axis=1),
            "demand": demand[:, span].sum(axis=1), "sold": sold[:, span].sum(axis=1),
            "avg_on_hand": end_stock[:, span].mean(axis=1),
            "window_demand": demand[:, window].sum(axis=1),
        }))
    cycles = pd.concat(records, ignore_index=True)
    counted = cycles[cycles["counted"]]
    seen = counted[counted["observed"]]
    by_series = counted.groupby("unique_id").agg(
        cycles=("stockout", "size"), cycle_service_level=("stockout", lambda s: 1 - s.mean()),
        demand=("demand", "sum"), sold=("sold", "sum"), avg_on_hand=("avg_on_hand", "mean"))
    by_series["fill_rate"] = np.where(by_series["demand"] > 0,
                                      by_series["sold"] / by_series["demand"].where(
                                          by_series["demand"] > 0), 1.0)
    target = params.fill_rate if params.fill_rate is not None else params.service_level
    summary = {
        "target": "fill_rate" if params.fill_rate is not None else "cycle_service_level",
        "target_value": target,
        "cycle_service_level": _round(1 - counted["stockout"].mean()),
        "fill_rate": _round(counted["sold"].sum() / counted["demand"].sum())
        if counted["demand"].sum() > 0 else None,
        "avg_on_hand": _round(counted["avg_on_hand"].mean(), 3),
        "avg_demand_per_period": _round(counted["demand"].sum() / max(len(counted), 1) / review,
                                        3),
        "window_coverage": _round((counted["window_demand"] <= counted["order_up_to"]).mean()),
        "cycle_service_level_observed": _round(1 - seen["stockout"].mean()),
        "cycles": int(len(counted)), "cycles_observed": int(len(seen)),
        "series": int(counted["unique_id"].nunique()), "reviews": len(reviews),
        "start": str(first.date()), "end": str(days[-1].date()),
        "lead_time": lead, "review_period": review,
    }
    return ReplayResult(summary, by_series.reset_index(), cycles)


def _round(value: float, digits: int = 4) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), digits)
