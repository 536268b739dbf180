"""From coefficients and draws to the what-if's tables: per baseline row (``rows``), per item x
store (``series``) and in total, expected values with quantiles, baseline and incremental.

Per-row quantiles are exact maps of the baseline's own quantiles where the promotion's
multiplier is known, and quantiles of draws where the elasticity is uncertain; sums over rows
and series use the joint draws (see ``promotions.simulate_draws``). Columns are built as
arrays and put into one frame at the end.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from promocast.promotions.simulate_draws import row_quantiles, sample_quantiles
from promocast.promotions.simulate_factors import MEASURES, Factors
from promocast.promotions.simulate_inputs import Days, Grid

SUMMED = [
    "baseline_units",
    "baseline_revenue",
    "baseline_margin",
    *MEASURES,
    *(f"incremental_{m}" for m in MEASURES),
    "promo_cost",
    "dip_units",
    "cannibalised_units",
    "promoted_days",
]
"""Per-row columns that add up to the series' and the scenario's totals."""


def row_table(
    grid: Grid,
    days: Days,
    series: pd.DataFrame,
    f: Factors,
    point: np.ndarray,
    qvalues: np.ndarray,
    draws: np.ndarray,
    rows_m: np.ndarray,
    extra: dict[str, np.ndarray],
    qs: tuple[float, ...],
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Per baseline row: its columns (expected money and its quantiles, baseline and
    incremental) and the baseline money per unit (regular price, unit margin) of each row."""
    n_rows, bsid = len(point), grid.bsid
    p0 = series["regular_price"].to_numpy()[bsid]
    cost = series["unit_cost"].to_numpy(float)[bsid]
    per_unit = {"units": np.ones(n_rows), "revenue": p0, "margin": p0 - cost}
    none = np.zeros(n_rows)
    fixed = {"units": none, "revenue": none, "margin": f.fixed}

    on = np.flatnonzero(days.on)  # the promotion of a row: the one on its first promoted day
    has, first = np.unique(days.b[on], return_index=True)
    promo: dict[str, np.ndarray] = {}
    for name in ("promo_id", "promo_type"):
        promo[name] = np.full(n_rows, np.nan, dtype=object)
        promo[name][has] = days.column(name, np.nan, object)[on[first]]
    cols: dict[str, Any] = {
        "item_id": grid.item_id,
        "store_id": grid.store_id,
        "category": grid.category,
        "ds": grid.ds,
        **promo,
        "promoted_days": f.coef["promoted_days"],
        "regular_price": p0,
        "shelf_price": f.shelf,
        "unit_cost": cost,
    }
    for name in MEASURES:
        cols[f"baseline_{name}"] = point * per_unit[name]
    for name in MEASURES:
        cols[name] = point * f.coef[name] - fixed[name]
        cols[f"incremental_{name}"] = cols[name] - cols[f"baseline_{name}"]
    cols["promo_cost"] = point * f.coef["giveaway"] + f.fixed
    cols["dip_units"] = point * f.coef["dip_loss"]
    cols["cannibalised_units"] = point * f.coef["cannibal_loss"]
    base_q = row_quantiles(point, qvalues, grid.levels, qs)
    base_flip = row_quantiles(point, qvalues, grid.levels, tuple(1 - q for q in qs))
    drawn_base = draws[rows_m]
    for name in MEASURES:
        for kind, slope in (("", f.coef[name]), ("incremental_", f.coef[name] - per_unit[name])):
            # a x baseline - fixed is monotone in the baseline: its quantiles map exactly
            at = np.where(slope[:, None] >= 0, base_q, base_flip)
            values = slope[:, None] * at - fixed[name][:, None]
            if len(rows_m):
                drawn = drawn_base * (slope[rows_m, None] + extra[name])
                drawn -= fixed[name][rows_m, None]
                values[rows_m] = sample_quantiles(drawn, qs, axis=1).T
            for k, q in enumerate(qs):
                cols[f"{kind}{name}-q{q:g}"] = values[:, k]
    return cols, per_unit


def summaries(
    cols: dict[str, np.ndarray],
    series: pd.DataFrame,
    draws: np.ndarray,
    f: Factors,
    rows_m: np.ndarray,
    extra: dict[str, np.ndarray],
    bsid: np.ndarray,
    per_unit: dict[str, np.ndarray],
    qs: tuple[float, ...],
) -> tuple[pd.DataFrame, dict[str, dict[str, float | None]]]:
    """Per series and in total: expected values and quantiles of the sums of the draws."""
    n_rows, n_series = len(bsid), len(series)
    out: dict[str, Any] = {}
    to_series = sparse.csr_matrix(
        (np.ones(n_rows), (bsid, np.arange(n_rows))), shape=(n_series, n_rows)
    )
    for col in SUMMED:
        out[col] = to_series @ np.asarray(cols[col], dtype=float)
    fixed = to_series @ f.fixed
    role = series["role"].to_numpy()
    groups = {
        "": np.ones(n_series, bool),
        "promoted_items_": role == "promoted",
        "other_items_": role == "other",
    }
    totals: dict[str, dict[str, float | None]] = {}

    def entry(expected: np.ndarray, draw: np.ndarray) -> dict[str, float | None]:
        values = sample_quantiles(draw.sum(axis=0), qs)
        return {
            "expected": float(np.sum(expected)),
            **{f"q{q:g}": float(v) for q, v in zip(qs, values, strict=True)},
        }

    # one pass over the draws: per series, the baseline units and each measure's outcome
    rows = np.arange(n_rows)
    stacked = sparse.vstack(
        [to_series]
        + [sparse.csr_matrix((f.coef[m], (bsid, rows)), shape=(n_series, n_rows)) for m in MEASURES]
    ).astype(draws.dtype)
    summed_draws = np.asarray(stacked @ draws, dtype=float)
    base_units = summed_draws[:n_series]
    moving = sparse.csr_matrix(  # the series of each row with drawn elasticities
        (np.ones(len(rows_m)), (bsid[rows_m], np.arange(len(rows_m)))),
        shape=(n_series, len(rows_m)),
    )
    price = {
        m: (to_series @ per_unit[m]) / np.maximum(to_series @ np.ones(n_rows), 1) for m in MEASURES
    }  # per unit of baseline: constant within a series
    for k, name in enumerate(MEASURES, start=1):
        promoted = summed_draws[k * n_series : (k + 1) * n_series]
        if len(rows_m):
            promoted += moving @ (draws[rows_m] * extra[name])
        if name == "margin":
            promoted -= fixed[:, None]
        per_base = base_units * price[name][:, None]
        inc = promoted - per_base
        for q, v in zip(qs, sample_quantiles(inc, qs, axis=1), strict=True):
            out[f"incremental_{name}-q{q:g}"] = v
        totals[name] = entry(out[name], promoted)
        totals[f"baseline_{name}"] = entry(out[f"baseline_{name}"], per_base)
        for prefix, mask in groups.items():
            totals[f"{prefix}incremental_{name}"] = entry(
                out[f"incremental_{name}"][mask], inc[mask]
            )
    for col in ("promo_cost", "dip_units", "cannibalised_units"):
        totals[col] = {"expected": float(np.sum(out[col]))}
    totals["fixed_cost"] = {"expected": float(f.fixed.sum())}
    keep = [c for c in series if not c.startswith(("lift_", "elasticity_sd"))]
    return pd.DataFrame({**{c: series[c].to_numpy() for c in keep}, **out}), totals
