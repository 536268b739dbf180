"""The canonical tables of the data contract (DESIGN §2), declared once.

Readers, validators, adapters, the store and the demo shop all read these specs, so a column
added here is known everywhere. Types are logical: ``date`` (calendar day), ``timestamp``,
``str`` (identifier or text), ``float``, ``flag`` (0/1 integer).
"""

from __future__ import annotations

from dataclasses import dataclass, field

PROMO_TYPES: tuple[str, ...] = (
    "percent_off",
    "amount_off",
    "threshold",
    "gift",
    "flash_sale",
    "bundle",
    "feature_display",
)
"""Promotion mechanisms (DESIGN §2). ``threshold`` is spend X save Y (满减)."""

FREQUENCIES: tuple[str, ...] = ("D", "W", "MS")
"""One frequency per store: daily, weekly (labelled by the week's first day) or monthly
(labelled by the first day of the month; an extension of DESIGN §2 for monthly data)."""

DEFAULT_STORE = "all"

MAX_COUNT = 1e9
"""Most units one row can count (sold in a day or week of one item and store, on hand, in one
order line): a larger number is a unit or decimal error that would swamp every total."""


@dataclass(frozen=True)
class Column:
    """One column of a canonical table.

    ``required``: the column must be present in the file. ``nullable``: a present column may
    hold empty cells. ``min_value`` / ``min_exclusive`` express rules such as units >= 0 or
    price > 0.
    """

    name: str
    dtype: str  # date | timestamp | str | float | flag
    required: bool = False
    nullable: bool = True
    default: object = None
    min_value: float | None = None
    min_exclusive: bool = False
    max_value: float | None = None
    description: str = ""
    percent: bool = False
    """A percentage (0-100): read by ``data.percentages`` (Excel percent cells, 折 notation,
    fractions)."""


@dataclass(frozen=True)
class TableSpec:
    """A canonical table: its columns, its key, and whether extra columns are kept.

    ``extra_columns``: unknown numeric columns of a sales file (rival prices, weather, SNAP)
    are kept as exogenous variables in the long table ``sales_exog`` rather than dropped.
    """

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    extra_columns: bool = False
    description: str = ""
    _by_name: dict[str, Column] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {c.name: c for c in self.columns})

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        return self._by_name[name]

    def has(self, name: str) -> bool:
        return name in self._by_name


SALES = TableSpec(
    "sales",
    (
        Column("date", "date", required=True, nullable=False),
        Column("item_id", "str", required=True, nullable=False),
        Column("store_id", "str", nullable=False, default=DEFAULT_STORE),
        Column("units", "float", required=True, nullable=False, min_value=0.0,
               max_value=MAX_COUNT,
               description="units sold that day / week (>= 0)"),
        Column("price", "float", min_value=0.0, min_exclusive=True,
               description="unit price actually paid, shop currency (> 0)"),
        Column("base_price", "float", min_value=0.0, min_exclusive=True,
               description="regular (shelf) price (> 0)"),
        Column("on_promo", "flag", default=0),
        Column("promo_id", "str"),
    ),
    key=("date", "item_id", "store_id"),
    extra_columns=True,
    description="daily or weekly sales per item and store",
)

ITEMS = TableSpec(
    "items",
    (
        Column("item_id", "str", required=True, nullable=False),
        Column("name", "str"),
        Column("category", "str"),
        Column("brand", "str"),
        Column("unit_cost", "float", min_value=0.0),
        Column("base_price", "float", min_value=0.0, min_exclusive=True),
        Column("launch_date", "date"),
    ),
    key=("item_id",),
)

PROMOTIONS = TableSpec(
    "promotions",
    (
        Column("promo_id", "str", required=True, nullable=False),
        Column("promo_type", "str", required=True, nullable=False),
        Column("start_date", "date", required=True, nullable=False),
        Column("end_date", "date", required=True, nullable=False),
        Column("item_id", "str"),
        Column("category", "str"),
        Column("store_id", "str"),
        Column("discount_pct", "float", min_value=0.0, max_value=100.0, percent=True,
               description="percent off the base price, 0-100 (20 or 20%; fractions such as "
                           "0.2 and 折 notation such as 8折 are read too)"),
        Column("threshold_amount", "float", min_value=0.0,
               description="spend X (threshold promotions)"),
        Column("amount_off", "float", min_value=0.0, description="save Y"),
        Column("gift_value", "float", min_value=0.0),
        Column("feature", "flag", default=0),
        Column("display", "flag", default=0),
        Column("fixed_cost", "float", min_value=0.0),
    ),
    key=("promo_id",),
)

EVENTS = TableSpec(
    "events",
    (
        Column("date", "date", required=True, nullable=False),
        Column("event", "str", required=True, nullable=False),
        Column("store_id", "str", nullable=False, default=DEFAULT_STORE),
    ),
    key=("date", "event", "store_id"),
)

INVENTORY = TableSpec(
    "inventory",
    (
        Column("date", "date", required=True, nullable=False),
        Column("item_id", "str", required=True, nullable=False),
        Column("store_id", "str", nullable=False, default=DEFAULT_STORE),
        Column("on_hand", "float", required=True, nullable=False, min_value=0.0,
               max_value=MAX_COUNT),
    ),
    key=("date", "item_id", "store_id"),
)

ORDERS = TableSpec(
    "orders",
    (
        Column("order_id", "str", required=True, nullable=False),
        Column("line", "float", nullable=False, default=None,
               description="line number inside the order; numbered in file order when absent"),
        Column("customer_id", "str", required=True,
               description="empty for guest orders (kept, reported as a warning)"),
        Column("timestamp", "timestamp", required=True, nullable=False),
        Column("item_id", "str", required=True, nullable=False),
        Column("quantity", "float", required=True, nullable=False,
               description="negative for returns / cancellations"),
        Column("unit_price", "float"),
        Column("discount", "float"),
        Column("store_id", "str", nullable=False, default=DEFAULT_STORE),
        Column("status", "str",
               description="order status as exported (paid, cancelled, 已取消, ...); lines whose "
                           "status says the sale did not happen (data.order_status) are kept "
                           "but left out of derived sales and customer analyses"),
    ),
    key=("order_id", "line"),
    description="order lines; (order_id, line) is the key because one order may list an item twice",
)

STORES = TableSpec(
    "stores",
    (
        Column("store_id", "str", required=True, nullable=False),
        Column("name", "str"),
        Column("channel", "str"),
        Column("type", "str"),
        Column("size", "float", min_value=0.0),
        Column("country", "str"),
    ),
    key=("store_id",),
    description="optional store / channel attributes (extension of DESIGN §2)",
)

TABLES: dict[str, TableSpec] = {
    t.name: t for t in (SALES, ITEMS, PROMOTIONS, EVENTS, INVENTORY, ORDERS, STORES)
}
"""Every canonical table by name, in load order (items before the sales that name them)."""

LOAD_ORDER: tuple[str, ...] = ("stores", "items", "promotions", "events", "sales", "inventory", "orders")


CHINESE_NAMES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("sales", ("销售", "销量")),
    ("promotions", ("促销", "活动")),
    ("inventory", ("库存",)),
    ("orders", ("订单",)),
    ("events", ("日历", "节日", "节假日")),
)
"""Words of a Chinese file name that tell its table, anywhere in the name (天猫销售明细.csv:
Chinese names rarely start with the table). ``CHINESE_WEAK`` words count only when none of
these is in the name: 商品 (product) qualifies many names (商品销售明细 is sales)."""
CHINESE_WEAK: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("items", ("商品", "产品", "货品")),
    ("stores", ("门店", "店铺")),
)
FILENAME_HINT = ("sales*, items*, promotions*, events*, inventory*, orders* or stores* (or a "
                 "Chinese name with 销售/销量, 商品, 活动/促销, 日历/节日, 库存, 订单 or 门店)")
"""How a file name tells its table, for the messages."""


def table_candidates(filename: str) -> list[str]:
    """The tables a file's name points to: one for a name that tells its table, none, or
    several for a Chinese name with the words of more than one (促销销量.csv)."""
    base = filename.replace("\\", "/").rsplit("/", 1)[-1].lower()
    for name in sorted(TABLES, key=len, reverse=True):
        if base.startswith(name):
            return [name]
    aliases = {"promos": "promotions", "promo": "promotions", "stock": "inventory",
               "products": "items", "product": "items", "transactions": "orders",
               "holidays": "events", "calendar": "events"}
    for prefix, name in aliases.items():
        if base.startswith(prefix):
            return [name]
    stem = base.split(".", 1)[0]
    for words in (CHINESE_NAMES, CHINESE_WEAK):
        found = [name for name, keys in words if any(k in stem for k in keys)]
        if found:
            return found
    return []


def table_for_filename(filename: str) -> str | None:
    """The table a file feeds, told from its name (``sales_2024.csv`` -> ``sales``,
    ``销售明细.csv`` -> ``sales``); None when the name tells none or several."""
    found = table_candidates(filename)
    return found[0] if len(found) == 1 else None
