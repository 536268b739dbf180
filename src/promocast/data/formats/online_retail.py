"""UCI Online Retail: the order lines of a UK online gift shop, 2010-12-01 .. 2011-12-09.

Layouts read (a folder is searched in this order, or give the file): ``online_retail.parquet``
(``../shared/data/uci_online_retail``), the original UCI ``Online Retail.xlsx``, or a CSV with the
same columns (InvoiceNo, StockCode, Description, Quantity, InvoiceDate, UnitPrice, CustomerID,
Country; the Kaggle CSV dates ``12/1/2010 8:26`` month first). The column names of "Online
Retail II" (Invoice, Price, Customer ID) are accepted too; its workbook's sheets are stacked and
an invoice already read from an earlier sheet is not read again (the sheets overlap).

Conventions (why each one is what it is):

* orders: ``order_id`` = InvoiceNo, ``line`` = 1..n within the invoice in file order (an invoice
  may list one stock code twice), ``customer_id`` = CustomerID as text without ``.0`` (empty for
  the 135,080 guest lines), ``timestamp`` = InvoiceDate, ``item_id`` = StockCode (as given, case
  kept: ``85123a`` and ``85123A`` are different codes in the source), ``quantity`` = Quantity
  (cancellations ``C...`` keep their negative quantity: they are returns), ``unit_price`` =
  UnitPrice as given (two "adjust bad debt" lines are negative).
* ``store_id`` = ``online`` everywhere: the shop has one channel. Country is where the customer
  lives, not a store, and splitting sales by it would cut every series into 38 sparse ones; it is
  not part of the orders table and is dropped.
* items: StockCode with its most frequent non-empty Description as ``name``. Non-product codes
  (POST, DOT, M, BANK CHARGES, AMAZONFEE, ...) are kept: they are lines of the source.
* sales (derived, daily, store ``online``): per item and day the sum of the **positive**
  quantities. Cancellations and other negative lines are returns of earlier sales and stay out of
  demand (they remain in orders). ``price`` = revenue / units over that day's positive lines with
  a positive unit price (free and adjustment lines do not set a price); empty when there is none.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from promocast.data.derive import sales_from_orders
from promocast.exceptions import DataValidationError, RowError, UsageError

STORE = "online"
COLUMNS = ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice",
           "CustomerID", "Country"]
RENAMES = {"invoice": "InvoiceNo", "invoiceno": "InvoiceNo", "stockcode": "StockCode",
           "description": "Description", "quantity": "Quantity", "invoicedate": "InvoiceDate",
           "price": "UnitPrice", "unitprice": "UnitPrice", "customer id": "CustomerID",
           "customerid": "CustomerID", "country": "Country"}
"""Lower-cased header -> the UCI name (covers Online Retail II's Invoice, Price, Customer ID)."""
TEXT = {"InvoiceNo": str, "StockCode": str, "Description": str, "CustomerID": str, "Country": str}
CANDIDATES = ("online_retail.parquet", "Online Retail.xlsx", "online_retail_II.xlsx",
              "online_retail.csv", "Online Retail.csv", "OnlineRetail.csv", "data.csv")


def load(path: Path) -> dict[str, pd.DataFrame]:
    """Canonical orders, items, stores and daily sales derived from the order lines."""
    path = Path(path)
    source = path if path.is_file() else _find(path)
    raw = _read(source)
    orders = _orders(raw)
    return {
        "stores": pd.DataFrame({"store_id": [STORE], "name": ["UCI Online Retail (UK gift shop)"],
                                "channel": ["online"], "country": ["United Kingdom"]}),
        "items": _items(raw),
        "sales": _sales(orders),
        "orders": orders,
    }


def _find(folder: Path) -> Path:
    for name in CANDIDATES:
        if (folder / name).exists():
            return folder / name
    found = sorted([*folder.glob("*.parquet"), *folder.glob("*.xlsx"), *folder.glob("*.csv*")])
    if not found:
        raise UsageError(f"no Online Retail file in {folder}: expected one of "
                         + ", ".join(CANDIDATES))
    return found[0]


def _read(source: Path) -> pd.DataFrame:
    """The lines with UCI column names; identifiers as text, dates parsed."""
    suffixes = "".join(source.suffixes).lower()
    if suffixes.endswith(".parquet"):
        raw = pd.read_parquet(source)
    elif suffixes.endswith((".xlsx", ".xlsm", ".xls")):
        sheets = pd.read_excel(source, sheet_name=None, dtype=TEXT)
        raw = _stack_sheets([_rename(s) for s in sheets.values()])
    else:
        raw = pd.read_csv(source, dtype=TEXT, keep_default_na=False, na_values=[""],
                          encoding_errors="replace")
    raw = _rename(raw)
    missing = [c for c in COLUMNS if c not in raw.columns and c not in ("Description", "Country")]
    if missing:
        raise DataValidationError([RowError(str(source), None, c, None,
                                            "required column missing") for c in missing])
    raw = raw.reset_index(drop=True)
    raw["InvoiceDate"] = _parse_timestamps(raw["InvoiceDate"])
    return raw


def _rename(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.rename(columns=lambda c: RENAMES.get(str(c).strip().lower(), c))


def _stack_sheets(sheets: list[pd.DataFrame]) -> pd.DataFrame:
    """Online Retail II's two yearly sheets overlap in December 2010: keep each invoice once."""
    kept: list[pd.DataFrame] = []
    seen: set[str] = set()
    for sheet in sheets:
        invoices = sheet["InvoiceNo"].astype(str)
        kept.append(sheet[~invoices.isin(seen)])
        seen |= set(invoices.unique())
    return pd.concat(kept, ignore_index=True)


def _parse_timestamps(values: pd.Series) -> pd.Series:
    """ISO (Parquet, xlsx) or ``12/1/2010 8:26`` (month first, the Kaggle CSV)."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.astype("datetime64[ns]")
    text = values.astype("string").str.strip()
    parsed = pd.to_datetime(text, format="ISO8601", errors="coerce")
    retry = parsed.isna() & text.notna()
    if retry.any():
        parsed[retry] = pd.to_datetime(text[retry], format="%m/%d/%Y %H:%M", errors="coerce")
    return parsed.astype("datetime64[ns]")


def _as_id(values: pd.Series) -> pd.Series:
    """Identifiers as text: ``17850.0`` -> ``17850``, missing stays missing (None)."""
    if pd.api.types.is_numeric_dtype(values):
        values = values.astype("Int64")
    text = values.astype("string").str.strip().str.replace(r"\.0$", "", regex=True)
    text = text.mask(text.isin(["", "nan", "None", "<NA>"]))
    return pd.Series(text.to_numpy(dtype=object, na_value=None), index=values.index)


def _orders(raw: pd.DataFrame) -> pd.DataFrame:
    order_id = _as_id(raw["InvoiceNo"])
    return pd.DataFrame({
        "order_id": order_id,
        "line": (raw.groupby(order_id, sort=False).cumcount() + 1).astype("float64"),
        "customer_id": _as_id(raw["CustomerID"]),
        "timestamp": raw["InvoiceDate"],
        "item_id": _as_id(raw["StockCode"]),
        "quantity": pd.to_numeric(raw["Quantity"], errors="coerce").astype("float64"),
        "unit_price": pd.to_numeric(raw["UnitPrice"], errors="coerce").astype("float64"),
        "discount": np.nan,
        "store_id": STORE,
    })


def _items(raw: pd.DataFrame) -> pd.DataFrame:
    """Each stock code with its most frequent description (ties: the first in file order)."""
    codes = _as_id(raw["StockCode"])
    items = pd.DataFrame({"item_id": codes.dropna().unique()})
    if "Description" in raw:
        described = pd.DataFrame({"item_id": codes, "name": raw["Description"].astype("string")
                                  .str.strip()}).dropna()
        counts = described.groupby(["item_id", "name"], sort=False).size().rename("n").reset_index()
        best = counts.sort_values("n", ascending=False, kind="stable").drop_duplicates("item_id")
        items = items.merge(best[["item_id", "name"]], on="item_id", how="left")
        items["name"] = items["name"].astype(object).where(items["name"].notna(), None)
    return items.sort_values("item_id").reset_index(drop=True)


def _sales(orders: pd.DataFrame) -> pd.DataFrame:
    """Daily demand per item: positive quantities; price from the lines with a positive price
    (``data.derive.sales_from_orders``)."""
    return sales_from_orders(orders)
