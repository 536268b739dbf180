"""The store as the promotion use cases read it, once per call: the panel and the promotion,
item, event and inventory tables."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from promocast.data.storage import Store
from promocast.services.forecasting import Panel, load_panel

Progress = Callable[[str], None]


@dataclass
class Shop:
    """What the promotion use cases read from the store, once."""

    panel: Panel
    promotions: pd.DataFrame
    items: pd.DataFrame
    events: pd.DataFrame
    inventory: pd.DataFrame


def read_shop(db: Path, *, country: str = "CN", progress: Progress | None = None) -> Shop:
    """The panel and the promotion, item, event and inventory tables of the store."""
    panel = load_panel(db, country=country, progress=progress)
    with Store(db, read_only=True) as store:
        promotions = store.read("promotions")
        items = store.read("items")
        events = store.query("SELECT date, event, store_id FROM events")
        inventory = store.query(
            "SELECT item_id, store_id, on_hand FROM inventory "
            "QUALIFY row_number() OVER (PARTITION BY item_id, store_id ORDER BY date DESC) = 1")
    return Shop(panel, promotions, items, events, inventory)


def say_to(progress: Progress | None) -> Progress:
    """The progress callback, or one that says nothing when there is none."""
    return progress or (lambda _m: None)
