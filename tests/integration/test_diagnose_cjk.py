"""``promocast diagnose`` on a shop whose ids are Chinese (and some hostile): PNG names that
tell the series apart and stay in the folder, titles without empty boxes or glyph warnings,
and a table whose columns line up in a terminal (a CJK character takes two cells)."""

from __future__ import annotations

import json
import logging
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from rich.cells import cell_len

from conftest import promocast
from promocast.reports import fonts

ITEMS = {"商品1": ("北京店", "上海店"), "商品2": ("北京店",), "..": ("北京店",),
         "a:b": ("北京店",), "a?b": ("北京店",)}


@pytest.fixture(scope="module")
def cjk_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """150 days of sales of six series with Chinese store ids and items '..', 'a:b', 'a?b'."""
    from promocast.services.ingest import ingest

    root = tmp_path_factory.mktemp("cjk")
    rng = np.random.default_rng(7)
    days = pd.date_range("2025-01-01", periods=150, freq="D")
    weekly = 1 + 0.4 * np.sin(2 * np.pi * np.arange(len(days)) / 7)
    frames = [pd.DataFrame({"date": days.strftime("%Y-%m-%d"), "item_id": item,
                            "store_id": store, "units": rng.poisson(20 * weekly),
                            "price": 10.0})
              for item, stores in ITEMS.items() for store in stores]
    sales = root / "sales.csv"
    pd.concat(frames).to_csv(sales, index=False, encoding="utf-8")
    db = root / "shop.duckdb"
    ingest([sales], db)
    return db


def test_cjk_ids_give_distinct_readable_plots_inside_the_folder(cjk_db: Path,
                                                                tmp_path: Path) -> None:
    plots = tmp_path / "plots"
    result = promocast("diagnose", "--db", str(cjk_db), "--out", str(plots), "--json",
                       str(tmp_path / "d.json"))
    assert result.returncode == 0, result.stderr
    assert "Glyph" not in result.stderr and "missing from font" not in result.stderr
    assert "findfont" not in result.stderr
    doc = json.loads((tmp_path / "d.json").read_text(encoding="utf-8"))
    ids = [s["unique_id"] for s in doc["series"]]
    assert len(ids) == 6 and "商品1/北京店" in ids
    pngs = [Path(p) for p in doc["files"]["png"]]
    assert sorted(p.name for p in plots.glob("*.png")) == sorted(p.name for p in pngs)
    assert len({p.name.casefold() for p in pngs}) == len(ids)  # one file per series
    assert all(p.resolve().parent == plots.resolve() for p in pngs)
    assert not list(tmp_path.glob("*.png")) and not list(plots.glob("*/**"))
    by_id = dict(zip(ids, (p.stem for p in pngs), strict=True))
    assert by_id["商品1/北京店"] == "商品1_北京店" and by_id["商品1/上海店"] == "商品1_上海店"
    assert by_id["商品2/北京店"] == "商品2_北京店"
    assert by_id["../北京店"].startswith("北京店")  # '..' cannot climb out
    assert by_id["a:b/北京店"].startswith("a_b_北京店") and by_id["a?b/北京店"] != by_id["a:b/北京店"]
    html = (plots / "diagnose.html").read_text(encoding="utf-8")
    assert all(f"Series {uid}" in html for uid in ids)  # the page keeps the ids as they are

    lines = result.stdout.splitlines()
    head = next(k for k, line in enumerate(lines) if line.startswith("series"))
    table = lines[head:head + 1 + len(ids)]
    n_ends = {_end(line, "150") for line in table[1:]}
    assert n_ends == {_end(table[0], "n")}  # right-aligned under its header on every row
    assert len({cell_len(line) for line in table}) == 1  # LB p ends every line in one cell
    for line, uid in zip(table[1:], ids, strict=True):
        assert line.startswith(uid + " ") and line.split()[1] == "150"


def _end(line: str, word: str) -> int:
    """Terminal cell after the first ``word`` standing alone in ``line``."""
    return cell_len(line[:line.index(f" {word} ") + 1 + len(word)])


def test_titles_render_without_a_cjk_font(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                          caplog: pytest.LogCaptureFixture) -> None:
    """No CJK font on the machine: the title writes the id's characters as escapes rather
    than boxes, and matplotlib warns about nothing."""
    from promocast.reports.diagnostics import write_png

    for cached in (fonts.chart_families, fonts._fonts, fonts.has_glyph):
        cached.cache_clear()
    monkeypatch.setattr(fonts, "chart_families", lambda: (fonts.BASE_FAMILY,))
    try:
        assert fonts.label("商品1/北京店") == "\\u5546\\u54c11/\\u5317\\u4eac\\u5e97"
        assert fonts.label("A1/S1 $") == "A1/S1 \\$"
        summary = {"unique_id": "商品1/北京店", "n": 30, "acf": [1.0, 0.2], "acf_bound": 0.3,
                   "pacf": [1.0, 0.1], "pacf_bound": 0.3, "stl": {}}
        components = pd.DataFrame({"ds": pd.date_range("2025-01-01", periods=30),
                                   "y": np.arange(30.0), "trend": np.nan, "seasonal": 0.0,
                                   "remainder": 0.0, "observed": 1})
        with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.INFO):
            warnings.simplefilter("always")
            path = write_png(summary, components, tmp_path / "商品1_北京店.png")
        assert path.read_bytes()[:4] == b"\x89PNG"
        assert not [w for w in caught if "Glyph" in str(w.message)]
        assert "findfont" not in caplog.text
    finally:
        for cached in (fonts._fonts, fonts.has_glyph):
            cached.cache_clear()
