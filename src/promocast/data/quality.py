"""Data-quality warnings (not errors): gaps, zero-stock days, outliers, guest orders, and
demand classes.

A warning never refuses a load (DESIGN §2); it tells the planner where forecasts need care:

- a gap is unknown demand, not zero sales: a forecaster must not read it as a zero;
- a zero-stock day censors demand: the shop sold what it had, not what customers wanted;
- an outlier is a data error or a one-off event that would bend a baseline;
- guest orders (no customer id) count in sales but not in customer models;
- not-sold orders (a status such as cancelled, refunded, unpaid: ``data.order_status``) are
  kept but count neither in derived sales nor in customer models;
- the demand class (Syntetos-Boylan) says which forecasting methods suit a series: smooth and
  erratic series suit ordinary models, intermittent and lumpy ones Croston-type models.

Pure functions over canonical frames (dates datetime64, ids str). The sales frame is reduced
once to integer series codes and numpy arrays (``_Rows``) that every check shares, so a
report over a million rows takes about a second.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from promocast.data.frequency import infer_frequency
from promocast.data.order_status import REASONS, not_sold_mask, not_sold_reason

SERIES = ["item_id", "store_id"]
ADI_CUT = 1.32
"""Syntetos-Boylan cut-off on the average inter-demand interval (periods per demand)."""
CV2_CUT = 0.49
"""Syntetos-Boylan cut-off on the squared coefficient of variation of demand sizes."""
DEMAND_CLASSES = ("smooth", "erratic", "intermittent", "lumpy", "no_demand")
WARNING_KINDS = ("gap", "zero_stock", "outlier", "guest_orders", "not_sold_orders")
MAD_SCALE = 1.4826
"""MAD x 1.4826 estimates the standard deviation of normal data."""
MEAN_AD_SCALE = 1.2533
"""Mean absolute deviation x 1.2533 (sqrt(pi / 2)) estimates the standard deviation."""
N_EXAMPLES = 5


def _day_numbers(dates: pd.Series) -> np.ndarray:
    """Dates as int64 days since 1970-01-01 (cheap to sort, difference and count)."""
    values = dates.to_numpy() if pd.api.types.is_datetime64_dtype(dates) else (
        pd.to_datetime(dates).to_numpy())
    return values.astype("datetime64[D]").astype(np.int64)


def _dates(days: np.ndarray) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(days.astype("datetime64[D]")).as_unit("ns")


@dataclass(frozen=True)
class _Rows:
    """A sales frame reduced to numpy arrays once, shared by every check of a report.

    ``code`` numbers the series (``keys`` holds item_id, store_id per code), ``store`` the
    stores (``stores`` holds their ids), ``days`` the dates (days since 1970-01-01).
    """

    code: np.ndarray
    keys: pd.DataFrame
    store: np.ndarray
    stores: np.ndarray
    days: np.ndarray
    units: np.ndarray
    on_promo: np.ndarray

    @classmethod
    def of(cls, sales: pd.DataFrame) -> _Rows:
        items, item_ids = pd.factorize(sales["item_id"], use_na_sentinel=False)
        store, store_ids = pd.factorize(sales["store_id"], use_na_sentinel=False)
        width = max(len(store_ids), 1)
        code, pairs = pd.factorize(items.astype(np.int64) * width + store)
        keys = pd.DataFrame({"item_id": np.asarray(item_ids, dtype=object)[pairs // width],
                             "store_id": np.asarray(store_ids, dtype=object)[pairs % width]})
        promo = (sales["on_promo"].fillna(0).to_numpy() != 0 if "on_promo" in sales
                 else np.zeros(len(sales), dtype=bool))
        if "price" in sales and "base_price" in sales:  # a price cut is a promotion too
            promo |= (sales["price"] < sales["base_price"]).to_numpy()
        return cls(code=code.astype(np.int64), keys=keys.astype(str), store=store.astype(np.int64),
                   stores=np.array([str(s) for s in store_ids], dtype=object),
                   days=_day_numbers(sales["date"]), units=sales["units"].to_numpy(dtype=float),
                   on_promo=promo)


def _normal_freq(freq: str | None) -> str:
    """"D", "W" or "MS" from a pandas-style alias ("W-MON", "M"; None counts as daily)."""
    text = (freq or "D").upper()
    if text.startswith("W"):
        return "W"
    return "MS" if text.startswith("M") else "D"


def _store_freqs(rows: _Rows, freq_by_store: dict[str, str] | None) -> dict[str, str]:
    given = {str(k): _normal_freq(v) for k, v in (freq_by_store or {}).items()}
    missing = [i for i, s in enumerate(rows.stores) if s not in given]
    if missing:
        first = rows.days.min() if len(rows.days) else 0
        span = int(rows.days.max() - first + 1) if len(rows.days) else 1
        wanted = np.isin(rows.store, missing)
        pairs = np.unique(rows.store[wanted] * span + (rows.days[wanted] - first))
        owner, day = pairs // span, pairs % span + first
        bounds = np.searchsorted(owner, np.arange(len(rows.stores) + 1))
        for i in missing:
            dates = _dates(day[bounds[i]:bounds[i + 1]])
            given[rows.stores[i]] = _normal_freq(infer_frequency(dates))
    return given


def store_frequencies(sales: pd.DataFrame,
                      freq_by_store: dict[str, str] | None = None) -> dict[str, str]:
    """Each store's frequency ("D", "W" or "MS"): the one given, else inferred from the store's
    dates; a store whose dates mix frequencies (refused at load anyway) counts as daily."""
    return _store_freqs(_Rows.of(sales), freq_by_store)


def _period_numbers(days: np.ndarray, freq: np.ndarray) -> np.ndarray:
    """Position of each date on its store's grid: day number (D), week number (W: a weekly
    store's dates share one weekday, so differences are whole weeks), month number (MS)."""
    out = days.copy()
    weekly, monthly = freq == "W", freq == "MS"
    out[weekly] = np.floor_divide(days[weekly], 7)
    out[monthly] = days[monthly].astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    return out


def _gaps(rows: _Rows, freqs: dict[str, str]) -> pd.DataFrame:
    freq = np.array([freqs.get(s, "D") for s in rows.stores], dtype=object)[rows.store]
    period = _period_numbers(rows.days, freq)
    order = np.lexsort((period, rows.code))
    code, period, days, freq = rows.code[order], period[order], rows.days[order], freq[order]
    step = np.diff(period)
    jump = np.flatnonzero((code[1:] == code[:-1]) & (step > 1))
    missing = np.bincount(code[jump], weights=step[jump] - 1, minlength=len(rows.keys))
    # The first jump of each series (rows are sorted): the period after the date before it.
    first = jump[np.unique(code[jump], return_index=True)[1]]
    before = _dates(days[first])
    monthly = freq[first] == "MS"
    first_missing = np.where(monthly, (before + pd.offsets.MonthBegin(1)).to_numpy(),
                             (before + pd.to_timedelta(np.where(freq[first] == "W", 7, 1),
                                                       unit="D")).to_numpy())
    out = rows.keys.iloc[code[first]].reset_index(drop=True)
    out["missing_periods"] = missing[code[first]].astype(np.int64)
    out["first_missing"] = pd.DatetimeIndex(first_missing).as_unit("ns")
    return out.sort_values(SERIES).reset_index(drop=True)


def series_gaps(sales: pd.DataFrame, freq_by_store: dict[str, str] | None = None) -> pd.DataFrame:
    """Series with periods missing between their first and last date.

    Columns item_id, store_id, missing_periods (int), first_missing (label of the first missing
    period). Periods are counted on the store's own grid (``freq_by_store``, inferred from the
    store's dates when absent). A missing period is unknown demand: forecasters must not read
    it as zero sales.
    """
    rows = _Rows.of(sales)
    return _gaps(rows, _store_freqs(rows, freq_by_store))


def _zero_stock(rows: _Rows, inventory: pd.DataFrame | None) -> pd.DataFrame:
    columns = ["date", *SERIES, "units"]
    if inventory is None or inventory.empty:
        return pd.DataFrame({c: pd.Series(dtype="datetime64[ns]" if c == "date" else object)
                             for c in columns})
    empty = inventory.loc[inventory["on_hand"].to_numpy() <= 0, ["date", *SERIES]]
    out = pd.DataFrame({"date": _dates(_day_numbers(empty["date"])),
                        "item_id": empty["item_id"].astype(str).to_numpy(),
                        "store_id": empty["store_id"].astype(str).to_numpy(),
                        "units": np.nan})
    if len(out) and len(rows.days):
        # Find each stock-out's sales row by binary search on (series code, day) keys.
        code = pd.MultiIndex.from_frame(rows.keys).get_indexer(
            pd.MultiIndex.from_frame(out[SERIES]))
        days = _day_numbers(out["date"])
        first, span = rows.days.min(), int(rows.days.max() - rows.days.min() + 1)
        sales_keys = rows.code * span + (rows.days - first)
        order = np.argsort(sales_keys, kind="stable")
        ordered = sales_keys[order]
        probe = np.flatnonzero((code >= 0) & (days >= first) & (days < first + span))
        wanted = code[probe] * span + (days[probe] - first)
        at = np.minimum(np.searchsorted(ordered, wanted), len(ordered) - 1)
        hit = ordered[at] == wanted
        out.loc[probe[hit], "units"] = rows.units[order[at[hit]]]
    return out.sort_values(["date", *SERIES]).reset_index(drop=True)[columns]


def zero_stock_days(sales: pd.DataFrame, inventory: pd.DataFrame | None) -> pd.DataFrame:
    """Days an item had nothing on hand (``on_hand`` == 0): its sales that day are censored
    demand (the shop sold what it had, not what was wanted), not a true low.

    Columns date, item_id, store_id, units; ``units`` is the day's sales row, NaN when the
    shop recorded no sales row that day (the stock-out is reported all the same).
    """
    return _zero_stock(_Rows.of(sales), inventory)


def _outliers(rows: _Rows, z: float, min_observations: int) -> pd.DataFrame:
    kept = np.flatnonzero(~rows.on_promo)
    code, units = rows.code[kept], rows.units[kept]
    median = pd.Series(units).groupby(code, sort=False).transform("median").to_numpy()
    deviation = pd.Series(np.abs(units - median)).groupby(code, sort=False)
    mad = deviation.transform("median").to_numpy()
    mean_ad = deviation.transform("mean").to_numpy()
    scale = np.where(mad > 0, MAD_SCALE * mad, MEAN_AD_SCALE * mean_ad)
    scale = np.maximum(scale, np.sqrt(np.maximum(median, 1.0)))
    robust_z = (units - median) / scale
    counted = np.bincount(code, minlength=len(rows.keys))[code] >= min_observations
    flagged = np.flatnonzero((np.abs(robust_z) > z) & counted)
    out = rows.keys.iloc[code[flagged]].reset_index(drop=True)
    out["date"] = _dates(rows.days[kept[flagged]])
    out["units"] = units[flagged]
    out["robust_z"] = robust_z[flagged]
    return out.sort_values([*SERIES, "date"]).reset_index(drop=True)


def outliers(sales: pd.DataFrame, z: float = 5.0, min_observations: int = 8) -> pd.DataFrame:
    """Sales rows whose units lie beyond ``z`` robust standard deviations of their series.

    robust_z = (units - median) / scale, per series, where scale is

    - 1.4826 x MAD (median absolute deviation), the usual robust standard deviation;
    - where the MAD is 0 (over half the values equal the median: a flat or intermittent
      series) the mean absolute deviation x 1.2533 instead, so a lone spike in a flat series is
      still found;
    - never below sqrt(max(median, 1)), the Poisson noise of a count: without this floor every
      sale of an intermittent series (1 unit among zeros: mean absolute deviation near 0) would
      be an "outlier".

    Rows on promotion (``on_promo`` = 1, or ``price`` below ``base_price`` when both columns
    are there) are explained spikes: they shape neither statistic and are never flagged. Series with fewer than ``min_observations`` such rows are skipped: a
    median of a handful of values is no baseline. Columns item_id, store_id, date, units,
    robust_z.
    """
    return _outliers(_Rows.of(sales), z, min_observations)


def _demand_classes(rows: _Rows) -> pd.DataFrame:
    code, units, n_series = rows.code, rows.units, len(rows.keys)
    sold = units > 0
    periods = np.bincount(code, minlength=n_series).astype(float)
    n_sold = np.bincount(code[sold], minlength=n_series).astype(float)
    total = np.bincount(code[sold], weights=units[sold], minlength=n_series)
    squares = np.bincount(code[sold], weights=units[sold] ** 2, minlength=n_series)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = total / n_sold
        variance = np.where(n_sold > 1, (squares - n_sold * mean**2) / (n_sold - 1), 0.0)
        adi = np.where(n_sold > 0, periods / n_sold, np.nan)
        cv2 = np.where(n_sold > 0, np.maximum(variance, 0.0) / mean**2, np.nan)
    high_adi, high_cv = adi >= ADI_CUT, cv2 >= CV2_CUT
    label = np.select([n_sold == 0, ~high_adi & ~high_cv, ~high_adi & high_cv, high_adi & ~high_cv],
                      ["no_demand", "smooth", "erratic", "intermittent"], default="lumpy")
    out = rows.keys.assign(adi=adi, cv2=cv2, demand_class=label)
    return out.sort_values(SERIES).reset_index(drop=True)


def demand_classes(sales: pd.DataFrame) -> pd.DataFrame:
    """Syntetos-Boylan demand class of each series, from ADI and CV².

    - ``adi`` = observed periods / periods with demand (units > 0). Gaps (periods with no row)
      are unknown, not zero demand, so they count in neither term; a zero-sales row does count.
      NaN when the series never sold.
    - ``cv2`` = (std / mean)² of the non-zero demand sizes, sample std (n - 1 denominator); 0
      with a single non-zero demand (nothing varies); NaN when the series never sold.
    - ``demand_class``: smooth (ADI < 1.32, CV² < 0.49), erratic (ADI < 1.32, CV² >= 0.49),
      intermittent (ADI >= 1.32, CV² < 0.49), lumpy (both high), no_demand (never sold).

    Columns item_id, store_id, adi, cv2, demand_class.
    """
    return _demand_classes(_Rows.of(sales))


def guest_orders(orders: pd.DataFrame | None) -> tuple[int, int | None, list[str]]:
    """(guest order lines, guest orders, example order ids) of the order lines without a
    customer id (null or blank). Orders are distinct ``order_id`` values; None when the frame
    has no ``order_id`` column (a customer_id-only frame counts lines alone)."""
    if orders is None or orders.empty or "customer_id" not in orders:
        return 0, 0, []
    customer = orders["customer_id"]
    guest = (customer.isna() | customer.astype(str).str.strip().eq("")).to_numpy()
    lines = int(guest.sum())
    if "order_id" not in orders:
        return lines, None, []
    ids = pd.unique(orders.loc[guest, "order_id"].astype(str))
    return lines, len(ids), [str(i) for i in ids[:N_EXAMPLES]]


def not_sold_orders(orders: pd.DataFrame | None) -> dict[str, Any]:
    """The ``not_sold_orders`` warning: order lines whose ``status`` says the sale did not
    happen (``data.order_status``), kept in the store but left out of derived sales and
    customer analyses. ``count`` = lines, ``orders`` = distinct orders among them (null when
    the frame has no order_id column), ``reasons`` = lines per reason (cancelled, refunded,
    unpaid, ...), ``statuses`` = lines per status as written in the data."""
    warning: dict[str, Any] = {"kind": "not_sold_orders", "count": 0, "orders": 0,
                               "reasons": {}, "statuses": {}, "examples": []}
    if orders is None or orders.empty or "status" not in orders:
        return warning
    left_out = orders[not_sold_mask(orders)]
    if left_out.empty:
        return warning
    statuses = left_out["status"].astype(str).value_counts()
    by_reason: dict[str, int] = {}
    for status, lines in statuses.items():
        reason = str(not_sold_reason(status))
        by_reason[reason] = by_reason.get(reason, 0) + int(lines)
    warning.update(count=int(len(left_out)),
                   reasons={r: by_reason[r] for r in REASONS if r in by_reason},
                   statuses={str(k): int(v) for k, v in sorted(statuses.items())})
    if "order_id" not in left_out:
        warning["orders"] = None
        return warning
    firsts = left_out.drop_duplicates("order_id")
    warning["orders"] = int(len(firsts))
    warning["examples"] = [f"order {o} ({st})" for o, st in zip(
        firsts["order_id"].head(N_EXAMPLES), firsts["status"].head(N_EXAMPLES), strict=True)]
    return warning


GAPS_COMMON = 0.05
"""Missing periods from this share of the periods the series span on suggest an export that
lists selling days only (``gap_advice``)."""


def gap_advice(rows: int, missing: int, missing_days: str = "unknown") -> dict[str, Any]:
    """The gap warning's ``share_missing`` (missing periods / the periods the series span,
    rows counted as one period each) and ``message``: when gaps are common and the shop reads
    them as unknown demand, the likely cause (an export listing only the days an item sold)
    and the option that reads them as zero sales (``data.missing_days``); None otherwise."""
    share = missing / (rows + missing) if rows + missing else 0.0
    message = None
    if share >= GAPS_COMMON and missing_days != "zero":
        message = (f"{share:.0%} of the periods inside the series have no row: they are read "
                   "as unknown demand and filled between the selling days, which overstates "
                   "slow sellers if the export lists only the days an item sold. If a missing "
                   "day means no sales, load with --missing-days zero (missing days: zero on "
                   "the upload form): the store then writes a 0-unit row for each, and keeps "
                   "the choice for later loads")
    return {"share_missing": round(share, 4), "message": message}


def _examples(frame: pd.DataFrame, describe: Callable[[Any], str]) -> list[str]:
    return [describe(row) for row in frame.head(N_EXAMPLES).itertuples(index=False)]


def _day(value: Any) -> str:
    return str(pd.Timestamp(value).date())


def quality_report(sales: pd.DataFrame, inventory: pd.DataFrame | None = None,
                   freq_by_store: dict[str, str] | None = None,
                   orders: pd.DataFrame | None = None,
                   missing_days: str = "unknown") -> dict[str, Any]:
    """The warnings and demand classes of a shop's data, as plain JSON-ready values.

    ``{"warnings": [...], "demand_classes": {"smooth": n, ..., "no_demand": n}}``. Every
    warning kind (gap, zero_stock, outlier, guest_orders, not_sold_orders) is always present,
    in that order, with ``count`` 0 when clean, so the JSON keeps one shape:

    - gap: count = series with gaps, periods = missing periods in all, share_missing and a
      ``message`` suggesting ``--missing-days zero`` when gaps are common (``gap_advice``;
      ``missing_days``: the shop's choice, ``data.missing_days``);
    - zero_stock: count = (day, series) with nothing on hand, series = series affected;
    - outlier: count = rows flagged, series = series affected;
    - guest_orders: count = order lines without a customer id, orders = distinct orders among
      them (null when ``orders`` has no order_id column);
    - not_sold_orders: count = order lines whose status says the sale did not happen, orders,
      reasons and statuses (``not_sold_orders``).

    Each carries up to 5 ``examples`` (short strings naming the series or order).
    """
    rows = _Rows.of(sales)
    gaps = _gaps(rows, _store_freqs(rows, freq_by_store))
    stock = _zero_stock(rows, inventory)
    spikes = _outliers(rows, z=5.0, min_observations=8)
    guest_lines, n_guest_orders, guest_ids = guest_orders(orders)
    warnings: list[dict[str, Any]] = [
        {"kind": "gap", "count": len(gaps), "periods": int(gaps["missing_periods"].sum()),
         **gap_advice(len(rows.days), int(gaps["missing_periods"].sum()), missing_days),
         "examples": _examples(gaps, lambda r: f"{r.item_id}/{r.store_id}: {r.missing_periods} "
                               f"periods missing, first {_day(r.first_missing)}")},
        {"kind": "zero_stock", "count": len(stock),
         "series": int(len(stock[SERIES].drop_duplicates())),
         "examples": _examples(stock, lambda r: f"{r.item_id}/{r.store_id} on {_day(r.date)}")},
        {"kind": "outlier", "count": len(spikes),
         "series": int(len(spikes[SERIES].drop_duplicates())),
         "examples": _examples(spikes, lambda r: f"{r.item_id}/{r.store_id} on {_day(r.date)}: "
                               f"{r.units:g} units (robust z {r.robust_z:.1f})")},
        {"kind": "guest_orders", "count": guest_lines, "orders": n_guest_orders,
         "examples": [f"order {i}" for i in guest_ids]},
        not_sold_orders(orders),
    ]
    counts = _demand_classes(rows)["demand_class"].value_counts()
    return {"warnings": warnings,
            "demand_classes": {k: int(counts.get(k, 0)) for k in DEMAND_CLASSES}}
