"""How a message names what the user can change: the command line's flags or the API's fields.

The loader and the services are shared by the CLI and the HTTP API, and their messages tell the
user what to do ("rename it or pass --map SOURCE=date"). A flag means nothing to someone who
uploaded a file on the Data page, so the words for an option belong to the edge that called:
the CLI's by default, the API's while it serves a request and the jobs that request starts
(``speaking(API)``, set once in ``api.app``). A message asks here for an option's name
(``option``) or a hint's phrase (``phrase``) instead of writing a flag, so no edge rewrites a
message after the fact or repeats the rule that raised it.

A context variable rather than a parameter: the phrases are built deep inside validation
(a column check of one file of several), and each thread or task sees its own edge's words.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Words:
    """One edge's way of naming options and its phrases for the hints (key -> template)."""

    edge: str
    flags: bool
    """True: an option ``history`` is written ``--history``; False: ``history``."""
    phrases: Mapping[str, str] = field(default_factory=dict)
    options: Mapping[str, str] = field(default_factory=dict)
    """Options this edge spells otherwise (the API's ``item_id`` for the CLI's ``--item``,
    the CLI's ``--horizon`` of a propensity label for the API's ``horizon_days``)."""


CLI = Words("cli", flags=True, phrases={
    "map_column": "rename it or pass --map SOURCE={column}",
    "table": "pass --table NAME",
    "pseudonymise": "load orders with --pseudonymise (and the same salt)",
    "budget": "--budget B (or budget: in the rules file)",
}, options={"horizon_days": "--horizon"})
"""The command line's words (its messages as they always read)."""

API = Words("api", flags=False, phrases={
    "map_column": "rename that column of the file to {column} and upload it again",
    "table": "choose its table in the upload's table field",
    "pseudonymise": "upload orders with pseudonymise=true (and the same salt)",
    "budget": "budget in the request (or budget in its rules)",
}, options={"item": "item_id"})
"""The API's and the pages' words: form fields and request keys, never a flag."""

_WORDS: ContextVar[Words] = ContextVar("promocast_words", default=CLI)


def current() -> Words:
    """The words of the edge being served now (the CLI's outside any request)."""
    return _WORDS.get()


@contextmanager
def speaking(words: Words) -> Iterator[Words]:
    """Build messages in ``words`` inside the block (and in what it starts with a copy of
    this context, such as a job)."""
    token = _WORDS.set(words)
    try:
        yield words
    finally:
        _WORDS.reset(token)


def option(key: str) -> str:
    """An option as the user sets it here: ``--lead-time`` on the command line,
    ``lead_time`` in a request."""
    words = current()
    if key in words.options:
        return words.options[key]
    return "--" + key.replace("_", "-") if words.flags else key


def phrase(key: str, **values: object) -> str:
    """A hint's phrase in the current edge's words (``values`` fill its template)."""
    words = current()
    template = words.phrases.get(key) or CLI.phrases[key]
    return template.format(**values)
