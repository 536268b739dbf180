"""Reading text cells as shops write them: numbers with thousands separators, currency signs
or a decimal comma, times with a UTC offset, and dates saved by Excel as serial day numbers.

Each reader decides for a whole column, never cell by cell: "1,299" is one thousand two
hundred and ninety-nine in a column of "1,299.00" and one point two nine nine in a column of
"12,50". What was decided comes back with the values (``Reading``), so the loader can say so
in a note, and a column that mixes two conventions comes back with its odd cells marked, so
the loader can refuse it (DESIGN §2) instead of guessing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

STR = "string[pyarrow]"
"""Arrow-backed strings: trimming and parsing a million cells is vectorised, not a Python loop."""
DISTINCT_MIN_ROWS = 100_000
"""Text columns from this length on are parsed once per distinct value (``by_distinct``)."""


def by_distinct(text: pd.Series, parse: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """``parse`` applied to the distinct values of an Arrow-backed text column only, then
    spread back by their codes: the same result as parsing every cell, but a 59 M-row sales
    file has a few thousand distinct dates and prices, and pandas parses Arrow strings one by
    one through Python objects (a minute per column at that size). ``parse`` must read each
    cell on its own (a column-wide decision is taken before, from the spread-back result)."""
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


@dataclass(frozen=True)
class Reading:
    """How one column's text was read where it was not the plain reading, for the notes.

    ``shop_offset``: minutes east of UTC taken as the shop's (the most common offset in the
    column); ``converted``: cells moved to it from another offset; ``with_offset``: cells that
    carried an offset at all; ``excel_serial``: cells read as Excel serial day numbers.
    Percentages (``data.percentages``): ``excel_percent``, cells an Excel number format shows
    as a percentage, read x 100; ``zhe``, cells in 折 notation; ``fractions``, plain numbers
    read as fractions (x 100)."""

    column: str
    decimal_comma: bool = False
    shop_offset: float | None = None
    converted: int = 0
    with_offset: int = 0
    excel_serial: int = 0
    excel_percent: int = 0
    zhe: int = 0
    fractions: int = 0
    day_month: int = 0
    month_first: bool = False

    def note(self, source: str) -> str:
        if self.decimal_comma:
            return (f"{source}: column {self.column!r} read with a decimal comma (some values "
                    "such as 12,50 or 1.299,00 can be read no other way): '.' taken as the "
                    "thousands separator and ',' as the decimal point")
        parts = []
        if self.shop_offset is not None:
            shop = _offset_label(self.shop_offset)
            moved = (f"{self.converted:,} converted to it from another offset" if self.converted
                     else "none had another, so all are kept as written")
            parts.append(f"has times with a UTC offset: {shop} taken as the shop's (the most "
                         f"common of {self.with_offset:,} values with an offset); {moved}; "
                         "stored as the shop's local time without a time zone")
        if self.excel_serial:
            parts.append(f"holds {self.excel_serial:,} dates as Excel serial day numbers "
                         "(45292 = 2024-01-01, a fraction is the time of day): read as days "
                         f"since {EXCEL_ORIGIN.date()}")
        if self.day_month:
            how = ("month first, as a second number above 12 tells (6/18/2024 = 2024-06-18)"
                   if self.month_first else "day first, as its dots or a first number above 12 "
                   "tell (18.06.2024 = 2024-06-18)")
            parts.append(f"has {_count(self.day_month, 'date')} written with the year last: "
                         f"read {how}")
        if self.excel_percent:
            parts.append(f"has {_count(self.excel_percent, 'cell')} formatted as percentages "
                         "in Excel (a cell showing 20% holds 0.2): read as the percent shown "
                         "(20)")
        if self.zhe:
            parts.append(f"has {_count(self.zhe, 'discount')} in 折 notation (the share of the "
                         "price paid): read as percent off (8折 = 20, 8.5折 and 85折 = 15)")
        if self.fractions:
            parts.append(f"holds its {_count(self.fractions, 'discount')} as fractions (every one "
                         "between 0 and 1): read as percent, x 100 (0.2 = 20 %)")
        return f"{source}: column {self.column!r} " + "; it ".join(parts)

    def merged(self, other: Reading) -> Reading | None:
        """This reading and another batch's of the same column as one, or None when they
        decided differently (the file must then be read whole)."""
        offsets = {self.shop_offset, other.shop_offset} - {None}
        orders = {r.month_first for r in (self, other) if r.day_month}
        if self.decimal_comma != other.decimal_comma or len(offsets) > 1 or len(orders) > 1:
            return None  # (a batch without offsets keeps its times as the whole file would)
        return Reading(self.column, self.decimal_comma,
                       self.shop_offset if self.shop_offset is not None else other.shop_offset,
                       self.converted + other.converted, self.with_offset + other.with_offset,
                       self.excel_serial + other.excel_serial,
                       self.excel_percent + other.excel_percent, self.zhe + other.zhe,
                       self.fractions + other.fractions, self.day_month + other.day_month,
                       self.month_first or other.month_first)


DECIMAL_MARKS = ("decimal commas", "decimal points",
                 "write every number of the column with the same decimal mark")
DATE_NUMBERS = ("Excel serial day numbers", "compact dates YYYYMMDD",
                "write every date of the column the same way, best as YYYY-MM-DD")
"""What two conventions a column mixes (``ParsedColumn.mixing``), and the advice."""


@dataclass
class ParsedColumn:
    """A column's typed values, how it was read, and the cells refused for mixing two
    conventions (``mixed``, with an example cell of each: positions and texts; ``mixing``
    names the two conventions, in the order of the examples, and the advice).

    ``date_numbers``: how a date column's plain numbers were read, ``"serial"`` (Excel day
    numbers) or ``"compact"`` (YYYYMMDD), None without any: batches of one file must agree.
    ``scale``: the same for a percentage column (``data.percentages``), ``date_order`` for
    dates written with the year last (``day_month_order``). ``refusals``: other cells
    refused, each group (a mask by position) with its rule; their values are missing."""

    values: pd.Series
    reading: Reading | None = None
    mixed: np.ndarray | None = None
    examples: tuple[tuple[int, str], tuple[int, str]] | None = None
    mixing: tuple[str, str, str] = DECIMAL_MARKS
    date_numbers: str | None = None
    scale: str | None = None
    refusals: list[tuple[np.ndarray, str]] = field(default_factory=list)
    date_order: str | None = None

    def mixed_rule(self, rows: pd.Index, first_row: int) -> str:
        assert self.examples is not None
        (one_at, one), (other_at, other) = self.examples
        first, second, advice = self.mixing
        noun = "dates" if self.mixing == DATE_NUMBERS else "numbers"
        return (f"the column mixes {first} ({one!r} on row {rows[one_at] + first_row}) "
                f"and {second} ({other!r} on row {rows[other_at] + first_row}): its "
                f"{noun} cannot be read both ways; {advice}")


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def _offset_label(minutes: float) -> str:
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(int(abs(minutes)), 60)
    return f"UTC{sign}{hours:02d}:{rest:02d}"


# ---- numbers ----------------------------------------------------------------------------

_SIGNS = r"^[¥￥$€£]|%$"
"""A currency sign before a number and a percent sign after it are dropped: "¥12.5", "12%"."""
THOUSANDS_COMMA = r"[+-]?\d+(?:,\d{3})+(?:\.\d+)?"
"""Commas as thousands separators: every group after a comma has 3 digits (1,299 and
12,345,678.50)."""
DECIMAL_COMMA = r"[+-]?\d+(?:\.\d{3})*(?:,\d+)?"
"""Dots as thousands separators and a comma as the decimal point (1.299,00, 12,5)."""
_PLAIN = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
NEUTRAL, COMMA, POINT = 0.0, 1.0, 2.0
"""A number's decimal convention: either reading (12, 1,299, 1.299), only a decimal comma
(12,50, 1.299,00, 1,2345), only a decimal point (12.5, 1,299.00, 12,345,678)."""


def _matches(text: pd.Series, pattern: str) -> pd.Series:
    return text.str.fullmatch(pattern).fillna(False).astype(bool)


def _core(text: pd.Series) -> pd.Series:
    return text.str.replace(_SIGNS, "", regex=True)


def _convention(text: pd.Series) -> pd.Series:
    core = _core(text)
    separated = core.str.contains(r"[.,]", regex=True).fillna(False).astype(bool)
    thousands = _matches(core, THOUSANDS_COMMA)
    decimal_comma = _matches(core, DECIMAL_COMMA)
    comma = separated & core.str.contains(",", regex=False).fillna(False).astype(bool)
    comma &= ~thousands & decimal_comma
    point = separated & ~decimal_comma & (thousands | _matches(core, _PLAIN))
    kinds = np.where(comma, COMMA, np.where(point, POINT, NEUTRAL))
    return pd.Series(kinds, index=text.index, dtype="float64").where(text.notna())


def _number_text(text: pd.Series, decimal_comma: bool) -> pd.Series:
    parsed = pd.to_numeric(text, errors="coerce").astype("float64")
    retry = parsed.isna() & text.notna()
    if decimal_comma:  # "1.299" is 1299 here, not the 1.299 pandas reads
        retry |= text.str.contains(".", regex=False).fillna(False).astype(bool)
    if retry.any():
        core = _core(text[retry])
        if decimal_comma:
            euro = _matches(core, DECIMAL_COMMA)
            core = core.where(~euro, core.str.replace(".", "", regex=False)
                              .str.replace(",", ".", regex=False))
        else:
            core = core.where(~_matches(core, THOUSANDS_COMMA),
                              core.str.replace(",", "", regex=False))
        parsed[retry] = pd.to_numeric(core, errors="coerce").astype("float64")
    return parsed.astype("float64")


def parse_numbers(values: pd.Series, column: str) -> ParsedColumn:
    """Numbers of one column; read with a decimal comma when any value can only be read so."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return ParsedColumn(values.astype("float64"))
    text = values.astype(STR).str.strip()
    kinds = by_distinct(text, _convention).to_numpy()
    comma, point = kinds == COMMA, kinds == POINT
    decimal_comma = bool(comma.any())
    parsed = ParsedColumn(by_distinct(text, lambda t: _number_text(t, decimal_comma)))
    if decimal_comma:
        parsed.reading = Reading(column, decimal_comma=True)
    if decimal_comma and point.any():  # refused: each cell read its own way, one error each
        plain = by_distinct(text, lambda t: _number_text(t, False))
        parsed.values = parsed.values.where(~point, plain)
        comma_at, point_at = int(np.argmax(comma)), int(np.argmax(point))
        parsed.mixed = comma if comma.sum() < point.sum() else point
        parsed.examples = ((comma_at, str(text.iloc[comma_at])),
                           (point_at, str(text.iloc[point_at])))
    return parsed


# ---- dates and times --------------------------------------------------------------------

_WITH_OFFSET = (r"(?P<local>.*\d:\d{2}(?::\d{2}(?:[.,]\d+)?)?)\s*"
                r"(?P<offset>[zZ]|UTC|GMT|[+-]\d{2}(?::?\d{2})?)")
"""A time followed by its UTC offset: 2023-06-01T02:51:01+08:00, ...Z, ... +0800, ... UTC."""
_ENDS_WITH_OFFSET = (r"\d:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:[zZ]|UTC|GMT|[+-]\d{2}(?::?\d{2})?)$")
"""The same, as a quick vectorised test of a whole column (most columns have no offset)."""


def _offset_minutes(text: pd.Series) -> pd.Series:
    """Minutes east of UTC of each cell's offset (missing where it has none)."""
    offset = text.astype(object).str.extract(_WITH_OFFSET)["offset"]
    digits = offset.str.replace(r"\D", "", regex=True)
    hours = pd.to_numeric(digits.str[:2], errors="coerce")
    minutes = pd.to_numeric(digits.str[2:4], errors="coerce").fillna(0)
    sign = np.where(offset.fillna("").str.startswith("-").astype(bool), -1.0, 1.0)
    east = (sign * (hours * 60 + minutes)).where(offset.notna())
    east[offset.str.upper().isin(["Z", "UTC", "GMT"]).to_numpy()] = 0.0
    return east.astype("float64")


def _local_part(text: pd.Series) -> pd.Series:
    """Each cell without its offset (cells without one unchanged)."""
    local = text.astype(object).str.extract(_WITH_OFFSET)["local"]
    return local.fillna(text.astype(object)).astype(STR)


def _datetimes(text: pd.Series, fmt: str) -> pd.Series:
    """``pd.to_datetime`` that gives NaT (a named refusal), never an exception or a zoned
    value, for a cell it would read with a time zone the offset reader did not take off."""
    try:
        out = pd.to_datetime(text, format=fmt, errors="coerce")
    except (ValueError, TypeError):  # mixed zones left in the text
        out = pd.Series([_datetimes(pd.Series([v]), fmt).iloc[0] for v in text],
                        index=text.index, dtype="datetime64[ns]")
    if isinstance(out.dtype, pd.DatetimeTZDtype) or out.dtype == object:
        return pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    return out


def _date_text(text: pd.Series, with_time: bool) -> pd.Series:
    parsed = _datetimes(text, "ISO8601" if with_time else "%Y-%m-%d")
    retry = parsed.isna() & text.notna()
    if retry.any():  # 2024/01/05, 20240105, 2024-01-05 00:00:00
        alt = text[retry].str.replace("/", "-").str.replace(".", "-", regex=False)
        compact = alt.str.fullmatch(r"\d{8}")
        alt = alt.where(~compact, alt.str[:4] + "-" + alt.str[4:6] + "-" + alt.str[6:8])
        parsed[retry] = _datetimes(alt, "ISO8601")
    parsed = parsed.astype("datetime64[ns]")
    return parsed if with_time else parsed.dt.normalize()


def parse_times(values: pd.Series, column: str, with_time: bool) -> ParsedColumn:
    """Dates (``with_time=False``: the date part) or date-times of one column. Times with a
    UTC offset are converted to the shop's local wall-clock time, the shop's offset being the
    most common in the column (a file all in +08:00 keeps its times as written), then stored
    without a time zone like the rest of the store; times without an offset are kept. Plain
    numbers are Excel serial day numbers or compact YYYYMMDD dates (``_excel_serials``)."""
    if pd.api.types.is_datetime64_any_dtype(values):
        out = values.dt.tz_localize(None) if getattr(values.dt, "tz", None) else values
        return ParsedColumn(out if with_time else out.dt.normalize())
    if pd.api.types.is_float_dtype(values):  # an Excel or Parquet number column
        whole = values.dropna()
        if len(whole) and (whole == np.floor(whole)).all() and whole.abs().max() < 2**53:
            values = values.astype("Int64")  # 20240101.0 is the compact date 20240101
    text = values.astype(STR).str.strip()
    parsed = _text_times(text, column, with_time)
    failed = (parsed.values.isna() & text.notna()).to_numpy()
    if failed.any():  # only cells ISO reading left: the day-month-year ones among them
        order = day_month_order(text, failed)
        if order is not None:
            text = order.text
            parsed = _text_times(text, column, with_time)
            parsed.refusals += order.refusals
            parsed.date_order = order.order
            if order.cells:
                parsed.reading = replace(parsed.reading or Reading(column), day_month=order.cells,
                                         month_first=order.order == MDY)
    return _excel_serials(parsed, text, column, with_time)


# ---- day-month-year dates ---------------------------------------------------------------

DMY, MDY = "day_first", "month_first"
"""The order of a column's dates written with the year last (``ParsedColumn.date_order``)."""
_YEAR_LAST = (r"^(?P<a>\d{1,2})(?P<sep>[./-])(?P<b>\d{1,2})(?P=sep)(?P<year>\d{4})"
              r"(?P<rest>(?:[ T].*)?)$")
"""18.06.2024, 18/06/2024, 6-18-2024, with an optional time after a space or T."""
AMBIGUOUS_DATE = ("a date with the year last and no day above 12 anywhere in its column, so "
                  "{example} could be day-month or month-day: write the column's dates as "
                  "YYYY-MM-DD, or day first with dots (18.06.2024)")
MIXED_ORDER = ("the column has dates day first (such as {day}) and month first (such as "
               "{month}): one of them is wrong; write the column's dates as YYYY-MM-DD")


@dataclass
class DayMonthOrder:
    """How a column's year-last dates were read: ``text`` with them rewritten YYYY-MM-DD in
    the order decided (refused cells missing), the order, how many, and the refusals."""

    text: pd.Series
    order: str | None
    cells: int
    refusals: list[tuple[np.ndarray, str]]


def day_month_order(text: pd.Series, failed: np.ndarray) -> DayMonthOrder | None:
    """Year-last dates among the ``failed`` cells (those ISO reading left), read in one order
    for the whole column: day first when some first number is above 12 or when every such
    date is written with dots (18.06.2024, the European convention), month first when some
    second number is above 12 (6/18/2024). A column with both kinds refuses the fewer
    (naming an example of each); one with neither refuses every such date as ambiguous.
    None when no failed cell has the year last."""
    parts = text[failed].astype(object).str.extract(_YEAR_LAST)
    shaped = parts["a"].notna()
    if not shaped.any():
        return None
    parts = parts[shaped]
    first, second = parts["a"].astype(int), parts["b"].astype(int)
    day_first, month_first = first > 12, second > 12
    refusals: list[tuple[np.ndarray, str]] = []
    positions = np.flatnonzero(failed)[shaped.to_numpy()]

    def mask(rows: pd.Series) -> np.ndarray:
        out = np.zeros(len(text), dtype=bool)
        out[positions[rows.to_numpy()]] = True
        return out

    if day_first.any() and month_first.any():
        order = DMY if day_first.sum() >= month_first.sum() else MDY
        wrong = month_first if order == DMY else day_first
        rule = MIXED_ORDER.format(day=text.iloc[positions[int(np.argmax(day_first))]],
                                  month=text.iloc[positions[int(np.argmax(month_first))]])
        refusals.append((mask(wrong), rule))
        keep = ~wrong
    elif day_first.any() or (not month_first.any() and parts["sep"].eq(".").all()):
        order, keep = DMY, pd.Series(True, index=parts.index)
    elif month_first.any():
        order, keep = MDY, pd.Series(True, index=parts.index)
    else:
        example = text.iloc[positions[0]]
        refusals.append((mask(pd.Series(True, index=parts.index)),
                         AMBIGUOUS_DATE.format(example=example)))
        order, keep = None, pd.Series(False, index=parts.index)
    day, month = (first, second) if order == DMY else (second, first)
    iso = (parts["year"] + "-" + month.map("{:02d}".format) + "-" + day.map("{:02d}".format)
           + parts["rest"].fillna(""))
    rewritten = text.copy()
    where = text.index[positions]
    rewritten.loc[where] = iso.where(keep).to_numpy()
    return DayMonthOrder(rewritten.astype(STR), order, int(keep.sum()), refusals)


def _text_times(text: pd.Series, column: str, with_time: bool) -> ParsedColumn:
    """``parse_times`` of text cells, before the Excel serial numbers are read."""
    if not text.str.contains(_ENDS_WITH_OFFSET, regex=True).fillna(False).any():
        return ParsedColumn(by_distinct(text, lambda t: _date_text(t, with_time)))
    offsets = by_distinct(text, _offset_minutes)
    zoned = offsets.notna().to_numpy()
    if not zoned.any():
        return ParsedColumn(by_distinct(text, lambda t: _date_text(t, with_time)))
    plain = by_distinct(text.mask(zoned), lambda t: _date_text(t, with_time))
    counts = offsets[zoned].value_counts(sort=False)
    shop = float(counts.idxmax())  # the first seen of the most common
    local = by_distinct(by_distinct(text, _local_part), lambda t: _date_text(t, True))
    shift = pd.to_timedelta((shop - offsets).where(zoned, 0.0), unit="min")
    converted = (local + shift).where(zoned, plain)
    converted = converted.astype("datetime64[ns]")
    if not with_time:
        converted = converted.dt.normalize()
    moved = int((zoned & (offsets.to_numpy() != shop)).sum())
    return ParsedColumn(converted, Reading(column, shop_offset=shop, converted=moved,
                                           with_offset=int(zoned.sum())))


# ---- Excel serial dates -----------------------------------------------------------------

EXCEL_ORIGIN = pd.Timestamp("1899-12-30")
"""Day 0 of Excel's serial dates (Windows 1900 system, its leap-year bug included): 45292 is
2024-01-01, 45292.5 noon that day."""
SERIAL_FIRST, SERIAL_LAST = 32874, 73415
"""The serial numbers taken as dates: 1990-01-01 .. 2100-12-31 (a time on the last day too).
Five digits, so never a compact date YYYYMMDD (eight) nor a Unix time in seconds (ten)."""
_SERIAL_TEXT = r"\d{5}(?:\.\d+)?"
_COMPACT_TEXT = r"\d{8}"


def _serial_days(text: pd.Series) -> pd.Series:
    """Each cell's Excel serial day number (fraction: the time of day), NaN where the cell
    is no plain number in the plausible range."""
    plain = _matches(text, _SERIAL_TEXT)
    days = pd.to_numeric(text.where(plain), errors="coerce").astype("float64")
    return days.where((days >= SERIAL_FIRST) & (days < SERIAL_LAST + 1))


def _excel_serials(parsed: ParsedColumn, text: pd.Series, column: str,
                   with_time: bool) -> ParsedColumn:
    """Dates saved by Excel as serial day numbers read from origin 1899-12-30, to the
    millisecond (a time of day as a fraction of a day: 0.5 is noon).

    Decided per column: its plain numbers are serials (five digits, 1990..2100) or compact
    dates (eight digits, read before as YYYYMMDD); a column holding both reads its more
    common kind and refuses the cells of the other, each named (``mixed``), rather than
    guessing cell by cell. Any other number stays unparseable (a Unix time, a day count)."""
    serial = by_distinct(text, _serial_days)
    is_serial = serial.notna().to_numpy()
    compact = (_matches(text, _COMPACT_TEXT) & parsed.values.notna()).to_numpy()
    if not is_serial.any():
        if compact.any():
            parsed.date_numbers = "compact"
        return parsed
    millis = (serial[is_serial] * 86_400_000).round()
    when = EXCEL_ORIGIN + pd.to_timedelta(millis, unit="ms")
    values = parsed.values.copy()
    values[is_serial] = (when if with_time else when.dt.normalize()).to_numpy()
    parsed.values = values.astype("datetime64[ns]")
    n_serial = int(is_serial.sum())
    if compact.any():
        serial_at, compact_at = int(np.argmax(is_serial)), int(np.argmax(compact))
        parsed.mixed = compact if compact.sum() <= n_serial else is_serial
        parsed.examples = ((serial_at, str(text.iloc[serial_at])),
                           (compact_at, str(text.iloc[compact_at])))
        parsed.mixing = DATE_NUMBERS
        parsed.values = parsed.values.mask(parsed.mixed)
        if parsed.mixed is is_serial:
            parsed.date_numbers = "compact"
            return parsed
    parsed.date_numbers = "serial"
    parsed.reading = replace(parsed.reading or Reading(column), excel_serial=n_serial)
    return parsed
