"""Validation of one canonical table: parse every cell, enforce every rule of DESIGN §2.

Pure: a raw frame in, a typed frame plus a list of ``RowError`` out. Rules are vectorised so a
million rows validate in about a second; each rule keeps its first examples and its exact count,
so the message can show the first 20 errors and the total without building millions of objects.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from promocast.data.frequency import infer_frequency
from promocast.data.mapping import canonical_names
from promocast.data.schema import PROMO_TYPES, Column, TableSpec
from promocast.exceptions import RowError

MAX_EXAMPLES = 20
STR = "string[pyarrow]"
"""Arrow-backed strings: trimming and parsing a million cells is vectorised, not a Python loop."""
DISTINCT_MIN_ROWS = 100_000
"""Text columns from this length on are parsed once per distinct value (``_by_distinct``)."""

PROMO_TYPE_SYNONYMS = {
    "满减": "threshold", "满额减": "threshold", "spend_save": "threshold", "spend_x_save_y": "threshold",
    "折扣": "percent_off", "打折": "percent_off", "discount": "percent_off", "percent": "percent_off",
    "直降": "amount_off", "立减": "amount_off", "coupon": "amount_off", "优惠券": "amount_off",
    "赠品": "gift", "买赠": "gift", "gift_with_purchase": "gift",
    "秒杀": "flash_sale", "限时抢购": "flash_sale", "flash": "flash_sale",
    "套装": "bundle", "组合": "bundle", "bogo": "bundle",
    "陈列": "feature_display", "feature": "feature_display", "display": "feature_display",
}
FLAG_WORDS = {"1": 1, "0": 0, "true": 1, "false": 0, "yes": 1, "no": 0, "y": 1, "n": 0,
              "是": 1, "否": 0, "t": 1, "f": 0, "1.0": 1, "0.0": 0}


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


@dataclass
class ValidatedTable:
    """A table that passed validation: typed canonical columns plus kept exogenous columns."""

    table: str
    source: str
    frame: pd.DataFrame
    exog_columns: list[str]
    notes: list[str]


def _as_str(values: pd.Series) -> pd.Series:
    """Identifiers as trimmed strings; integral floats lose their '.0' (Excel, Parquet)."""
    if pd.api.types.is_float_dtype(values):
        integral = values.dropna()
        if len(integral) and (integral == np.floor(integral)).all():
            values = values.astype("Int64")
    out = values.astype(STR).str.strip()
    return out.mask(out == "", pd.NA)


def _by_distinct(text: pd.Series, parse: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """``parse`` applied to the distinct values of an Arrow-backed text column only, then
    spread back by their codes: the same result as parsing every cell, but a 59 M-row sales
    file has a few thousand distinct dates and prices, and pandas parses Arrow strings one by
    one through Python objects (a minute per column at that size)."""
    if getattr(text.dtype, "storage", None) != "pyarrow" or len(text) < DISTINCT_MIN_ROWS:
        return parse(text)
    encoded = pc.dictionary_encode(pa.chunked_array(pa.array(text.array))).combine_chunks()
    if len(encoded.dictionary) > len(text) // 4:
        return parse(text)
    distinct = pd.Series(encoded.dictionary.to_pandas(), dtype=STR)
    parsed = parse(distinct)
    codes = pc.fill_null(encoded.indices, len(distinct)).to_numpy(zero_copy_only=False)
    missing = pd.Series([None], dtype=parsed.dtype)
    values = pd.concat([parsed, missing], ignore_index=True).to_numpy()
    return pd.Series(values[codes], index=text.index, dtype=parsed.dtype)


def _parse_number(values: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values.astype("float64")
    return _by_distinct(values.astype(STR).str.strip(), _number_text)


def _number_text(text: pd.Series) -> pd.Series:
    parsed = pd.to_numeric(text, errors="coerce")
    retry = parsed.isna() & text.notna()
    if retry.any():  # "¥1,299.00", "12%"
        cleaned = text[retry].str.replace(r"^[¥￥$€£]|,|%$", "", regex=True)
        parsed[retry] = pd.to_numeric(cleaned, errors="coerce")
    return parsed.astype("float64")


def _parse_date(values: pd.Series, with_time: bool) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(values):
        out = values.dt.tz_localize(None) if getattr(values.dt, "tz", None) else values
        return out if with_time else out.dt.normalize()
    text = values.astype(STR).str.strip()
    return _by_distinct(text, lambda t: _date_text(t, with_time))


def _date_text(text: pd.Series, with_time: bool) -> pd.Series:
    if with_time:
        parsed = pd.to_datetime(text, format="ISO8601", errors="coerce")
    else:
        parsed = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    retry = parsed.isna() & text.notna()
    if retry.any():  # 2024/01/05, 20240105, 2024-01-05 00:00:00
        alt = text[retry].str.replace("/", "-").str.replace(".", "-", regex=False)
        compact = alt.str.fullmatch(r"\d{8}")
        alt = alt.where(~compact, alt.str[:4] + "-" + alt.str[4:6] + "-" + alt.str[6:8])
        parsed[retry] = pd.to_datetime(alt, format="ISO8601", errors="coerce")
    parsed = parsed.astype("datetime64[ns]")
    return parsed if with_time else parsed.dt.normalize()


def _parse_flag(values: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(values):
        return values.astype("float64")
    if pd.api.types.is_numeric_dtype(values):
        return values.astype("float64").where(values.isin([0, 1]), np.nan)
    text = values.astype(STR).str.strip().str.lower()
    return _by_distinct(text, lambda t: t.map(FLAG_WORDS).astype("float64"))


def _parse(column: Column, values: pd.Series) -> pd.Series:
    if column.dtype == "str":
        return _as_str(values)
    if column.dtype == "float":
        return _parse_number(values)
    if column.dtype == "flag":
        return _parse_flag(values)
    return _parse_date(values, with_time=column.dtype == "timestamp")


_EXPECTED = {"date": "a date YYYY-MM-DD", "timestamp": "a date-time YYYY-MM-DD HH:MM:SS",
             "float": "a number", "flag": "0 or 1", "str": "text"}


def validate_table(raw: pd.DataFrame, spec: TableSpec, source: str, *, first_row: int = 2,
                   user_map: dict[str, str] | None = None, today: pd.Timestamp | None = None,
                   whole: bool = True) -> tuple[ValidatedTable | None, ErrorLog]:
    """Parse and check one table. Returns the typed table (None when any error) and the errors.

    ``whole=False``: ``raw`` is one batch of a larger file (its index numbers its rows in the
    file): the rules across rows (keys, frequency, order lines) are left to
    ``validate_batches``, and the typed frame keeps the batch's index."""
    log = ErrorLog()
    notes: list[str] = []
    names = canonical_names(list(raw.columns), set(spec.names), user_map)
    # A user's mapping may name a target that is not canonical for this table.
    for src, dst in names.items():
        if not spec.has(dst):
            log.add(RowError(source, None, src, None,
                             f"mapped to unknown column {dst!r} of table {spec.name}"))
    seen: dict[str, str] = {}
    for src, dst in names.items():
        if dst in seen:
            log.add(RowError(source, None, src, None,
                             f"both {seen[dst]!r} and {src!r} map to column {dst!r}"))
        seen[dst] = src
    for name in spec.required:
        if name not in seen:
            log.add(RowError(source, None, name, None,
                             f"required column missing (file has: {', '.join(map(str, raw.columns))}); "
                             "rename it or pass --map SOURCE=" + name))
    if log.total:
        return None, log

    rows = raw.index
    typed: dict[str, pd.Series] = {}
    for column in spec.columns:
        if column.name not in seen:
            default = column.default
            if column.dtype == "str":
                typed[column.name] = pd.Series(default, index=rows, dtype=STR)
            elif column.dtype in ("date", "timestamp"):
                typed[column.name] = pd.Series(pd.NaT, index=rows, dtype="datetime64[ns]")
            else:
                typed[column.name] = pd.Series(default if default is not None else np.nan,
                                               index=rows, dtype="float64")
            continue
        original = raw[seen[column.name]]
        values = _parse(column, original)
        present = original.notna()
        if original.dtype == object or pd.api.types.is_string_dtype(original):
            present &= original.astype(STR).str.strip().ne("").fillna(False).astype(bool)
        bad = (values.isna() & present).to_numpy()
        log.add_mask(source, rows, bad, column.name, original, f"cannot parse as {_EXPECTED[column.dtype]}", first_row)
        missing = ~present.to_numpy()
        if not column.nullable and column.default is None:
            log.add_mask(source, rows, missing, column.name, None, "missing value in a required column", first_row)
        elif column.default is not None:
            values = values.where(present, column.default)
        _check_bounds(log, source, rows, column, values, original, first_row)
        typed[column.name] = values

    frame = pd.DataFrame(typed, index=rows)
    exog: list[str] = []
    if spec.extra_columns:
        for col in raw.columns:
            if col in names:
                continue
            numbers = _parse_number(raw[col])
            if numbers.notna().sum() >= max(1, 0.5 * raw[col].notna().sum()):
                exog_name = str(col).strip()
                frame[exog_name] = numbers
                exog.append(exog_name)
            else:
                notes.append(f"{source}: column {col!r} is not numeric and was ignored")
    else:
        ignored = [str(c) for c in raw.columns if c not in names]
        if ignored:
            notes.append(f"{source}: columns ignored (not part of table {spec.name}): {', '.join(ignored)}")

    if whole:
        _whole_rules(log, spec, source, frame, seen, first_row, raw[seen["date"]]
                     if spec.name == "sales" else None)
    _table_rules(log, spec, source, frame, raw, seen, first_row, today)
    if log.total:
        return None, log
    return ValidatedTable(spec.name, source, frame.reset_index(drop=True) if whole else frame,
                          exog, notes), log


class BatchMismatch(ValueError):
    """The batches of one file disagree (its extra columns are numeric in some batches only):
    the file must be validated whole."""


def validate_batches(batches: Iterable[pd.DataFrame], spec: TableSpec, source: str, *,
                     first_row: int = 2, user_map: dict[str, str] | None = None,
                     today: pd.Timestamp | None = None) -> tuple[ValidatedTable | None, ErrorLog]:
    """``validate_table`` over a file read in batches (each indexed by its rows in the file),
    holding one raw batch at a time: the typed batches are joined column by column, then the
    rules across rows run on the whole table. Errors count as in one piece, except that a file
    with errors in its cells is not checked for duplicate keys and frequency as well.
    Raises ``BatchMismatch`` when the batches disagree on the extra columns."""
    log = ErrorLog()
    parts: list[pd.DataFrame] | None = []
    exog: list[str] | None = None
    notes: list[str] = []
    seen: dict[str, str] = {}
    for batch in batches:
        if exog is None:
            names = canonical_names(list(batch.columns), set(spec.names), user_map)
            seen = {dst: src for src, dst in names.items()}
        table, batch_log = validate_table(batch, spec, source, first_row=first_row,
                                          user_map=user_map, today=today, whole=False)
        log.examples += batch_log.examples
        log.total += batch_log.total
        if batch_log.total and all(e.row is None for e in batch_log.examples):
            return None, log  # the header is wrong: every batch would say so again
        if table is None:
            parts = None
            continue
        if exog is None:
            exog, notes = table.exog_columns, table.notes
        elif table.exog_columns != exog:
            raise BatchMismatch(source)
        if parts is not None:
            parts.append(table.frame)
    if log.total or not parts:
        return None, log
    frame = _concat_columns(parts)
    _whole_rules(log, spec, source, frame, seen, first_row,
                 _DateText(frame["date"]) if spec.name == "sales" else None)
    if log.total:
        return None, log
    return ValidatedTable(spec.name, source, frame, exog or [], notes), log


def _concat_columns(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """The batches as one frame with a fresh index, joined one column at a time (each batch's
    column is dropped once copied, so only one column is ever held twice)."""
    columns: dict[str, pd.Series] = {}
    for col in list(parts[0].columns):
        columns[col] = pd.concat([part.pop(col) for part in parts], ignore_index=True)
    return pd.DataFrame(columns, copy=False)


class _DateText:
    """Typed dates shown as a user wrote them (YYYY-MM-DD) in error examples, formatted only
    for the rows shown (the batches' raw text is gone by the time rows are compared)."""

    def __init__(self, dates: pd.Series) -> None:
        self.dates = dates

    @property
    def iloc(self) -> _DateText:
        return self

    def __getitem__(self, pos: int) -> str | None:
        value = self.dates.iloc[pos]
        return None if pd.isna(value) else value.strftime("%Y-%m-%d")


def _check_bounds(log: ErrorLog, source: str, rows: pd.Index, column: Column, values: pd.Series,
                  original: pd.Series, first_row: int) -> None:
    if column.min_value is not None:
        if column.min_exclusive:
            bad = (values <= column.min_value).to_numpy()
            rule = f"{column.name} must be > {column.min_value:g}"
        else:
            bad = (values < column.min_value).to_numpy()
            rule = f"{column.name} must be >= {column.min_value:g}"
        log.add_mask(source, rows, bad, column.name, original, rule, first_row)
    if column.max_value is not None:
        bad = (values > column.max_value).to_numpy()
        log.add_mask(source, rows, bad, column.name, original,
                     f"{column.name} must be <= {column.max_value:g}", first_row)


def _table_rules(log: ErrorLog, spec: TableSpec, source: str, frame: pd.DataFrame,
                 raw: pd.DataFrame, seen: dict[str, str], first_row: int,
                 today: pd.Timestamp | None) -> None:
    rows = frame.index
    if spec.name == "promotions":
        bad = (frame["end_date"] < frame["start_date"]).to_numpy()
        log.add_mask(source, rows, bad, "end_date", raw[seen["end_date"]], "end_date before start_date", first_row)
        kinds = frame["promo_type"].str.lower().str.strip().str.replace(r"[\s\-]+", "_", regex=True)
        kinds = kinds.map(lambda k: PROMO_TYPE_SYNONYMS.get(k, k) if isinstance(k, str) else k)
        frame["promo_type"] = kinds.astype(STR)
        unknown = (~kinds.isin(PROMO_TYPES) & kinds.notna()).to_numpy()
        log.add_mask(source, rows, unknown, "promo_type", raw[seen["promo_type"]],
                     f"unknown promo_type (allowed: {', '.join(PROMO_TYPES)})", first_row)
        neither = (frame["item_id"].isna() & frame["category"].isna()).to_numpy()
        log.add_mask(source, rows, neither, "item_id", None,
                     "a promotion needs item_id or category", first_row)
    if spec.name == "sales" and today is not None:
        future = (frame["date"] > today).to_numpy()
        log.add_mask(source, rows, future, "date", raw[seen["date"]],
                     f"date is after today ({today.date()}): sales must be actuals", first_row)


def _whole_rules(log: ErrorLog, spec: TableSpec, source: str, frame: pd.DataFrame,
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
    combined = coded[0]
    order = np.argsort(combined, kind="stable")  # equal keys keep their file order
    ranked = combined[order]
    repeat = np.zeros(len(frame), dtype=bool)
    repeat[1:] = ranked[1:] == ranked[:-1]
    dup = np.empty(len(frame), dtype=bool)
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


def _check_frequency(log: ErrorLog, source: str, frame: pd.DataFrame,
                     original: pd.Series | _DateText, first_row: int) -> None:
    """One frequency per store: every store's dates all daily, all weekly or all monthly."""
    # No copy of the two columns (57 M rows at M5 size) unless some cell is missing.
    dates = pd.DataFrame({"store_id": frame["store_id"], "date": frame["date"]}, copy=False)
    if dates["store_id"].isna().any() or dates["date"].isna().any():
        dates = dates.dropna()
    if dates.empty:
        return
    distinct = _distinct_pairs(dates)
    for store, group in distinct.groupby("store_id", sort=True):
        if infer_frequency(group["date"]) is not None:
            continue
        weekday = group["date"].dt.weekday
        dominant = weekday.mode().iloc[0]
        odd_dates = set(group.loc[weekday != dominant, "date"])
        mask = (frame["store_id"].eq(store) & frame["date"].isin(odd_dates)).to_numpy()
        log.add_mask(source, frame.index, mask, "date", original,
                     f"mixed frequency in store {store!r}: most dates fall on weekday "
                     f"{dominant} (weekly) but this one does not", first_row)


def infer_store_frequencies(sales: pd.DataFrame) -> dict[str, str]:
    """``{store_id: "D" | "W" | "MS"}`` for validated sales."""
    distinct = sales[["store_id", "date"]].drop_duplicates()
    return {str(store): infer_frequency(group["date"]) or "D"
            for store, group in distinct.groupby("store_id", sort=True)}
