"""Mapping a shop's column headers onto the canonical names.

Headers are matched case-insensitively after trimming. A user's mapping (``--map src=dst`` or a
YAML / JSON file) wins over the built-in synonyms, which cover the usual English and Chinese
exports (淘宝 / 京东 / 有赞 back-ends, ERP reports) so they load without any mapping.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from promocast.exceptions import UsageError

SYNONYMS: dict[str, tuple[str, ...]] = {
    "date": ("day", "sale_date", "sales_date", "order_date", "week", "week_start", "period",
             "日期", "销售日期", "业务日期", "时间", "周", "统计日期"),
    "item_id": ("item", "sku", "sku_id", "product_id", "product", "article", "item_code",
                "stockcode", "商品编码", "商品id", "商品ID", "商品编号", "货号", "sku编码",
                "skuid", "商品代码", "物料编码", "商品", "产品", "产品编码"),
    "store_id": ("store", "shop", "shop_id", "channel", "outlet", "location", "门店", "门店编码",
                 "门店id", "店铺", "店铺id", "渠道", "仓库"),
    "units": ("qty", "quantity_sold", "sales_qty", "sales_units", "unit_sales", "volume", "sales",
              "销量", "销售数量", "数量", "件数", "销售量"),
    "price": ("unit_price", "selling_price", "sell_price", "actual_price", "paid_price",
              "单价", "成交价", "售价", "实付单价", "销售单价", "价格", "成交价格", "实际价格"),
    "base_price": ("regular_price", "list_price", "original_price", "shelf_price", "msrp",
                   "原价", "吊牌价", "标价", "零售价"),
    "on_promo": ("promo", "promotion", "is_promo", "promo_flag", "on_promotion", "是否促销",
                 "促销"),
    "promo_id": ("promotion_id", "campaign_id", "活动id", "活动ID", "活动编码", "促销编码"),
    "name": ("item_name", "product_name", "description", "title", "商品名称", "名称", "品名"),
    "category": ("cat", "category_name", "cat_id", "dept", "department", "品类", "类目",
                 "分类", "商品类目"),
    "brand": ("brand_name", "品牌"),
    "unit_cost": ("cost", "cost_price", "purchase_price", "成本", "成本价", "进价", "采购价"),
    "launch_date": ("launch", "release_date", "listing_date", "上市日期", "上架日期"),
    "promo_type": ("type", "mechanism", "promotion_type", "活动类型", "促销类型", "促销方式"),
    "start_date": ("start", "begin", "begin_date", "from", "开始日期", "开始时间"),
    "end_date": ("end", "to", "finish", "结束日期", "结束时间"),
    "discount_pct": ("discount_percent", "pct_off", "percent_off", "折扣率", "折扣力度"),
    "threshold_amount": ("threshold", "spend", "min_spend", "满", "门槛", "满额"),
    "amount_off": ("save", "money_off", "减", "减额", "优惠金额"),
    "gift_value": ("gift", "赠品价值"),
    "feature": ("featured", "feature_ad", "feat", "广告", "首页推荐"),
    "display": ("in_display", "disp", "陈列", "堆头"),
    "fixed_cost": ("promo_cost", "campaign_cost", "费用", "活动费用"),
    "event": ("event_name", "holiday", "节日", "事件", "活动名称"),
    "on_hand": ("stock", "stock_on_hand", "inventory", "inventory_level", "soh", "qty_on_hand",
                "库存", "库存数量", "现有库存", "期末库存"),
    "order_id": ("order", "order_no", "invoice", "invoiceno", "invoice_no", "订单号", "订单编号"),
    "line": ("line_no", "line_number", "行号"),
    "customer_id": ("customer", "customerid", "client_id", "user_id", "member_id", "buyer_id",
                    "客户id", "客户ID", "会员id", "会员ID", "用户id", "买家id", "客户编码"),
    "timestamp": ("order_time", "datetime", "invoicedate", "order_timestamp", "created_at",
                  "下单时间", "订单时间", "付款时间", "支付时间"),
    "quantity": ("qty_ordered", "购买数量", "订购数量"),
    "discount": ("discount_amount", "coupon", "优惠", "折扣金额"),
    "status": ("order_status", "financial_status", "payment_status", "trade_status",
               "订单状态", "交易状态", "状态"),
    "channel": ("销售渠道",),
    "size": ("store_size", "area", "面积"),
    "country": ("国家",),
}


def _norm(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", str(name).strip().lower())


_SYNONYM_INDEX: dict[str, str] = {}
_SYNONYM_RANK: dict[str, int] = {}
"""A synonym's place in its list: where two headers of a file could take one canonical name,
the earlier synonym does (商品编码, the item code, before 商品, a bare "product")."""
for _canonical, _names in SYNONYMS.items():
    for _rank, _name in enumerate((_canonical, *_names)):
        _SYNONYM_INDEX.setdefault(_norm(_name), _canonical)
        _SYNONYM_RANK.setdefault(_norm(_name), _rank)


def parse_map_options(options: list[str] | None) -> dict[str, str]:
    """``["销量=units", "SKU=item_id"]`` -> ``{"销量": "units", "SKU": "item_id"}``."""
    mapping: dict[str, str] = {}
    for option in options or []:
        if "=" not in option:
            raise UsageError(f"--map takes src=dst, got {option!r}")
        src, dst = (part.strip() for part in option.split("=", 1))
        if not src or not dst:
            raise UsageError(f"--map takes src=dst, got {option!r}")
        mapping[src] = dst
    return mapping


@dataclass
class UserMapping:
    """A user's mapping of source headers onto canonical columns, per table.

    ``common``: entries for every table (a flat mapping file, and its top-level entries);
    ``tables``: per-table sections of a nested file (``{sales: {件数: units}, orders: {件数:
    quantity}}``); ``options``: ``--map`` entries, which win over the file. A table's mapping
    (``for_table``) is, from weakest to strongest: the other sections' entries whose target
    is a column of that table (an id header such as 商品SKU: item_id written once under
    ``sales:`` also maps the items and promotions files; an entry naming another table's
    column is left to that table), ``common``, its own section, ``options``."""

    common: dict[str, str] = field(default_factory=dict)
    tables: dict[str, dict[str, str]] = field(default_factory=dict)
    options: dict[str, str] = field(default_factory=dict)

    def for_table(self, table: str, columns: Iterable[str]) -> dict[str, str]:
        """``{source header: canonical name}`` for a file of ``table`` (``columns``: the
        table's canonical columns)."""
        known = set(columns)
        out: dict[str, str] = {}
        for other, section in self.tables.items():
            if other == table:
                continue
            for src, dst in section.items():
                if dst in known and _norm(src) not in {_norm(k) for k in out}:
                    out[src] = dst
        for layer in (self.common, self.tables.get(table, {}), self.options):
            for src, dst in layer.items():
                for key in [k for k in out if _norm(k) == _norm(src)]:
                    del out[key]
                out[src] = dst
        return out


def load_mapping_file(path: Path, tables: Iterable[str] = ()) -> UserMapping:
    """A YAML or JSON mapping ``{source column: canonical column}``, or per table
    ``{table: {src: dst}}`` (both may be mixed: top-level entries apply to every table).
    ``tables``: the table names a section may have (refused otherwise)."""
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise UsageError(f"cannot read the mapping file {path}: {exc}") from None
    if not isinstance(data, dict):
        raise UsageError(f"the mapping file {path} must hold a mapping of src: dst")
    names = list(tables)
    mapping = UserMapping()
    for key, value in data.items():
        if isinstance(value, dict):
            if names and str(key) not in names:
                raise UsageError(f"the mapping file {path}: section {str(key)!r} is not a table "
                                 f"(tables: {', '.join(names)}); write src: dst pairs under a "
                                 "table's name, or at the top level for every table")
            mapping.tables[str(key)] = {str(k): str(v) for k, v in value.items()}
        else:
            mapping.common[str(key)] = str(value)
    return mapping


def canonical_names(columns: list[str], known: set[str], user_map: dict[str, str] | None = None,
                    ) -> dict[str, str]:
    """``{original header: canonical name}`` for every header that maps to one of ``known``.

    A header already canonical keeps its name; a user mapping wins; then synonyms. A synonym
    never takes a canonical name that another header of the file already has.
    """
    user = {_norm(k): v for k, v in (user_map or {}).items()}
    normalised = {col: _norm(col) for col in columns}
    taken = {n for n in normalised.values() if n in known and n not in user}
    result: dict[str, str] = {}
    for col, norm in normalised.items():
        if norm in user:
            result[col] = user[norm]
        elif norm in known:
            result[col] = norm
    for col, norm in sorted(normalised.items(), key=lambda c: _SYNONYM_RANK.get(c[1], 0)):
        if col in result:
            continue
        target = _SYNONYM_INDEX.get(norm)
        if target in known and target not in taken and target not in result.values():
            result[col] = target
            taken.add(target)
    return result
