"""The forecasting panel: a regular long frame ``unique_id, ds, y`` + inputs, with a weight.

Libraries such as statsforecast and mlforecast treat consecutive rows as consecutive periods, so
a gap in a series (a week with no row) would silently shift every lag. The panel puts each
series on its regular grid: a missing period gets ``observed = 0``, and so does a stock-out day
(inventory on hand 0: demand was censored). Unobserved rows keep a placeholder target (linear
interpolation, for lags only) and weight 0: they are neither training targets nor scored.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from utilsforecast.preprocessing import fill_gaps

KEYS = ["unique_id", "ds"]


def regular_panel(frame: pd.DataFrame, freq: str, known: list[str] | None = None) -> pd.DataFrame:
    """Fill each series' missing periods between its first and last date.

    ``frame`` has unique_id, ds, y (may hold NaN for censored rows) and input columns.
    Returns the same columns plus ``observed`` (1 = a real, uncensored actual) and ``weight``.
    Inputs in ``known`` (prices, flags) are carried forward into filled rows; the rest are 0.
    """
    if freq == "D" and _one_row_a_day(frame):  # nothing to fill: no copy of a large panel
        fresh = frame.index.equals(pd.RangeIndex(len(frame)))
        out = frame.copy(deep=False) if fresh else frame.reset_index(drop=True)
    else:
        out = fill_gaps(frame, freq=freq, start="per_serie", end="per_serie",
                        id_col="unique_id", time_col="ds")
        out = out.sort_values(KEYS).reset_index(drop=True)
    out["observed"] = out["y"].notna().astype("int8")
    if "stockout" in out:
        out.loc[out["stockout"].fillna(0) > 0, "observed"] = 0
    out["y"] = _interpolate_within(out, "y").fillna(0.0)
    for col in known or []:
        if col in out and out[col].isna().any():
            out[col] = _fill_within(out, col)
    skip = {*KEYS, "y", *(known or [])}
    for col in out.columns:
        if col not in skip and out[col].dtype.kind in "fi" and out[col].isna().any():
            out[col] = out[col].fillna(0)
    for col in ("item_id", "store_id", "category"):
        if col in out and out[col].isna().any():
            out[col] = _fill_within(out, col)
    out["weight"] = out["observed"].astype("float32")
    return out


def _one_row_a_day(frame: pd.DataFrame) -> bool:
    """Whether the rows are in series then date order with exactly one day between
    consecutive rows of a series (what the store's query gives for a shop without gaps):
    ``fill_gaps`` and the sort would then return the frame as it is."""
    uid = frame["unique_id"]
    if len(frame) < 2 or not uid.is_monotonic_increasing:
        return len(frame) < 2
    ids = uid.to_numpy()
    same = ids[1:] == ids[:-1]
    step = np.diff(frame["ds"].to_numpy())
    return not (same & (step != np.timedelta64(1, "D"))).any()


def _interpolate_within(frame: pd.DataFrame, col: str) -> pd.Series:
    """Linear interpolation between each series' observed values over equally spaced rows,
    the first / last observed value before / after them (what ``Series.interpolate(
    limit_direction="both")`` gives one series at a time), from four vectorised groupby
    fills: a per-series ``transform`` costs seconds at thousands of series."""
    values = frame[col].astype(float)
    known = values.notna()
    pos = pd.Series(np.arange(len(frame), dtype=float), index=frame.index).where(known)
    groups = frame["unique_id"]
    before = values.groupby(groups, sort=False).ffill()
    after = values.groupby(groups, sort=False).bfill()
    before_pos = pos.groupby(groups, sort=False).ffill().to_numpy()
    after_pos = pos.groupby(groups, sort=False).bfill().to_numpy()
    here = np.arange(len(frame), dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        slope = (after.to_numpy() - before.to_numpy()) / (after_pos - before_pos)
        inside = slope * (here - before_pos) + before.to_numpy()  # np.interp's own order
    out = np.where(known, values.to_numpy(), inside)
    out = np.where(np.isnan(out), np.where(np.isnan(before), after, before), out)
    return pd.Series(out, index=frame.index, name=col)


def _fill_within(frame: pd.DataFrame, col: str) -> pd.Series:
    """Carry a column forward, then backward, inside each series (vectorised groupby fills)."""
    filled = frame.groupby("unique_id", sort=False)[col].ffill()
    return filled.groupby(frame["unique_id"], sort=False).bfill()


def season_length(freq: str) -> int:
    """Periods per season: a week of days, a year of weeks or months."""
    if freq == "D":
        return 7
    if freq.startswith("W"):
        return 52
    return 12


def split_at(panel: pd.DataFrame, cutoff: pd.Timestamp) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Training rows up to and including ``cutoff`` and the rows after it."""
    mask = panel["ds"] <= cutoff
    return panel[mask], panel[~mask]


def future_grid(train: pd.DataFrame, freq: str, horizon: int) -> pd.DataFrame:
    """The next ``horizon`` periods of every series in ``train`` (unique_id, ds)."""
    last = train.groupby("unique_id", sort=True)["ds"].max()
    offset = pd.tseries.frequencies.to_offset(freq)
    steps = [last + k * offset for k in range(1, horizon + 1)]
    grid = pd.DataFrame({"unique_id": np.repeat(last.index.to_numpy(), horizon),
                         "ds": np.stack([s.to_numpy() for s in steps], axis=1).ravel()})
    return grid


def extend_to(frame: pd.DataFrame, ends: pd.Series, freq: str) -> pd.DataFrame:
    """The series of ``frame`` (a regular panel) carried on to their date in ``ends``
    (indexed by unique_id; series not in it, or already there, are left as they are).

    The added periods are unobserved (``observed`` and ``weight`` 0) and copy the series' last
    row otherwise: the last target as a placeholder for the lags, the last prices and flags as
    the known inputs. A series that stopped a few periods before the rest of its store is then
    forecast from the store's end, not from its own last date (its first forecast periods
    would be in the past)."""
    last_rows = frame.loc[frame.groupby("unique_id", sort=False)["ds"].idxmax()]
    target = ends.reindex(last_rows["unique_id"].to_numpy()).to_numpy()
    late = pd.notna(target) & (target > last_rows["ds"].to_numpy())
    if not late.any():
        return frame
    offset = pd.tseries.frequencies.to_offset(freq)
    behind = last_rows[late]
    spans = pd.DataFrame({"last": behind["ds"].to_numpy(), "end": target[late]})
    # one date range per distinct (last date, end) pair: few, however many series are behind
    ranges = {pair: pd.date_range(pair[0] + offset, pair[1], freq=offset)
              for pair in spans.drop_duplicates().itertuples(index=False, name=None)}
    dates = [ranges[pair] for pair in spans.itertuples(index=False, name=None)]
    counts = np.array([len(d) for d in dates])
    if not counts.sum():
        return frame
    added = behind.iloc[np.repeat(np.arange(len(behind)), counts)].reset_index(drop=True)
    added["ds"] = np.concatenate([d.to_numpy() for d in dates if len(d)])
    added = added.astype(frame.dtypes.to_dict())
    for col in ("observed", "weight"):
        if col in added:
            added[col] = np.zeros(len(added), dtype=frame[col].dtype)
    out = pd.concat([frame, added], ignore_index=True)
    return out.sort_values(KEYS, kind="stable").reset_index(drop=True)
