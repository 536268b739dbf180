"""Promotion effects: own-price elasticity, lifts per mechanism, post-promotion dip,
cannibalisation and cross-price elasticities, per item, with intervals.

Method (and why). Demand is a count, often small (a few units a day, many zeros), and every
driver acts multiplicatively, so the model is log-linear in a Poisson mean:

1. **Treatments** (``design``): per panel row, the exposure to each lift mechanism, the price,
   the periods right after a promotion and the number of rival promotions in the category.
2. **Calendar nuisance** (``baseline``): festivals, holidays, weekdays and launch ramps shared by
   a category in a store, learnt by a cross-fitted LightGBM Poisson model over *other* items
   (folds of items) on calendar inputs only, starting from each item's own predictor.
3. **Item model** (``item_model``): a Poisson quasi-likelihood GLM per item (pooled over its
   stores) with that calendar shape as an offset, store levels, a trend, yearly harmonics and
   the treatments; standard errors clustered by period. Stock-out rows (the shelf emptied)
   enter as censored demand when the units sold are known (``sales``): dropping them kept
   only the low-demand days of deep promotions and biased their lifts down. Their standard
   errors count only what a stock-out still tells (``item_model.covariance``).
   Steps 2 and 3 alternate (backfitting) so the calendar is learnt net of the promotions and
   the promotions net of the calendar.
4. **Shrinkage** (``shrinkage``): empirical Bayes over two levels, items toward their category
   and categories toward the shop, by each estimate's standard error; intervals are the
   posterior ones. The second level matters for rare mechanisms: a category's one-day flash
   sales are too few to tell its mean lift, and an optimiser picks exactly the lifts that
   noise made too high (plans priced with the truth: 18 % -> 66 % of the best plan's margin).
   The items that ran a mechanism too rarely for an estimate of their own still count: their
   left-out rows are pooled per category (``pooled``) into one more observation of the
   category's mean, and the calendar is never learnt from those rows. Each item's lifts
   and dips are moved with its shrunk elasticity before they are shrunk in turn
   (``shrinkage.given_elasticity``): estimated together with it, they hold what its sampling error
   left unexplained at the promotion's price (a flash sale is a 30-50 % cut).

Why not the textbook double ML (residualise log demand and the treatments on the controls,
then regress residual on residual)? On daily item x store counts log(units) is undefined at
zero and log(1 + units) bends every effect toward zero at small volumes; linear residualising
of a Poisson mean has no such fix. The partially linear *Poisson* model keeps the double-ML
ingredients that matter here -- flexible machine-learnt nuisance, cross-fitting so the
nuisance never sees the item it adjusts, robust standard errors -- and estimates the effects on
the scale in which they are defined (d log units). Percent-off and amount-off promotions act
only through the price (their lift is null by definition, DESIGN §3), so they identify the
elasticity together with regular price changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from promocast.promotions.baseline import (
    calendar_inputs,
    calendar_offset,
    item_folds,
    treatment_inputs,
)
from promocast.promotions.design import (
    LIFT_MECHANISMS,
    treatment_design,
    with_sold_units,
)
from promocast.promotions.flags import flag_borrowed, flag_sold_out
from promocast.promotions.item_model import ItemFit, estimates_table, fit_item
from promocast.promotions.pooled import pooled_effects, thin_table, with_elasticity
from promocast.promotions.shrinkage import given_elasticity, shrink

PARAM_COLUMNS = [
    "item_id",
    "store_id",
    "category",
    "price_elasticity",
    "price_elasticity_lo",
    "price_elasticity_hi",
    *(f"lift_{m}" for m in LIFT_MECHANISMS),
    "post_promo_dip",
    "cannibalisation_rate",
    *(f"lift_{m}_{end}" for m in LIFT_MECHANISMS for end in ("lo", "hi")),
]
"""Columns of the EffectParams frame (the promotions modules' shared interface). The lift
intervals (``lift_<m>_lo`` / ``_hi``, the ``level`` posterior interval) come last: frames
from elsewhere (a plan's truth, an older kept result) may lack them."""
LIFT_FLOOR = -0.5
"""A lift below -50 % (a mechanism halving sales at the same price) is flagged as implausible."""
REVISION = "2026-12-04"
"""When the estimator last changed what it returns (the shop's own events in the calendar
offset, categories alike): kept estimates of an older revision are re-estimated, not reused,
although the data are the same (their data hash alone kept an upgraded shop on the old
numbers until ``--refresh``). Bump it with any change to the estimates."""
METHOD = (
    "Poisson GLM per item with a cross-fitted LightGBM calendar offset (backfitted), "
    "period-clustered standard errors, empirical Bayes shrinkage toward the category and of "
    "the category toward the shop"
)


@dataclass
class Effects:
    """Estimated promotion effects (see the module docstring).

    ``params``: EffectParams, one row per item (store_id "all": pooled over stores);
    ``categories``: per category; ``cross_price``: item, rival, cross elasticity and interval
    (only where rival prices are in the data); ``flags``: implausible or borrowed results, one
    row each (item_id, parameter, value, reason); ``item_estimates``: every item's own
    estimate before shrinkage (log scale; standard error with stock-outs counted for what they
    tell, ``se``, and as if observed, ``se_pool``; covariance with the elasticity,
    ``cov_price``; periods exposed, and of those the ones that sold out).
    """

    params: pd.DataFrame
    categories: pd.DataFrame
    cross_price: pd.DataFrame
    flags: pd.DataFrame
    item_estimates: pd.DataFrame
    level: float = 0.9
    method: str = METHOD
    rivals: dict[str, list[str]] = field(default_factory=dict)
    alike: list[str] = field(default_factory=list)
    """Parameters (``lift_flash_sale``, ...) whose categories did not differ measurably: the
    spread of their own means is within their noise, so each category shows the shop's value
    (its own mean stays in ``categories``' ``*_own`` columns)."""

    def to_json(self) -> dict:
        """The DESIGN §3 ``promo effects --json`` document (plus ``flags``, ``level``,
        ``method`` and ``categories_alike``): ``effects_json.effects_document``."""
        from promocast.promotions.effects_json import effects_document

        return effects_document(self)


class EffectModel:
    """Estimator of promotion effects (scikit-learn style: parameters here, work in ``fit``).

    ``level``: interval coverage; ``harmonics``: yearly sine/cosine pairs per item;
    ``folds``: item folds of the cross-fitted calendar model; ``backfit``: calendar refits after
    the first item fits; ``dip_periods``: periods after a promotion in which a dip is sought
    (default one week); ``rival_cap``: rival promotions counted at most; ``min_exposed``:
    periods with a treatment needed to estimate it for an item.
    """

    def __init__(
        self,
        *,
        level: float = 0.9,
        seed: int = 0,
        harmonics: int = 2,
        folds: int = 2,
        backfit: int = 1,
        dip_periods: int | None = None,
        rival_cap: int = 3,
        min_exposed: int = 3,
        num_threads: int = 1,
    ) -> None:
        self.level, self.seed, self.harmonics, self.folds = level, seed, harmonics, folds
        self.backfit, self.dip_periods, self.rival_cap = backfit, dip_periods, rival_cap
        self.min_exposed, self.num_threads = min_exposed, num_threads

    def _check(self) -> None:
        if not 0 < self.level < 1:
            raise ValueError(f"level must be in (0, 1), got {self.level!r}")
        for name in ("harmonics", "folds", "backfit", "rival_cap", "min_exposed", "num_threads"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < (1 if name in ("folds", "num_threads") else 0):
                raise ValueError(
                    f"{name} must be a non-negative integer (folds, num_threads >= 1),"
                    f" got {value!r}"
                )

    def fit(
        self,
        frame: pd.DataFrame,
        promotions: pd.DataFrame | None = None,
        items: pd.DataFrame | None = None,
        *,
        freq: str,
        sales: pd.DataFrame | None = None,
    ) -> EffectModel:
        """Estimate every item's effects from the long panel (``load_panel(db).frame``).

        ``sales`` (date, item_id, store_id, units) or a ``sold`` column in the panel lets
        stock-out rows (``stockout`` > 0) enter as censored demand (see ``item_model``)."""
        self._check()
        if sales is not None:
            frame = with_sold_units(frame, sales)
        required = {"unique_id", "item_id", "store_id", "ds", "y", "price"}
        missing = sorted(required - set(frame.columns))
        if missing:
            raise ValueError(f"the panel lacks columns {missing}: pass load_panel(db).frame")
        frame = frame.sort_values(["unique_id", "ds"]).reset_index(drop=True)
        if "category" not in frame:
            frame["category"] = "all"
        frame["item_id"] = frame["item_id"].astype(str)
        design = treatment_design(
            frame,
            promotions,
            items,
            freq=freq,
            dip_periods=self.dip_periods,
            rival_cap=self.rival_cap,
        )
        observed = (frame["observed"] > 0) if "observed" in frame else frame["y"].notna()
        observed &= frame["price"].gt(0) & frame["y"].notna()
        censored = pd.Series(False, index=frame.index)
        if "stockout" in frame and "sold" in frame:
            # A stock-out row: demand was at least the units sold (see item_model).
            censored = (frame["stockout"].fillna(0) > 0) & frame["sold"].gt(0)
            censored &= frame["price"].gt(0) & ~observed
            frame.loc[censored, "y"] = frame.loc[censored, "sold"]
        keep = observed | censored
        rows = pd.concat([frame, design], axis=1).loc[keep].reset_index(drop=True)
        rows["censored"] = censored[keep].to_numpy()
        rows["period"] = pd.factorize(rows["ds"])[0]
        self.effects_ = self._estimate(rows, freq)
        return self

    def _estimate(self, rows: pd.DataFrame, freq: str) -> Effects:
        y = rows["y"].to_numpy(float)
        inputs = calendar_inputs(rows, freq)
        folds = item_folds(rows["item_id"], rows["category"], self.folds, self.seed)
        fold = rows["item_id"].map(folds).to_numpy()
        uncensored = ~rows["censored"].to_numpy(bool)
        clean = (rows["on_promotion"] == 0) & (rows["after_promotion"] == 0) & uncensored
        series_mean = rows.loc[clean].groupby("unique_id")["y"].mean().clip(lower=1e-3)
        init = np.log(rows["unique_id"].map(series_mean).fillna(max(y.mean(), 1e-3)).to_numpy())
        # First calendar fit: every uncensored row, the promotions as inputs switched off to
        # predict (see ``baseline``); the backfits start from the item models instead.
        offset = calendar_offset(
            inputs, y, init, uncensored, fold, seed=self.seed, num_threads=self.num_threads,
            treatments=treatment_inputs(rows),
        )
        start = rows["ds"].min()
        groups = {k: v.index.to_numpy() for k, v in rows.groupby("item_id", sort=True)}
        category_of = rows.groupby("item_id")["category"].first().astype(str)
        rival_prices = _rival_price_columns(rows, category_of)
        fits: dict[str, ItemFit] = {}
        for round_ in range(self.backfit + 1):
            eta = np.zeros(len(rows))
            explained = np.ones(len(rows), dtype=bool)
            for item_id, index in groups.items():
                fits[item_id] = fit_item(
                    item_id,
                    rows.loc[index],
                    offset[index],
                    start,
                    harmonics=self.harmonics,
                    min_exposed=self.min_exposed,
                    rival_prices=rival_prices.get(item_id, []),
                )
                eta[index] = fits[item_id].eta
                if fits[item_id].left_out is not None:
                    explained[index[fits[item_id].left_out]] = False
            if round_ < self.backfit:
                # Rows a fit left out (no treatment term in eta): learnt from, the calendar
                # reads other items' flash-sale days as busy dates (see ``pooled``).
                offset = calendar_offset(
                    inputs,
                    y,
                    eta,
                    uncensored & explained,
                    fold,
                    seed=self.seed,
                    num_threads=self.num_threads,
                )
        return _summarise(fits, category_of, self.level, rival_prices)


def estimate_effects(
    frame: pd.DataFrame,
    promotions: pd.DataFrame | None,
    items: pd.DataFrame | None,
    *,
    freq: str,
    sales: pd.DataFrame | None = None,
    level: float = 0.9,
    seed: int = 0,
    **options: object,
) -> Effects:
    """Fit :class:`EffectModel` on the panel and return its :class:`Effects`.

    ``sales`` (date, item_id, store_id, units: the sales table) lets stock-out rows count as
    censored demand instead of being dropped; without it they are left out (biased low on
    promotions that empty the shelf)."""
    return (
        EffectModel(level=level, seed=seed, **options)
        .fit(frame, promotions, items, freq=freq, sales=sales)
        .effects_
    )


def _rival_price_columns(rows: pd.DataFrame, category_of: pd.Series) -> dict[str, list[str]]:
    """Per item, the ``price_<rival>`` columns of the other items of its category (Dominick's
    keeps every brand's price in the store that week as ``price_1`` .. ``price_11``)."""
    out: dict[str, list[str]] = {}
    for item_id, category in category_of.items():
        rivals = category_of.index[(category_of == category) & (category_of.index != item_id)]
        cols = [f"price_{r}" for r in rivals if f"price_{r}" in rows.columns]
        if cols and f"price_{item_id}" in rows.columns:
            out[item_id] = cols
    return out


def _summarise(
    fits: dict[str, ItemFit],
    category_of: pd.Series,
    level: float,
    rival_prices: dict[str, list[str]],
) -> Effects:
    """Shrink the item estimates, build EffectParams, the category table and the flags."""
    z = float(stats.norm.ppf(0.5 + level / 2))
    raw = estimates_table(fits, category_of)
    ids = pd.Index(sorted(fits), name="item_id")
    cats = category_of.reindex(ids)
    params = pd.DataFrame({"item_id": ids, "store_id": "all", "category": cats.to_numpy()})
    category_rows = pd.DataFrame({"category": sorted(cats.unique())}).set_index("category")
    category_rows["n_items"] = cats.value_counts()
    flags: list[tuple] = []
    for item_id, fit in fits.items():
        if fit.problem:
            flags.append((item_id, "all", "model", np.nan, fit.problem))

    thin = thin_table(fits, category_of)
    alike: list[str] = []

    def posterior(name: str, elasticity: tuple | None = None, label: str | None = None
                  ) -> tuple[pd.Series, pd.Series, pd.Series, pd.DataFrame, float]:
        table = raw[raw["parameter"] == name].set_index("item_id")
        est, se = table["estimate"].reindex(ids), table["se"].reindex(ids)
        if elasticity is not None:
            est, se = given_elasticity(est, se, table["cov_price"].reindex(ids), elasticity)
        result = shrink(est, se, cats, pooled=pooled_effects(thin, name),
                        se_pool=table["se_pool"].reindex(ids))
        if result.omega2 == 0 and result.categories["mu_own"].notna().sum() > 1:
            alike.append(label or name)
        return result.mean, result.sd, result.own, result.categories, result.tau2

    mean, sd, own, per_cat, _ = posterior("log_price", label="price_elasticity")
    elasticity = (raw[raw["parameter"] == "log_price"].set_index("item_id"), mean, sd)
    thin = with_elasticity(thin, mean)
    params["price_elasticity"] = mean.to_numpy()
    params["price_elasticity_lo"] = (mean - z * sd).to_numpy()
    params["price_elasticity_hi"] = (mean + z * sd).to_numpy()
    category_rows["price_elasticity"] = per_cat["mu"]
    category_rows["price_elasticity_lo"] = per_cat["mu"] - z * per_cat["se_mu"]
    category_rows["price_elasticity_hi"] = per_cat["mu"] + z * per_cat["se_mu"]
    category_rows["price_elasticity_own"] = per_cat["mu_own"]
    flag_borrowed(flags, own, mean, "price_elasticity")
    raw_price = raw[raw["parameter"] == "log_price"].set_index("item_id")
    for item_id, row in raw_price.iterrows():
        if row["estimate"] > 0:
            flags.append(
                (
                    item_id,
                    "all",
                    "price_elasticity",
                    row["estimate"],
                    "positive own-price elasticity in the item's own data (shrunk value "
                    f"{mean[item_id]:.2f})",
                )
            )

    for m in LIFT_MECHANISMS:
        mean, sd, own, per_cat, tau2 = posterior(f"lift_{m}", elasticity)
        params[f"lift_{m}"] = np.expm1(mean).to_numpy()
        params[f"lift_{m}_lo"] = np.expm1(mean - z * sd).to_numpy()
        params[f"lift_{m}_hi"] = np.expm1(mean + z * sd).to_numpy()
        centre = per_cat["mu"] + tau2 / 2  # the mean lift of the category's items
        category_rows[f"lift_{m}"] = np.expm1(centre)
        category_rows[f"lift_{m}_lo"] = np.expm1(centre - z * per_cat["se_mu"])
        category_rows[f"lift_{m}_hi"] = np.expm1(centre + z * per_cat["se_mu"])
        category_rows[f"lift_{m}_own"] = np.expm1(per_cat["mu_own"] + tau2 / 2)
        flag_borrowed(flags, own, np.expm1(mean), f"lift_{m}")
        table = raw[raw["parameter"] == f"lift_{m}"].set_index("item_id")
        for item_id, row in table.iterrows():
            if np.expm1(row["estimate"]) < LIFT_FLOOR or np.expm1(mean[item_id]) < LIFT_FLOOR:
                flags.append(
                    (
                        item_id,
                        "all",
                        f"lift_{m}",
                        float(np.expm1(row["estimate"])),
                        "lift below -50 % in the item's own data",
                    )
                )
        flag_sold_out(flags, fits, f"lift_{m}", mean)

    mean, sd, own, per_cat, tau2 = posterior("after_promotion", elasticity, "post_promo_dip")
    dip = -np.expm1(mean)
    params["post_promo_dip"] = dip.clip(lower=0).to_numpy()
    category_rows["post_promo_dip"] = (-np.expm1(per_cat["mu"] + tau2 / 2)).clip(lower=0)
    category_rows["post_promo_dip_own"] = -np.expm1(per_cat["mu_own"] + tau2 / 2)
    flag_borrowed(flags, own, dip.clip(lower=0), "post_promo_dip")
    # only a rise the data are sure of (90 % interval above 0): a dip of -1 % is noise around
    # none, and QA found every item flagged
    for item_id in ids[((mean - 1.645 * sd) > 0).reindex(ids).fillna(False).to_numpy()]:
        flags.append(
            (
                item_id,
                "all",
                "post_promo_dip",
                float(dip[item_id]),
                "sales rise after promotions (negative dip), reported as 0",
            )
        )

    mean, sd, own, per_cat, tau2 = posterior("rivals_on_promotion", elasticity,
                                             "cannibalisation_rate")
    params["cannibalisation_rate"] = (-np.expm1(mean)).to_numpy()
    category_rows["cannibalisation_rate"] = -np.expm1(per_cat["mu"] + tau2 / 2)
    category_rows["cannibalisation_rate_own"] = -np.expm1(per_cat["mu_own"] + tau2 / 2)
    flag_borrowed(flags, own, -np.expm1(mean), "cannibalisation_rate")

    cross = _cross_price(raw, z)
    for row in cross.itertuples(index=False):
        if row.elasticity_hi < 0:
            flags.append(
                (
                    row.item_id,
                    "all",
                    f"cross_price:{row.rival_id}",
                    row.elasticity,
                    "negative cross-price elasticity (a complement, unusual in a category)",
                )
            )
    rivals = {
        i: [r for r in category_of.index[category_of == category_of[i]] if r != i] for i in ids
    }
    categories = category_rows.reset_index()
    flag_frame = pd.DataFrame(
        flags, columns=["item_id", "store_id", "parameter", "value", "reason"]
    )
    return Effects(
        params[PARAM_COLUMNS].reset_index(drop=True),
        categories,
        cross,
        flag_frame,
        raw,
        level,
        METHOD,
        rivals,
        alike,
    )


def _cross_price(raw: pd.DataFrame, z: float) -> pd.DataFrame:
    table = raw[raw["parameter"].str.startswith("xprice:")].copy()
    table["rival_id"] = table["parameter"].str.removeprefix("xprice:price_")
    table["elasticity"] = table["estimate"]
    table["elasticity_lo"] = table["estimate"] - z * table["se"]
    table["elasticity_hi"] = table["estimate"] + z * table["se"]
    return table[
        ["item_id", "rival_id", "elasticity", "elasticity_lo", "elasticity_hi"]
    ].reset_index(drop=True)
