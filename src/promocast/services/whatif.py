"""What-if simulation of planned promotions, fast enough for a form that redraws as you type.

Everything a simulation needs but the scenario (the estimated effects, the no-promotion
baseline, regular prices, stock, the item catalogue) is read once into a ``WhatIfContext`` and
kept in memory per store, keyed by what would change it (the last ingest, the newest kept
effects and baseline). A long-running server then prices a scenario without touching the
store; the CLI builds the context once per call.
"""

from __future__ import annotations

import itertools
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from promocast.data.frequency import infer_frequency
from promocast.data.plain_rows import plain_promotions
from promocast.data.schema import PROMOTIONS
from promocast.data.storage import Store
from promocast.exceptions import PromocastError, UsageError
from promocast.services.promo_baseline import (
    BeyondHistory,
    kept_baseline,
    regular_prices,
    shop_baseline,
    standing_pairs,
)
from promocast.services.promotions import effect_estimates, kept_effects, require_effects
from promocast.services.scenarios import read_scenario, scenario_frame
from promocast.services.shop import read_shop

Progress = Callable[[str], None]
BASELINE_DAYS = 56
"""Days of no-promotion baseline a fresh context holds beyond the history (8 weeks)."""
AFTER_DAYS = 7
"""Days of baseline a what-if needs after its last promotion day (the post-promotion dip)."""
CHECK_EVERY = 2.0
"""Seconds a cached context is trusted before the store is asked whether it changed: a
dashboard redraws a what-if on every keystroke, and new data arrive by the day."""
_SERIALS = itertools.count(1)


class JSONText(str):
    """A what-if answer already serialised to JSON (by a worker process): the server sends it
    as it is instead of rebuilding and re-encoding thousands of values under its one lock."""


class BaselineTooShort(PromocastError):
    """The scenario runs past the kept no-promotion baseline: the caller extends the context
    to ``last_day`` (which forecasts, so needs the store) and prices again."""

    def __init__(self, last_day: pd.Timestamp) -> None:
        super().__init__(last_day)
        self.last_day = pd.Timestamp(last_day)


@dataclass
class WhatIfContext:
    """The shop as a what-if sees it; immutable once built."""

    db: Path
    key: tuple
    data_hash: str
    history_end: pd.Timestamp
    category_of: pd.Series
    store_ids: list[str]
    items: pd.DataFrame
    inventory: pd.DataFrame
    prices: pd.DataFrame
    params: pd.DataFrame
    effects_id: str
    baseline: pd.DataFrame
    checked_at: float = 0.0
    serial: int = field(default_factory=lambda: next(_SERIALS))  # one per built context
    sold: frozenset = frozenset()
    """(item_id, store_id) pairs with sales: where a row planned for every store applies."""
    category_elasticity: pd.DataFrame | None = None  # the effects' categories (fallbacks)


def category_elasticities(document: dict) -> pd.DataFrame:
    """The effects document's categories as category, price_elasticity, _lo, _hi: what a
    what-if falls back on for an item whose own elasticity is positive."""
    rows = []
    for entry in document.get("categories") or []:
        lo, hi = (list(entry.get("price_elasticity_ci") or []) + [None, None])[:2]
        rows.append({"category": str(entry.get("category")),
                     "price_elasticity": entry.get("price_elasticity"),
                     "price_elasticity_lo": lo, "price_elasticity_hi": hi})
    frame = pd.DataFrame(rows, columns=["category", "price_elasticity", "price_elasticity_lo",
                                        "price_elasticity_hi"])
    for column in frame.columns[1:]:
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    return frame


_CONTEXTS: dict[str, WhatIfContext] = {}
_LOCK = threading.Lock()


def _context_key(store: Store) -> tuple:
    """What invalidates a context: new data, newer effects or a newer baseline."""
    (ingest,), = store.query("SELECT coalesce(max(ingest_id), 0) FROM ingest_log").itertuples(
        index=False)
    effects = store.query("SELECT max(created_at) AS t FROM promo_results WHERE kind = 'effects'")
    baseline = store.query("SELECT max(created_at) AS t FROM forecast_runs WHERE kind = 'baseline'")
    return int(ingest), str(effects["t"].iloc[0]), str(baseline["t"].iloc[0])


def warm_whatif_context(db: Path, country: str = "CN", pool=None) -> None:
    """Read the kept effects and baseline into memory when the store has them for its data
    (a server's start-up: the first what-ifs then answer at once), and into ``pool``'s
    workers; never estimates them."""
    try:
        context = whatif_context(db, country=country, kept_only=True)
        if pool is not None:
            if context is not None:
                pool.warm(context)
            else:
                pool.start()
    except Exception:  # noqa: BLE001 - a warm-up that fails leaves the first request to try
        logging.getLogger("promocast.api").debug("what-if warm-up skipped", exc_info=True)


def whatif_context(db: Path, *, country: str = "CN", last_day: pd.Timestamp | None = None,
                   kept_only: bool = False, progress: Progress | None = None) -> WhatIfContext | None:
    """The context for ``db`` (from memory when nothing changed since it was built). The first
    call on new data estimates the effects and forecasts the baseline and keeps both
    (``kept_only``: returns None instead when they are not kept for these data)."""
    from promocast.services.forecasting import sales_hash

    cached = _CONTEXTS.get(str(db))
    covers = cached is not None and (last_day is None or cached.baseline["ds"].max() >= last_day)
    if covers and time.monotonic() - cached.checked_at < CHECK_EVERY:
        return cached
    with Store(db, read_only=True) as store:
        if not store.count("sales"):
            raise UsageError(f"{db} holds no sales: load data with `promocast ingest` first")
        key = _context_key(store)
    if covers and cached.key == key:
        cached.checked_at = time.monotonic()
        return cached
    with _LOCK:
        with Store(db, read_only=True) as store:
            data_hash = sales_hash(store)
            end = pd.Timestamp(store.query("SELECT max(date) AS d FROM sales")["d"].iloc[0])
            keys = store.query("SELECT DISTINCT s.item_id, s.store_id, "
                               "coalesce(i.category, 'uncategorised') AS category "
                               "FROM sales s LEFT JOIN items i USING (item_id)")
            items = store.read("items")
            inventory = store.query(
                "SELECT item_id, store_id, on_hand FROM inventory QUALIFY row_number() OVER "
                "(PARTITION BY item_id, store_id ORDER BY date DESC) = 1")
        must_end = last_day or end + pd.Timedelta(days=1)
        wanted_end = max(must_end, end + pd.Timedelta(days=BASELINE_DAYS))
        kept = kept_effects(db, data_hash)
        baseline = None
        if kept is not None:
            # a short history's baseline reaches less far: covering what is asked will do
            for reach in (wanted_end, must_end):
                baseline = kept_baseline(db, data_hash, end + pd.Timedelta(days=1), reach)
                if baseline is not None:
                    break
        if (kept is None or baseline is None) and kept_only:
            return None
        if kept is None or baseline is None:
            shop = read_shop(db, country=country, progress=progress)
            if kept is None:
                kept = effect_estimates(db, shop, progress=progress)
            baseline = shop_baseline(db, shop, must_end, reserve_to=wanted_end,
                                     country=country, progress=progress)
        document, params, effects_id = kept
        require_effects(document, params, "a what-if prices its promotions with them")
        category_of = keys.drop_duplicates("item_id").set_index("item_id")["category"]
        items = items.assign(category=items["item_id"].map(category_of).fillna(items["category"]))
        with Store(db, read_only=True) as store:
            key = _context_key(store)
        # a weekly or monthly history covers the days of its last period, not only its first
        # (Stallion's last row, 2017-12-01, is December): the baseline starts after them
        if len(baseline):
            end = max(end, pd.Timestamp(baseline["ds"].min()) - pd.Timedelta(days=1))
        context = WhatIfContext(
            db=db, key=key, data_hash=data_hash, history_end=end, category_of=category_of,
            store_ids=sorted(keys["store_id"].astype(str).unique()), items=items,
            sold=frozenset(zip(keys["item_id"].astype(str), keys["store_id"].astype(str),
                               strict=True)),
            inventory=inventory, prices=regular_prices(db, standing_pairs(baseline)),
            params=params,
            effects_id=effects_id, baseline=baseline.sort_values("ds", kind="stable"),
            checked_at=time.monotonic(), category_elasticity=category_elasticities(document))
        _CONTEXTS[str(db)] = context
        return context


def baseline_freq(baseline: pd.DataFrame) -> str | None:
    """The baseline's period ("D", "W" or "MS") from the whole kept baseline: the rows a
    what-if keeps may be one period per series (a mid-month promotion of a monthly shop), from
    which the simulation would read days."""
    starts = pd.to_datetime(baseline["ds"]).unique()
    return infer_frequency(starts) if len(starts) > 1 else None


def covered_to(baseline: pd.DataFrame, freq: str | None) -> pd.Timestamp:
    """The last day the baseline covers: its last period's last day (a monthly baseline's
    2018-02-01 row covers February, so a what-if ending on the 5th needs no longer one)."""
    last = pd.Timestamp(baseline["ds"].max())
    if freq == "W":
        return last + pd.Timedelta(days=6)
    if freq == "MS":
        return last + pd.offsets.MonthEnd(0)
    return last


@cache
def _normals():
    """The simulation's random draws, memoised: a pure function of (seed, sizes), so the same
    what-if redrawn by a form reuses them with the very same numbers."""
    from promocast.promotions.simulate import draw_normals

    return lru_cache(maxsize=16)(draw_normals)


def price(context: WhatIfContext, planned: pd.DataFrame, *, source: str, samples: int = 1000,
          days: str = "all", whole: bool = False) -> tuple[dict, dict | None]:
    """Price planned promotions (``scenario_frame`` rows) in ``context``, without the store:
    the answer listing the ``days`` rows and, with ``whole``, the one listing every day (what
    is kept); its ``notes`` are the scenario's (how its cells were read, ``attrs["notes"]``).
    Raises ``BaselineTooShort`` when the scenario outruns the context's baseline."""
    from promocast.promotions.scenario import check_scenario
    from promocast.promotions.simulate import simulate

    started = time.perf_counter()
    expanded = check_scenario(planned, item_ids=context.category_of.index,
                              categories=context.category_of, store_ids=context.store_ids,
                              history_end=context.history_end,
                              first_row=planned.attrs.get("first_row", 2), source=source)
    expanded = _where_sold(expanded, planned, context)
    last_day = pd.Timestamp(expanded["ds"].max()) + pd.Timedelta(days=AFTER_DAYS)
    freq = baseline_freq(context.baseline)
    if covered_to(context.baseline, freq) < last_day:
        raise BaselineTooShort(last_day)
    baseline = context.baseline
    first = pd.Timestamp(expanded["ds"].min())
    # from the period that holds the scenario's first day: a monthly baseline row starts on
    # the 1st, and a what-if from the 8th to the 21st lies inside it (it used to be cut away,
    # and the what-if refused as "no baseline forecast")
    held = baseline.loc[baseline["ds"] <= first, "ds"]
    lower = held.max() if len(held) else first
    baseline = baseline[baseline["ds"].between(lower, last_day)].reset_index(drop=True)
    result = simulate(expanded, baseline, context.params, context.items, prices=context.prices,
                      freq=freq,
                      stock=context.inventory if len(context.inventory) else None,
                      n_samples=samples, source=source, normals=_normals(),
                      category_elasticity=context.category_elasticity)
    document = {**result.to_json(days), "effects_result_id": context.effects_id,
                "notes": list(planned.attrs.get("notes", [])),
                "seconds": round(time.perf_counter() - started, 3)}
    if not whole:
        return document, None
    return document, (document if days == "all" else {**document, "days": result.to_json()["days"]})


def _where_sold(expanded: pd.DataFrame, planned: pd.DataFrame,
                context: WhatIfContext) -> pd.DataFrame:
    """A row planned without a store (or for ``all``) covers the stores where its items sell,
    not every store of the shop: a store that never sold the item has no baseline to lift, and
    pricing it there adds stores nobody meant. A row naming its store keeps it."""
    if not context.sold or not len(expanded) or "row" not in expanded:
        return expanded
    first = planned.attrs.get("first_row", 2)
    stores = planned["store_id"] if "store_id" in planned else [None] * len(planned)
    every = {first + pos for pos, store in enumerate(stores)
             if store is None or pd.isna(store) or not str(store).strip()
             or (str(store).strip().lower() == "all" and "all" not in context.store_ids)}
    if not every:
        return expanded
    pairs = pd.MultiIndex.from_arrays([expanded["item_id"].astype(str),
                                       expanded["store_id"].astype(str)])
    keep = ~expanded["row"].isin(every) | pairs.isin(list(context.sold))
    return expanded if keep.all() else expanded[keep].reset_index(drop=True)


def simulate_planned(db: Path, planned: pd.DataFrame | list[dict], *, source: str, country: str = "CN",
                     samples: int = 1000, keep: bool = True, days: str = "all",
                     progress: Progress | None = None, pool=None,
                     as_text: bool = False) -> dict | JSONText:
    """Price planned promotions (``scenario_frame`` rows) against the no-promotion baseline:
    units, revenue and margin per day and in total with quantiles, other items of the category,
    stock warnings. ``keep``: save the result in the store (``promo_results``, kind simulate).
    ``days``: which day rows the answer lists (``Simulation.to_json``). ``pool``: a
    ``WhatIfPool`` that prices in its worker processes (a server's other cores); ``planned``
    may then be the API's rows, checked in the worker (``rows_frame``). ``as_text``: a pool's
    answer that is not kept comes back as ``JSONText`` (its ``seconds`` then count the pricing
    in the worker)."""
    started = time.perf_counter()
    context = whatif_context(db, country=country, progress=progress)
    if progress is not None and isinstance(planned, pd.DataFrame):
        progress(f"pricing {len(planned)} planned promotions")
    for _attempt in range(2):
        try:
            if pool is not None:
                document, whole = pool.price(context, planned, source=source, samples=samples,
                                             days=days, whole=keep, as_text=as_text and not keep)
                if isinstance(document, str):
                    return JSONText(document)
            else:
                document, whole = price(context, planned, source=source, samples=samples,
                                        days=days, whole=keep)
            break
        except BaselineTooShort as short:
            try:
                context = whatif_context(db, country=country, last_day=short.last_day,
                                         progress=progress)
            except BeyondHistory as far:
                raise UsageError(_too_far(far)) from None
    else:  # pragma: no cover - the second context covers the scenario by construction
        raise UsageError("the no-promotion baseline could not be extended over the scenario")
    document["seconds"] = round(time.perf_counter() - started, 3)
    if keep:  # the kept result lists every day, whatever the answer shows
        with Store(db) as store:
            document["result_id"] = store.save_promo_result(
                "simulate", context.data_hash, json.dumps({"scenario": source}),
                json.dumps(whole))
    return document


def _too_far(far: BeyondHistory) -> str:
    """A scenario beyond what the history forecasts, in the scenario's dates: the day it ends
    and the latest day one can end (the user gave dates, not a horizon)."""
    after = pd.Timedelta(days=AFTER_DAYS)
    return (f"the scenario ends on {(far.reach - after).date()}, too far ahead: its "
            f"no-promotion baseline, with the {AFTER_DAYS} days after it (the post-promotion "
            f"dip), would have to reach {far.reach.date()}, {far.needed} periods after the "
            f"data end on {far.data_end.date()}; {far.how_far()}, so a scenario can end on "
            f"{(far.carry_end - after).date()} at the latest: simulate closer to the data's "
            "end, or load more history")


def run_simulate(db: Path, *, scenario: Path, country: str = "CN", samples: int = 1000,
                 progress: Progress | None = None) -> dict:
    """``promo simulate --scenario FILE`` (DESIGN §3): the file's promotions priced against the
    kept effects and baseline (no refit when the data are those they were computed on).
    The answer's ``notes`` say how the file's cells were read where not plainly (discounts
    written as fractions or as Excel percentages, 折 notation: ``price``)."""
    return simulate_planned(db, read_scenario(scenario), source=str(scenario), country=country,
                            samples=samples, progress=progress)


def rows_frame(rows: list[dict]) -> pd.DataFrame:
    """Scenario rows (the API's JSON body) as a checked scenario frame; errors name row 1.. of
    the list. Rows without a promo_id each get their own (WHATIF1, WHATIF2, ...). Plainly
    valid rows skip the generic table parser (``validate.plain_promotions``)."""
    if not rows:
        raise UsageError("a scenario needs at least one planned promotion")
    rows = [{**row, "promo_id": f"WHATIF{n}" if row.get("promo_id") is None else row["promo_id"]}
            for n, row in enumerate(rows, start=1)]
    prices = [row.get("price") for row in rows]
    if all(p is None or (isinstance(p, int | float) and not isinstance(p, bool)) for p in prices):
        plain = plain_promotions([{k: v for k, v in row.items() if k != "price"} for row in rows],
                                 PROMOTIONS)
        if plain is not None:
            plain["planned_price"] = np.array([np.nan if p is None else p for p in prices],
                                              dtype="float64")
            plain.attrs["first_row"] = 1
            plain.attrs["notes"] = []
            return plain
    frame = pd.DataFrame(rows)
    for column in ("start_date", "end_date"):  # ISO dates parsed here skip the text parser
        if column in frame:
            parsed = pd.to_datetime(frame[column], format="%Y-%m-%d", errors="coerce")
            if parsed.notna().sum() == frame[column].notna().sum():
                frame[column] = parsed
    return scenario_frame(frame, "scenario", first_row=1)


def simulate_rows(db: Path, rows: list[dict], *, country: str = "CN", samples: int = 1000,
                  keep: bool = False, days: str = "all", pool=None,
                  as_text: bool = False) -> dict | JSONText:
    """A what-if from a list of scenario rows (the API's JSON body, see ``rows_frame``);
    ``pool``: price in a ``WhatIfPool``'s workers (the rows are checked there too)."""
    if pool is not None:
        if not rows:
            raise UsageError("a scenario needs at least one planned promotion")
        return simulate_planned(db, rows, source="scenario", country=country, samples=samples,
                                keep=keep, days=days, pool=pool, as_text=as_text)
    return simulate_planned(db, rows_frame(rows), source="scenario", country=country,
                            samples=samples, keep=keep, days=days)
