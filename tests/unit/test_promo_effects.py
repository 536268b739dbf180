"""Promotion effects (issue 4): recovery of the demo shop's true effects, implausible results
flagged, the DESIGN §3 JSON, determinism, the conformance check and Dominick's OJ."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import load_demo_shop, shared_path
from promocast.data.storage import Store
from promocast.promotions.effects import EffectModel, Effects, estimate_effects
from promocast.services.forecasting import load_panel
from promocast.testing.checks import check_effect_model, effect_errors
from promocast.testing.demo.plan_truth import effect_params_from_truth

SEED, N_ITEMS, YEARS = 0, 30, 2.0


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A 30-item, 2-store, 2-year demo shop and its effects, estimated once."""
    root = tmp_path_factory.mktemp("effects_shop")
    db = load_demo_shop(root, seed=SEED, n_items=N_ITEMS, years=YEARS)
    panel = load_panel(db)
    with Store(db, read_only=True) as store:
        promotions, items = store.read("promotions"), store.read("items")
        sales = store.query("SELECT date, item_id, store_id, units FROM sales")
    effects = estimate_effects(panel.frame, promotions, items, freq=panel.freq, sales=sales)
    truth = json.loads((root / "data" / "ground_truth.json").read_text(encoding="utf-8"))
    return {"effects": effects, "truth": effect_params_from_truth(truth)}


def test_recovers_the_demo_shops_elasticities_and_lifts(shop: dict) -> None:
    """Measured on this shop: elasticity error 0.107, coverage 0.83; per-item lift errors
    0.05-0.07 for threshold, gift, bundle, feature/display. Flash sales (1-2 days a few times
    a year, online only) are not asserted per item: about 0.4 here (see BENCHMARKS.md)."""
    effects: Effects = shop["effects"]
    errors = effect_errors(effects.params, shop["truth"], effects.categories)
    assert errors["items"] == N_ITEMS
    assert errors["elasticity_rel_error"] <= 0.15
    assert errors["elasticity_coverage"] >= 0.7
    for m in ("threshold", "gift", "bundle", "feature_display"):
        assert errors[f"lift_{m}"] <= 0.10, m
        assert errors[f"category_lift_{m}"] <= 0.10, m
    params = effects.params
    assert (params["price_elasticity"] < 0).all()
    assert (params["price_elasticity_lo"] < params["price_elasticity"]).all()
    assert (params["price_elasticity"] < params["price_elasticity_hi"]).all()
    true = shop["truth"].set_index("item_id").reindex(params["item_id"])
    for m in ("threshold", "gift", "flash_sale", "bundle", "feature_display"):
        lo, hi, lift = (params[f"lift_{m}{end}"].to_numpy() for end in ("_lo", "_hi", ""))
        assert ((lo < lift) & (lift < hi)).all(), m
        # the 90 % intervals hold the true lift of 27-30 of the 30 items here
        truth = true[f"lift_{m}"].to_numpy()
        assert ((lo <= truth) & (truth <= hi)).mean() >= 0.85, m
    dip_error = (params["post_promo_dip"] - shop["truth"]["post_promo_dip"]).abs().median()
    assert dip_error <= 0.06


def test_to_json_follows_design_section_3(shop: dict) -> None:
    document = json.loads(json.dumps(shop["effects"].to_json()))  # JSON-serialisable
    assert {"items", "categories", "flags", "level"} <= set(document)
    item = document["items"][0]
    assert {"item_id", "store_id", "price_elasticity", "price_elasticity_ci", "lift",
            "post_promo_dip", "cannibalisation"} <= set(item)
    low, high = item["price_elasticity_ci"]
    assert low <= item["price_elasticity"] <= high
    assert set(item["lift"]) == {"percent_off", "amount_off", "threshold", "gift",
                                 "flash_sale", "bundle", "feature_display"}
    assert item["lift"]["percent_off"] is None and item["lift"]["amount_off"] is None
    assert isinstance(item["cannibalisation"], dict)
    category = document["categories"][0]
    assert {"category", "price_elasticity", "price_elasticity_ci", "lift"} <= set(category)


def test_categories_that_look_alike_are_named_with_their_own_means(shop: dict) -> None:
    """A parameter whose categories do not differ beyond their noise gets the shop's value in
    every category (QA read the identical values as a copy bug): the document names it in
    categories_alike, and each category still shows its own mean and an interval."""
    effects: Effects = shop["effects"]
    document = effects.to_json()
    for name in document["categories_alike"]:
        shown = {round(c["lift"][name.removeprefix("lift_")], 4) if name.startswith("lift_")
                 else c[name] for c in document["categories"]}
        assert len(shown) == 1, name
        owns = [c["own"][name] for c in document["categories"] if c["own"][name] is not None]
        assert len(set(owns)) == len(owns) > 1, name
    for c in document["categories"]:
        for m, (lo, hi) in c["lift_ci"].items():
            assert lo <= c["lift"][m] <= hi, (c["category"], m)
    # elasticities do differ between this shop's categories (true -0.9 .. -3.1)
    assert "price_elasticity" not in effects.alike


def _synthetic_panel(seed: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Three items of one category, one store, 400 days: A normal (elasticity -2, gift lift
    +0.3), B with a positive elasticity (+1.5), C whose gifts cut sales (lift -0.7)."""
    rng = np.random.default_rng(seed)
    days = pd.date_range("2024-01-01", periods=400, freq="D")
    truth = {"A": (-2.0, 0.3), "B": (1.5, 0.0), "C": (-1.5, -0.7)}
    frames, promos = [], []
    for shift, (item, (elasticity, lift)) in enumerate(truth.items()):
        base = np.where(np.arange(400) < 200, 10.0, 11.0)
        price = base.copy()
        gift = np.zeros(400)
        for start in range(10 + 8 * shift, 380, 25):  # items take turns: no rival overlap
            if (start // 25) % 2:
                price[start:start + 4] = base[start] * 0.75
                promos.append((f"{item}{start}", "percent_off", item, start, start + 3, 25.0))
            else:
                gift[start:start + 4] = 1
                promos.append((f"{item}{start}", "gift", item, start, start + 3, np.nan))
        mean = 20 * (price / 10) ** elasticity * np.where(gift > 0, 1 + lift, 1.0)
        frames.append(pd.DataFrame({
            "unique_id": f"{item}/s", "item_id": item, "store_id": "s", "category": "c",
            "ds": days, "y": rng.poisson(mean).astype(float), "price": price,
            "on_promo": ((price < base) | (gift > 0)).astype(int), "observed": 1}))
    promotions = pd.DataFrame(
        [(pid, kind, item, days[a], days[b], pct) for pid, kind, item, a, b, pct in promos],
        columns=["promo_id", "promo_type", "item_id", "start_date", "end_date", "discount_pct"])
    return pd.concat(frames, ignore_index=True), promotions


def test_implausible_results_are_flagged_not_hidden() -> None:
    frame, promotions = _synthetic_panel()
    effects = estimate_effects(frame, promotions, None, freq="D")
    flags = effects.flags
    flagged = set(zip(flags["item_id"], flags["parameter"], strict=True))
    assert ("B", "price_elasticity") in flagged
    assert ("C", "lift_gift") in flagged
    assert ("A", "price_elasticity") not in flagged and ("A", "lift_gift") not in flagged
    # A's own estimate (before shrinkage toward a category holding B) finds its truth.
    raw = effects.item_estimates.set_index(["item_id", "parameter"])
    assert abs(raw.loc[("A", "log_price"), "estimate"] + 2.0) < 0.3
    assert abs(np.expm1(raw.loc[("A", "lift_gift"), "estimate"]) - 0.3) < 0.15
    reason = flags.loc[(flags["item_id"] == "B") & (flags["parameter"] == "price_elasticity"),
                       "reason"].iat[0]
    assert "positive" in reason


def test_same_seed_same_numbers_and_bad_parameters_refused() -> None:
    frame, promotions = _synthetic_panel()
    first = estimate_effects(frame, promotions, None, freq="D", seed=1).params
    second = estimate_effects(frame, promotions, None, freq="D", seed=1).params
    pd.testing.assert_frame_equal(first, second)
    with pytest.raises(ValueError, match="level"):
        EffectModel(level=1.5).fit(frame, promotions, None, freq="D")
    with pytest.raises(ValueError, match="lacks columns"):
        EffectModel().fit(frame.drop(columns="price"), promotions, None, freq="D")


def test_check_effect_model_passes_the_estimator(tmp_path: Path) -> None:
    errors = check_effect_model(EffectModel, workdir=tmp_path)
    assert errors["items"] == 20


class _ConstantEffects:
    """An 'estimator' that ignores the data: elasticity -1 and no lift for every item."""

    def __init__(self, *, seed: int = 0) -> None:
        self.seed = seed

    def fit(self, frame, promotions, items, *, freq, sales=None):  # noqa: ANN001, ANN201
        ids = sorted(frame["item_id"].astype(str).unique())
        params = pd.DataFrame({"item_id": ids, "store_id": "all", "price_elasticity": -1.0,
                               "price_elasticity_lo": -1.1, "price_elasticity_hi": -0.9})
        for m in ("threshold", "gift", "flash_sale", "bundle", "feature_display"):
            params[f"lift_{m}"] = 0.0
        self.effects_ = type("E", (), {"params": params})()
        return self


def test_check_effect_model_names_what_was_not_recovered(tmp_path: Path) -> None:
    with pytest.raises(AssertionError, match="elasticity not recovered"):
        check_effect_model(_ConstantEffects, n_items=12, years=1.0, workdir=tmp_path)


def test_dominicks_oj_elasticities(tmp_path: Path) -> None:
    """Weekly, 11 brands with every brand's price (price_1..price_11): own-price elasticities
    negative with intervals, the three biggest brands in about -3 to -2, rivals mostly
    substitutes. The first 30 of the 83 stores keep the test short; the benchmark fits all."""
    from promocast.services.ingest import ingest

    folder = shared_path("dominicks_oj")
    db = tmp_path / "oj.duckdb"
    ingest([folder], db, fmt="dominicks")
    panel = load_panel(db, country="US")
    with Store(db, read_only=True) as store:
        promotions, items = store.read("promotions"), store.read("items")
    frame = panel.frame
    stores = sorted(frame["store_id"].unique())[:30]
    frame = frame[frame["store_id"].isin(stores)].reset_index(drop=True)
    effects = estimate_effects(frame, promotions, items, freq=panel.freq)
    params = effects.params.set_index("item_id")
    assert len(params) == 11
    assert (params["price_elasticity"] < 0).all()
    assert (params["price_elasticity_hi"] < 0).all()
    assert np.isfinite(params[["price_elasticity_lo", "price_elasticity_hi"]]).all().all()
    units = frame.loc[frame["observed"] > 0].groupby("item_id")["y"].sum()
    big = units.sort_values(ascending=False).index[:3]
    assert params.loc[big, "price_elasticity"].between(-3.6, -1.7).all()
    cross = effects.cross_price
    assert len(cross) == 110
    assert (cross["elasticity"] > 0).mean() >= 0.55


def _two_flash_days(seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One item, 400 days: 25 % off for 4 days every 30 days (elasticity -2), and two one-day
    flash sales at 40 % off that triple sales on top of the price (too few to estimate)."""
    rng = np.random.default_rng(seed)
    days = pd.date_range("2024-01-01", periods=400, freq="D")
    price, flash, promos = np.full(400, 10.0), np.zeros(400), []
    for start in range(15, 380, 30):
        price[start:start + 4] = 7.5
        promos.append((f"p{start}", "percent_off", start, start + 3, 25.0))
    for day in (100, 250):
        price[day], flash[day] = 6.0, 1
        promos.append((f"f{day}", "flash_sale", day, day, 40.0))
    mean = 20 * (price / 10) ** -2.0 * np.where(flash > 0, 3.0, 1.0)
    frame = pd.DataFrame({
        "unique_id": "A/s", "item_id": "A", "store_id": "s", "category": "c", "ds": days,
        "y": rng.poisson(mean).astype(float), "price": price,
        "on_promo": (price < 10).astype(int), "observed": 1})
    promotions = pd.DataFrame(
        [(pid, kind, "A", days[a], days[b], pct) for pid, kind, a, b, pct in promos],
        columns=["promo_id", "promo_type", "item_id", "start_date", "end_date", "discount_pct"])
    return frame, promotions


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_mechanism_too_rare_to_estimate_does_not_bend_the_elasticity(seed: int) -> None:
    """Two flash-sale days cannot give a lift of their own (fewer than ``min_exposed``); kept in
    the fit, the price explained their tripled sales and the elasticity came out -2.6 to -2.7
    (measured before the fix). Left out, the percent-off days tell the truth (-2)."""
    frame, promotions = _two_flash_days(seed)
    effects = estimate_effects(frame, promotions, None, freq="D")
    raw = effects.item_estimates.set_index("parameter")
    assert "lift_flash_sale" not in raw.index
    estimate, se = float(raw.loc["log_price", "estimate"]), float(raw.loc["log_price", "se"])
    assert abs(estimate + 2.0) < 0.15
    assert abs(estimate + 2.0) < 2.5 * se


def test_a_category_learns_a_mechanism_its_items_ran_too_rarely_alone() -> None:
    """Ten items, each with two one-day flash sales (too few for any item's own lift): the
    flash-sale rows of all of them, pooled (``promotions.pooled``), give the category its lift
    (truth: x3 on top of the 40 % price cut, +2.0), and every item gets it. Without the pooling
    the category had no flash-sale lift at all."""
    frames, promos = [], []
    for k in range(10):
        frame, promotions = _two_flash_days(k)
        # items run their promotions on different days (few rivals), at different levels
        frame = frame.assign(unique_id=f"I{k}/s", item_id=f"I{k}",
                             y=np.random.default_rng(100 + k).poisson(
                                 frame["y"].to_numpy() * (0.5 + 0.1 * k)).astype(float))
        shift = pd.Timedelta(days=3 * k)
        frame["ds"] = frame["ds"] + shift
        promotions = promotions.assign(item_id=f"I{k}", promo_id=promotions["promo_id"] + f"-{k}",
                                       start_date=promotions["start_date"] + shift,
                                       end_date=promotions["end_date"] + shift)
        frames.append(frame)
        promos.append(promotions)
    effects = estimate_effects(pd.concat(frames, ignore_index=True),
                               pd.concat(promos, ignore_index=True), None, freq="D")
    assert "lift_flash_sale" not in set(effects.item_estimates["parameter"])
    lift = effects.categories.set_index("category").loc["c", "lift_flash_sale"]
    assert abs(lift - 2.0) < 0.4
    assert effects.params["lift_flash_sale"].between(1.6, 2.4).all()
    assert effects.params["price_elasticity"].between(-2.3, -1.7).all()


def test_borrowed_lift_is_flagged_as_a_lift_not_its_log() -> None:
    """B never runs a gift: its gift lift is its category's, and the flag says so with the
    value EffectParams report (ratio - 1). Measured here: flag -0.4055 = params lift_gift;
    the flag held its log, -0.5200, before."""
    frame, promotions = _synthetic_panel()
    promotions = promotions[~((promotions["item_id"] == "B")
                              & (promotions["promo_type"] == "gift"))]
    effects = estimate_effects(frame, promotions, None, freq="D")
    flags = effects.flags.set_index(["item_id", "parameter"])
    params = effects.params.set_index("item_id")
    value = flags.loc[("B", "lift_gift"), "value"]
    assert "not identified" in flags.loc[("B", "lift_gift"), "reason"]
    assert np.isfinite(value) and value == pytest.approx(params.loc["B", "lift_gift"], rel=1e-9)
    assert value != pytest.approx(np.log1p(params.loc["B", "lift_gift"]), rel=1e-3)
    # every borrowed value is in the unit of its params field
    for (item, parameter), row in flags.iterrows():
        if str(row["reason"]).startswith("not identified") and parameter in params:
            expected = params.loc[item, parameter]
            assert (np.isnan(row["value"]) and np.isnan(expected)) or row["value"] == pytest.approx(
                expected, rel=1e-9, abs=1e-12), (item, parameter)
