"""Promotion use cases: estimate effects, evaluate past promotions, simulate a scenario, plan.

I/O lives here (the store, files, caching); the methods are pure functions in
``promocast.promotions``. Results are kept in the store's ``promo_results`` table as JSON, keyed
by the data's hash, so ``promo simulate`` and ``promo plan`` reuse the estimated effects and the
no-promotion baseline instead of refitting them on every call (a simulation must answer in
seconds).
"""

from __future__ import annotations

import json
import time
import warnings
from pathlib import Path

import pandas as pd

from promocast.data.storage import Store
from promocast.exceptions import EmptyStore
from promocast.promotions import plan_words
from promocast.promotions.plan_risk import RANGE_LEVEL
from promocast.promotions.plan_words import Said, add_note
from promocast.promotions.rules import PlanRules
from promocast.services.plan_setup import plan_setup
from promocast.services.promo_baseline import (
    regular_prices,
    shop_baseline,
    standing_note,
    standing_pairs,
)
from promocast.services.shop import Progress, Shop, read_shop, say_to
from promocast.services.tables import write_table

EVALUATE_KEY = json.dumps({"revision": "2026-12-05"})
"""The kept evaluations' parameters: the evaluation's revision, bumped with any change to what
it returns (as ``effects.REVISION``); an older kept one is made again (before 2026-12-05
promotions had no ``within_noise`` flag, QA5 #19)."""


# -- effects ---------------------------------------------------------------------------------
def _effects_key(level: float) -> str:
    """The kept effects' parameters: the interval level and the estimator's revision."""
    from promocast.promotions.effects import REVISION

    return json.dumps({"level": level, "revision": REVISION})


def kept_effects(db: Path, data_hash: str, level: float = 0.9
                 ) -> tuple[dict, pd.DataFrame, str] | None:
    """The effects kept for this data, interval level and estimator revision: (document,
    EffectParams, id)."""
    with Store(db, read_only=True) as store:
        kept = store.latest_promo_result("effects", data_hash, _effects_key(level))
    if kept is None:
        return None
    from promocast.promotions.effects import PARAM_COLUMNS

    document = json.loads(kept[1])
    params = pd.DataFrame(document.pop("params"))
    if params.empty:  # no item estimated (no prices, no promotions): the columns still hold
        params = pd.DataFrame(columns=PARAM_COLUMNS)
    return document, params, kept[0]


def effect_estimates(db: Path, shop: Shop, *, level: float = 0.9, refresh: bool = False,
                     progress: Progress | None = None) -> tuple[dict, pd.DataFrame, str]:
    """The effects JSON document, the EffectParams frame and the kept result's id: reused from
    the store when the data have not changed since they were estimated, else estimated now."""
    from promocast.promotions.effects import estimate_effects

    say = say_to(progress)
    params_key = _effects_key(level)
    if not refresh:
        kept = kept_effects(db, shop.panel.data_hash, level)
        if kept is not None:
            say("reusing the effects estimated on the same data")
            return kept
    panel = shop.panel
    say(f"estimating effects of {panel.frame['item_id'].nunique()} items")
    started = time.perf_counter()
    censored = panel.frame.loc[panel.frame["stockout"] > 0, ["ds", "item_id", "store_id"]] \
        if "stockout" in panel.frame else None
    sales = None
    if censored is not None and len(censored):
        # units sold on stock-out days: a lower bound of demand the effects model still uses
        with Store(db, read_only=True) as store:
            sales = store.query("SELECT date, item_id, store_id, units FROM sales s "
                                "WHERE EXISTS (SELECT 1 FROM inventory i WHERE i.date = s.date "
                                "AND i.item_id = s.item_id AND i.store_id = s.store_id "
                                "AND i.on_hand <= 0)")
    with warnings.catch_warnings():  # numpy's means of empty slices when nothing moves
        warnings.simplefilter("ignore", RuntimeWarning)
        effects = estimate_effects(panel.frame, shop.promotions, shop.items, freq=panel.freq,
                                   sales=sales, level=level)
    document = {**effects.to_json(), "seconds": round(time.perf_counter() - started, 2),
                "data_hash": panel.data_hash}
    if effects.params.empty:
        document["notes"] = [nothing_to_estimate(panel.frame, shop.promotions)]
    params = effects.params
    stored = {**document, "params": json.loads(params.to_json(orient="records"))}
    with Store(db) as store:
        result_id = store.save_promo_result("effects", panel.data_hash, params_key,
                                            json.dumps(stored))
    return document, params, result_id


def nothing_to_estimate(frame: pd.DataFrame, promotions: pd.DataFrame) -> str:
    """Why no item got an effect estimate, in the shop's terms (Walmart: no price column)."""
    price = pd.to_numeric(frame["price"], errors="coerce") if "price" in frame else None
    if price is None or price.isna().all():
        why = "the sales have no price (no price column, or it is empty)"
    elif price.groupby(frame["unique_id"]).nunique().max() <= 1:
        why = "no item's price ever changed"
    else:
        why = "no item's price moved or promotion ran often enough to measure"
    told = "" if len(promotions) else " and no promotions are loaded"
    return (f"no effect could be estimated: {why}{told}. Load sales with the price paid "
            "(and the promotions table) to estimate elasticities and lifts; evaluate, simulate "
            "and plan need them")


def require_effects(document: dict, params: pd.DataFrame, why: str) -> None:
    """EmptyStore (exit 1, HTTP 404) when no item has effects: a plan or a what-if cannot price
    anything, and its per-item refusals ("no price elasticity, estimate effects first") would
    send the user back to a step that found nothing."""
    if params.empty:
        told = (document.get("notes") or ["no effect could be estimated from these data"])[0]
        raise EmptyStore(f"{told}; {why}")


def run_effects(db: Path, *, country: str = "CN", level: float = 0.9, refresh: bool = False,
                shop: Shop | None = None, progress: Progress | None = None) -> dict:
    """``promo effects``: own-price elasticities, lifts, dips, cannibalisation (DESIGN §3).
    ``shop``: the store already read (the demo runs several use cases on one read)."""
    shop = shop or read_shop(db, country=country, progress=progress)
    document, _params, result_id = effect_estimates(db, shop, level=level, refresh=refresh,
                                                    progress=progress)
    return {**document, "result_id": result_id}


def _fixed_costs(rules: PlanRules, promotions: pd.DataFrame, items: pd.DataFrame | None = None,
                 stores: int = 1) -> tuple[PlanRules, dict, Said | None]:
    """The rules with each planned mechanism's fixed cost: the rules' own, else the median of
    the shop's past promotions of that type per item and plan period
    (``historical_fixed_costs``). Returns the rules, per mechanism of the grid {fixed_cost,
    source} and a note naming the borrowed ones (English and Chinese)."""
    from promocast.promotions.design import period_days
    from promocast.promotions.rules import historical_fixed_costs

    history = historical_fixed_costs(promotions, items, period_days(rules.period), stores)
    borrowed = {m: history[m] for m in rules.grid if m in history and m not in rules.fixed_cost}
    rules = rules.with_fixed_costs({m: value for m, (value, _n) in borrowed.items()})
    costs = {}
    for m in rules.grid:
        source = ("rules" if m in rules.fixed_cost and m not in borrowed else
                  f"promotions table (median of {borrowed[m][1]})" if m in borrowed else "none")
        costs[m] = {"fixed_cost": float(rules.fixed_cost.get(m, 0.0)), "source": source}
    return rules, costs, plan_words.fixed_costs(borrowed) if borrowed else None


def _identified(params: pd.DataFrame, rules: PlanRules, per_period: pd.DataFrame,
                ) -> tuple[pd.DataFrame, list[dict]]:
    """The effects with the lifts the plan may use (``plan_lifts.identified_lifts``: those
    estimated, else the rules' lift or none) and the plan's ``left_out`` list for the items
    it plans."""
    from promocast.promotions.plan_lifts import identified_lifts, left_out_summary
    from promocast.promotions.rules import LIFT_MECHANISMS

    planned = tuple(m for m in LIFT_MECHANISMS if m in rules.grid)
    params, changed = identified_lifts(params, rule_lifts=rules.lifts, mechanisms=planned)
    changed = changed[changed["item_id"].isin(set(per_period["item_id"].astype(str)))]
    return params, left_out_summary(changed)


UNSURE_CHANCE = 0.6
"""A planned promotion with a smaller chance to pay is marked close to break-even."""


def caveats(plan: dict, flags: list[dict]) -> None:
    """Mark planned promotions that rest on an effect the item's own data did not identify (the
    category's value was borrowed, or its past promotions mostly sold out and hid demand) or
    that was flagged implausible, or that is close to break-even (``chance_profitable`` below
    ``UNSURE_CHANCE``): an optimiser picks the
    options whose effects look best, so these are the ones most likely overestimated. Adds a
    ``caveat`` per promotion (its Chinese as ``zh.caveat``) and a note with the count, in
    English and Chinese (``plan_words.add_note``), in place."""
    by_item: dict[str, list[dict]] = {}
    unsure = 0
    for flag in flags:
        by_item.setdefault(str(flag["item_id"]), []).append(flag)
    marked = 0
    forced = 0
    for promotion in plan["promotions"]:
        margin = promotion.get("expected_incremental_margin")
        required = (promotion.get("explanation") or {}).get("required_by") or []
        if required and margin is not None and margin < 0:
            # a loss the rules ask for, not a gamble: say which rule keeps it
            caveat = plan_words.kept_for_rule(required[0], margin)
            promotion["caveat"], promotion["zh"] = caveat.en, {"caveat": caveat.zh}
            forced += 1
            continue
        wanted = {"price_elasticity", f"lift_{promotion['promo_type']}"}
        found = [f for f in by_item.get(str(promotion["item_id"]), [])
                 if f["parameter"] in wanted]
        reasons = [plan_words.flagged(f["parameter"], f["reason"]) for f in found]
        chance = promotion.get("chance_profitable")
        if chance is not None and chance < UNSURE_CHANCE:
            low, high = promotion.get("expected_incremental_margin_range") or (None, None)
            reasons.append(plan_words.break_even(chance, low, high, RANGE_LEVEL))
            unsure += 1
        caveat = plan_words.join(reasons)
        promotion["caveat"] = None if caveat is None else caveat.en
        promotion["zh"] = {"caveat": None if caveat is None else caveat.zh}
        marked += bool(found)
    total = len(plan["promotions"])
    if marked:
        add_note(plan, plan_words.marked(marked, total))
    if forced:
        add_note(plan, plan_words.forced(forced, total))
    if unsure:
        add_note(plan, plan_words.unsure(unsure, total, UNSURE_CHANCE))


def costless_mechanism_note(promotions: list[dict], fixed_costs: dict) -> Said | None:
    """A note when the plan places feature / display, which gives nothing away, at no cost
    (no fixed_cost in the rules or in past promotions): the optimiser then puts it wherever it
    lifts sales at all, while real displays, banners and ads have slot fees and few slots."""
    cost = fixed_costs.get("feature_display", {})
    if cost.get("fixed_cost", 0.0) > 0:
        return None
    placed = sum(p["promo_type"] == "feature_display" for p in promotions)
    if not placed:
        return None
    return plan_words.costless_mechanism(placed, len(promotions))


def stock_on_hand(shop: Shop) -> pd.DataFrame | None:
    """Latest units on hand per item and store, or None when the shop keeps no inventory."""
    if shop.inventory.empty:
        return None
    return shop.inventory.rename(columns={"on_hand": "available_units"})[
        ["item_id", "store_id", "available_units"]]


# -- plan ------------------------------------------------------------------------------------
def run_plan(db: Path, *, horizon: int, budget: float | None, rules_path: Path | None = None,
             rules_values: dict | None = None, country: str = "CN", shop: Shop | None = None,
             progress: Progress | None = None) -> dict:
    """``promo plan``: the best promotion calendar over the next ``horizon`` plan periods
    (weeks, months for a monthly shop, unless the rules say ``period: D`` or ``M``) under the
    rules and the budget (DESIGN §3). The rules come from a file (``rules_path``) or as values (``rules_values``, the API's)."""
    from promocast.promotions.plan import build_candidates, optimise_plan

    say = say_to(progress)
    # every refusal that needs no estimate first (the API runs the same before its job)
    setup = plan_setup(db, horizon=horizon, budget=budget, rules_path=rules_path,
                       rules_values=rules_values, country=country)
    shop = shop or read_shop(db, country=country, progress=progress)
    panel = shop.panel
    rules, fixed_costs, fixed_note = _fixed_costs(setup.rules, shop.promotions, shop.items,
                                                  len(setup.stores))
    first_day, starts, last_day = setup.first_day, setup.starts, setup.last_day
    effects_document, params, effects_id = effect_estimates(db, shop, progress=progress)
    require_effects(effects_document, params, "a plan prices its options with them")
    baseline = shop_baseline(db, shop, last_day, country=country, progress=progress)
    baseline = baseline[(baseline["ds"] >= first_day) & (baseline["ds"] <= last_day)]
    n_periods = len(starts)
    baseline = baseline.assign(
        period_start=starts[starts.searchsorted(baseline["ds"], side="right") - 1])
    standing = standing_pairs(baseline)
    per_period = baseline.drop(columns="usual_price", errors="ignore").groupby(
        ["item_id", "store_id", "period_start"], as_index=False).sum(numeric_only=True)
    prices = regular_prices(db, standing)
    notes: list[Said] = [standing_note(len(standing))] if len(standing) else []
    notes += [fixed_note] if fixed_note else []
    costless = sorted(prices.loc[prices["unit_cost"].isna(), "item_id"].unique())
    if costless and rules.objective == "incremental_margin":
        if len(costless) == prices["item_id"].nunique():
            raise EmptyStore("no item has a unit_cost: margins cannot be planned. Load items "
                             "with unit_cost, or plan revenue (objective: revenue in the rules)")
        notes.append(plan_words.costless_left_out(costless))
        per_period = per_period[~per_period["item_id"].isin(costless)]
    elif costless:
        prices["unit_cost"] = prices["unit_cost"].fillna(0.0)
        notes.append(plan_words.costless_at_zero(len(costless)))
    if rules.stores:
        per_period = per_period[per_period["store_id"].isin(rules.stores)]
    params, left_out = _identified(params, rules, per_period)
    if note := plan_words.left_out(left_out):
        notes.append(note)
    stock = stock_on_hand(shop)
    # The inventory table holds units on hand, not receipts due: today's stock bounds a plan of
    # several weeks only when the shop says so (respect_stock in the rules file).
    use_stock = stock is not None and rules.respect_stock and "respect_stock" in rules.model_fields_set
    if stock is not None and not use_stock and rules.respect_stock:
        notes.append(plan_words.STOCK_NOT_ENFORCED)
    calendar = setup.calendar
    say(f"pricing {len(per_period)} item x store x period cells")
    cand = build_candidates(per_period, params, prices, grid=rules.grid,
                            stock=stock if use_stock else None,
                            freq=rules.period)
    say(f"optimising over {len(cand)} options (HiGHS)")
    plan = optimise_plan(cand, rules, events=calendar[["date", "event"]], validate=False)
    document = {**plan.to_json(), "caution": rules.weight_caution,
                "fixed_costs": fixed_costs, "left_out": left_out,
                "notes": [n.en for n in notes], "zh": {"notes": [n.zh for n in notes]},
                "effects_result_id": effects_id,
                "start": str(first_day.date()), "periods": n_periods}
    caveats(document, effects_document.get("flags", []))
    if rules.weight_caution > 0:
        add_note(document, plan_words.caution(rules.weight_caution))
    if note := costless_mechanism_note(document["promotions"], fixed_costs):
        add_note(document, note)
    with Store(db) as store:
        document["result_id"] = store.save_promo_result(
            "plan", panel.data_hash, json.dumps({"horizon": horizon, "budget": rules.budget}),
            json.dumps(document))
    return document


# -- evaluation of past promotions -----------------------------------------------------------
def evaluation(db: Path, shop: Shop, *, refresh: bool = False,
               progress: Progress | None = None) -> tuple[dict, pd.DataFrame, str]:
    """Past promotions against their counterfactual baseline: (document, table, result id),
    reused from the store when the data have not changed."""
    from promocast.promotions.counterfactual import counterfactual_baseline
    from promocast.promotions.evaluate import evaluate_promotions

    say = say_to(progress)
    panel = shop.panel
    if not refresh:
        with Store(db, read_only=True) as store:
            kept = store.latest_promo_result("evaluate", panel.data_hash, EVALUATE_KEY)
        if kept is not None:
            say("reusing the evaluation of the same data")
            document = json.loads(kept[1])
            return document, pd.DataFrame(document["promotions"]), kept[0]
    promotions, told = shop.promotions, []
    if promotions.empty:
        from promocast.promotions.episodes import promotions_from_sales

        promotions, told = promotions_from_sales(panel.frame, panel.freq)
    if promotions.empty:
        raise EmptyStore("no promotions to evaluate: the store holds no promotions table, and "
                         "no sales row is flagged on_promo or priced 5 % or more under its "
                         "regular price")
    started = time.perf_counter()
    say(f"counterfactual baseline of {panel.frame['unique_id'].nunique()} series "
        "(cross-fitted, promotions switched off)")
    baseline = counterfactual_baseline(panel.frame, panel.known, panel.static, panel.freq)
    kept_params = kept_effects(db, panel.data_hash)
    say(f"evaluating {len(promotions)} promotions")
    result = evaluate_promotions(panel.frame, promotions, baseline, shop.items,
                                 freq=panel.freq,
                                 params=None if kept_params is None else kept_params[1])
    document = {**result.to_json(), "seconds": round(time.perf_counter() - started, 2),
                "data_hash": panel.data_hash}
    document["notes"] = told + document["notes"]
    with Store(db) as store:
        result_id = store.save_promo_result("evaluate", panel.data_hash, EVALUATE_KEY,
                                            json.dumps(document))
    return document, result.table, result_id


def run_evaluate(db: Path, *, country: str = "CN", out: Path | None = None,
                 refresh: bool = False, shop: Shop | None = None,
                 progress: Progress | None = None) -> dict:
    """``promo evaluate``: every past promotion's incremental units, money and ROI, ranked."""
    shop = shop or read_shop(db, country=country, progress=progress)
    document, table, result_id = evaluation(db, shop, refresh=refresh, progress=progress)
    if out is not None:
        write_table(table, out)
        document = {**document, "out": str(out)}
    return {**document, "result_id": result_id}


# -- advice ----------------------------------------------------------------------------------
def run_advice(db: Path, *, country: str = "CN", out: Path | None = None,
               shop: Shop | None = None, progress: Progress | None = None) -> dict:
    """``promo advice``: plain-language recommendations per item and category (en and zh) from
    the effects, the shop's usual depths, recent volumes and past promotions' results."""
    from promocast.promotions.advice import advise, usual_depths, usual_giveaways
    from promocast.promotions.advice_text import advice_table, missing_inputs
    from promocast.services.forecast import standing_discounts, usual_prices

    shop = shop or read_shop(db, country=country, progress=progress)
    _document, params, effects_id = effect_estimates(db, shop, progress=progress)
    evaluated = None
    if not shop.promotions.empty:
        _doc, table, _id = evaluation(db, shop, progress=progress)
        evaluated = table if len(table) else None
    frame = shop.panel.frame
    weeks = 7 if shop.panel.freq == "D" else 1
    recent = frame[frame["ds"] > frame["ds"].max() - pd.Timedelta(days=56)]
    weekly = (recent.groupby("item_id")["y"].sum() / (recent["ds"].nunique() / weeks)).rename(
        "weekly_units")
    # recent volumes sold at a standing discount go with the price they usually sell at
    held = usual_prices(frame, shop.panel.freq, standing_discounts(frame, shop.panel.freq))
    keys = frame.drop_duplicates("unique_id").set_index("unique_id")[["item_id", "store_id"]]
    held = keys.join(held.rename("usual_price"), how="inner").reset_index(drop=True)
    prices = regular_prices(db, held).groupby("item_id", as_index=False)["regular_price"].median()
    items = shop.items.assign(
        category=shop.items["item_id"].map(frame.drop_duplicates("item_id").set_index(
            "item_id")["category"]).fillna(shop.items["category"]))
    advice = advise(params, items, prices=prices, weekly_units=weekly,
                    usual=usual_depths(shop.promotions) if not shop.promotions.empty else None,
                    evaluation=evaluated,
                    ran=usual_giveaways(shop.promotions, items, prices)
                    if not shop.promotions.empty else None)
    document = {"advice": [a.to_json() for a in advice], "effects_result_id": effects_id,
                "notes": missing_inputs(shop.items, shop.promotions)}
    with Store(db) as store:
        document["result_id"] = store.save_promo_result(
            "advice", shop.panel.data_hash, "{}", json.dumps(document, default=str))
    if out is not None:
        write_table(advice_table(advice), out)
        document["out"] = str(out)
    return document
