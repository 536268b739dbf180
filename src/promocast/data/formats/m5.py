"""M5 (Walmart, Kaggle 2020): daily unit sales of items in ten US stores, with prices and SNAP.

Two layouts load:

* **long** (``tiny_m5.parquet`` of the CRAN package m5, as in ``../shared/data/m5_tiny_subset``):
  one row per item, store and day with item_id, dept_id, cat_id, store_id, state_id, sales, date,
  event_name_1/2, event_type_1/2, snap, sell_price. A folder is searched for ``*.parquet``.
* **Kaggle** (the original competition files in one folder, or give one of them):
  ``sales_train_evaluation.csv`` (preferred) or ``sales_train_validation.csv`` (wide, one column
  per day ``d_1`` ..), ``calendar.csv`` (d -> date, wm_yr_wk, events, snap_CA/TX/WI) and
  ``sell_prices.csv`` (store_id, item_id, wm_yr_wk, sell_price). Files may be ``.gz`` / ``.zip``.
  The wide table is unrolled with numpy indexing (weekly prices looked up in an item x week
  matrix), which avoids melting and merging the full 30,490 x 1,941 grid (59 million rows).

Conventions (why each one is what it is):

* ``item_id`` and ``store_id`` as in M5 (``HOBBIES_1_001``, ``CA_1``); ``date`` from the calendar
  (daily); ``units`` = sales; ``price`` = sell_price (weekly price, the same each day of a
  Walmart week).
* Days before an item's first sell price are dropped: M5 has no price because the item was not on
  the shelf yet, and those days always sell 0; keeping them would read as weeks of zero demand.
  A missing price after the first one (none in M5) is kept as an empty price.
* ``snap`` (1 on the SNAP food-stamp days of the store's state) is an exogenous column.
* event_name_1 / event_name_2 become events of every store (``store_id`` = ``all``, the events
  are national); the event type is kept in the event's name, ``"SuperBowl (sporting)"``, since
  the events table has no type column.
* items: ``category`` = cat_id (FOODS, HOBBIES, HOUSEHOLD); ``name`` = dept_id (M5 items are
  anonymised, so their department is the most telling name there is); no brand.
* stores: ``name`` = ``"CA_1 (California)"`` (the state is part of the name, as the stores table
  has no state column), ``country`` = US.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from promocast.data.formats._common import find_file as _find
from promocast.data.formats._common import require_columns as _require
from promocast.exceptions import DataValidationError, RowError, UsageError

STATES = {"CA": "California", "TX": "Texas", "WI": "Wisconsin"}
LONG_COLUMNS = ["item_id", "dept_id", "cat_id", "store_id", "state_id", "sales", "date",
                "sell_price"]


def load(path: Path) -> dict[str, pd.DataFrame]:
    """Canonical sales, items, stores and events from the M5 long table or the Kaggle files."""
    path = Path(path)
    if path.is_file() and path.suffix.lower() == ".parquet":
        return _from_long(pd.read_parquet(path), str(path))
    folder = path.parent if path.is_file() else path
    wide = _find(folder, "sales_train_evaluation") or _find(folder, "sales_train_validation")
    if wide is not None:
        return _from_kaggle(wide, folder)
    parquet = sorted(folder.glob("*.parquet"))
    if parquet:
        return _from_long(pd.read_parquet(parquet[0]), str(parquet[0]))
    raise UsageError(f"no M5 data in {folder}: expected a long *.parquet (tiny_m5) or "
                     "sales_train_evaluation.csv / sales_train_validation.csv with calendar.csv "
                     "and sell_prices.csv")






def _from_long(raw: pd.DataFrame, source: str) -> dict[str, pd.DataFrame]:
    """The m5 package's long table: drop pre-launch days, keep snap, collect the events."""
    _require(raw, LONG_COLUMNS, source)
    raw = raw.assign(date=pd.to_datetime(raw["date"]).astype("datetime64[ns]").dt.normalize())
    raw = raw.sort_values(["item_id", "store_id", "date"], kind="stable").reset_index(drop=True)
    priced = raw["sell_price"].notna()
    on_shelf = priced.groupby([raw["item_id"], raw["store_id"]], sort=False).cummax()
    raw = raw[on_shelf.to_numpy()].reset_index(drop=True)
    sales = pd.DataFrame({
        "date": raw["date"],
        "item_id": raw["item_id"].astype(str).to_numpy(dtype=object),
        "store_id": raw["store_id"].astype(str).to_numpy(dtype=object),
        "units": raw["sales"].astype("float64"),
        "price": raw["sell_price"].astype("float64"),
        "base_price": np.nan,
        "on_promo": 0.0,
        "promo_id": None,
    })
    if "snap" in raw:
        sales["snap"] = raw["snap"].astype("float64")
    calendar = raw.drop_duplicates("date")
    return {
        "stores": _stores(raw[["store_id", "state_id"]]),
        "items": _items(raw[["item_id", "dept_id", "cat_id"]]),
        "events": _events(calendar),
        "sales": sales,
    }


def _from_kaggle(wide_file: Path, folder: Path) -> dict[str, pd.DataFrame]:
    """The competition files: unroll the wide grid, index weekly prices and state SNAP days."""
    calendar_file, prices_file = _find(folder, "calendar"), _find(folder, "sell_prices")
    if calendar_file is None or prices_file is None:
        raise UsageError(f"M5 needs calendar.csv and sell_prices.csv next to {wide_file.name}")
    wide = pd.read_csv(wide_file)
    calendar = pd.read_csv(calendar_file)
    prices = pd.read_csv(prices_file)
    _require(wide, ["item_id", "dept_id", "cat_id", "store_id", "state_id"], str(wide_file))
    _require(calendar, ["date", "wm_yr_wk", "d"], str(calendar_file))
    _require(prices, ["store_id", "item_id", "wm_yr_wk", "sell_price"], str(prices_file))
    calendar["date"] = pd.to_datetime(calendar["date"]).astype("datetime64[ns]")

    days = [c for c in wide.columns if str(c).startswith("d_")]
    day_info = calendar.set_index("d").reindex(days)
    if day_info["date"].isna().any():
        missing = day_info.index[day_info["date"].isna()][:5].tolist()
        raise DataValidationError([RowError(str(calendar_file), None, "d", str(d),
                                            "day of the sales file missing from the calendar")
                                   for d in missing])
    n_series, n_days = len(wide), len(days)

    weeks = pd.Index(np.sort(calendar["wm_yr_wk"].unique()))
    series = pd.MultiIndex.from_frame(wide[["store_id", "item_id"]])
    row = series.get_indexer(pd.MultiIndex.from_frame(prices[["store_id", "item_id"]]))
    col = weeks.get_indexer(prices["wm_yr_wk"])
    known = (row >= 0) & (col >= 0)
    price_by_week = np.full((n_series, len(weeks)), np.nan)
    price_by_week[row[known], col[known]] = prices["sell_price"].to_numpy(dtype="float64")[known]
    price = price_by_week[:, weeks.get_indexer(day_info["wm_yr_wk"])]

    on_shelf = np.maximum.accumulate(~np.isnan(price), axis=1).ravel()
    series_idx = np.repeat(np.arange(n_series), n_days)[on_shelf]
    day_idx = np.tile(np.arange(n_days), n_series)[on_shelf]

    state_codes, states = pd.factorize(wide["state_id"])
    snap_by_state = np.vstack([
        day_info[f"snap_{s}"].to_numpy(dtype="float64") if f"snap_{s}" in day_info
        else np.zeros(n_days) for s in states
    ])
    sales = pd.DataFrame({
        "date": day_info["date"].to_numpy()[day_idx],
        "item_id": wide["item_id"].astype(str).to_numpy(dtype=object)[series_idx],
        "store_id": wide["store_id"].astype(str).to_numpy(dtype=object)[series_idx],
        "units": wide[days].to_numpy(dtype="float64").ravel()[on_shelf],
        "price": price.ravel()[on_shelf],
        "base_price": np.nan,
        "on_promo": 0.0,
        "promo_id": None,
        "snap": snap_by_state[state_codes[series_idx], day_idx],
    })
    return {
        "stores": _stores(wide[["store_id", "state_id"]]),
        "items": _items(wide[["item_id", "dept_id", "cat_id"]]),
        "events": _events(calendar),
        "sales": sales,
    }


def _items(frame: pd.DataFrame) -> pd.DataFrame:
    items = frame.drop_duplicates("item_id").sort_values("item_id")
    return pd.DataFrame({"item_id": items["item_id"].astype(str).to_numpy(dtype=object),
                         "name": items["dept_id"].astype(str).to_numpy(dtype=object),
                         "category": items["cat_id"].astype(str).to_numpy(dtype=object)})


def _stores(frame: pd.DataFrame) -> pd.DataFrame:
    stores = frame.drop_duplicates("store_id").sort_values("store_id")
    state = stores["state_id"].astype(str)
    return pd.DataFrame({
        "store_id": stores["store_id"].astype(str).to_numpy(dtype=object),
        "name": (stores["store_id"].astype(str) + " (" + state.map(STATES).fillna(state)
                 + ")").to_numpy(dtype=object),
        "country": "US",
    })


def _events(calendar: pd.DataFrame) -> pd.DataFrame:
    """``"<event_name> (<event_type>)"`` per calendar day and event slot, for every store."""
    parts = []
    for k in (1, 2):
        name, kind = f"event_name_{k}", f"event_type_{k}"
        if name not in calendar:
            continue
        rows = calendar.loc[calendar[name].notna(), ["date", name]].copy()
        label = rows[name].astype(str)
        if kind in calendar:
            kinds = calendar.loc[rows.index, kind]
            label = label.where(kinds.isna(), label + " (" + kinds.astype(str).str.lower() + ")")
        parts.append(pd.DataFrame({"date": pd.to_datetime(rows["date"]).astype("datetime64[ns]"),
                                   "event": label.to_numpy(dtype=object)}))
    if not parts:
        return pd.DataFrame({"date": pd.Series(dtype="datetime64[ns]"),
                             "event": pd.Series(dtype=object), "store_id": pd.Series(dtype=object)})
    events = pd.concat(parts, ignore_index=True).drop_duplicates().sort_values(["date", "event"])
    return events.assign(store_id="all").reset_index(drop=True)
