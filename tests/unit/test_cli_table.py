"""Plain-text CLI tables (cli.table) line up in a terminal with CJK ids: widths in terminal
cells, a long id widens its column instead of running into the next one."""

from __future__ import annotations

from rich.cells import cell_len

from promocast.cli.table import Column, pad, table_lines

COLUMNS = [Column("#", 3, ">"), Column("promo", 12, before=1), Column("type", 16),
           Column("baseline", 10, ">"), Column("ROI", 8, ">")]


def starts(line: str, values: list[str]) -> list[int]:
    """Terminal column where each value starts, searching left to right."""
    found, at = [], 0
    for value in values:
        at = line.index(value, at)
        found.append(cell_len(line[:at]))
        at += len(value)
    return found


def test_columns_line_up_with_cjk_and_long_ids() -> None:
    rows = [["1", "商品3/北京店@260929", "percent_off", "78", "-48 %"],
            ["2", "CP1", "gift", "2,188", "-"],
            ["3", "上海浦东新区旗舰店的一个很长的促销编号", "threshold", "1", "+5 %"]]
    header, *lines = table_lines(COLUMNS, rows)
    assert header.split() == ["#", "promo", "type", "baseline", "ROI"]
    type_at = {starts(line, row[1:3])[1] for line, row in zip(lines, rows, strict=True)}
    assert type_at == {starts(header, ["promo", "type"])[1]}  # one start for every row
    ends = {cell_len(line) for line in [header, *lines]}
    assert len(ends) == 1  # right-aligned last column: every line ends in the same cell
    for line, row in zip(lines, rows, strict=True):
        promo_end = starts(line, [row[1]])[0] + cell_len(row[1])
        assert cell_len(line[:line.index(row[2])]) > promo_end  # a space before the type
        assert line.split() == [row[0], row[1], row[2], row[3], *row[4].split()]


def test_plain_ascii_tables_keep_their_layout() -> None:
    """The layout the f-strings printed before (tests and scripts parse it)."""
    row = ["1", "CP1", "percent_off", "2,188", "-48 %"]
    header, line = table_lines(COLUMNS, [row])
    assert header == f"{'#':>3} {'promo':<12}{'type':<16}{'baseline':>10}{'ROI':>8}"
    assert line == f"{'1':>3} {'CP1':<12}{'percent_off':<16}{'2,188':>10}{'-48 %':>8}"


def test_pad_counts_terminal_cells() -> None:
    assert pad("北京", 6) == "北京  " and cell_len(pad("北京", 6)) == 6
    assert pad("北京", 6, ">") == "  北京"
    assert pad("很长的编号", 4) == "很长的编号"  # never cut


def test_explain_drivers_in_the_hundred_thousands_stay_apart() -> None:
    """Stallion (monthly, agency x SKU): "124883.20 6268.97+118068.96-1166.82 -160.53" with
    fixed widths; every value now its own field."""
    from promocast.cli.explain import SHORT, driver_lines

    drivers = dict(zip(SHORT, [118068.96, -1166.82, -160.53, 871.82, 712.24, 288.57],
                       strict=True))
    lines = driver_lines([{"ds": "2018-01-01", "forecast": 124883.2, "base": 6268.97,
                           "drivers": drivers}])
    assert lines[1].split() == ["2018-01-01", "124883.20", "6268.97", "+118068.96", "-1166.82",
                                "-160.53", "+871.82", "+712.24", "+288.57"]
    assert len(lines[0].split()) == 9
