"""M5 (Walmart, Kaggle 2020): daily unit sales of items in ten stores with prices, SNAP, events.

Layouts read: the long ``tiny_m5`` table of the CRAN package m5 (item_id, dept_id, cat_id,
store_id, state_id, sales, date, event_name_1/2, event_type_1/2, snap, sell_price, ...) and the
original Kaggle files (``sales_train_validation.csv`` or ``sales_train_evaluation.csv`` wide with
d_1.., ``calendar.csv``, ``sell_prices.csv``).

Conventions: item_id and store_id as in M5; units = sales; price = sell_price. Days before an
item's first sell price (not yet on the shelf) are dropped, as the M5 winners did. category =
cat_id, the department goes into the item's name; ``snap`` (the store's state SNAP day) is an
exogenous column; event_name_1/2 become events of every store.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def _folder(path: Path) -> Path:
    return path.parent if path.is_file() else path


def _load_kaggle(folder: Path) -> pd.DataFrame:
    wide_files = sorted(folder.glob("sales_train_*.csv*"))
    wide = pd.read_csv(wide_files[-1])
    calendar = pd.read_csv(next(iter(sorted(folder.glob("calendar.csv*")))), parse_dates=["date"])
    prices = pd.read_csv(next(iter(sorted(folder.glob("sell_prices.csv*")))))
    days = [c for c in wide.columns if c.startswith("d_")]
    long = wide.melt(id_vars=["item_id", "dept_id", "cat_id", "store_id", "state_id"],
                     value_vars=days, var_name="d", value_name="sales")
    long = long.merge(calendar, on="d", how="left")
    snap_cols = {s: f"snap_{s}" for s in long["state_id"].unique()}
    long["snap"] = 0
    for state, col in snap_cols.items():
        if col in long:
            long.loc[long["state_id"] == state, "snap"] = long[col]
    return long.merge(prices, on=["store_id", "item_id", "wm_yr_wk"], how="left")


def load(path: Path) -> dict[str, pd.DataFrame]:
    folder = _folder(path)
    parquet = [path] if path.is_file() and path.suffix == ".parquet" else sorted(folder.glob("*.parquet"))
    raw = pd.read_parquet(parquet[0]) if parquet else _load_kaggle(folder)
    raw["date"] = pd.to_datetime(raw["date"]).dt.normalize()
    raw = raw.sort_values(["item_id", "store_id", "date"])
    listed = raw.groupby(["item_id", "store_id"])["sell_price"].transform(
        lambda p: p.notna().cumsum() > 0)
    raw = raw[listed].reset_index(drop=True)
    sales = pd.DataFrame({
        "date": raw["date"], "item_id": raw["item_id"].astype(str),
        "store_id": raw["store_id"].astype(str), "units": raw["sales"].astype(float),
        "price": raw["sell_price"].astype(float), "snap": raw["snap"].astype(float),
    })
    events = []
    for k in (1, 2):
        col = f"event_name_{k}"
        if col in raw:
            e = raw.loc[raw[col].notna(), ["date", col]].drop_duplicates()
            events.append(pd.DataFrame({"date": e["date"], "event": e[col].astype(str),
                                        "store_id": "all"}))
    events_frame = (pd.concat(events).drop_duplicates(["date", "event"]) if events
                    else pd.DataFrame(columns=["date", "event", "store_id"]))
    first = raw.drop_duplicates("item_id")
    items = pd.DataFrame({"item_id": first["item_id"].astype(str),
                          "name": first["dept_id"].astype(str) + " " + first["item_id"].astype(str),
                          "category": first["cat_id"].astype(str)})
    store_rows = raw.drop_duplicates("store_id")
    stores = pd.DataFrame({"store_id": store_rows["store_id"].astype(str),
                           "type": store_rows["state_id"].astype(str), "country": "US",
                           "channel": "store"})
    return {"stores": stores, "items": items, "events": events_frame.reset_index(drop=True),
            "sales": sales}
