"""The texts of each language: one JSON catalogue per language under ``web/locales``.

Read here, outside the web package, so that domain code (plan explanations, advice) and the
reports name things as the dashboard does without importing the front end (the import
contracts forbid it); ``web.i18n`` builds its page translator on the same catalogues.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources


@cache
def catalogue(lang: str) -> dict[str, str]:
    """The texts of ``lang`` (key -> text)."""
    text = resources.files("promocast").joinpath("web", "locales", f"{lang}.json").read_text(
        encoding="utf-8")
    return json.loads(text)
