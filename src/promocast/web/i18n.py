"""Translations: one JSON catalogue per language under ``web/locales``; Chinese by default.

Every text a page shows goes through ``t(key)``; the catalogues are checked in the tests to
hold the same keys, so a page never shows a key or half a language.
"""

from __future__ import annotations

from promocast.catalogues import catalogue

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
LANG_COOKIE = "promocast_lang"


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
