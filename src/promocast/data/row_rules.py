"""The rules of a canonical table across its rows (order line numbers, duplicate keys, one
frequency per store) and the error log every rule writes to.

Split from ``validate`` (the per-cell parsing and rules) so the in-memory path
(``validate.validate_table``) and the staged path (``staging``) share them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from promocast.data.frequency import infer_frequency
from promocast.data.schema import TableSpec
from promocast.exceptions import RowError

MAX_EXAMPLES = 20


@dataclass
class ErrorLog:
    """Errors of one table: the first examples per rule and exact totals."""

    examples: list[RowError] = field(default_factory=list)
    total: int = 0

    def add(self, error: RowError) -> None:
        self.total += 1
        self.examples.append(error)

    def add_mask(self, source: str, frame_rows: pd.Index, mask: np.ndarray, column: str | None,
                 values: pd.Series | None, rule: str, first_row: int) -> None:
        """Record every row where ``mask`` is true (count all, keep the first examples)."""
        hits = np.flatnonzero(mask)
        if not len(hits):
            return
        self.total += len(hits)
        for pos in hits[:MAX_EXAMPLES]:
            value = None if values is None else values.iloc[pos]
            shown = None if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)
            self.examples.append(
                RowError(source, int(frame_rows[pos]) + first_row, column, shown, rule)
            )

    def first(self, n: int = MAX_EXAMPLES) -> list[RowError]:
        return sorted(self.examples, key=lambda e: (e.file, e.row or 0))[:n]


class DateText:
    """Typed dates shown as a user wrote them (YYYY-MM-DD) in error examples, formatted only
    for the rows shown (the batches' raw text is gone by the time rows are compared)."""

    def __init__(self, dates: pd.Series) -> None:
        self.dates = dates

    @property
    def iloc(self) -> DateText:
        return self

    def __getitem__(self, pos: int) -> str | None:
        value = self.dates.iloc[pos]
        return None if pd.isna(value) else value.strftime("%Y-%m-%d")


def whole_rules(log: ErrorLog, spec: TableSpec, source: str, frame: pd.DataFrame,
                 seen: dict[str, str], first_row: int, dates_shown: object | None) -> None:
    """The rules across rows: order line numbers, duplicate keys, one frequency per store
    (``dates_shown``: the sales dates as the error examples show them)."""
    rows = frame.index
    if spec.name == "orders" and "line" not in seen:
        # Lines numbered in file order within each order: one order may list an item twice.
        frame["line"] = (frame.groupby("order_id", sort=False).cumcount() + 1).astype("float64")
    key = list(spec.key)
    if key and not any(frame[k].isna().any() for k in key):  # frame[key] would copy them
        dup = _duplicated(frame, key)
        if dup.any():
            label = frame[key].astype(str).agg("/".join, axis=1)
            log.add_mask(source, rows, dup, ",".join(key), label,
                         f"duplicate key ({', '.join(key)}) already given on an earlier row", first_row)
    if spec.name == "sales":
        _check_frequency(log, source, frame, dates_shown, first_row)


def _combined_codes(frame: pd.DataFrame, columns: list[str],
                    ) -> tuple[np.ndarray, list[pd.Index], list[int]] | None:
    """One int64 code per row for the values of ``columns`` together (mixed radix over each
    column's factorisation), its uniques and radixes; None when they would not fit in int64."""
    combined = np.zeros(len(frame), dtype=np.int64)
    uniques, sizes = [], []
    for col in columns:
        codes, values = pd.factorize(frame[col])
        size = max(len(values), 1)
        if int(np.prod([*sizes, size], dtype=object)) >= 2**62:
            return None
        combined *= size
        combined += codes
        uniques.append(pd.Index(values))
        sizes.append(size)
    return combined, uniques, sizes


def _duplicated(frame: pd.DataFrame, key: list[str]) -> np.ndarray:
    """``frame.duplicated(subset=key, keep="first")`` without its hash table of every row
    (about 4 GB for 57 M sales rows): the rows' combined key codes, sorted stably."""
    coded = _combined_codes(frame, key) if len(frame) > 1 else None
    if coded is None:
        return frame.duplicated(subset=key, keep="first").to_numpy()
    return repeated_codes(coded[0])


def repeated_codes(combined: np.ndarray) -> np.ndarray:
    """True where a row's combined key code already appeared in an earlier row (``keep="first"``
    of ``duplicated``), from one stable sort of the codes: equal keys keep their file order."""
    order = np.argsort(combined, kind="stable")
    ranked = combined[order]
    repeat = np.zeros(len(combined), dtype=bool)
    repeat[1:] = ranked[1:] == ranked[:-1]
    dup = np.empty(len(combined), dtype=bool)
    dup[order] = repeat
    return dup


def _distinct_pairs(dates: pd.DataFrame) -> pd.DataFrame:
    """The distinct (store_id, date) rows, from their combined codes (no row hash table)."""
    coded = _combined_codes(dates, ["store_id", "date"])
    if coded is None:
        return dates.drop_duplicates()
    combined, (stores, days), (_, n_days) = coded
    distinct = np.unique(combined)
    return pd.DataFrame({"store_id": stores[distinct // n_days],
                         "date": days[distinct % n_days]})


def frequency_outliers(distinct: pd.DataFrame) -> list[tuple[object, int, set]]:
    """Stores whose distinct dates (``distinct``: store_id, date pairs) are no single
    frequency: (store, the dominant weekday, the dates off it), by store."""
    out = []
    for store, group in distinct.groupby("store_id", sort=True):
        if infer_frequency(group["date"]) is not None:
            continue
        weekday = group["date"].dt.weekday
        dominant = weekday.mode().iloc[0]
        out.append((store, dominant, set(group.loc[weekday != dominant, "date"])))
    return out


def _check_frequency(log: ErrorLog, source: str, frame: pd.DataFrame,
                     original: pd.Series | DateText, first_row: int) -> None:
    """One frequency per store: every store's dates all daily, all weekly or all monthly."""
    # No copy of the two columns (57 M rows at M5 size) unless some cell is missing.
    dates = pd.DataFrame({"store_id": frame["store_id"], "date": frame["date"]}, copy=False)
    if dates["store_id"].isna().any() or dates["date"].isna().any():
        dates = dates.dropna()
    if dates.empty:
        return
    for store, dominant, odd_dates in frequency_outliers(_distinct_pairs(dates)):
        mask = (frame["store_id"].eq(store) & frame["date"].isin(odd_dates)).to_numpy()
        log.add_mask(source, frame.index, mask, "date", original,
                     f"mixed frequency in store {store!r}: most dates fall on weekday "
                     f"{dominant} (weekly) but this one does not", first_row)


def infer_store_frequencies(sales: pd.DataFrame) -> dict[str, str]:
    """``{store_id: "D" | "W" | "MS"}`` for validated sales."""
    distinct = sales[["store_id", "date"]].drop_duplicates()
    return {str(store): infer_frequency(group["date"]) or "D"
            for store, group in distinct.groupby("store_id", sort=True)}
