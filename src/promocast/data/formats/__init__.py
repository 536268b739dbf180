"""Adapters for known public layouts (``promocast ingest --format NAME``).

Each adapter module exposes ``load(path: Path) -> dict[str, pandas.DataFrame]``: canonical
tables (DESIGN §2) keyed by table name, with canonical column names. Extra numeric columns of
``sales`` (rival prices, weather, SNAP) are exogenous variables and are kept. The frames then go
through the same validation and store as any shop's own files, so adapters only reshape.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from promocast.exceptions import UnknownFormat

FORMATS: dict[str, str] = {
    "dominicks": "promocast.data.formats.dominicks",
    "walmart": "promocast.data.formats.walmart",
    "m5": "promocast.data.formats.m5",
    "online-retail": "promocast.data.formats.online_retail",
    "stallion": "promocast.data.formats.stallion",
    "tuna": "promocast.data.formats.tuna",
}


def get_adapter(name: str) -> Callable[[Path], dict[str, pd.DataFrame]]:
    """The ``load`` function of a known format, or ``UnknownFormat`` naming the known ones."""
    try:
        module = FORMATS[name.lower()]
    except KeyError:
        raise UnknownFormat(
            f"unknown format {name!r}; known formats: {', '.join(sorted(FORMATS))}"
        ) from None
    return importlib.import_module(module).load
