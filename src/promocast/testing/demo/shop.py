"""``generate``: write the demo shop's canonical files and the truth behind them.

The run is deterministic by seed: every random stage draws from its own child of
``SeedSequence(seed)``, tables are written in a fixed row order with fixed number formats, so
the same seed gives byte-identical files. Everything is vectorised over items x stores x days;
only the stock replay and the customer draw loop over days.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from promocast.promotions.cannibal_bound import rival_scale
from promocast.testing.demo.calendar import calendar_demand, events_table, festival_truth
from promocast.testing.demo.catalogue import LAUNCH_RAMP_DAYS, Catalogue, make_catalogue
from promocast.testing.demo.model import (
    CANNIBALISATION_CAP,
    DEMAND_MODEL,
    DIP_DAYS,
    LIFT_MECHANISMS,
    PRICE_MECHANISMS,
    DemandParams,
    cannibal_terms,
    cell_sums,
    expected_demand,
)
from promocast.testing.demo.orders import Customers, make_customers, simulate_orders
from promocast.testing.demo.promotions import (
    PromotionPlan,
    after_promotion,
    regular_prices,
    schedule_promotions,
)
from promocast.testing.demo.stock import simulate_stock

BASELINE_FILE = "ground_truth_baseline.parquet"
CUSTOMERS_FILE = "ground_truth_customers.parquet"
BLOCK_ITEMS = 64
"""Items simulated together (memory ~ BLOCK_ITEMS x stores x days x a few arrays)."""
ORDER_CHUNK_DAYS = 91
TABLE_ORDER = ("stores", "items", "promotions", "events", "sales", "inventory", "orders")


@dataclass
class DemoShop:
    """What ``generate`` wrote: the folder, each canonical table's file and the truth."""

    out_dir: Path
    files: dict[str, Path]
    ground_truth: dict


def history(start: str, years: float) -> pd.DatetimeIndex:
    """Daily dates from ``start`` for ``years`` calendar years (3.0 from 2023-01-01 ends on
    2025-12-31); a fractional part adds days at 365.25 a year."""
    first = pd.Timestamp(start)
    whole = int(years)
    end = first + pd.DateOffset(years=whole) + pd.Timedelta(days=round((years - whole) * 365.25))
    dates = pd.date_range(first, end - pd.Timedelta(days=1), freq="D")
    if len(dates) < 28:
        raise ValueError(f"years={years} gives {len(dates)} days: the demo shop needs at least 28")
    return dates


def _write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """Write a small table: Arrow's writer without quotes, or pandas when a value holds a
    comma, quote or newline (Arrow refuses those unquoted)."""
    try:
        with _CsvStream(path) as stream:
            stream.write(frame)
    except pa.ArrowInvalid:
        frame.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")
    return path


class _CsvStream:
    """A CSV file written block by block: a plain header line, then Arrow's fast writer
    without quoting (the generator's identifiers never need quotes). Byte-stable."""

    def __init__(self, path: Path) -> None:
        self.path, self.sink, self.header = path, path.open("wb"), False

    def write(self, frame: pd.DataFrame | pa.Table) -> None:
        table = (
            frame
            if isinstance(frame, pa.Table)
            else pa.Table.from_pandas(frame, preserve_index=False)
        )
        if not self.header:
            self.sink.write((",".join(table.column_names) + "\n").encode("utf-8"))
            self.header = True
        pa_csv.write_csv(
            table, self.sink, pa_csv.WriteOptions(include_header=False, quoting_style="none")
        )

    def __enter__(self) -> _CsvStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.sink.close()


def _truth(seed: int, dates: pd.DatetimeIndex, cat: Catalogue) -> dict:
    return {
        "seed": seed,
        "start": dates[0].strftime("%Y-%m-%d"),
        "end": dates[-1].strftime("%Y-%m-%d"),
        "currency": "CNY",
        "stores": cat.truth_stores,
        "items": cat.truth_items,
        "categories": cat.truth_categories,
        "festivals": festival_truth(dates),
        "mechanisms": {"price": list(PRICE_MECHANISMS), "lift": list(LIFT_MECHANISMS)},
        "post_promo_dip_days": DIP_DAYS,
        "cannibalisation_cap": CANNIBALISATION_CAP,
        "launch_ramp_days": LAUNCH_RAMP_DAYS,
        "baseline_file": BASELINE_FILE,
        "customers_file": CUSTOMERS_FILE,
        "demand_model": DEMAND_MODEL,
    }


@dataclass
class _Panel:
    """Everything drawn before the day-by-day simulation, shared by the writing stages."""

    truth: dict
    dates: pd.DatetimeIndex
    item_ids: np.ndarray
    store_ids: np.ndarray
    launch: np.ndarray  # first day index per item
    plan: PromotionPlan
    codes: np.ndarray  # category code per item
    category_counts: np.ndarray  # (categories, stores, days) items on promotion
    rival_scale: np.ndarray | None = None  # (categories, stores, days) cannibalisation bound

    @property
    def date_text(self) -> np.ndarray:
        return self.dates.strftime("%Y-%m-%d").to_numpy()


@dataclass
class _Simulated:
    """One block of items after demand and stock: what the files need."""

    price: np.ndarray
    baseline: np.ndarray
    expected: np.ndarray
    demand: np.ndarray
    units: np.ndarray
    available: np.ndarray
    on_hand: np.ndarray


def _block_inputs(panel: _Panel, block: slice) -> dict:
    """The true demand model's inputs for a block of items (all deterministic)."""
    plan, ids = panel.plan, panel.item_ids[block]
    price = plan.paid_price(block)
    index = plan.promo_index[block]
    return {
        "params": DemandParams.from_truth(panel.truth, ids),
        "calendar": calendar_demand(panel.truth, panel.dates, ids),
        "price": price,
        "regular": np.broadcast_to(plan.base_price[block, None, :], price.shape),
        "index": index,
        "mechanisms": plan.mechanism_flags(index),
        "after_promo": after_promotion(index),
        "rivals": panel.category_counts[panel.codes[block]] - plan.shared[block],
    }


def _rival_scale(panel: _Panel) -> np.ndarray:
    """(categories, stores, days) share of the rivals' cannibalised units that are lost: the
    promoted items' gain over the rivals' unbounded loss, at most 1 (cannibal_bound.rival_scale).
    A first pass over the blocks, before any draw, since a category spans blocks."""
    n_cells, n_items = panel.category_counts.shape[0], len(panel.item_ids)
    gain = np.zeros(panel.category_counts.shape)
    loss = np.zeros(panel.category_counts.shape)
    for first in range(0, n_items, BLOCK_ITEMS):
        block = slice(first, min(first + BLOCK_ITEMS, n_items))
        x = _block_inputs(panel, block)
        g, lost = cannibal_terms(
            x["params"],
            x["calendar"],
            x["price"],
            x["regular"],
            x["mechanisms"],
            on_promo=x["index"] >= 0,
            after_promo=x["after_promo"],
            rivals_on_promo=x["rivals"],
        )
        codes = panel.codes[block]
        gain += cell_sums(g, codes, n_cells)
        loss += cell_sums(lost, codes, n_cells)
    return rival_scale(gain, loss)


def _simulate_block(
    panel: _Panel, block: slice, rng_demand: np.random.Generator, rng_stock: np.random.Generator
) -> _Simulated:
    """True demand of a block of items, its noisy draw and the shelves that censor it."""
    truth, ids = panel.truth, panel.item_ids[block]
    x = _block_inputs(panel, block)
    params, calendar, price = x["params"], x["calendar"], x["price"]
    baseline = expected_demand(params, calendar, x["regular"])
    scale = 1.0 if panel.rival_scale is None else panel.rival_scale[panel.codes[block]]
    expected = expected_demand(
        params,
        calendar,
        price,
        x["mechanisms"],
        after_promo=x["after_promo"],
        rivals_on_promo=x["rivals"],
        rival_scale=scale,
    )
    shape = np.array([truth["items"][i]["dispersion"] for i in ids])[:, None, None]
    demand = rng_demand.poisson(expected * rng_demand.gamma(shape, 1.0 / shape, expected.shape))
    stock = simulate_stock(rng_stock, demand.astype(float), baseline, expected, panel.launch[block])
    return _Simulated(
        price, baseline, expected, demand, stock.units, stock.available, stock.on_hand
    )


def _coded(codes: np.ndarray, labels: pa.Array) -> pa.DictionaryArray:
    """Labels by code (negative = empty) without building millions of Python strings."""
    return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32), mask=codes < 0), labels)


def _write_panel(
    panel: _Panel, out_dir: Path, streams: list[tuple[np.random.Generator, np.random.Generator]]
) -> tuple[np.ndarray, np.ndarray]:
    """Simulate block by block and append sales, inventory and the per-row truth; returns the
    online store's (items, days) units and paid prices for the orders."""
    plan = panel.plan
    n_items, n_days = plan.base_price.shape
    dates, items, stores = (
        pa.array(panel.date_text),
        pa.array(panel.item_ids),
        pa.array(panel.store_ids),
    )
    promo_ids = pa.array(plan.table()["promo_id"].to_numpy(dtype=str))
    online_units = np.zeros((n_items, n_days), dtype=np.int64)
    online_price = np.zeros((n_items, n_days))
    parquet: pq.ParquetWriter | None = None
    with (
        _CsvStream(out_dir / "sales.csv") as sales_csv,
        _CsvStream(out_dir / "inventory.csv") as inventory_csv,
    ):
        for b, (rng_demand, rng_stock) in enumerate(streams):
            block = slice(b * BLOCK_ITEMS, min((b + 1) * BLOCK_ITEMS, n_items))
            sim = _simulate_block(panel, block, rng_demand, rng_stock)
            online_units[block], online_price[block] = sim.units[:, 0, :], sim.price[:, 0, :]
            on_sale = np.arange(n_days)[None, None, :] >= panel.launch[block, None, None]
            i, s, d = np.nonzero(np.broadcast_to(on_sale, sim.price.shape))
            index = plan.promo_index[block][i, s, d]
            keys = {
                "date": _coded(d, dates),
                "item_id": _coded(i + block.start, items),
                "store_id": _coded(s, stores),
            }
            sales = {
                "units": sim.units[i, s, d].astype(np.int64),
                "price": np.round(sim.price[i, s, d], 2),
                "base_price": np.round(plan.base_price[block][i, d], 2),
                "on_promo": (index >= 0).astype(np.int8),
                "promo_id": _coded(index, promo_ids),
            }
            sales_csv.write(pa.table({**keys, **sales}))
            inventory_csv.write(
                pa.table({**keys, "on_hand": sim.on_hand[i, s, d].astype(np.int64)})
            )
            rows = {
                "item_id": keys["item_id"].dictionary_decode(),
                "store_id": keys["store_id"].dictionary_decode(),
                "date": keys["date"].dictionary_decode(),
                "baseline_units": np.round(sim.baseline[i, s, d], 6),
                "expected_units": np.round(sim.expected[i, s, d], 6),
                "demand_units": sim.demand[i, s, d].astype(np.int64),
                "available_units": sim.available[i, s, d].astype(np.int64),
            }
            table = pa.table(rows)
            parquet = parquet or pq.ParquetWriter(out_dir / BASELINE_FILE, table.schema)
            parquet.write_table(table)
    if parquet is not None:
        parquet.close()
    return online_units, online_price


def _write_orders(
    panel: _Panel,
    path: Path,
    rng: np.random.Generator,
    items: pd.DataFrame,
    online: tuple[np.ndarray, np.ndarray],
    n_customers: int,
    events: pd.DataFrame,
) -> Customers:
    """Draw the customers and append the online store's order lines a quarter at a time."""
    brand_codes, brands = pd.factorize(items["category"] + "|" + items["brand"], sort=True)
    brand_category = np.array([b.split("|")[0] for b in brands])
    customers = make_customers(rng, n_customers, len(panel.dates), brand_category)
    festival_days = set(np.searchsorted(panel.date_text, events["date"].to_numpy()).tolist())
    promotions = panel.plan.table()
    units, price = online
    next_order = 1
    with _CsvStream(path) as orders_csv:
        for first in range(0, len(panel.dates), ORDER_CHUNK_DAYS):
            days = slice(first, min(first + ORDER_CHUNK_DAYS, len(panel.dates)))
            orders = simulate_orders(
                rng,
                units=units[:, days],
                price=price[:, days],
                base_price=panel.plan.base_price[:, days],
                promo_index=panel.plan.promo_index[:, 0, days],
                promotions=promotions,
                item_ids=panel.item_ids,
                item_brand=brand_codes,
                customers=customers,
                dates=panel.dates,
                festival_days=festival_days,
                store_id=str(panel.store_ids[0]),
                day_offset=first,
                first_order=next_order,
            )
            orders_csv.write(orders)
            next_order += orders["order_id"].nunique()
    return customers


def generate(
    out_dir: Path,
    *,
    seed: int = 0,
    n_items: int = 200,
    n_stores: int = 2,
    years: float = 3.0,
    start: str = "2023-01-01",
    n_customers: int | None = None,
) -> DemoShop:
    """Write the demo shop into ``out_dir`` and return where everything is.

    Files: sales, items, promotions, events, inventory, orders, stores (``.csv``, canonical
    columns of DESIGN §2), ``ground_truth.json`` (true elasticities, lifts, dips,
    cannibalisation, calendar parameters), ``ground_truth_baseline.parquet`` (per item x store x
    day: baseline_units, expected_units, the uncensored demand drawn and the stock available)
    and ``ground_truth_customers.parquet``. ``n_customers`` defaults to 100 per item. Items are
    simulated in blocks of BLOCK_ITEMS, so memory grows with items x days / blocks, not with
    the whole panel. The history must end by today: start earlier for long histories.
    """
    if n_items < 1 or n_stores < 1:
        raise ValueError(f"n_items and n_stores must be >= 1, got {n_items} and {n_stores}")
    dates = history(start, years)
    if dates[-1].date() > date.today():
        raise ValueError(
            f"the demo history would end on {dates[-1].date()}, after today: "
            "pass an earlier start or fewer years"
        )
    stages = np.random.SeedSequence(seed).spawn(6)
    rng_catalogue, rng_prices, rng_promos, rng_orders = (
        np.random.default_rng(stages[k]) for k in (0, 1, 2, 5)
    )
    n_blocks = -(-n_items // BLOCK_ITEMS)
    streams = [
        (np.random.default_rng(a), np.random.default_rng(b))
        for a, b in zip(stages[3].spawn(n_blocks), stages[4].spawn(n_blocks), strict=True)
    ]
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    cat = make_catalogue(rng_catalogue, n_items, n_stores, dates)
    truth = _truth(seed, dates, cat)
    items = cat.items
    launch = np.searchsorted(dates.strftime("%Y-%m-%d"), items["launch_date"].to_numpy())
    base_price = regular_prices(
        rng_prices,
        items["base_price"].to_numpy(float),
        items["unit_cost"].to_numpy(float),
        len(dates),
    )
    plan = schedule_promotions(
        rng_promos, items, base_price, launch, cat.stores, dates, truth["festivals"]
    )
    codes, category_counts = plan.category_counts(items["category"].to_numpy())
    panel = _Panel(
        truth,
        dates,
        items["item_id"].to_numpy(),
        cat.stores["store_id"].to_numpy(),
        launch,
        plan,
        codes,
        category_counts,
    )
    panel.rival_scale = _rival_scale(panel)
    events = events_table(truth["festivals"], dates)
    files = {
        "stores": _write_csv(cat.stores, out_dir / "stores.csv"),
        "items": _write_csv(items.assign(base_price=base_price[:, -1]), out_dir / "items.csv"),
        "promotions": _write_csv(plan.table(), out_dir / "promotions.csv"),
        "events": _write_csv(events, out_dir / "events.csv"),
        "sales": out_dir / "sales.csv",
        "inventory": out_dir / "inventory.csv",
        "orders": out_dir / "orders.csv",
    }
    online = _write_panel(panel, out_dir, streams)
    customers = _write_orders(
        panel, files["orders"], rng_orders, items, online, n_customers or 100 * n_items, events
    )
    customers.truth(dates).to_parquet(out_dir / CUSTOMERS_FILE, index=False)
    (out_dir / "ground_truth.json").write_text(
        json.dumps(truth, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return DemoShop(out_dir, {name: files[name] for name in TABLE_ORDER}, truth)
