"""Translations: one JSON catalogue per language under ``web/locales``; Chinese by default.

Every text a page shows goes through ``t(key)``; the catalogues are checked in the tests to
hold the same keys, so a page never shows a key or half a language.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
LANG_COOKIE = "promocast_lang"


@cache
def catalogue(lang: str) -> dict[str, str]:
    """The texts of ``lang`` (key -> text)."""
    text = resources.files("promocast.web").joinpath("locales", f"{lang}.json").read_text(
        encoding="utf-8")
    return json.loads(text)


def pick_language(query: str | None, cookie: str | None) -> str:
    """``?lang=`` first, then the cookie, then Chinese."""
    for lang in (query, cookie):
        if lang in LANGUAGES:
            return lang
    return DEFAULT_LANGUAGE


def translator(lang: str):
    texts = catalogue(lang)
    fallback = catalogue("en")

    def t(key: str, **values: object) -> str:
        text = texts.get(key) or fallback.get(key) or key
        return text.format(**values) if values else text

    return t
