"""Data-quality warnings (not errors): gaps, zero-stock days, outliers, demand classes.

Pure functions over canonical frames (dates as datetime64, ids as str). Warnings never refuse a
load; they tell the planner where forecasts need care: a gap is unknown demand (not zero sales),
a zero-stock day censors demand, an outlier may be a data error or a one-off event, and the
demand class (Syntetos-Boylan) says which forecasting methods suit a series.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from promocast.data.frequency import PERIOD_DAYS

SERIES = ["item_id", "store_id"]
ADI_CUT = 1.32
CV2_CUT = 0.49


def _periods_between(first: pd.Series, last: pd.Series, freq: pd.Series) -> pd.Series:
    """Number of periods from first to last date inclusive, on each store's own grid."""
    days = (last - first).dt.days
    months = (last.dt.year - first.dt.year) * 12 + (last.dt.month - first.dt.month)
    step = freq.map(PERIOD_DAYS).fillna(1)
    return np.where(freq.eq("MS"), months + 1, days // step + 1).astype(int)


def series_gaps(sales: pd.DataFrame, freq_by_store: dict[str, str] | None = None) -> pd.DataFrame:
    """Series with periods missing between their first and last date.

    Columns: item_id, store_id, missing_periods, first_missing. A missing period is unknown
    demand: forecasters must not read it as zero sales.
    """
    dates = sales[[*SERIES, "date"]].drop_duplicates()
    span = dates.groupby(SERIES, observed=True)["date"].agg(["min", "max", "count"]).reset_index()
    freq = span["store_id"].map(freq_by_store or {}).fillna("D")
    span["expected"] = _periods_between(span["min"], span["max"], freq)
    span["missing_periods"] = (span["expected"] - span["count"]).clip(lower=0)
    gaps = span[span["missing_periods"] > 0].copy()
    if gaps.empty:
        return pd.DataFrame(columns=[*SERIES, "missing_periods", "first_missing"])
    # First missing date: the first step between consecutive dates longer than one period.
    subset = dates.merge(gaps[SERIES], on=SERIES).sort_values([*SERIES, "date"])
    step_days = subset["store_id"].map(freq_by_store or {}).fillna("D").map(PERIOD_DAYS)
    delta = subset.groupby(SERIES, observed=True)["date"].diff().dt.days
    jump = subset[delta > step_days * 1.5]
    first_jump = jump.groupby(SERIES, observed=True).head(1)
    prev = subset.groupby(SERIES, observed=True)["date"].shift(1).loc[first_jump.index]
    first_missing = first_jump[SERIES].assign(
        first_missing=prev + pd.to_timedelta(step_days.loc[first_jump.index], unit="D"))
    out = gaps[[*SERIES, "missing_periods"]].merge(first_missing, on=SERIES, how="left")
    return out.reset_index(drop=True)


def zero_stock_days(sales: pd.DataFrame, inventory: pd.DataFrame | None) -> pd.DataFrame:
    """Sales rows on days the item had nothing on hand: censored demand, not true zeros."""
    cols = ["date", *SERIES, "units"]
    if inventory is None or inventory.empty:
        return pd.DataFrame(columns=cols)
    empty = inventory.loc[inventory["on_hand"] <= 0, ["date", *SERIES]]
    out = empty.merge(sales[cols], on=["date", *SERIES], how="left")
    return out[cols].reset_index(drop=True)


def outliers(sales: pd.DataFrame, z: float = 5.0) -> pd.DataFrame:
    """Rows whose units lie beyond a robust z-score of their series.

    robust_z = (units - median) / (1.4826 * MAD). Where the MAD is 0 (mostly-constant or
    intermittent series) the mean absolute deviation is used instead (x 1.2533, its normal
    consistency factor), so a lone spike in a series of zeros is still found. Rows on promotion
    (``on_promo`` = 1) are explained spikes: they shape the baseline of neither statistic and
    are never flagged.
    """
    if "on_promo" in sales.columns:
        sales = sales[sales["on_promo"].fillna(0) == 0]
    units = sales["units"].astype(float)
    groups = sales.groupby(SERIES, observed=True)["units"]
    median = groups.transform("median")
    absdev = (units - median).abs()
    mad = absdev.groupby([sales["item_id"], sales["store_id"]], observed=True).transform("median")
    meandev = absdev.groupby([sales["item_id"], sales["store_id"]], observed=True).transform("mean")
    scale = np.where(mad > 0, 1.4826 * mad, 1.2533 * meandev)
    with np.errstate(divide="ignore", invalid="ignore"):
        robust_z = np.where(scale > 0, (units - median) / scale, 0.0)
    mask = np.abs(robust_z) > z
    out = sales.loc[mask, [*SERIES, "date", "units"]].copy()
    out["robust_z"] = robust_z[mask]
    return out.reset_index(drop=True)


def demand_classes(sales: pd.DataFrame) -> pd.DataFrame:
    """Syntetos-Boylan class per series from ADI and CV².

    ADI = observed periods / periods with demand (gaps are unknown, so they are not counted as
    zero-demand periods); CV² = (std / mean)² of the non-zero demand sizes. smooth: ADI < 1.32 and
    CV² < 0.49; erratic: ADI < 1.32, CV² >= 0.49; intermittent: ADI >= 1.32, CV² < 0.49;
    lumpy: both high; no_demand: never sold.
    """
    frame = sales[[*SERIES, "units"]]
    positive = frame[frame["units"] > 0]
    total = frame.groupby(SERIES, observed=True).size().rename("periods")
    stats = positive.groupby(SERIES, observed=True)["units"].agg(["count", "mean", "std"])
    out = pd.concat([total, stats], axis=1).reset_index()
    out["count"] = out["count"].fillna(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["adi"] = np.where(out["count"] > 0, out["periods"] / out["count"], np.inf)
        out["cv2"] = ((out["std"].fillna(0.0) / out["mean"]) ** 2).fillna(0.0)
    high_adi = out["adi"] >= ADI_CUT
    high_cv = out["cv2"] >= CV2_CUT
    out["demand_class"] = np.select(
        [out["count"] == 0, ~high_adi & ~high_cv, ~high_adi & high_cv, high_adi & ~high_cv],
        ["no_demand", "smooth", "erratic", "intermittent"], default="lumpy")
    return out[[*SERIES, "adi", "cv2", "demand_class"]]


def _examples(frame: pd.DataFrame, describe) -> list[str]:
    return [describe(row) for row in frame.head(5).itertuples(index=False)]


def quality_report(sales: pd.DataFrame, inventory: pd.DataFrame | None = None,
                   freq_by_store: dict[str, str] | None = None,
                   orders: pd.DataFrame | None = None) -> dict:
    """Every warning kind (count 0 when none, for a stable JSON) and the demand classes."""
    gaps = series_gaps(sales, freq_by_store)
    stock = zero_stock_days(sales, inventory)
    spikes = outliers(sales)
    guests = int(orders["customer_id"].isna().sum()) if orders is not None else 0
    warnings = [
        {"kind": "gap", "count": len(gaps), "periods": int(gaps["missing_periods"].sum()),
         "examples": _examples(gaps, lambda r: f"{r.item_id}/{r.store_id}: {r.missing_periods} "
                               f"missing from {pd.Timestamp(r.first_missing).date()}")},
        {"kind": "zero_stock", "count": len(stock),
         "examples": _examples(stock, lambda r: f"{r.item_id}/{r.store_id} on {r.date.date()}")},
        {"kind": "outlier", "count": len(spikes),
         "examples": _examples(spikes, lambda r: f"{r.item_id}/{r.store_id} on {r.date.date()}: "
                               f"{r.units:g} units (robust z {r.robust_z:.1f})")},
        {"kind": "guest_orders", "count": guests, "examples": []},
    ]
    classes = demand_classes(sales)["demand_class"].value_counts()
    order = ["smooth", "erratic", "intermittent", "lumpy", "no_demand"]
    return {"warnings": warnings, "demand_classes": {k: int(classes.get(k, 0)) for k in order}}
