"""Plain-text tables whose columns line up in a terminal whatever the ids hold.

Widths are counted in terminal cells (``rich.cells.cell_len``): a Chinese, Japanese or Korean
character takes two, so ``str.ljust`` and ``f"{x:<14}"`` (which count characters) shift every
column after a CJK id. A column is as wide as its declared width or, when a value or the
header is longer, one cell wider than the longest: a long id widens its column for every row
rather than running into the next one. The output stays plain lines (no borders, no wrapping
to the terminal width), so the tests and users' scripts that split the lines keep working.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from rich.cells import cell_len


@dataclass(frozen=True)
class Column:
    """One column: its header, its narrowest width in terminal cells, the side its values
    hug (``<`` text, ``>`` numbers) and the fixed spaces printed before it."""

    header: str
    width: int
    align: Literal["<", ">"] = "<"
    before: int = 0


def pad(text: str, width: int, align: Literal["<", ">"] = "<") -> str:
    """``text`` padded with spaces to ``width`` terminal cells (never cut)."""
    room = max(width - cell_len(text), 0)
    return text + " " * room if align == "<" else " " * room + text


def column_widths(columns: Sequence[Column], rows: Sequence[Sequence[str]]) -> list[int]:
    """Each column's width: its declared width, or one cell more than its longest text (header
    included) when that is wider, so neighbouring values never touch. No spare cell is needed
    on a side with no neighbour or with fixed spaces (``before``) already there."""
    widths = []
    for k, column in enumerate(columns):
        longest = max([cell_len(column.header), *(cell_len(row[k]) for row in rows)])
        if column.align == "<":
            spare = 0 if k == len(columns) - 1 or columns[k + 1].before else 1
        else:
            spare = 0 if k == 0 or column.before else 1
        widths.append(max(column.width, longest + spare))
    return widths


def table_lines(columns: Sequence[Column], rows: Iterable[Sequence[str]]) -> list[str]:
    """The header line, then one line per row (cells already formatted as text)."""
    rows = [[str(cell) for cell in row] for row in rows]
    for row in rows:
        if len(row) != len(columns):
            raise ValueError(f"a row has {len(row)} cells for {len(columns)} columns: {row}")
    widths = column_widths(columns, rows)

    def line(cells: Sequence[str]) -> str:
        return "".join(" " * column.before + pad(cell, width, column.align)
                       for column, width, cell in zip(columns, widths, cells, strict=True)
                       ).rstrip(" ")

    return [line([c.header for c in columns]), *(line(row) for row in rows)]
