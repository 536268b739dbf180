"""Reading shop exports into data frames: CSV (any delimiter, UTF-8 / UTF-8-BOM / GBK / GB18030),
gzip, Parquet and Excel.

Text files are read as strings so the validator can name the exact cell that does not parse;
Parquet and Excel keep their own types. Every failure is a ``DataValidationError`` naming the
file (and the line where known), never a raw parser traceback.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import zlib
from collections.abc import Generator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from promocast.exceptions import DataValidationError, RowError

TEXT_SUFFIXES = {".csv", ".tsv", ".txt"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
ARROW_MIN_BYTES = 8 * 2**20
"""Plain ASCII text files from this size on are parsed by Arrow's CSV reader straight into
Arrow-backed string columns: an M5-size sales file (59 M rows) as Python ``str`` objects would
take about ten times its size in memory, and converting them to Arrow strings for validation
costs as long again. Anything Arrow refuses goes through the pandas reader and its messages."""
ENCODINGS = ("utf-8-sig", "gb18030")
"""Tried in order. GB18030 is a superset of GBK and GB2312, the encodings of Chinese shop back-ends
and of Excel's "CSV" on a Chinese Windows."""


@dataclass
class RawTable:
    """A file's content before validation.

    ``first_row``: the file row of ``frame``'s first record (2 when line 1 is the header), so an
    error can name the row a user sees in a spreadsheet or a text editor.
    """

    source: str
    frame: pd.DataFrame
    first_row: int
    encoding: str | None = None
    delimiter: str | None = None
    percent_cells: dict[str, np.ndarray] = field(default_factory=dict)
    """Per column of an Excel sheet, its cells (by position in ``frame``) whose number format
    is a percentage: they hold 0.2 where Excel shows 20% (``data.percentages``)."""


def _fail(source: str, rule: str, row: int | None = None) -> DataValidationError:
    return DataValidationError([RowError(source, row, None, None, rule)])


def _strip_suffixes(path: Path) -> tuple[str, bool]:
    """The data suffix of a file and whether it is gzipped (``sales.csv.gz`` -> ``.csv``, True)."""
    suffixes = [s.lower() for s in path.suffixes]
    gz = bool(suffixes) and suffixes[-1] == ".gz"
    if gz:
        suffixes = suffixes[:-1]
    return (suffixes[-1] if suffixes else ""), gz


def _decompress(data: bytes, source: str) -> bytes:
    try:
        return gzip.decompress(data)
    except (EOFError, OSError, zlib.error) as exc:
        raise _fail(source, f"the gzip file is truncated or corrupt ({exc})") from None


def decode_text(data: bytes, source: str) -> tuple[str, str]:
    """Text and the encoding that decoded it; refuses bytes that are no supported encoding."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    first_error: UnicodeDecodeError | None = None
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError as exc:
            first_error = first_error or exc
    assert first_error is not None
    line = data[: first_error.start].count(b"\n") + 1
    raise _fail(
        source,
        f"cannot decode the text at byte {first_error.start}: not UTF-8, GBK or GB18030 "
        "(save the file as UTF-8 CSV)",
        row=line,
    )


def sniff_delimiter(text: str) -> str:
    """The field delimiter among , ; tab and | from the first lines."""
    sample = "\n".join(text[:65_536].splitlines()[:50])
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        header = sample.split("\n", 1)[0]
        counts = {d: header.count(d) for d in ",;\t|"}
        return max(counts, key=lambda d: counts[d]) if max(counts.values()) else ","


_LINE_RE = re.compile(r"line (\d+)")


def _header(data: bytes, delimiter: str) -> list[str] | None:
    """The header's column names (None when the file has no second line to read)."""
    end = data.find(b"\n")
    if end < 0:
        return None
    return next(csv.reader([data[:end].decode("ascii").rstrip("\r")], delimiter=delimiter))


def _read_text_arrow(data: bytes | Path, head: bytes, delimiter: str) -> pd.DataFrame | None:
    """Every cell as an Arrow-backed string (empty cells missing), or None when Arrow cannot
    read the file as the pandas reader would (duplicate or empty header names, ragged rows).
    ``data``: the bytes, or the file itself (read by Arrow in blocks, never held whole);
    ``head``: its first bytes, header line included."""
    names = _header(head, delimiter)
    if names is None or not _usable(names):
        return None
    try:
        table = pa_csv.read_csv(pa.BufferReader(data) if isinstance(data, bytes) else str(data),
                                **_arrow_options(names, delimiter))
    except (pa.ArrowInvalid, UnicodeDecodeError):
        return None
    return _as_frame(table)


def read_text(data: bytes, source: str) -> RawTable:
    """A delimited text file, every cell a string (empty cells are missing)."""
    if not data.strip():
        raise _fail(source, "the file is empty")
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _fail(source, "the file is binary, not delimited text")
    if len(data) >= ARROW_MIN_BYTES and data.isascii():
        delimiter = sniff_delimiter(data[:65_536].decode("ascii"))
        frame = _read_text_arrow(data, data[:65_536], delimiter)
        if frame is not None and not frame.empty:
            return RawTable(source, frame, first_row=2, encoding=ENCODINGS[0], delimiter=delimiter)
    text, encoding = decode_text(data, source)
    delimiter = sniff_delimiter(text)
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            skipinitialspace=True,
            engine="c",
        )
    except pd.errors.EmptyDataError:
        raise _fail(source, "the file is empty") from None
    except pd.errors.ParserError as exc:
        match = _LINE_RE.search(str(exc))
        row = int(match.group(1)) if match else None
        raise _fail(source, f"malformed line: {exc}", row=row) from None
    if frame.empty:
        raise _fail(source, "the file has a header but no data rows", row=2)
    frame.columns = [str(c).strip() for c in frame.columns]
    return RawTable(source, frame, first_row=2, encoding=encoding, delimiter=delimiter)


def read_parquet(data: bytes, source: str) -> RawTable:
    try:
        frame = pd.read_parquet(io.BytesIO(data))
    except Exception as exc:  # pyarrow raises several unrelated types for a damaged file
        raise _fail(source, f"not a readable Parquet file ({type(exc).__name__}: {exc})") from None
    if frame.empty:
        raise _fail(source, "the file has no data rows")
    return RawTable(source, frame.reset_index(drop=True), first_row=1)


def read_excel(data: bytes, source: str) -> RawTable:
    try:
        frame = pd.read_excel(io.BytesIO(data), sheet_name=0, engine="openpyxl")
    except Exception as exc:  # openpyxl / zipfile raise many types for a damaged workbook
        raise _fail(source, f"not a readable .xlsx workbook ({type(exc).__name__}: {exc})") from None
    if frame.empty:
        raise _fail(source, "the first sheet has no data rows", row=2)
    frame.columns = [str(c).strip() for c in frame.columns]
    return RawTable(source, frame, first_row=2, percent_cells=excel_percent_cells(data, frame))


@lru_cache(maxsize=256)
def is_percent_format(number_format: str | None) -> bool:
    """Whether an Excel number format shows its value x 100 with a percent sign ("0%",
    "0.0%", "#,##0.00%"); a % inside quotes or escaped (0"%", 0\\%) is a literal sign
    that does not scale the value."""
    if not number_format or "%" not in number_format:
        return False
    literal = re.sub(r'"[^"]*"|\\.', "", number_format)
    return "%" in literal


def _has_percent_styles(book: object) -> bool:
    """Whether any cell style of the workbook uses a percentage format (most workbooks have
    none: their cells need no second look). True when the styles cannot be told."""
    try:
        from openpyxl.styles.numbers import BUILTIN_FORMATS

        custom = list(book._number_formats)  # type: ignore[attr-defined]
        for style in book._cell_styles:  # type: ignore[attr-defined]
            fmt_id = int(style.numFmtId)
            fmt = BUILTIN_FORMATS.get(fmt_id) if fmt_id < 164 else custom[fmt_id - 164]
            if is_percent_format(fmt):
                return True
        return False
    except Exception:  # a private detail of openpyxl moved: look at every cell
        return True


def excel_percent_cells(data: bytes, frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Per column of ``frame`` (the first sheet as pandas read it), the numeric cells whose
    number format is a percentage. Rows are matched by position as pandas numbers them (the
    header on the first non-empty row, trailing empty rows dropped); when they cannot be
    matched, a column counts only when every one of its numeric cells is such a cell."""
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True,
                                      keep_links=False)
    except Exception:  # pandas read it: nothing more to learn here
        return {}
    try:
        if not _has_percent_styles(book):
            return {}
        rows: list[list[tuple[bool, bool]]] = []  # per cell: (numeric, percent format)
        for row in book.worksheets[0].iter_rows():
            cells = [(isinstance(c.value, int | float) and not isinstance(c.value, bool),
                      is_percent_format(getattr(c, "number_format", None))) for c in row]
            has_value = any(c.value is not None and c.value != "" for c in row)
            rows.append(cells if has_value else [])
    finally:
        book.close()
    while rows and not rows[-1]:
        rows.pop()
    while rows and not rows[0]:
        rows.pop(0)
    body = rows[1:]
    width = len(frame.columns)
    flags = np.zeros((len(body), width), dtype=bool)
    numeric = np.zeros((len(body), width), dtype=bool)
    for i, cells in enumerate(body):
        for j, (is_number, percent) in enumerate(cells[:width]):
            flags[i, j] = is_number and percent
            numeric[i, j] = is_number
    out: dict[str, np.ndarray] = {}
    for j, name in enumerate(frame.columns):
        if not flags[:, j].any():
            continue
        if len(body) == len(frame):
            out[str(name)] = flags[:, j].copy()
        elif flags[:, j].sum() == numeric[:, j].sum():
            out[str(name)] = np.ones(len(frame), dtype=bool)
    return out


BATCH_BYTES = 64 * 2**20
"""Bytes of text per batch of ``text_batches`` (about a million sales rows)."""


def _ascii_head(path: Path) -> bytes | None:
    """The first 64 KiB of a plain-ASCII text file of ARROW_MIN_BYTES or more (the whole file
    is checked, block by block), else None."""
    try:
        if path.stat().st_size < ARROW_MIN_BYTES:
            return None
        head = b""
        with path.open("rb") as stream:
            while block := stream.read(64 * 2**20):
                head = head or block[:65_536]
                if not block.isascii():
                    return None
    except OSError:
        return None
    if not head.strip() or b"\x00" in head[:4096]:
        return None
    return head


def _arrow_options(names: list[str], delimiter: str) -> dict:
    return {
        "parse_options": pa_csv.ParseOptions(delimiter=delimiter),
        "convert_options": pa_csv.ConvertOptions(
            column_types={n: pa.string() for n in names}, null_values=[""],
            strings_can_be_null=True, quoted_strings_can_be_null=True),
    }


def _usable(names: list[str] | None) -> bool:
    """Header names Arrow reads as pandas does: present, distinct, none empty."""
    return bool(names) and len(set(names)) == len(names) and all(n.strip() for n in names)


def _as_frame(table: pa.Table | pa.RecordBatch) -> pd.DataFrame:
    strings = pd.StringDtype("pyarrow")
    frame = table.to_pandas(types_mapper={pa.string(): strings, pa.large_string(): strings}.get)
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def _line_chunks(path: Path, start: int, size: int) -> Iterator[bytes]:
    """The file from byte ``start`` in pieces of about ``size`` bytes, each ending at a line
    end (Arrow's reader also cuts blocks at any newline unless told values hold newlines)."""
    with path.open("rb") as stream:
        stream.seek(start)
        rest = b""
        while block := stream.read(size):
            block = rest + block if rest else block
            cut = block.rfind(b"\n") + 1
            if not cut:
                rest = block
                continue
            rest = block[cut:]
            yield block[:cut] if rest else block
        if rest:
            yield rest


def _parse_chunk(chunk: bytes | None, names: list[str], delimiter: str) -> pa.Table | None:
    if chunk is None:
        return None
    options = _arrow_options(names, delimiter)
    return pa_csv.read_csv(pa.BufferReader(chunk), read_options=pa_csv.ReadOptions(
        column_names=names, block_size=max(len(chunk), 1 << 20)), **options)


def text_batches(path: Path, batch_bytes: int = BATCH_BYTES,
                 ) -> Generator[pd.DataFrame, None, None] | None:
    """A large plain-ASCII text file as frames of about ``batch_bytes`` of text each, every cell
    an Arrow-backed string, each frame indexed by its rows' positions in the file (0 = the
    first data row); None for any other file (read it with ``read_table``). Iterating raises
    ``pyarrow.ArrowInvalid`` on a malformed row: read the file with ``read_table`` then, for
    its message.

    Memory: one piece is parsed ahead on a helper thread (Arrow parses without the GIL while
    the caller validates the previous one), no more. Arrow's streaming reader read raw blocks
    far ahead of its consumer: 1.2-2.4 GB held while a 2.4 GB file was validated."""
    head = _ascii_head(path)
    if head is None:
        return None
    delimiter = sniff_delimiter(head.decode("ascii"))
    names = _header(head, delimiter)
    if names is None or not _usable(names):
        return None
    header_end = head.find(b"\n") + 1

    def batches() -> Generator[pd.DataFrame, None, None]:
        chunks = _line_chunks(path, header_end, batch_bytes)
        offset = 0
        try:
            with ThreadPoolExecutor(max_workers=1) as ahead:
                pending = ahead.submit(lambda: _parse_chunk(next(chunks, None), names, delimiter))
                while (table := pending.result()) is not None:
                    pending = ahead.submit(
                        lambda: _parse_chunk(next(chunks, None), names, delimiter))
                    if not table.num_rows:
                        continue
                    frame = _as_frame(table)
                    del table
                    frame.index = pd.RangeIndex(offset, offset + len(frame))
                    offset += len(frame)
                    yield frame
        finally:
            chunks.close()  # after the helper thread is done with it

    return batches()


def _read_big_ascii(path: Path, source: str) -> RawTable | None:
    """A large plain-ASCII text file read by Arrow straight from disk (its bytes are never
    held in memory whole: 2.4 GB for an M5-size sales file); None for anything else, which
    the ordinary path reads (and refuses with its messages)."""
    head = _ascii_head(path)
    if head is None:
        return None
    delimiter = sniff_delimiter(head.decode("ascii"))
    frame = _read_text_arrow(path, head, delimiter)
    if frame is None or frame.empty:
        return None
    return RawTable(source, frame, first_row=2, encoding=ENCODINGS[0], delimiter=delimiter)


def read_table(path: Path, source: str | None = None) -> RawTable:
    """Read one file by its suffix (``.csv``, ``.tsv``, ``.txt``, ``.parquet``, ``.xlsx``, each
    optionally ``.gz``)."""
    source = source or str(path)
    suffix, gz = _strip_suffixes(path)
    if suffix in TEXT_SUFFIXES and not gz:
        big = _read_big_ascii(path, source)
        if big is not None:
            return big
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _fail(source, f"cannot read the file ({exc.strerror})") from None
    if gz or data[:2] == b"\x1f\x8b":
        data = _decompress(data, source)
    if suffix in PARQUET_SUFFIXES or data[:4] == b"PAR1":
        return read_parquet(data, source)
    if suffix in EXCEL_SUFFIXES:
        return read_excel(data, source)
    if suffix == ".xls":
        raise _fail(source, "old .xls workbooks are not supported: save as .xlsx or CSV")
    return read_text(data, source)


def list_input_files(paths: list[Path]) -> list[tuple[Path, bool]]:
    """Files named directly, plus every data file inside named folders (sorted, no hidden
    files), each with whether it was named directly (``False``: found in a folder)."""
    known = TEXT_SUFFIXES | PARQUET_SUFFIXES | EXCEL_SUFFIXES
    files: list[tuple[Path, bool]] = []
    for path in paths:
        if path.is_dir():
            for child in sorted(path.iterdir()):
                if child.is_file() and not child.name.startswith("."):
                    suffix, _ = _strip_suffixes(child)
                    if suffix in known:
                        files.append((child, False))
        else:
            files.append((path, True))
    return files
