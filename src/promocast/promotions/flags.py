"""Flags on effect estimates the item's own data cannot carry: rows of ``Effects.flags``
(item_id, store_id, parameter, value, reason); ``promo plan`` turns them into caveats."""

from __future__ import annotations

import numpy as np
import pandas as pd

from promocast.promotions.item_model import ItemFit

SOLD_OUT_SHARE = 0.5
"""A lift is flagged when at least this share of the item's periods on the mechanism sold out:
its own data then say little (``item_model.covariance``) and the plan marks it (``caveat``)."""


BORROWED_REASON = "not identified"
"""How a borrowed flag's reason starts (``flag_borrowed``): the item never ran the mechanism or
its data do not move it, so the category's value stands in. Nothing to distrust, unlike the
other flags (implausible or weakly measured values)."""


def split_flags(flags: list[dict]) -> tuple[list[dict], list[dict]]:
    """``Effects.flags`` rows (dicts with a ``reason``) as (borrowed, implausible): the command
    line and the dashboard count them apart, so a shop that never ran bundles is not told its
    bundle estimates look wrong."""
    borrowed = [f for f in flags if str(f.get("reason", "")).startswith(BORROWED_REASON)]
    implausible = [f for f in flags if not str(f.get("reason", "")).startswith(BORROWED_REASON)]
    return borrowed, implausible


def flag_borrowed(flags: list[tuple], own: pd.Series, value: pd.Series, parameter: str) -> None:
    """Flag the items without an estimate of their own (``own`` False): they carry their
    category's value, or none when the category has none either.

    ``value``: the parameter as EffectParams reports it (a lift as units ratio - 1, a dip or
    cannibalisation rate as a share lost), not the log-scale posterior mean it came from:
    a flag's value is read next to the item's other fields."""
    for item_id in own.index[~own.to_numpy()]:
        value_ = float(value[item_id])
        reason = (
            "not identified: the item's data do not move it, the category's value is used"
            if np.isfinite(value_)
            else "not identified in the item or its category"
        )
        flags.append((item_id, "all", parameter, value_, reason))


def flag_sold_out(flags: list[tuple], fits: dict[str, ItemFit], parameter: str,
                  mean: pd.Series) -> None:
    """Flag the items whose periods on ``parameter`` mostly sold out (``SOLD_OUT_SHARE``)."""
    for item_id, fit in fits.items():
        sold_out, exposed = fit.sold_out.get(parameter, (0, 0))
        if sold_out and sold_out >= SOLD_OUT_SHARE * exposed:
            flags.append(
                (
                    item_id,
                    "all",
                    parameter,
                    float(np.expm1(mean[item_id])),
                    f"{sold_out} of {exposed} promotion periods sold out: demand beyond "
                    "the units sold is unknown, so the lift leans on the category; stock "
                    "more to measure it",
                )
            )
