"""Reading a percentage column (``discount_pct``: percent off, 0-100) as shops write it.

A discount reaches promocast in four spellings, and a wrong one is no error a number rule can
catch: 0.2 read as 0.2 % instead of 20 % prices a promotion at almost nothing (QA 5, finding
2: an Excel "20%" cell holds 0.2). So, for the column as a whole (``data.cells`` style, never
cell by cell):

- **written with a percent sign** ("20%", or an Excel cell whose number format is a
  percentage, which stores 0.2 and shows 20%): explicit, read as the percent shown (20);
- **Chinese 折 notation** ("8折", "8.5折", "85折", "八五折"): the share of the price paid, so
  the discount is 100 minus it. A number below 10 counts tenths (8折 pays 80 %, 8.5折 85 %), a
  number from 11 to 99 is the percent paid itself (85折 pays 85 %). 10折 is refused: it is
  the full price (十折) to some and 1折 to others;
- **plain numbers all in (0, 1]** (0.2, 0.15, 1): fractions, read as percent (x 100) with a
  note. A column whose plain values are all exactly 1 is left as 1 % (a fraction column
  has some value below 1);
- **plain numbers below 1 next to percents** (0.2 beside 20 or "20%"): refused cell by cell,
  naming the value and what to write; a 0.2 % discount next to 20 % ones is a fraction
  written among percents, and guessing which one was meant would price one of them wrong.
  A plain 1 there stays 1 %.

Everything else is a plain percent, read as written.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from promocast.data.cells import STR, ParsedColumn, Reading, parse_numbers

FRACTIONS, PERCENT = "fractions", "percent"
"""How a percentage column's plain numbers were read (``ParsedColumn.scale``): the batches of
one file must agree."""

_CN_DIGITS = str.maketrans({"零": "0", "〇": "0", "一": "1", "二": "2", "两": "2", "三": "3",
                            "四": "4", "五": "5", "六": "6", "七": "7", "八": "8", "九": "9",
                            "点": "."})
_ZHE = r"^\s*(?P<pay>[0-9.]+)\s*折\s*$"
"""8折, 8.5折, 85折, and (after ``_CN_DIGITS``) 八折, 八五折, 八点五折."""
ZHE_TEN = ("10折 is the full price (十折) to some and 1折 (90 % off) to others: write the "
           "discount in percent (0 for none, 90 for 1折)")
ZHE_BAD = ("a 折 discount is the share of the price paid: 8折 or 8.5折 (tenths, 20 % or 15 % "
           "off) or 85折 (85 % paid, 15 % off); write the discount in percent otherwise")


def zhe_discounts(text: pd.Series) -> tuple[pd.Series, np.ndarray, np.ndarray, np.ndarray]:
    """Percent off of each cell written in 折 notation (NaN elsewhere), which cells are
    written so, and which of them are refused: 10折 (ambiguous), and the others that are no
    share of the price (0折, 100折, 折 alone)."""
    digits = text.astype(object).map(lambda v: v.translate(_CN_DIGITS) if isinstance(v, str)
                                     else v).astype(STR)
    found = pd.to_numeric(digits.str.extract(_ZHE)["pay"], errors="coerce").astype("float64")
    is_zhe = text.str.contains("折", regex=False).fillna(False).to_numpy(bool)
    ten = (found == 10).fillna(False).to_numpy(bool)
    pay = found.where(found >= 10, found * 10)  # tenths below 10: 8.5折 pays 85 %
    usable = ((pay > 0) & (pay < 100)).fillna(False).to_numpy(bool) & ~ten
    off = (100 - pay).where(usable).round(10)
    return off, is_zhe, is_zhe & ten, is_zhe & ~usable & ~ten


def parse_percentages(values: pd.Series, column: str,
                      percent_cells: np.ndarray | None = None) -> ParsedColumn:
    """A percentage column read as the module's docstring says. ``percent_cells``: the cells
    an Excel number format shows as a percentage (they store 0.2 for 20%), by position.

    Refused cells come back in ``refusals`` (their values missing), each group with its rule;
    ``scale`` says how the column was read: FRACTIONS (its plain numbers x 100), PERCENT (it
    holds percents above 1 or written as such), None (nothing to decide on: empty, zeros,
    or plain 1s)."""
    rows = len(values)
    excel = (np.zeros(rows, dtype=bool) if percent_cells is None
             else np.asarray(percent_cells, dtype=bool) & values.notna().to_numpy())
    refusals: list[tuple[np.ndarray, str]] = []
    zhe_off = pd.Series(np.nan, index=values.index, dtype="float64")
    is_zhe = refused_zhe = signed = np.zeros(rows, dtype=bool)
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        text = values.astype(STR).str.strip()
        signed = text.str.endswith("%").fillna(False).to_numpy(bool)
        if text.str.contains("折", regex=False).fillna(False).any():
            zhe_off, is_zhe, ten_zhe, bad_zhe = zhe_discounts(text)
            refused_zhe = ten_zhe | bad_zhe
            for mask, rule in ((ten_zhe, ZHE_TEN), (bad_zhe, ZHE_BAD)):
                if mask.any():
                    refusals.append((mask, rule))
            values = values.where(~is_zhe)  # the number reader never sees them
    parsed = parse_numbers(values, column)
    numbers = parsed.values.astype("float64").copy()
    numbers[excel] = numbers[excel] * 100.0  # an Excel "20%" cell stores 0.2
    numbers[is_zhe] = zhe_off[is_zhe]
    explicit = excel | signed | is_zhe
    plain = ~explicit & numbers.notna().to_numpy()
    small = plain & (numbers > 0).to_numpy() & (numbers < 1).to_numpy()
    small_or_one = plain & (numbers > 0).to_numpy() & (numbers <= 1).to_numpy()
    percent_like = (explicit & (numbers > 0).to_numpy()) | (plain & (numbers > 1).to_numpy())
    reading = parsed.reading
    if small.any() and percent_like.any():  # fractions among percents: refused
        parsed.refusals += _fraction_refusals(numbers, small, percent_like, values.index)
        numbers[small] = np.nan
        parsed.scale = PERCENT
    elif small.any():
        numbers[small_or_one] = numbers[small_or_one] * 100.0
        parsed.scale = FRACTIONS
    elif percent_like.any():
        parsed.scale = PERCENT
    parsed.refusals += refusals
    fractions = int(small_or_one.sum()) if parsed.scale == FRACTIONS else 0
    if excel.any() or is_zhe.any() or fractions:
        reading = replace(reading or Reading(column), excel_percent=int(excel.sum()),
                          zhe=int((is_zhe & ~refused_zhe).sum()), fractions=fractions)
    scaled = (excel | is_zhe | (small_or_one if parsed.scale == FRACTIONS else False)) & (
        numbers.abs() < 1e6).to_numpy()
    numbers[scaled] = numbers[scaled].round(10)  # 0.155 x 100 is 15.5, not 15.500000000000002
    parsed.values = numbers
    parsed.reading = reading
    return parsed


def _fraction_refusals(numbers: pd.Series, small: np.ndarray, percent_like: np.ndarray,
                       index: pd.Index) -> list[tuple[np.ndarray, str]]:
    """One refusal per distinct fraction value (its rule names it): 'a discount of 0.2 %
    next to discounts of 20 %: write 20 for 20 %'."""
    above = numbers[percent_like]
    example = float(above[above > 1].iloc[0] if (above > 1).any() else above.iloc[0])
    out = []
    for value in sorted(set(numbers[small].tolist())):
        mask = small & (numbers == value).to_numpy()
        meant = round(value * 100, 8)
        out.append((mask, f"a discount of {value:g} % next to discounts of {example:g} % in "
                          f"the same column: write {meant:g} for {meant:g} % (every discount "
                          "of the column in percent, 0-100)"))
    return out
