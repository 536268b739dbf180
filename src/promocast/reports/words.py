"""The report's words in English or Chinese, from the dashboard's own catalogues
(``web/locales``): sentences and headings under ``report.*``, column labels under ``col.*``,
mechanism names under ``mechanism.*`` (QA finding 17). One place for each word: the report
and the pages say a mechanism or a column the same way.

English keeps the report as it was: raw column and mechanism ids (a technical reader's
report); Chinese labels columns and names mechanisms, calendar kinds, warnings and segments.
"""

from __future__ import annotations

import pandas as pd

from promocast.exceptions import UsageError
from promocast.web.i18n import catalogue, translator

REPORT_LANGUAGES = ("en", "zh")
HTML_LANG = {"en": "en", "zh": "zh-CN"}
"""The html lang attribute, as the dashboard's pages write it."""

VALUE_KEYS = {"promo_type": "mechanism", "mechanism": "mechanism", "kind": "kind",
              "warning": "warning", "segment": "segment"}
"""Table columns whose cells are ids with a name in the catalogue (prefix of the key)."""


def check_language(lang: str) -> str:
    if lang not in REPORT_LANGUAGES:
        raise UsageError(f"--lang takes en or zh, got {lang!r}")
    return lang


class Words:
    """``words("plan")`` is the text of ``report.plan`` in the report's language."""

    def __init__(self, lang: str = "en") -> None:
        self.lang = check_language(lang)
        self._t = translator(lang)
        self._texts = catalogue(lang)

    def __call__(self, key: str, **values: object) -> str:
        return self._t(f"report.{key}", **values)

    def named(self, prefix: str, value: object) -> object:
        if self.lang == "en" or not isinstance(value, str):
            return value
        return self._texts.get(f"{prefix}.{value}") or value

    def column(self, name: str) -> str:
        return self.named("col", name)

    def mechanism(self, kind: object) -> object:
        return self.named("mechanism", kind)

    def option(self, label: object) -> object:
        """``percent_off 20 %`` -> ``打折 20 %`` (the mechanism named, the depth kept)."""
        if self.lang == "en" or not isinstance(label, str) or not label:
            return label
        kind, _, depth = label.partition(" ")
        return f"{self.mechanism(kind)} {depth}".strip()

    def values(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The frame with its id cells named (mechanisms, calendar kinds, warnings, ...)."""
        if self.lang == "en":
            return frame
        frame = frame.copy()
        for col, prefix in VALUE_KEYS.items():
            if col in frame:
                frame[col] = frame[col].map(lambda v, p=prefix: self.named(p, v))
        if "option" in frame:
            frame["option"] = frame["option"].map(self.option)
        return frame

    def labels(self, frame: pd.DataFrame) -> dict[str, str]:
        """Column -> label, for plotly's ``labels=`` (axis and legend titles)."""
        return {c: self.column(c) for c in frame.columns if isinstance(c, str)}

    def table(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The frame as the report shows it: ids named, columns labelled."""
        if self.lang == "en":
            return frame
        return self.values(frame).rename(columns=self.labels(frame))
