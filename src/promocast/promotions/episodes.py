"""Past promotions told from the sales rows when the shop has no promotions table.

Many shops export their sales with an on-promotion flag, or only with the price paid, and
keep no promotion calendar. Their past promotions are still there: runs of consecutive
periods of one item and store on promotion. ``promotions_from_sales`` turns those runs into
rows of the promotions table (DESIGN §2) so that ``promo evaluate`` can judge them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from promocast.promotions.design import period_days, period_end

MIN_CUT = 0.05
"""A price at least this far under the regular one counts as a promotion where the sales
carry no on-promotion flag (smaller moves are rounding and pack-price noise)."""
MAX_DAYS = 56
"""Longest run taken as a promotion: a cut held longer is a new price, not a deal."""


def promotions_from_sales(frame: pd.DataFrame, freq: str) -> tuple[pd.DataFrame, list[str]]:
    """Rows of the promotions table, one per run of consecutive promoted periods of a series
    of the regular panel ``frame`` (unique_id, item_id, store_id, ds, on_promo and / or
    price, base_price), and notes saying how they were told.

    A period is promoted when its ``on_promo`` flag says so; without flags, when its price is
    ``MIN_CUT`` or more under the regular price. The mechanism is ``percent_off`` at the run's
    median depth when the price was cut, else ``feature_display`` (a flag without a price cut
    is the display or feature the flag stands for: a guess, said in the notes). Runs longer
    than ``MAX_DAYS`` are left out (new prices, standing discounts)."""
    rows = frame.sort_values(["unique_id", "ds"])
    depth = np.zeros(len(rows))
    if {"price", "base_price"} <= set(rows):
        price = rows["price"].to_numpy(dtype=float)
        base = rows["base_price"].to_numpy(dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            depth = np.nan_to_num(np.clip(1.0 - price / base, 0.0, 1.0))
    flagged = "on_promo" in rows and bool(np.nansum(rows["on_promo"].to_numpy(dtype=float)))
    on = (np.nan_to_num(rows["on_promo"].to_numpy(dtype=float)) > 0 if flagged
          else depth >= MIN_CUT)
    empty = pd.DataFrame(columns=["promo_id", "promo_type", "start_date", "end_date",
                                  "item_id", "store_id", "discount_pct"])
    if not on.any():
        return empty, []
    ids = rows["unique_id"].to_numpy()
    # a new run starts where a series starts or where a promoted period follows one that is not
    starts = on & np.r_[True, (ids[1:] != ids[:-1]) | ~on[:-1]]
    run = np.cumsum(starts)[on]
    picked = pd.DataFrame({"run": run, "item_id": rows["item_id"].to_numpy()[on],
                           "store_id": rows["store_id"].to_numpy()[on],
                           "ds": rows["ds"].to_numpy()[on], "depth": depth[on]})
    runs = picked.groupby("run", sort=True).agg(
        item_id=("item_id", "first"), store_id=("store_id", "first"),
        start_date=("ds", "min"), end_date=("ds", "max"), periods=("ds", "size"),
        depth=("depth", "median"))
    width = period_days(freq)
    long = runs["periods"] * width > MAX_DAYS
    runs = runs[~long]
    # a weekly or monthly period's promotion runs to the period's last day
    runs["end_date"] = period_end(runs["end_date"], freq)
    cut = runs["depth"] >= 0.01
    stores = rows["store_id"].nunique()
    out = pd.DataFrame({
        # short ids a table can show: the item (and store, when there are several) and the
        # start date, e.g. SKU010@240320
        "promo_id": [f"{i}{f'/{s}' if stores > 1 else ''}@{d:%y%m%d}" for i, s, d in
                     zip(runs["item_id"], runs["store_id"], runs["start_date"], strict=True)],
        "promo_type": np.where(cut, "percent_off", "feature_display"),
        "start_date": runs["start_date"].dt.normalize().to_numpy(),
        "end_date": runs["end_date"].dt.normalize().to_numpy(),
        "item_id": runs["item_id"].astype(str).to_numpy(),
        "store_id": runs["store_id"].astype(str).to_numpy(),
        "discount_pct": np.where(cut, np.round(100 * runs["depth"], 1), np.nan)})
    told = ("on_promo flags" if flagged
            else f"prices at least {MIN_CUT:.0%} under the regular price")
    notes = [f"no promotions table: {len(out)} promotions told from the sales rows' {told} "
             f"(runs of promoted periods of an item and store; {int(cut.sum())} with a price "
             f"cut as percent_off at their median depth, {int((~cut).sum())} without one as "
             "feature_display)"]
    if long.any():
        notes.append(f"{int(long.sum())} runs longer than {MAX_DAYS} days left out: a price "
                     "held that long is a new price or a standing discount, not a promotion")
    return out, notes
