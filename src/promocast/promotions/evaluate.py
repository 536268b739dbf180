"""Evaluation of past promotions against a counterfactual baseline (issue 4, Deliver 2).

The counterfactual baseline (what each item x store would have sold with no promotion
anywhere) is ``counterfactual``'s.

**Evaluation** (``evaluate_promotions``): per past promotion, actual against baseline units
over the rows it covers, money (revenue, discount cost, incremental margin, ROI), the units it
took from the category's other items and the post-promotion dip; ranked.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from promocast.promotions.counterfactual import on_promotion, since_promotion
from promocast.promotions.design import (
    EVERY_STORE,
    LIFT_MECHANISMS,
    period_days,
    period_end,
    period_label,
)
from promocast.promotions.noise import dispersion, noise_band, noise_note, rank_order

TABLE_COLUMNS = [
    "rank", "promo_id", "promo_type", "scope", "item_id", "category", "stores", "start", "end",
    "n_items", "n_periods", "censored_periods", "shared_periods", "baseline_units",
    "actual_units", "incremental_units", "incremental_pct", "revenue", "discount_cost",
    "fixed_cost", "incremental_margin", "roi", "units_taken_from_other_items",
    "post_promo_dip_units", "net_incremental_units", "model_incremental_units",
    "noise_band_units", "within_noise",
]
"""Columns of ``Evaluation.table`` (``model_incremental_units`` only with EffectParams)."""


@dataclass
class Evaluation:
    """Past promotions against their counterfactual baseline, one row per promotion, ranked.

    Units: ``baseline_units`` / ``actual_units`` / ``incremental_units`` over the observed
    periods the promotion covers (stock-outs and gaps are left out of both, and counted in
    ``censored_periods``; a period two promotions cover is split equally between them and
    counted in ``shared_periods``); ``revenue`` = units x net price paid; ``discount_cost`` = price cut
    x units + threshold rebate + gifts (gift value per unit, or per threshold_amount spent when
    the gift comes with one) + ``fixed_cost``; ``incremental_margin`` =
    margin with the promotion - margin of the baseline at the regular price - fixed cost (None
    when an item lacks ``unit_cost``); ``roi`` = incremental margin / discount cost;
    ``units_taken_from_other_items`` = baseline - actual of the category's items not on
    promotion in the same stores and periods (shared between promotions running together);
    ``post_promo_dip_units`` = baseline - actual over the dip periods after the end;
    ``net_incremental_units`` = incremental - taken - dip; ``model_incremental_units``: what
    the effect estimates (EffectParams) predict from the baseline, when given.
    """

    table: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    ranked_by: str = "incremental_margin"

    def to_json(self) -> dict:
        """JSON-safe document: ranked_by, notes and the table as records (NaN -> null)."""
        records = []
        for row in self.table.to_dict("records"):
            records.append({k: _plain(v) for k, v in row.items()})
        return json.loads(
            json.dumps({"ranked_by": self.ranked_by, "notes": self.notes, "promotions": records})
        )


def _plain(value: object) -> object:
    if value is None:
        return None
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _normalise(promotions: pd.DataFrame) -> pd.DataFrame:
    promos = promotions.copy()
    for col in ("item_id", "category", "store_id"):
        if col not in promos:
            promos[col] = None
    for col in ("discount_pct", "threshold_amount", "amount_off", "gift_value", "fixed_cost"):
        promos[col] = pd.to_numeric(promos[col], errors="coerce") if col in promos else np.nan
    for col in ("feature", "display"):
        promos[col] = pd.to_numeric(promos[col], errors="coerce").fillna(0) if col in promos else 0
    promos["promo_id"] = promos["promo_id"].astype(str)
    promos["start_date"] = pd.to_datetime(promos["start_date"]).dt.normalize()
    promos["end_date"] = pd.to_datetime(promos["end_date"]).dt.normalize()
    item = promos["item_id"].where(promos["item_id"].notna(), "").astype(str).str.strip()
    promos["item_id"] = item.where(item != "", None)
    store = promos["store_id"].where(promos["store_id"].notna(), "").astype(str).str.strip()
    promos["store_id"] = store.where(~store.str.lower().isin(EVERY_STORE), None)
    promos["scope"] = np.where(promos["item_id"].notna(), "item", "category")
    return promos.reset_index(drop=True)


def _coverage(promos: pd.DataFrame, rows: pd.DataFrame, freq: str) -> pd.DataFrame:
    """promo_id, row (index into ``rows``), share for every panel row a promotion covers. A
    category-wide promotion counts only on rows the sales table marks on promotion, when it
    marks any (shops exclude items already on a deal). A row several promotions cover (an item
    deal inside a category-wide one, two deals overlapping) is shared: each gets ``share`` =
    1 / n of its units, money and baseline, so no promotion is skipped or credited with
    another's units, and the shares add up to the row once."""
    members = rows[["item_id", "category"]].drop_duplicates("item_id")
    direct = promos.loc[promos["scope"] == "item", ["promo_id", "item_id", "store_id"]]
    wide = promos.loc[promos["scope"] == "category", ["promo_id", "category", "store_id"]]
    wide = wide.merge(members, on="category")[["promo_id", "item_id", "store_id"]]
    cells = pd.concat([direct.assign(level=0), wide.assign(level=1)], ignore_index=True)
    stores = pd.DataFrame({"store": sorted(rows["store_id"].unique())})
    everywhere = cells["store_id"].isna()
    cells = pd.concat(
        [
            cells[~everywhere],
            cells[everywhere]
            .drop(columns="store_id")
            .merge(stores, how="cross")
            .rename(columns={"store": "store_id"}),
        ],
        ignore_index=True,
    )
    dates = promos.set_index("promo_id")[["start_date", "end_date"]]
    cells = cells.join(dates, on="promo_id")
    length = ((cells["end_date"] - cells["start_date"]).dt.days.clip(lower=0) + 1).to_numpy()
    days = cells.loc[cells.index.repeat(length), ["promo_id", "item_id", "store_id", "level"]]
    offset = np.arange(len(days)) - np.repeat(np.cumsum(length) - length, length)
    start = cells["start_date"].to_numpy().repeat(length)
    days["ds"] = period_label(
        pd.Series(start + pd.to_timedelta(offset, unit="D"), index=days.index), freq, rows["ds"]
    )
    days = days.drop_duplicates(["promo_id", "item_id", "store_id", "ds"])
    keyed = rows[["item_id", "store_id", "ds"]].reset_index(names="row")
    hit = days.merge(keyed, on=["item_id", "store_id", "ds"])
    if "on_promo" in rows and bool((rows["on_promo"] > 0).any()):
        marked = rows["on_promo"].to_numpy()[hit["row"].to_numpy()] > 0
        hit = hit[(hit["level"] == 0).to_numpy() | marked]
    hit = hit.drop_duplicates(["promo_id", "row"]).sort_values(["row", "promo_id"])
    hit["share"] = 1.0 / hit.groupby("row")["promo_id"].transform("size")
    return hit[["promo_id", "row", "share"]].reset_index(drop=True)


def _money(promos: pd.DataFrame, covered: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """Per covered row: net price received, giveaway per unit (price cut, threshold rebate,
    gift) and unit cost. On a row several promotions share, the rebates and gifts of all of
    them add up (the price paid already holds every price cut), so each promotion's share of
    the row carries its share of the whole giveaway."""
    terms = promos.set_index("promo_id")
    at = covered["promo_id"]
    r = covered["row"].to_numpy()
    paid = rows["price"].to_numpy(float)[r]
    regular = rows["base_price"].to_numpy(float)[r]
    regular = np.where(np.isfinite(regular), np.fmax(regular, paid), paid)
    kind = terms["promo_type"].reindex(at).to_numpy()
    threshold = terms["threshold_amount"].reindex(at).to_numpy(float)
    rebate_share = terms["amount_off"].reindex(at).to_numpy(float) / threshold
    # spend X get N % off: the share is the discount_pct itself
    share_pct = terms["discount_pct"].reindex(at).to_numpy(float) / 100
    rebate_share = np.where(np.isfinite(rebate_share), rebate_share, share_pct)
    rebate = np.where((kind == "threshold") & np.isfinite(rebate_share), paid * rebate_share, 0.0)
    # A gift given on a spend of threshold_amount costs each unit its share of the basket
    # (paid / threshold of the gift, an upper bound as for the rebate); without a threshold
    # every unit carries a gift.
    value = np.nan_to_num(terms["gift_value"].reindex(at).to_numpy(float))
    per_basket = np.isfinite(threshold) & (threshold > 0)
    gift = np.where(per_basket, paid * value / np.where(per_basket, threshold, 1.0), value)
    gift = np.where(kind == "gift", gift, 0.0)
    on_row = pd.DataFrame({"rebate": rebate, "gift": gift}).groupby(r).transform("sum")
    rebate, gift = on_row["rebate"].to_numpy(), on_row["gift"].to_numpy()
    return pd.DataFrame(
        {
            "net_price": paid - rebate,
            "regular_price": regular,
            "giveaway": (regular - paid) + rebate + gift,
            "gift": gift,
        },
        index=covered.index,
    )


def _model_multiplier(
    promos: pd.DataFrame,
    covered: pd.DataFrame,
    rows: pd.DataFrame,
    money: pd.DataFrame,
    params: pd.DataFrame,
) -> np.ndarray:
    """Demand multiplier the effect estimates give each covered row: (paid / regular) **
    elasticity x prod(1 + lift) of the non-price mechanisms any promotion on the row uses
    (NaN when unknown); a mechanism two promotions share (both on display) counts once."""
    r = covered["row"].to_numpy()
    keys = rows.iloc[r][["item_id", "store_id"]].reset_index(drop=True)
    p = params.assign(store_id=params.get("store_id", "all"))
    own = keys.merge(p, on=["item_id", "store_id"], how="left")
    pooled = keys[["item_id"]].merge(
        p[p["store_id"] == "all"].drop_duplicates("item_id").drop(columns="store_id"),
        on="item_id",
        how="left",
    )
    found = own["price_elasticity"].notna().to_numpy()
    eff = own.where(np.broadcast_to(found[:, None], own.shape), pooled.reindex(columns=own.columns))
    ratio = rows["price"].to_numpy(float)[r] / money["regular_price"].to_numpy()
    mult = ratio ** eff["price_elasticity"].to_numpy(float)
    terms = promos.set_index("promo_id").reindex(covered["promo_id"])
    kind = terms["promo_type"].to_numpy()
    shown = (terms["feature"].to_numpy(float) > 0) | (terms["display"].to_numpy(float) > 0)
    for m in LIFT_MECHANISMS:
        on = (kind == m) | ((m == "feature_display") & shown)
        on = pd.Series(on).groupby(r).transform("max").to_numpy(bool)
        lift = eff.get(f"lift_{m}", pd.Series(np.nan, index=eff.index)).to_numpy(float)
        mult = mult * np.where(on, 1.0 + lift, 1.0)
    return mult


def evaluate_promotions(
    frame: pd.DataFrame,
    promotions: pd.DataFrame,
    baseline: pd.DataFrame,
    items: pd.DataFrame | None,
    *,
    freq: str,
    params: pd.DataFrame | None = None,
    dip_periods: int | None = None,
) -> Evaluation:
    """Every past promotion against the baseline (see ``Evaluation`` for the columns).

    ``frame``: the regular panel (unique_id, item_id, store_id, category, ds, y, price,
    base_price, promotion flags, ``observed``); ``promotions``: the promotions table (DESIGN
    §2); ``baseline``: ``counterfactual_baseline``'s output; ``items``: item_id and unit_cost
    (margins and ROI need it); ``params``: EffectParams for ``model_incremental_units``;
    ``dip_periods``: periods after the end that count as the dip (one week by default).
    Promotions entirely before the data, not started by its end (planned), started and still
    running at its end, or covering no panel row are skipped with a note (one per reason).
    """
    notes: list[str] = []
    width = period_days(freq)
    dip = dip_periods if dip_periods is not None else max(1, 7 // width)
    rows = frame.sort_values(["unique_id", "ds"]).reset_index(drop=True)
    if "category" not in rows:
        rows["category"] = "all"
    rows["item_id"] = rows["item_id"].astype(str)
    rows["store_id"] = rows["store_id"].astype(str)
    keys = ["item_id", "store_id", "ds"]
    base = baseline[[*keys, "baseline_units"]].astype({"item_id": str, "store_id": str})
    rows = rows.merge(base.drop_duplicates(keys), on=keys, how="left")
    y = rows["y"].to_numpy(float)
    expected = rows["baseline_units"].to_numpy(float)
    observed = np.isfinite(y) & np.isfinite(expected)
    if "observed" in rows:
        observed &= rows["observed"].to_numpy() > 0

    promos = _normalise(promotions)
    first, last = rows["ds"].min(), period_end(rows["ds"].max(), freq)
    skipped = {
        "end before the data starts": promos["end_date"] < first,
        f"not started yet, planned after the end of the history ({last.date()})":
            promos["start_date"] > last,
        f"still running at the end of the history ({last.date()})":
            (promos["start_date"] <= last) & (promos["end_date"] > last),
    }
    for reason, mask in skipped.items():
        if mask.any():
            ids = promos.loc[mask, "promo_id"].tolist()
            notes.append(f"{len(ids)} promotion(s) skipped, {reason}: {_some(ids)}")
    promos = promos[~np.logical_or.reduce(list(skipped.values()))].reset_index(drop=True)
    covered = (
        _coverage(promos, rows, freq)
        if len(promos)
        else pd.DataFrame(
            {
                "promo_id": pd.Series(dtype=str),
                "row": pd.Series(dtype=int),
                "share": pd.Series(dtype=float),
            }
        )
    )
    empty = ~promos["promo_id"].isin(covered["promo_id"])
    if empty.any():
        ids = promos.loc[empty, "promo_id"].tolist()
        notes.append(
            f"{len(ids)} promotion(s) skipped, no sales row in their items, stores "
            f"and dates: {_some(ids)}"
        )
    promos = promos[~empty].reset_index(drop=True)

    codes = pd.factorize(rows["unique_id"])[0]
    on_any = on_promotion(rows)
    on_any[covered["row"].to_numpy()] = True
    since = since_promotion(codes, on_any, width)
    clean = observed & ~on_any & (since > dip * width)

    r = covered["row"].to_numpy()
    ok = observed[r]
    share = covered["share"].to_numpy(float)
    act, exp_ = np.where(ok, y[r], 0.0) * share, np.where(ok, expected[r], 0.0) * share
    money = _money(promos, covered, rows)
    cost = _unit_costs(items, rows["item_id"].iloc[r])
    per_row = pd.DataFrame(
        {
            "promo_id": covered["promo_id"].to_numpy(),
            "item_id": rows["item_id"].to_numpy()[r],
            "store_id": rows["store_id"].to_numpy()[r],
            "censored": ~ok,
            "shared": share < 1.0,
            "baseline_units": exp_,
            "actual_units": act,
            "revenue": act * money["net_price"].to_numpy(),
            "giveaway": act * money["giveaway"].to_numpy(),
            "margin": act * (money["net_price"].to_numpy() - money["gift"].to_numpy() - cost)
            - exp_ * (money["regular_price"].to_numpy() - cost),
            "no_cost": ~np.isfinite(cost),
        }
    )
    band = noise_band(covered["promo_id"].to_numpy(), exp_,
                      dispersion(codes, y, expected, clean)[r])
    if params is not None:
        mult = _model_multiplier(promos, covered, rows, money, params)
        per_row["model_incremental_units"] = np.where(ok, exp_ * (mult - 1.0), 0.0)
    group = per_row.groupby("promo_id", sort=False)
    table = group.agg(
        n_items=("item_id", "nunique"),
        n_periods=("censored", "size"),
        censored_periods=("censored", "sum"),
        shared_periods=("shared", "sum"),
        baseline_units=("baseline_units", "sum"),
        actual_units=("actual_units", "sum"),
        revenue=("revenue", "sum"),
        giveaway=("giveaway", "sum"),
        margin=("margin", "sum"),
        no_cost=("no_cost", "any"),
    )
    table["stores"] = group["store_id"].agg(lambda s: ",".join(sorted(set(s))))
    if params is not None:
        table["model_incremental_units"] = group["model_incremental_units"].sum()
    table["units_taken_from_other_items"] = _taken(covered, rows, clean, y, expected)
    free = observed & ~on_any
    table["post_promo_dip_units"] = _dip(covered, codes, free, y, expected, dip)
    table = promos.set_index("promo_id").join(table, how="inner").reset_index()
    if "category" in frame:  # an item's promotion names no category: its item's (QA finding 18)
        item_category = rows.drop_duplicates("item_id").set_index("item_id")["category"]
        table["category"] = table["category"].fillna(table["item_id"].map(item_category))

    fixed = table["fixed_cost"].fillna(0.0)
    table["fixed_cost"] = fixed
    table["incremental_units"] = table["actual_units"] - table["baseline_units"]
    table["incremental_pct"] = (
        100
        * table["incremental_units"]
        / table["baseline_units"].where(table["baseline_units"] > 0)
    )
    table["noise_band_units"] = table["promo_id"].map(band)
    table["within_noise"] = table["incremental_units"].abs() <= table["noise_band_units"]
    table["discount_cost"] = table["giveaway"] + fixed
    margin = (table["margin"] - fixed).where(~table["no_cost"])
    table["incremental_margin"] = margin
    table["roi"] = margin / table["discount_cost"].where(table["discount_cost"] > 0)
    for col in ("units_taken_from_other_items", "post_promo_dip_units"):
        table[col] = table[col].fillna(0.0)
    table["net_incremental_units"] = (
        table["incremental_units"]
        - table["units_taken_from_other_items"]
        - table["post_promo_dip_units"]
    )
    table = table.rename(columns={"start_date": "start", "end_date": "end"})
    notes.extend(_overlap_notes(covered))
    lacking = sorted(set(per_row.loc[per_row["no_cost"], "item_id"]))
    if lacking:
        notes.append(
            f"unit_cost missing for {len(lacking)} item(s) ({_some(lacking)}): "
            "incremental margin and ROI are null for the promotions covering them; "
            "load items with a unit_cost column to get them"
        )
    ranked_by = "incremental_margin"
    if table["incremental_margin"].isna().any() or table.empty:
        ranked_by = "incremental_units"
        if len(table):
            notes.append("ranked by incremental units: some promotions have no margin")
    notes.extend(noise_note(table))
    table["rank"] = rank_order(table, ranked_by) if len(table) else pd.Series(dtype=int)
    table = table.sort_values("rank").reset_index(drop=True)
    columns = [c for c in TABLE_COLUMNS if params is not None or c != "model_incremental_units"]
    table = table.reindex(columns=columns)
    table["incremental_margin"] = (
        table["incremental_margin"].astype(object).where(table["incremental_margin"].notna(), None)
    )
    table["roi"] = table["roi"].astype(object).where(table["roi"].notna(), None)
    return Evaluation(table, notes, ranked_by)


def _overlap_notes(covered: pd.DataFrame) -> list[str]:
    """One note naming the promotions that share rows, so a reader knows their figures hold a
    share of those rows, not the whole."""
    shared = covered[covered["share"] < 1.0]
    if shared.empty:
        return []
    together = shared.groupby("row")["promo_id"].agg(lambda ids: " & ".join(sorted(ids)))
    pairs = together.value_counts()
    shown = [f"{ids} ({n} period(s))" for ids, n in pairs.items()]
    return [
        f"{shared['promo_id'].nunique()} promotion(s) overlap on {len(together)} item-store "
        "period(s); the units, baseline and money of a shared period are split equally "
        f"between its promotions: {_some(shown)}"
    ]


def _some(values: Sequence[str], limit: int = 10) -> str:
    shown = ", ".join(map(str, values[:limit]))
    return shown + (f" and {len(values) - limit} more" if len(values) > limit else "")


def _unit_costs(items: pd.DataFrame | None, item_ids: pd.Series) -> np.ndarray:
    if items is None or "unit_cost" not in items:
        return np.full(len(item_ids), np.nan)
    cost = items.astype({"item_id": str}).drop_duplicates("item_id").set_index("item_id")
    return pd.to_numeric(cost["unit_cost"], errors="coerce").reindex(item_ids).to_numpy(float)


def _taken(
    covered: pd.DataFrame,
    rows: pd.DataFrame,
    clean: np.ndarray,
    y: np.ndarray,
    expected: np.ndarray,
) -> pd.Series:
    """baseline - actual of the category's clean rows (not on promotion, not in a dip) in the
    cells (category x store x period) a promotion covers; a cell shared by n promotions
    gives each 1/n of it, so promotions running together do not count the same units twice."""
    info = rows[["category", "store_id", "ds"]]
    cells = info.iloc[covered["row"].to_numpy()].assign(promo_id=covered["promo_id"].to_numpy())
    cells = cells.drop_duplicates()
    cells["share"] = 1.0 / cells.groupby(["category", "store_id", "ds"])["promo_id"].transform(
        "size"
    )
    rivals = info[clean].assign(lost=(expected - y)[clean])
    rivals = rivals.groupby(["category", "store_id", "ds"], as_index=False)["lost"].sum()
    joined = cells.merge(rivals, on=["category", "store_id", "ds"])
    return (joined["lost"] * joined["share"]).groupby(joined["promo_id"]).sum()


def _dip(
    covered: pd.DataFrame,
    codes: np.ndarray,
    free: np.ndarray,
    y: np.ndarray,
    expected: np.ndarray,
    dip: int,
) -> pd.Series:
    """baseline - actual over the ``dip`` periods after each promoted series' last covered
    period, where the series is observed and not on promotion again."""
    ends = covered.assign(code=codes[covered["row"].to_numpy()])
    ends = ends.groupby(["promo_id", "code"], as_index=False)["row"].max()
    parts = []
    for k in range(1, dip + 1):
        nxt = ends["row"].to_numpy() + k
        inside = nxt < len(codes)
        nxt = np.where(inside, nxt, 0)
        same = inside & (codes[nxt] == ends["code"].to_numpy())
        parts.append(pd.DataFrame({"promo_id": ends["promo_id"], "row": nxt, "keep": same}))
    after = pd.concat(parts, ignore_index=True)
    after = after[after["keep"]]
    r = after["row"].to_numpy()
    return (
        pd.Series(np.where(free[r], expected[r] - y[r], 0.0), index=after.index)
        .groupby(after["promo_id"])
        .sum()
    )
