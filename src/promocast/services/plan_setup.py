"""Everything a promotion plan can be refused for before any estimate or solve.

``promo plan`` and ``POST /api/promo/plan`` both start here: the rules read and checked, the
budget, the plan period against the shop's frequency, the planned periods, the names the rules
use (items, categories, stores, events) against the shop, the festivals the rules require
against the planned periods, and unit costs for a margin plan. The API runs it before it
queues a job and answers 422 with the very message the command line prints; the plan runs it
first, so the two cannot drift apart. It reads a few aggregates from the store, never the
panel: a refusal takes well under a second, not the minutes of an estimate.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from promocast.data.frequency import is_monthly
from promocast.data.storage import Store
from promocast.data.validate import infer_store_frequencies
from promocast.exceptions import EmptyStore, InvalidRules, UsageError
from promocast.features.calendar import build_calendar
from promocast.promotions.rules import (
    PlanRules,
    check_rules,
    load_rules,
    make_rules,
    period_end,
    required_windows,
)
from promocast.services.promo_baseline import panel_step
from promocast.wording import phrase

EVENT_NAMES_DAYS = 366
"""Days after the plan's first day whose calendar names the events a rule may require: a
yearly festival outside the planned periods is then told as such, not as an unknown name."""


@dataclass(frozen=True)
class ShopFacts:
    """What the plan's checks need to know of the shop, read in SQL."""

    freq: str
    last_date: pd.Timestamp
    item_ids: list[str]
    categories: list[str]
    stores: list[str]
    events: pd.DataFrame
    costed_items: int
    """Items sold that have a unit_cost (a margin plan needs at least one)."""


@dataclass(frozen=True)
class PlanSetup:
    """The checked request: the rules (with the shop's plan period) and the planned periods."""

    rules: PlanRules
    freq: str
    first_day: pd.Timestamp
    starts: pd.DatetimeIndex
    """First day of each planned period."""
    last_day: pd.Timestamp
    stores: list[str]
    calendar: pd.DataFrame
    """date, event, kind, store_id over the planned days (festivals, holidays, the shop's)."""


def shop_facts(db: Path) -> ShopFacts:
    """The shop's frequency, last sales date, items, categories, stores, events and how many
    sold items have a unit cost; EmptyStore without sales (as the panel says it)."""
    with Store(db, read_only=True) as store:
        if not store.count("sales"):
            raise EmptyStore(f"{db} holds no sales: load data with `promocast ingest` first")
        dates = store.query("SELECT DISTINCT store_id, date FROM sales")
        (last_date,), = store.query("SELECT max(date) FROM sales").itertuples(index=False)
        keys = store.query(
            "SELECT DISTINCT s.item_id, s.store_id, coalesce(i.category, 'uncategorised') "
            "AS category FROM (SELECT DISTINCT item_id, store_id FROM sales) s "
            "LEFT JOIN items i USING (item_id)")
        events = store.query("SELECT date, event, store_id FROM events")
        (costed,), = store.query(
            "SELECT count(*) FROM items i WHERE i.unit_cost IS NOT NULL "
            "AND EXISTS (SELECT 1 FROM sales s WHERE s.item_id = i.item_id)"
        ).itertuples(index=False)
    freqs = set(infer_store_frequencies(dates).values())
    if len(freqs) > 1:
        raise UsageError(f"the store mixes frequencies {sorted(freqs)}: forecast one frequency "
                         "at a time")
    return ShopFacts(freq=freqs.pop() or "D", last_date=pd.Timestamp(last_date),
                     item_ids=sorted(keys["item_id"].astype(str).unique()),
                     categories=sorted(keys["category"].astype(str).unique()),
                     stores=sorted(keys["store_id"].astype(str).unique()),
                     events=events, costed_items=int(costed))


def read_plan_rules(*, budget: float | None, rules_path: Path | None = None,
                    rules_values: dict | None = None) -> PlanRules:
    """The rules from a file (the CLI's ``--rules``) or as values (the API's ``rules``),
    with ``budget`` over theirs; InvalidRules names each bad key, or the missing budget."""
    rules = load_rules(rules_path) if rules_path else make_rules(rules_values or {})
    if budget is not None:
        rules = rules.with_budget(budget)
    if rules.budget is None:
        raise InvalidRules(f"give a discount budget: {phrase('budget')}")
    return rules


def plan_period(rules: PlanRules, freq: str) -> PlanRules:
    """The rules with a plan period that suits the shop's data: a monthly shop plans months
    (the default there), a weekly shop weeks or months, a daily shop days, weeks or months."""
    if is_monthly(freq):
        if "period" in rules.model_fields_set and rules.period != "M":
            raise InvalidRules("the shop sells by the month: plan in months (period: M)")
        return rules.model_copy(update={"period": "M"})
    if freq.startswith("W") and rules.period == "D":
        raise InvalidRules("the shop sells by the week: plan in weeks (period: W)")
    return rules


def planned_periods(rules: PlanRules, horizon: int, last_date: pd.Timestamp, freq: str,
                    ) -> pd.DatetimeIndex:
    """The first day of each planned period: ``horizon`` periods from the day after the
    history (or the rules' start), whole periods up to the rules' end."""
    first_day = last_date + panel_step(freq)
    if rules.start is not None:
        start = pd.Timestamp(rules.start)
        first_day = max(first_day, start.to_period("M").start_time if rules.period == "M"
                        else start)
    starts = pd.date_range(first_day, periods=horizon, freq=rules.offset)
    if rules.end is not None:  # whole periods only
        starts = starts[period_end(starts, rules.period) <= pd.Timestamp(rules.end)]
    if starts.empty:
        raise InvalidRules(f"the rules' dates leave less than one {rules.period} period to plan")
    return starts


def plan_setup(db: Path, *, horizon: int, budget: float | None, rules_path: Path | None = None,
               rules_values: dict | None = None, country: str = "auto") -> PlanSetup:
    """Check a plan's request against the shop, in the order the plan needs it (see the
    module docstring); returns what the plan goes on with."""
    from promocast.services.calendar import shop_country

    rules = read_plan_rules(budget=budget, rules_path=rules_path, rules_values=rules_values)
    facts = shop_facts(db)
    country = shop_country(db, country)
    rules = plan_period(rules, facts.freq)
    starts = planned_periods(rules, horizon, facts.last_date, facts.freq)
    first_day, last_day = starts[0], period_end(starts, rules.period)[-1]
    named = build_calendar(first_day, first_day + pd.Timedelta(days=EVENT_NAMES_DAYS), country,
                           facts.events)
    names = pd.DataFrame({"event": sorted({*named["event"].astype(str),
                                           *facts.events["event"].astype(str)})})
    check_rules(rules, item_ids=facts.item_ids, categories=facts.categories,
                store_ids=facts.stores, events=names)
    calendar = build_calendar(first_day, last_day + pd.Timedelta(days=1), country, facts.events)
    required_windows(rules, starts, calendar[["date", "event"]])
    if rules.objective == "incremental_margin" and not facts.costed_items:
        raise EmptyStore("no item has a unit_cost: margins cannot be planned. Load items "
                         "with unit_cost, or plan revenue (objective: revenue in the rules)")
    return PlanSetup(rules=rules, freq=facts.freq, first_day=first_day, starts=starts,
                     last_day=last_day, stores=facts.stores, calendar=calendar)
