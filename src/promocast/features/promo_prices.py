"""Shelf prices that promotions set over a forecast's horizon.

One rule for every promotion a forecast knows ahead, whether the promotions table holds it or a
``--scenario`` file plans it (the forecast used to cut the price for scenario rows only, so a
promotion loaded in the store raised the forecast through its flags alone: +15 % where the
same row as a scenario gave +50 %). Per row, from the price the series would otherwise sell
at (``reference``: its regular price, or the usual price of a standing discount):

- a planned ``planned_price`` (a scenario's ``price`` column) is the price;
- ``percent_off`` / ``flash_sale``: ``discount_pct`` % off;
- ``amount_off``: ``amount_off`` money off, never below 10 % of the price (as the planner's
  ``promo_terms``);
- threshold, gift, bundle, feature_display: the shelf price stays (they act through their
  flags).

A row covers the periods whose date lies in ``start_date .. end_date`` of its item (or of every
item of its ``category``) in its store (every store when ``store_id`` is empty), as
``exogenous.promo_flags`` flags them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from promocast.features.exogenous import every_store_as_none

PRICE_CUT = ("percent_off", "flash_sale")
"""Mechanisms whose ``discount_pct`` cuts the shelf price."""
AMOUNT_FLOOR = 0.1
"""Share of the price an ``amount_off`` never cuts below (``plan_candidates.promo_terms``)."""


def promoted_prices(frame: pd.DataFrame, promotions: pd.DataFrame | None,
                    reference: np.ndarray, items: pd.DataFrame | None = None,
                    ) -> tuple[np.ndarray, np.ndarray]:
    """The price of every row of ``frame`` (``item_id, store_id, ds``) under ``promotions``
    (promotions-table columns, optionally ``planned_price``), and which rows a promotion covers.

    ``reference``: per row, the price without a promotion (money per unit). Where rows overlap
    on a row of ``frame``, an item's own promotion beats its category's, one that sets a price
    beats one that does not, and a later row beats an earlier one. Rows nothing covers keep
    their ``reference``."""
    price = np.asarray(reference, dtype=float).copy()
    covered = np.zeros(len(frame), dtype=bool)
    if promotions is None or promotions.empty or frame.empty:
        return price, covered
    rows = _item_rows(every_store_as_none(promotions).reset_index(drop=True), items)
    rows = rows[(rows["end_date"] >= frame["ds"].min()) & (rows["start_date"] <= frame["ds"].max())]
    if rows.empty:
        return price, covered
    cells = pd.DataFrame({"at": np.arange(len(frame)),
                          "item_id": frame["item_id"].to_numpy(dtype=object),
                          "store": frame["store_id"].to_numpy(dtype=object),
                          "ds": frame["ds"].to_numpy()})
    hit = cells.merge(rows, on="item_id")
    hit = hit[(hit["ds"] >= hit["start_date"]) & (hit["ds"] <= hit["end_date"])
              & (hit["store_id"].isna() | (hit["store_id"] == hit["store"]))]
    if hit.empty:
        return price, covered
    at = hit["at"].to_numpy()
    base = price[at]
    shelf = _shelf(hit, base)
    hit = hit.assign(shelf=shelf, sets_price=~np.isnan(shelf))
    hit = hit.sort_values(["item_scope", "sets_price", "order"], kind="stable").drop_duplicates(
        "at", keep="last")
    at, shelf = hit["at"].to_numpy(), hit["shelf"].to_numpy(dtype=float)
    price[at] = np.where(np.isnan(shelf), price[at], shelf)
    covered[at] = True
    return price, covered


def _item_rows(promotions: pd.DataFrame, items: pd.DataFrame | None) -> pd.DataFrame:
    """One row per promotion and item it covers (a category's rows once per item of it), with
    ``order`` (the promotion's position) and ``item_scope`` (named its item itself)."""
    rows = promotions.assign(order=np.arange(len(promotions)),
                             item_scope=promotions["item_id"].notna())
    for col in ("category", "store_id", "discount_pct", "amount_off", "planned_price"):
        if col not in rows:
            rows[col] = np.nan
    own = rows[rows["item_scope"]]
    wide = rows[~rows["item_scope"] & rows["category"].notna()]
    if items is not None and "category" in items and len(wide):
        members = items[["item_id", "category"]].dropna().drop_duplicates()
        wide = wide.drop(columns="item_id").merge(members, on="category")
        own = pd.concat([own, wide[own.columns]], ignore_index=True)
    keep = ["item_id", "store_id", "start_date", "end_date", "promo_type", "discount_pct",
            "amount_off", "planned_price", "order", "item_scope"]
    return own[keep].astype({"item_id": object})


def _shelf(hit: pd.DataFrame, reference: np.ndarray) -> np.ndarray:
    """Each covering row's shelf price (NaN: the row leaves the price as it is)."""
    kind = hit["promo_type"].to_numpy(dtype=object)
    pct = pd.to_numeric(hit["discount_pct"], errors="coerce").to_numpy(dtype=float)
    off = pd.to_numeric(hit["amount_off"], errors="coerce").to_numpy(dtype=float)
    planned = pd.to_numeric(hit["planned_price"], errors="coerce").to_numpy(dtype=float)
    shelf = np.full(len(hit), np.nan)
    cut = np.isin(kind, PRICE_CUT) & ~np.isnan(pct)
    shelf[cut] = reference[cut] * (1 - pct[cut] / 100)
    money = (kind == "amount_off") & (off > 0)
    shelf[money] = np.maximum(reference[money] - off[money], AMOUNT_FLOOR * reference[money])
    return np.where(np.isnan(planned), shelf, planned)
