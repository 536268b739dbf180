"""Dominick's Finer Foods refrigerated orange juice (weekly, store x brand).

Layouts read:
- bayesm ``orangeJuice`` ``yx`` table (``bayesm_orangeJuice_yx.csv[.gz]``, as exported by
  microsoft/forecasting): store, brand 1-11, week, logmove, constant, price1..price11 (dollars
  per ounce of every brand), deal, feat, profit; with ``bayesm_orangeJuice_storedemo.csv``
  beside it for the store list.
- the Taddy / EconML ``oj.csv`` layout (store, brand name, week, logmove, feat, price per carton).

Conventions: week w is dated 1989-09-14 + 7 (w - 1) days (the week's first day); units =
round(exp(logmove)); item_id = brand number ("1".."11") or brand name; price = dollars per
carton actually charged (price per ounce x carton size) so revenue = units x price; the eleven
per-ounce prices stay as exogenous columns price_1..price_11 for cross-price effects, with
``deal`` and ``feat`` (share of the week featured, 0-1). Promotions: a run of consecutive
deal weeks is one ``amount_off`` promotion (an in-store coupon); a run of featured weeks is one
``feature_display`` promotion with feature = 1.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from promocast.data.formats._runs import flag_runs, promo_id_per_row

WEEK_ONE = pd.Timestamp("1989-09-14")
BRANDS = {
    1: ("Tropicana Premium 64 oz", 64), 2: ("Tropicana Premium 96 oz", 96),
    3: ("Florida's Natural 64 oz", 64), 4: ("Tropicana 64 oz", 64),
    5: ("Minute Maid 64 oz", 64), 6: ("Minute Maid 96 oz", 96), 7: ("Citrus Hill 64 oz", 64),
    8: ("Tree Fresh 64 oz", 64), 9: ("Florida Gold 64 oz", 64), 10: ("Dominick's 64 oz", 64),
    11: ("Dominick's 128 oz", 128),
}
CATEGORY = "refrigerated_juice"


def _find(path: Path, names: tuple[str, ...]) -> Path | None:
    if path.is_file():
        return path
    for name in names:
        hits = sorted(path.glob(name))
        if hits:
            return hits[0]
    return None


def week_to_date(week: pd.Series) -> pd.Series:
    return WEEK_ONE + pd.to_timedelta((week.astype(int) - 1) * 7, unit="D")


def load(path: Path) -> dict[str, pd.DataFrame]:
    main = _find(path, ("*orangeJuice_yx.csv*", "yx.csv*", "oj*.csv*"))
    if main is None:
        raise FileNotFoundError(f"no Dominick's OJ file (yx.csv or oj.csv) in {path}")
    raw = pd.read_csv(main)
    raw.columns = [c.lower() for c in raw.columns]
    tables = _from_bayesm(raw) if "price1" in raw.columns else _from_taddy(raw)
    demo = _find(path.parent if path.is_file() else path, ("*storedemo.csv*",))
    stores = sorted(tables["sales"]["store_id"].unique(), key=int)
    if demo is not None:
        stores = [str(s) for s in pd.read_csv(demo)["STORE"]]
    tables["stores"] = pd.DataFrame({"store_id": stores, "channel": "supermarket",
                                     "country": "US"})
    return tables


def _sales_frame(raw: pd.DataFrame, item: pd.Series, price: pd.Series) -> pd.DataFrame:
    return pd.DataFrame({
        "date": week_to_date(raw["week"]),
        "item_id": item.astype(str),
        "store_id": raw["store"].astype(int).astype(str),
        "units": np.round(np.exp(raw["logmove"].astype(float))),
        "price": price.round(4),
    })


def _promotions(sales: pd.DataFrame) -> pd.DataFrame:
    parts = []
    if "deal" in sales:
        parts.append(flag_runs(sales, "deal", period_days=7, prefix="deal",
                               promo_type="amount_off"))
    parts.append(flag_runs(sales, "feat", period_days=7, prefix="feat",
                           promo_type="feature_display", extra={"feature": 1}))
    return pd.concat([p for p in parts if len(p)], ignore_index=True)


def _from_bayesm(raw: pd.DataFrame) -> dict[str, pd.DataFrame]:
    brand = raw["brand"].astype(int)
    size = brand.map({b: oz for b, (_, oz) in BRANDS.items()})
    own = raw[[f"price{b}" for b in range(1, 12)]].to_numpy()[np.arange(len(raw)), brand - 1]
    sales = _sales_frame(raw, brand, pd.Series(own, index=raw.index) * size)
    for b in range(1, 12):
        sales[f"price_{b}"] = raw[f"price{b}"].astype(float)
    sales["deal"] = raw["deal"].astype(float)
    sales["feat"] = raw["feat"].astype(float)
    sales["on_promo"] = ((sales["deal"] > 0) | (sales["feat"] > 0)).astype(int)
    promotions = _promotions(sales)
    deal_ids = promo_id_per_row(sales, promotions[promotions.promo_type == "amount_off"], "deal", 7)
    feat_ids = promo_id_per_row(sales, promotions[promotions.promo_type == "feature_display"],
                                "feat", 7)
    sales["promo_id"] = deal_ids.fillna(feat_ids)
    items = pd.DataFrame({
        "item_id": [str(b) for b in BRANDS], "name": [n for n, _ in BRANDS.values()],
        "category": CATEGORY, "brand": [n.rsplit(" ", 2)[0] for n, _ in BRANDS.values()],
    })
    return {"items": items, "promotions": promotions, "sales": sales}


def _from_taddy(raw: pd.DataFrame) -> dict[str, pd.DataFrame]:
    sales = _sales_frame(raw, raw["brand"].astype(str), raw["price"].astype(float))
    sales["feat"] = raw["feat"].astype(float)
    sales["on_promo"] = (sales["feat"] > 0).astype(int)
    promotions = _promotions(sales)
    sales["promo_id"] = promo_id_per_row(sales, promotions, "feat", 7)
    names = sorted(sales["item_id"].unique())
    items = pd.DataFrame({"item_id": names, "name": names, "category": CATEGORY, "brand": names})
    return {"items": items, "promotions": promotions, "sales": sales}
