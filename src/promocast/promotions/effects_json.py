"""The ``promo effects --json`` document (DESIGN §3) of an ``effects.Effects``.

Per category it gives, beside the shrunk values, each effect's interval and the category's own
mean before it was shrunk toward the shop (``own``), and ``categories_alike`` names the
effects whose categories did not differ measurably. Shrinkage gives each of those categories
the shop's value, so every category shows the same lift; QA read that as a copy bug. Saying
so, with the categories' own means beside it, lets a planner see that the data cannot tell
the categories apart rather than that they were never looked at."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from promocast.promotions.design import LIFT_MECHANISMS, PRICE_MECHANISMS

if TYPE_CHECKING:
    from promocast.promotions.effects import Effects


def _num(value: object) -> float | None:
    """A JSON number rounded to 4 decimals, or None for NaN."""
    if value is None:
        return None
    value = float(value)
    return None if not np.isfinite(value) else round(value, 4)


def _interval(row: dict, name: str) -> list[float | None] | None:
    if f"{name}_lo" not in row:
        return None
    return [_num(row[f"{name}_lo"]), _num(row[f"{name}_hi"])]


def _items(effects: Effects) -> list[dict]:
    cross: dict[str, dict] = {}
    for row in effects.cross_price.itertuples(index=False):
        cross.setdefault(row.item_id, {})[row.rival_id] = _num(row.elasticity)
    items = []
    for row in effects.params.to_dict("records"):
        lift = {m: None for m in PRICE_MECHANISMS}
        lift.update({m: _num(row[f"lift_{m}"]) for m in LIFT_MECHANISMS})
        lift_ci = {m: _interval(row, f"lift_{m}") for m in LIFT_MECHANISMS
                   if f"lift_{m}_lo" in row}
        rate = _num(row["cannibalisation_rate"])
        entry = {
            "item_id": row["item_id"],
            "store_id": row["store_id"],
            "category": row["category"],
            "price_elasticity": _num(row["price_elasticity"]),
            "price_elasticity_ci": _interval(row, "price_elasticity"),
            "lift": lift,
            "lift_ci": lift_ci,
            "post_promo_dip": _num(row["post_promo_dip"]),
            "cannibalisation": {r: rate for r in effects.rivals.get(row["item_id"], [])},
        }
        if row["item_id"] in cross:
            entry["cross_price_elasticity"] = cross[row["item_id"]]
        items.append(entry)
    return items


def _categories(effects: Effects) -> list[dict]:
    categories = []
    for row in effects.categories.to_dict("records"):
        lift = {m: None for m in PRICE_MECHANISMS}
        lift.update({m: _num(row[f"lift_{m}"]) for m in LIFT_MECHANISMS})
        entry = {
            "category": row["category"],
            "n_items": int(row["n_items"]),
            "price_elasticity": _num(row["price_elasticity"]),
            "price_elasticity_ci": _interval(row, "price_elasticity"),
            "lift": lift,
            "lift_ci": {m: _interval(row, f"lift_{m}") for m in LIFT_MECHANISMS
                        if f"lift_{m}_lo" in row},
            "post_promo_dip": _num(row["post_promo_dip"]),
            "cannibalisation_rate": _num(row["cannibalisation_rate"]),
        }
        own = {name.removesuffix("_own"): _num(value) for name, value in row.items()
               if name.endswith("_own")}
        if own:
            entry["own"] = own
        categories.append(entry)
    return categories


def effects_document(effects: Effects) -> dict:
    """items, categories, flags, level, method and categories_alike (JSON-safe)."""
    flags = [
        {k: (_num(v) if k == "value" else v) for k, v in r.items()}
        for r in effects.flags.to_dict("records")
    ]
    return {
        "items": _items(effects),
        "categories": _categories(effects),
        "categories_alike": list(effects.alike),
        "flags": flags,
        "level": effects.level,
        "method": effects.method,
    }
