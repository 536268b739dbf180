"""Stable codes for the messages the dashboard shows most, so a page can say them in its own
language (``error.<code>`` in ``web/locales``) while the API keeps its English message.

The messages are told by how they begin: the services raise plain ``PromocastError``s with
English text, and a failed job keeps only that text. A message matching none of these has no
code and is shown as it is."""

from __future__ import annotations

import re

CODES: tuple[tuple[str, str], ...] = (
    (r"no promotions to evaluate", "no_promotions"),
    (r"no item has a unit_cost", "no_unit_cost"),
    (r"no (plan|effects|evaluate|advice) result kept yet", "no_{0}"),
    (r"no propensity comparison kept yet", "no_propensity"),
    (r"no kept forecast models to refresh", "no_forecast"),
    (r"no kept forecast of these data covers", "no_forecast"),
    (r"no kept forecast run", "unknown_run"),
    (r"no new periods since", "nothing_new"),
    (r"no sales of item", "unknown_item"),
    (r".* has no orders", "no_orders"),
    (r".* has no purchase of a known customer", "no_orders"),
    (r".* holds no sales", "no_sales"),
    (r"no store at ", "no_sales"),
    (r"internal error", "internal"),
)
"""(pattern matched at the start of the message, code; ``{0}`` takes the first group)."""

_COMPILED = [(re.compile(pattern), code) for pattern, code in CODES]


def error_code(message: str | None) -> str | None:
    """The code of a message the pages know, or None."""
    if not message:
        return None
    for pattern, code in _COMPILED:
        found = pattern.match(message)
        if found:
            return code.format(*found.groups())
    return None
