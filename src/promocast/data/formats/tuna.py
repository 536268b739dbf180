"""Dominick's canned tuna (bayesm ``tuna``): weekly sales of seven brands, summed over the chain.

Layout (``tuna.csv`` in ``../shared/data/bayesm_cheese_tuna``, as exported from bayesm): WEEK,
MOVE1..MOVE7 (unit sales), NSALE1..NSALE7 (display activity, 0-1), LPRICE1..LPRICE7 (log of the
price per can), LWHPRIC1..LWHPRIC7 (log of the wholesale price), FULLCUST (customer visits).

Conventions (why each one is what it is):

* ``date``: Dominick's week numbering, as for the orange juice (week 1 starts on Thursday
  1989-09-14; ``dominicks.week_to_date``). The file holds 338 of weeks 1..398; the missing
  weeks are left as gaps, never filled with zeros.
* one store, ``chain``: the source sums the chain's stores.
* ``item_id`` = the bayesm brand number ("1".."7", names from the bayesm documentation),
  category ``canned_tuna``; ``units`` = MOVE; ``price`` = exp(LPRICE), dollars per can.
* every brand's price is kept as the exogenous ``price_<brand>`` (rival prices: cross-price
  elasticities), the brand's own wholesale price as ``wholesale_price``, its display activity as
  ``display_share`` and the chain's customer visits as ``customers``.
* display: each run of consecutive weeks with NSALE > 0 becomes a ``feature_display``
  promotion (display = 1); ``on_promo`` marks those weeks. The items' ``unit_cost`` is the
  brand's median wholesale price (what the chain paid per can).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from promocast.data.formats._common import find_file as _find
from promocast.data.formats._common import require_columns as _require
from promocast.data.formats.dominicks import run_start_week, week_to_date
from promocast.exceptions import UsageError

BRANDS: dict[int, tuple[str, str]] = {
    1: ("Star Kist 6 oz", "Star Kist"),
    2: ("Chicken of the Sea 6 oz", "Chicken of the Sea"),
    3: ("Bumble Bee Solid 6.12 oz", "Bumble Bee"),
    4: ("Bumble Bee Chunk 6.12 oz", "Bumble Bee"),
    5: ("Geisha 6 oz", "Geisha"),
    6: ("Bumble Bee Large Cans", "Bumble Bee"),
    7: ("HH Chunk Lite 6.5 oz", "HH"),
}
"""bayesm brand number -> (name, brand), from the bayesm ``tuna`` documentation."""

CATEGORY = "canned_tuna"
STORE = "chain"
NAMES = ("tuna", "bayesm_tuna")


def load(path: Path) -> dict[str, pd.DataFrame]:
    """Canonical sales, items, promotions and stores from the bayesm tuna file (or its folder)."""
    path = Path(path)
    main = _find(path, NAMES) if path.is_dir() else path
    if main is None:
        raise UsageError(f"no Dominick's tuna file in {path}: expected tuna.csv[.gz]")
    raw = pd.read_csv(main)
    raw.columns = [str(c).strip().upper() for c in raw.columns]
    columns = [f"{kind}{b}" for kind in ("MOVE", "NSALE", "LPRICE", "LWHPRIC") for b in BRANDS]
    _require(raw, ["WEEK", *columns], str(main))
    raw = raw.sort_values("WEEK", kind="stable").reset_index(drop=True)
    prices = np.exp(raw[[f"LPRICE{b}" for b in BRANDS]].to_numpy(dtype="float64"))

    frames = []
    for b in BRANDS:
        frame = pd.DataFrame({
            "date": week_to_date(raw["WEEK"]),
            "item_id": str(b),
            "store_id": STORE,
            "units": raw[f"MOVE{b}"].astype("float64"),
            "price": prices[:, b - 1],
            "base_price": np.nan,
            "on_promo": (raw[f"NSALE{b}"] > 0).astype("float64"),
            "display_share": raw[f"NSALE{b}"].astype("float64"),
            "wholesale_price": np.exp(raw[f"LWHPRIC{b}"].astype("float64")),
        })
        for rival in BRANDS:
            frame[f"price_{rival}"] = prices[:, rival - 1]
        if "FULLCUST" in raw.columns:
            frame["customers"] = raw["FULLCUST"].astype("float64")
        frames.append(frame.assign(week=raw["WEEK"].astype(int)))
    long = pd.concat(frames, ignore_index=True)

    # runs of display weeks per brand (the OJ adapter's run logic, with one store)
    keyed = pd.DataFrame({"store": 0, "brand": long["item_id"].astype(int), "week": long["week"]})
    order = keyed.sort_values(["brand", "week"], kind="stable").index
    keyed, long = keyed.loc[order].reset_index(drop=True), long.loc[order].reset_index(drop=True)
    shown = long["on_promo"] > 0
    start = run_start_week(keyed, shown)
    ids = ("display-" + long["item_id"] + "-w" + start.fillna(0).astype(int).astype(str))
    long["promo_id"] = ids.where(shown, None)
    runs = (long[shown].groupby("promo_id", sort=False)
            .agg(item_id=("item_id", "first"), first=("week", "min"), last=("week", "max"))
            .reset_index())
    promotions = pd.DataFrame({
        "promo_id": runs["promo_id"].astype(str),
        "promo_type": "feature_display",
        "start_date": week_to_date(runs["first"]),
        "end_date": week_to_date(runs["last"]) + pd.Timedelta(days=6),
        "item_id": runs["item_id"],
        "category": None,
        "store_id": STORE,
        "feature": 0.0,
        "display": 1.0,
    })
    cost = long.groupby("item_id")["wholesale_price"].median()
    items = pd.DataFrame({
        "item_id": [str(b) for b in BRANDS],
        "name": [v[0] for v in BRANDS.values()],
        "category": CATEGORY,
        "brand": [v[1] for v in BRANDS.values()],
    })
    items["unit_cost"] = items["item_id"].map(cost).astype("float64")
    stores = pd.DataFrame({"store_id": [STORE], "name": ["Dominick's Finer Foods (chain)"],
                           "channel": ["store"], "country": ["US"]})
    sales = long.drop(columns="week")
    return {"items": items, "promotions": promotions, "sales": sales, "stores": stores}
