"""Validation of one canonical table: parse every cell, enforce every rule of DESIGN §2.

Pure: a raw frame in, a typed frame plus a list of ``RowError`` out. Rules are vectorised so a
million rows validate in about a second; each rule keeps its first examples and its exact count,
so the message can show the first 20 errors and the total without building millions of objects.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import numpy as np
import pandas as pd

from promocast.data.cells import (
    AMBIGUOUS_DATE,
    STR,
    ParsedColumn,
    Reading,
    by_distinct,
    parse_numbers,
    parse_times,
)
from promocast.data.mapping import canonical_names
from promocast.data.percentages import parse_percentages
from promocast.data.promo_types import accepted_words, fill_implied_depths, normalise
from promocast.data.row_rules import (  # noqa: F401 - ErrorLog, MAX_EXAMPLES and
    MAX_EXAMPLES,  # infer_store_frequencies are imported from here by the callers
    DateText,
    ErrorLog,
    infer_store_frequencies,
    whole_rules,
)
from promocast.data.schema import PROMO_TYPES, Column, TableSpec
from promocast.exceptions import RowError
from promocast.wording import phrase

if TYPE_CHECKING:
    from promocast.data.staging import StagedTable

FLAG_WORDS = {"1": 1, "0": 0, "true": 1, "false": 0, "yes": 1, "no": 0, "y": 1, "n": 0,
              "是": 1, "否": 0, "t": 1, "f": 0, "1.0": 1, "0.0": 0}


@dataclass
class ValidatedTable:
    """A table that passed validation: typed canonical columns plus kept exogenous columns."""

    table: str
    source: str
    frame: pd.DataFrame | None
    """The typed table in memory, or None when it is ``staged`` on disk (a large file)."""
    exog_columns: list[str]
    notes: list[str]
    staged: StagedTable | None = None
    """The table on disk when its batches were staged (``staging.StagedSink``)."""
    readings: list[Reading] = field(default_factory=list)
    """Columns read other than plainly (decimal comma, UTC offsets, Excel serial dates);
    their notes end ``notes``."""
    date_numbers: dict[str, str] = field(default_factory=dict)
    """How each date column's plain numbers were read ("serial" or "compact"), and each
    percentage column's ("fractions" or "percent"): the batches of one file must read them
    alike (``validate_batches``)."""


def _as_str(values: pd.Series) -> pd.Series:
    """Identifiers as trimmed strings; integral floats lose their '.0' (Excel, Parquet)."""
    if pd.api.types.is_float_dtype(values):
        integral = values.dropna()
        if len(integral) and (integral == np.floor(integral)).all():
            values = values.astype("Int64")
    out = values.astype(STR).str.strip()
    return out.mask(out == "", pd.NA)


def _parse_flag(values: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(values):
        return values.astype("float64")
    if pd.api.types.is_numeric_dtype(values):
        return values.astype("float64").where(values.isin([0, 1]), np.nan)
    text = values.astype(STR).str.strip().str.lower()
    return by_distinct(text, lambda t: t.map(FLAG_WORDS).astype("float64"))


def _parse(column: Column, values: pd.Series,
           percent_cells: np.ndarray | None = None) -> ParsedColumn:
    if column.dtype == "str":
        return ParsedColumn(_as_str(values))
    if column.percent:
        return parse_percentages(values, column.name, percent_cells)
    if column.dtype == "float":
        return parse_numbers(values, column.name)
    if column.dtype == "flag":
        return ParsedColumn(_parse_flag(values))
    return parse_times(values, column.name, with_time=column.dtype == "timestamp")


_EXPECTED = {"date": "a date YYYY-MM-DD", "timestamp": "a date-time YYYY-MM-DD HH:MM:SS",
             "float": "a number", "flag": "0 or 1", "str": "text"}


def validate_table(raw: pd.DataFrame, spec: TableSpec, source: str, *, first_row: int = 2,
                   user_map: dict[str, str] | None = None, today: pd.Timestamp | None = None,
                   whole: bool = True, stored: bool = True,
                   percent_cells: Mapping[str, np.ndarray] | None = None,
                   ) -> tuple[ValidatedTable | None, ErrorLog]:
    """Parse and check one table. Returns the typed table (None when any error) and the errors.

    ``whole=False``: ``raw`` is one batch of a larger file (its index numbers its rows in the
    file): the rules across rows (keys, frequency, order lines) are left to
    ``validate_batches``, and the typed frame keeps the batch's index. ``stored=False``: the
    rows are a what-if scenario, not past promotions to keep: the rules that make a stored
    promotion costable (``_threshold_terms``) are left to ``promotions.scenario``, whose
    threshold may give its depth as discount_pct. ``percent_cells``: per header of ``raw``,
    its cells that an Excel number format shows as percentages (``RawTable.percent_cells``),
    read x 100 in a percentage column (``data.percentages``)."""
    log = ErrorLog()
    notes: list[str] = []
    readings: list[Reading] = []
    date_numbers: dict[str, str] = {}
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
                             + phrase("map_column", column=name)))
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
        parsed = _parse(column, original, (percent_cells or {}).get(seen[column.name]))
        values = parsed.values
        present = _present(original)
        bad = (values.isna() & present).to_numpy()
        _check_reading(log, source, rows, column.name, parsed, original, first_row, readings)
        if parsed.date_numbers is not None:
            date_numbers[column.name] = parsed.date_numbers
        if parsed.scale is not None:
            date_numbers[column.name] = parsed.scale
        if parsed.date_order is not None:
            date_numbers[f"{column.name} order"] = parsed.date_order
        if parsed.mixed is not None:
            bad &= ~parsed.mixed  # one error per cell
        for refused, _ in parsed.refusals:
            bad &= ~refused
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
            exog_name = str(col).strip()
            parsed = parse_numbers(raw[col], exog_name)
            numbers = parsed.values
            if numbers.notna().sum() >= max(1, 0.5 * raw[col].notna().sum()):
                _check_reading(log, source, rows, exog_name, parsed, raw[col], first_row,
                               readings)
                frame[exog_name] = numbers
                exog.append(exog_name)
            else:
                notes.append(f"{source}: column {col!r} is not numeric and was ignored")
    else:
        ignored = [str(c) for c in raw.columns if c not in names]
        if ignored:
            notes.append(f"{source}: columns ignored (not part of table {spec.name}): {', '.join(ignored)}")

    if whole:
        whole_rules(log, spec, source, frame, seen, first_row, raw[seen["date"]]
                     if spec.name == "sales" else None)
    if spec.name == "promotions":  # 第二件半价 states its depth: 25 (``promo_types``)
        frame["discount_pct"], filled = fill_implied_depths(frame["promo_type"],
                                                            frame["discount_pct"])
        if filled:
            notes.append(f"{source}: discount_pct filled from the promo_type for {filled:,} "
                         "multi-buy deals without one (第二件半价 = 25, 买一送一 = 50, 第二件8折 "
                         "= 10, 2件8折 = 20: the share of the regular price given back per piece)")
    _table_rules(log, spec, source, frame, raw, seen, first_row, today)
    if stored and spec.name == "promotions":
        _threshold_terms(log, source, frame, raw, seen, first_row)
    if log.total:
        return None, log
    notes += [reading.note(source) for reading in readings]
    return ValidatedTable(spec.name, source, frame.reset_index(drop=True) if whole else frame,
                          exog, notes, readings=readings, date_numbers=date_numbers), log


def _present(original: pd.Series) -> pd.Series:
    present = original.notna()
    if original.dtype == object or pd.api.types.is_string_dtype(original):
        present &= original.astype(STR).str.strip().ne("").fillna(False).astype(bool)
    return present


def _check_reading(log: ErrorLog, source: str, rows: pd.Index, name: str, parsed: ParsedColumn,
                   original: pd.Series, first_row: int, readings: list[Reading]) -> None:
    """Keep how a column was read (for the notes); refuse its cells that mix conventions."""
    if parsed.reading is not None:
        readings.append(parsed.reading)
    if parsed.mixed is not None:
        log.add_mask(source, rows, parsed.mixed, name, original,
                     parsed.mixed_rule(rows, first_row), first_row)
    for refused, rule in parsed.refusals:
        log.add_mask(source, rows, refused, name, original, rule, first_row)


class BatchMismatch(ValueError):
    """The batches of one file disagree (its extra columns are numeric in some batches only):
    the file must be validated whole."""


class BatchSink(Protocol):
    """Where ``validate_batches`` keeps the typed batches of one file until its rules across
    rows have run: in memory (``FrameSink``) or on disk (``staging.StagedSink``)."""

    rows: int

    def supports(self, spec: TableSpec, seen: dict[str, str]) -> bool: ...

    def add(self, spec: TableSpec, frame: pd.DataFrame) -> None: ...

    def discard(self) -> None: ...

    def finish(self, log: ErrorLog, spec: TableSpec, source: str, seen: dict[str, str],
               first_row: int) -> pd.DataFrame | StagedTable: ...


class FrameSink:
    """The typed batches held in memory and joined into one frame (column by column)."""

    def __init__(self) -> None:
        self.parts: list[pd.DataFrame] = []
        self.rows = 0

    @staticmethod
    def supports(spec: TableSpec, seen: dict[str, str]) -> bool:
        return True

    def add(self, spec: TableSpec, frame: pd.DataFrame) -> None:
        self.parts.append(frame)
        self.rows += len(frame)

    def discard(self) -> None:
        self.parts, self.rows = [], 0

    def finish(self, log: ErrorLog, spec: TableSpec, source: str, seen: dict[str, str],
               first_row: int) -> pd.DataFrame:
        frame = _concat_columns(self.parts)
        self.parts = []
        whole_rules(log, spec, source, frame, seen, first_row,
                     DateText(frame["date"]) if spec.name == "sales" else None)
        return frame


def validate_batches(batches: Iterable[pd.DataFrame], spec: TableSpec, source: str, *,
                     first_row: int = 2, user_map: dict[str, str] | None = None,
                     today: pd.Timestamp | None = None,
                     sink: BatchSink | None = None) -> tuple[ValidatedTable | None, ErrorLog]:
    """``validate_table`` over a file read in batches (each indexed by its rows in the file),
    holding one raw batch at a time: the typed batches go to ``sink`` (in memory by default;
    a ``staging.StagedSink`` keeps them on disk), then the rules across rows run on every row.
    Errors count as in one piece, except that a file with errors in its cells is not checked
    for duplicate keys and frequency as well. The result has ``frame`` (in memory) or
    ``staged`` set. Raises ``BatchMismatch`` when the batches disagree on the extra columns
    or on how a column is read (``_merge_readings``; numbers in a date column read as Excel
    serials in one batch and as YYYYMMDD in another)."""
    log = ErrorLog()
    keep = True
    exog: list[str] | None = None
    notes: list[str] = []
    readings: dict[str, Reading] = {}
    date_numbers: dict[str, str] = {}
    seen: dict[str, str] = {}
    try:
        for batch in batches:
            if exog is None:
                names = canonical_names(list(batch.columns), set(spec.names), user_map)
                seen = {dst: src for src, dst in names.items()}
                if sink is None or not sink.supports(spec, seen):
                    sink = FrameSink()
            table, batch_log = validate_table(batch, spec, source, first_row=first_row,
                                              user_map=user_map, today=today, whole=False)
            if any(e.rule.startswith(AMBIGUOUS_DATE[:40]) for e in batch_log.examples):
                raise BatchMismatch(source)  # another batch may hold the day above 12
            log.examples += batch_log.examples
            log.total += batch_log.total
            if batch_log.total and all(e.row is None for e in batch_log.examples):
                assert sink is not None
                sink.discard()
                return None, log  # the header is wrong: every batch would say so again
            if table is None:
                keep = False
                assert sink is not None
                sink.discard()
                continue
            if exog is None:
                exog, notes = table.exog_columns, table.notes[:len(table.notes) - len(table.readings)]
                readings = {r.column: r for r in table.readings}
            elif table.exog_columns != exog:
                raise BatchMismatch(source)
            else:
                readings = _merge_readings(readings, table.readings, source)
            for col, kind in table.date_numbers.items():
                if date_numbers.setdefault(col, kind) != kind:
                    raise BatchMismatch(source)
            if keep:
                assert sink is not None
                sink.add(spec, table.frame)
        if sink is None or log.total or not sink.rows:
            return None, log
        kept = sink.finish(log, spec, source, seen, first_row)
    except BaseException:
        if sink is not None:
            sink.discard()
        raise
    if log.total:
        sink.discard()
        return None, log
    notes = notes + [reading.note(source) for reading in readings.values()]
    if isinstance(kept, pd.DataFrame):
        return ValidatedTable(spec.name, source, kept, exog or [], notes,
                              readings=list(readings.values()), date_numbers=date_numbers), log
    return ValidatedTable(spec.name, source, None, exog or [], notes, staged=kept,
                          readings=list(readings.values()), date_numbers=date_numbers), log


def _merge_readings(kept: dict[str, Reading], batch: list[Reading],
                    source: str) -> dict[str, Reading]:
    """The readings of the batches so far and of one more, as one per column. Raises
    ``BatchMismatch`` when they decided differently: a decimal comma in some batches only (a
    batch without one read "1,299" as 1299), or another shop offset."""
    merged = dict(kept)
    commas = {r.column for r in batch if r.decimal_comma}
    if commas != {r.column for r in kept.values() if r.decimal_comma}:
        raise BatchMismatch(source)
    for reading in batch:
        both = merged[reading.column].merged(reading) if reading.column in merged else reading
        if both is None:
            raise BatchMismatch(source)
        merged[reading.column] = both
    return merged


def _concat_columns(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """The batches as one frame with a fresh index, joined one column at a time (each batch's
    column is dropped once copied, so only one column is ever held twice)."""
    columns: dict[str, pd.Series] = {}
    for col in list(parts[0].columns):
        columns[col] = pd.concat([part.pop(col) for part in parts], ignore_index=True)
    return pd.DataFrame(columns, copy=False)


def _check_bounds(log: ErrorLog, source: str, rows: pd.Index, column: Column, values: pd.Series,
                  original: pd.Series, first_row: int) -> None:
    if column.dtype == "float":
        infinite = np.isinf(values.to_numpy(dtype=float))
        log.add_mask(source, rows, infinite, column.name, original,
                     f"{column.name} must be a finite number", first_row)
        values = values.where(~infinite)  # one error per cell: not out of bounds as well
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
        kinds = normalise(frame["promo_type"])
        frame["promo_type"] = kinds.astype(STR)
        unknown = (~kinds.isin(PROMO_TYPES) & kinds.notna()).to_numpy()
        log.add_mask(source, rows, unknown, "promo_type", raw[seen["promo_type"]],
                     f"unknown promo_type (allowed: {accepted_words()})", first_row)
        neither = (frame["item_id"].isna() & frame["category"].isna()).to_numpy()
        log.add_mask(source, rows, neither, "item_id", None,
                     "a promotion needs item_id or category", first_row)
    if spec.name == "sales" and today is not None:
        future = (frame["date"] > today).to_numpy()
        log.add_mask(source, rows, future, "date", raw[seen["date"]],
                     f"date is after today ({today.date()}): sales must be actuals", first_row)


THRESHOLD_TERMS = ("a threshold promotion (spend X save Y) needs threshold_amount X > 0 and "
                   "amount_off Y > 0, Y below X, or the share it gives back as discount_pct "
                   "(spend X get discount_pct % off): without them its rebate cannot be costed")
"""The rule of ``_threshold_terms`` as the refusal states it."""


def _threshold_terms(log: ErrorLog, source: str, frame: pd.DataFrame, raw: pd.DataFrame,
                     seen: dict[str, str], first_row: int) -> None:
    """A past threshold promotion is costed from its terms: ``promo evaluate`` gives back Y / X
    of what each buyer paid (DESIGN §2: threshold_amount X, amount_off Y), or discount_pct %
    of it when the deal gives a share back (满X打N折). Without both, it was
    stored and costed at a rebate of 0, its margin and ROI flattered."""
    rows = frame.index
    threshold = frame["promo_type"].eq("threshold").fillna(False).to_numpy(dtype=bool)
    if not threshold.any():
        return
    bar = frame["threshold_amount"].to_numpy(dtype=float)
    off = frame["amount_off"].to_numpy(dtype=float)
    if "discount_pct" in frame:  # spend X get N % off: costed from the share alone
        pct = frame["discount_pct"].to_numpy(dtype=float)
        threshold &= ~((pct > 0) & (pct <= 90))
        if not threshold.any():
            return

    def shown(column: str) -> pd.Series | None:
        return raw[seen[column]] if column in seen else None

    no_bar = threshold & ~(bar > 0)
    no_off = threshold & ~(off > 0)
    log.add_mask(source, rows, no_bar, "threshold_amount", shown("threshold_amount"),
                 THRESHOLD_TERMS, first_row)
    log.add_mask(source, rows, no_off, "amount_off", shown("amount_off"), THRESHOLD_TERMS,
                 first_row)
    log.add_mask(source, rows, threshold & ~no_bar & ~no_off & (off >= bar), "amount_off",
                 shown("amount_off"), THRESHOLD_TERMS, first_row)
