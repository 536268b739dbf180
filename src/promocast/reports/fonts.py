"""Fonts for the PNG charts, so that ids in Chinese, Japanese or Korean do not print as boxes.

matplotlib draws with DejaVu Sans, which has no CJK glyphs: a title such as "商品3/北京店" came
out as empty boxes ("tofu") with one "Glyph ... missing" warning per character. ``chart_text``
sets ``font.family`` to DejaVu Sans followed by a CJK-capable font when the machine has one
(matplotlib falls back glyph by glyph along that list): one matplotlib already knows, else one
that fontconfig reports (``fc-list :lang=zh``), registered with matplotlib for this process
(its font cache may predate the font's installation). ``label`` writes each character none of
those fonts can draw as a ``\\uXXXX`` escape: no tofu and no warnings, with or without a CJK
font (Korean needs a font with Hangul; without one its ids are escaped too).
"""

from __future__ import annotations

import functools
import logging
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager

import matplotlib
from matplotlib import font_manager

BASE_FAMILY = "DejaVu Sans"  # matplotlib's bundled font: always there
CJK_FAMILIES = (
    "Noto Sans CJK SC", "Noto Sans CJK TC", "Noto Sans CJK JP", "Noto Sans CJK KR", "Noto Sans SC",
    "Source Han Sans SC", "Source Han Sans CN", "Source Han Sans", "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei", "Droid Sans Fallback", "Microsoft YaHei", "SimHei", "PingFang SC",
    "Hiragino Sans GB", "Heiti SC", "Arial Unicode MS", "AR PL UMing CN", "AR PL UKai CN",
)
FONT_SUFFIXES = (".ttf", ".otf", ".ttc")  # what matplotlib can read (not bitmap .pcf)
_QUIET_PREFIX = "findfont: Failed to find font weight"


@functools.cache
def chart_families() -> tuple[str, ...]:
    """Font families for chart text, DejaVu Sans first, then a CJK-capable one if any."""
    fallback = _known_cjk_family() or _fontconfig_cjk_family()
    return (BASE_FAMILY, fallback) if fallback else (BASE_FAMILY,)


def _known_cjk_family() -> str | None:
    known = {entry.name for entry in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FAMILIES if name in known), None)


def _fontconfig_cjk_family() -> str | None:
    """A CJK font fontconfig knows of, registered with matplotlib; None without fontconfig."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    try:
        listing = subprocess.run([fc_list, ":lang=zh", "file", "family"], capture_output=True,
                                 text=True, timeout=20, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    fonts = []
    for line in listing.splitlines():
        path, _, families = line.partition(": ")
        if path.lower().endswith(FONT_SUFFIXES):
            names = families.split(",")
            rank = next((k for k, name in enumerate(CJK_FAMILIES) if name in names),
                        len(CJK_FAMILIES))
            fonts.append((rank, path))
    for _rank, path in sorted(fonts):
        try:
            font_manager.fontManager.addfont(path)
            return font_manager.FontProperties(fname=path).get_name()
        except (OSError, RuntimeError, ValueError):
            continue
    return None


@functools.cache
def _fonts() -> tuple:
    found = []
    for family in chart_families():
        try:
            with _quiet():
                path = font_manager.findfont(font_manager.FontProperties(family=family),
                                             fallback_to_default=False)
            found.append(font_manager.get_font(path))
        except (OSError, RuntimeError, ValueError):
            continue
    return tuple(found)


@functools.cache
def has_glyph(char: str) -> bool:
    """Whether one of the chart fonts can draw ``char`` (white space always can)."""
    return char.isspace() or any(font.get_char_index(ord(char)) for font in _fonts())


def label(text: str) -> str:
    """``text`` as chart text: characters no chart font can draw as ``\\uXXXX`` escapes, and
    ``$`` escaped so an id is never read as mathtext."""
    def one(char: str) -> str:
        if char == "$":
            return r"\$"
        if has_glyph(char):
            return char
        return f"\\u{ord(char):04x}" if ord(char) <= 0xFFFF else f"\\U{ord(char):08x}"

    return "".join(one(char) for char in text)


class _WeightSubstitution(logging.Filter):
    """CJK fonts often come in one weight (WenQuanYi: 500); matplotlib logs each substitution."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(_QUIET_PREFIX)


@contextmanager
def _quiet() -> Iterator[None]:
    logger = logging.getLogger(font_manager.__name__)
    quiet = _WeightSubstitution()
    logger.addFilter(quiet)
    try:
        yield
    finally:
        logger.removeFilter(quiet)


@contextmanager
def chart_text() -> Iterator[None]:
    """Draw and save figures inside this block to get the CJK fallback font."""
    with _quiet(), matplotlib.rc_context({"font.family": list(chart_families())}):
        yield
