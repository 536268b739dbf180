"""Customers and order lines of the demo shop's online store.

The online store's daily units per item are cut into order lines of 1-3 units and handed to
customers, so that summing the order lines of a day gives back the sales table exactly. Who buys
is not random noise: customers join over time and some churn, their buying frequency differs by
orders of magnitude, each prefers a few categories and brands, and deal seekers take most of
the promoted units. That is what makes RFM segments, "buys again within 30 days" and item
recommendations learnable from ``orders.csv``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

LINE_SIZES = (1, 2, 3)
LINE_SIZE_ODDS = (0.55, 0.30, 0.15)
HOUR_WEIGHTS = np.array(
    [2, 1, 0.5, 0.3, 0.2, 0.3, 0.8, 2, 3, 4, 5, 5, 6, 5, 4, 4, 4, 4.5, 5, 6, 8, 9, 8, 5],
    dtype=float,
)
"""Orders by hour of day: lunch break and evening peaks."""
LINES_PER_VISIT = 1.4
"""Order lines per shopping customer and day (before customers who end up buying nothing)."""
FESTIVAL_HOUR_WEIGHTS = HOUR_WEIGHTS + np.array([30] + [0] * 23)
"""On festival days a crowd pays at midnight when the deals open."""


@dataclass
class Customers:
    """The customer base and its true behaviour (written to ground_truth_customers.parquet)."""

    join: np.ndarray  # first day index a customer can buy
    churn: np.ndarray  # first day index a customer no longer buys (beyond the end: never)
    activity: np.ndarray  # relative buying frequency
    responsiveness: np.ndarray  # extra weight on promoted units (deal seekers: high)
    brand_preference: np.ndarray  # (customers, brands) category share x brand share
    brand_category: np.ndarray  # (brands,) the category each brand sells in

    def truth(self, dates: pd.DatetimeIndex) -> pd.DataFrame:
        """One row per customer: join and churn dates, frequency, deal seeking, favourite
        category (the largest share of their taste)."""
        n_days = len(dates)
        categories, codes = np.unique(self.brand_category, return_inverse=True)
        shares = np.zeros((len(self.join), len(categories)))
        np.add.at(shares.T, codes, self.brand_preference.T)
        return pd.DataFrame(
            {
                "customer_id": customer_ids(len(self.join)),
                "join_date": dates[np.minimum(self.join, n_days - 1)].strftime("%Y-%m-%d"),
                "churn_date": [
                    dates[c].strftime("%Y-%m-%d") if c < n_days else None for c in self.churn
                ],
                "activity": np.round(self.activity, 4),
                "promo_responsiveness": np.round(self.responsiveness, 4),
                "deal_seeker": self.responsiveness > 1.5,
                "favourite_category": categories[shares.argmax(axis=1)],
            }
        )


def customer_ids(n: int) -> np.ndarray:
    return np.char.add("C", np.char.zfill(np.arange(1, n + 1).astype(str), 6))


def make_customers(
    rng: np.random.Generator, n_customers: int, n_days: int, brand_category: np.ndarray
) -> Customers:
    """Draw customers: 30 % already there on day one, the rest joining over the history; about
    40 % leave (churn) after an exponential lifetime; lognormal frequency; Dirichlet tastes."""
    join = np.where(rng.random(n_customers) < 0.3, 0, rng.integers(0, max(n_days, 1), n_customers))
    leaves = rng.random(n_customers) < 0.4
    churn = np.where(
        leaves, join + 14 + rng.exponential(240, n_customers).astype(int), 10 * n_days + 1
    )
    activity = rng.lognormal(0.0, 1.2, n_customers)
    deal = rng.random(n_customers) < 0.25
    responsiveness = np.where(
        deal, rng.uniform(2.0, 6.0, n_customers), rng.uniform(0.0, 0.5, n_customers)
    )
    categories, codes = np.unique(brand_category, return_inverse=True)
    category_share = rng.dirichlet(np.full(len(categories), 0.35), n_customers)
    brand_share = rng.gamma(0.6, 1.0, (n_customers, len(brand_category))) + 1e-6
    totals = np.zeros((n_customers, len(categories)))
    np.add.at(totals.T, codes, brand_share.T)
    preference = category_share[:, codes] * brand_share / totals[:, codes]
    return Customers(
        join, churn.astype(np.int64), activity, responsiveness, preference, brand_category
    )


def split_into_lines(
    rng: np.random.Generator, quantity: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Cut each positive quantity into lines of 1-3 units; returns (cell of each line, its
    quantity), the lines of a cell adding up to the cell's quantity exactly."""
    quantity = quantity.astype(np.int64)
    total = int(quantity.sum())
    cell = np.repeat(np.arange(len(quantity)), quantity)
    sizes = rng.choice(np.array(LINE_SIZES), size=total, p=np.array(LINE_SIZE_ODDS))
    running = np.cumsum(sizes)
    first = np.cumsum(quantity) - quantity
    offset = running[first] - sizes[first]
    before = running - offset[cell] - sizes  # units already in earlier lines of the cell
    keep = before < quantity[cell]
    line_quantity = np.minimum(sizes, quantity[cell] - before)
    return cell[keep], line_quantity[keep]


def _assign_customers(
    rng: np.random.Generator,
    customers: Customers,
    day: np.ndarray,
    brand: np.ndarray,
    promoted: np.ndarray,
) -> np.ndarray:
    """Pick a buyer for every line, day by day.

    First who shops that day: about one active customer per LINES_PER_VISIT lines, drawn
    without replacement with weight activity x (1 + responsiveness x share of promoted lines),
    so frequent buyers come back often and deal seekers come on deal days. Then each line goes
    to one of them with weight taste for the brand x (1 + responsiveness when promoted): one
    searchsorted over the end-to-end cumulative weights of every (promoted, brand) column.
    """
    n_brands = customers.brand_preference.shape[1]
    group = promoted.astype(np.int64) * n_brands + brand
    order = np.argsort(day, kind="stable")
    cuts = np.flatnonzero(np.diff(day[order])) + 1
    buyer = np.empty(len(day), dtype=np.int64)
    everyone = np.arange(len(customers.join))
    for lines in np.split(order, cuts):
        d = int(day[lines[0]])
        alive = np.flatnonzero((customers.join <= d) & (customers.churn > d))
        if not len(alive):
            alive = everyone
        n_visits = min(max(int(round(len(lines) / LINES_PER_VISIT)), 1), len(alive))
        deal_share = float(promoted[lines].mean())
        appetite = customers.activity[alive] * (1.0 + customers.responsiveness[alive] * deal_share)
        keys = rng.exponential(1.0, len(alive)) / appetite
        visitors = (
            alive[np.argpartition(keys, n_visits - 1)[:n_visits]]
            if n_visits < len(alive)
            else alive
        )
        taste = customers.brand_preference[visitors]
        matrix = np.concatenate(
            [taste, taste * (1.0 + customers.responsiveness[visitors, None])], axis=1
        )
        cumulative = np.cumsum(matrix, axis=0)
        totals = cumulative[-1]
        offsets = np.concatenate([[0.0], np.cumsum(totals)[:-1]])
        flat = (cumulative + offsets).T.ravel()
        g = group[lines]
        draws = offsets[g] + rng.random(len(lines)) * totals[g]
        pick = np.searchsorted(flat, draws, side="right") - g * len(visitors)
        buyer[lines] = visitors[np.clip(pick, 0, len(visitors) - 1)]
    return buyer


def _runs(*keys: np.ndarray) -> np.ndarray:
    """True where a row of already sorted keys differs from the previous row."""
    change = np.zeros(len(keys[0]), dtype=bool)
    if len(change):
        change[0] = True
    for key in keys:
        change[1:] |= key[1:] != key[:-1]
    return change


def _rank_in_run(change: np.ndarray) -> np.ndarray:
    """0, 1, 2 ... within each run of a sorted array (``change`` marks run starts)."""
    position = np.arange(len(change))
    return position - np.maximum.accumulate(np.where(change, position, 0))


def simulate_orders(
    rng: np.random.Generator,
    *,
    units: np.ndarray,
    price: np.ndarray,
    base_price: np.ndarray,
    promo_index: np.ndarray,
    promotions: pd.DataFrame,
    item_ids: np.ndarray,
    item_brand: np.ndarray,
    customers: Customers,
    dates: pd.DatetimeIndex,
    festival_days: set[int],
    store_id: str,
    day_offset: int = 0,
    first_order: int = 1,
) -> pd.DataFrame:
    """orders.csv rows for one store whose daily units (items, days) they add up to exactly.

    The arrays cover days ``day_offset ..`` of ``dates`` (the history is done in chunks);
    order numbers start at ``first_order``. unit_price is the price paid that day; discount is
    the money off the line: the price cut times the quantity, plus its share of a
    spend-X-save-Y reduction when the order's lines under that promotion reach the threshold.
    A customer buying the same item twice on one day places two orders. Timestamps are
    ``datetime64[s]`` (written as YYYY-MM-DD HH:MM:SS); identifiers are categoricals (cheap to
    build and to write).
    """
    local_idx, item_idx = np.nonzero(units.T > 0)
    cell, quantity = split_into_lines(rng, units[item_idx, local_idx])
    item, local = item_idx[cell], local_idx[cell]
    day = local + day_offset
    buyer = _assign_customers(rng, customers, day, item_brand[item], promo_index[item, local] >= 0)

    by_item = np.lexsort((item, buyer, day))
    visit = np.empty(len(day), dtype=np.int64)
    visit[by_item] = _rank_in_run(_runs(day[by_item], buyer[by_item], item[by_item]))
    order = np.lexsort((item, visit, buyer, day))
    item, day, buyer, visit, quantity = (
        item[order],
        day[order],
        buyer[order],
        visit[order],
        quantity[order],
    )
    starts = _runs(day, buyer, visit)
    basket = np.cumsum(starts) - 1
    basket_day = day[starts]
    festival = np.isin(
        basket_day, np.fromiter(festival_days, dtype=np.int64, count=len(festival_days))
    )
    hours = np.where(
        festival,
        rng.choice(24, len(basket_day), p=FESTIVAL_HOUR_WEIGHTS / FESTIVAL_HOUR_WEIGHTS.sum()),
        rng.choice(24, len(basket_day), p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum()),
    )
    second = hours * 3600 + rng.integers(0, 3600, len(basket_day))
    number = np.empty(len(basket_day), dtype=np.int64)
    number[np.lexsort((np.arange(len(basket_day)), second, basket_day))] = np.arange(
        len(basket_day)
    )
    line_order = number[basket]
    final = np.argsort(line_order, kind="stable")  # items stay sorted inside an order
    item, day, buyer, quantity = item[final], day[final], buyer[final], quantity[final]
    line_order, second = line_order[final], second[basket[final]]
    line = _rank_in_run(_runs(line_order)) + 1

    local = day - day_offset
    paid = price[item, local]
    discount = (base_price[item, local] - paid) * quantity
    promo = promo_index[item, local]
    kinds = np.append(promotions["promo_type"].to_numpy(dtype=object), "")
    threshold = kinds[promo] == "threshold"
    if threshold.any():
        value = paid[threshold] * quantity[threshold]
        _, group = np.unique(
            line_order[threshold] * (len(promotions) + 1) + promo[threshold], return_inverse=True
        )
        basket_value = np.bincount(group, weights=value)[group]
        bar = promotions["threshold_amount"].to_numpy(float)[promo[threshold]]
        off = promotions["amount_off"].to_numpy(float)[promo[threshold]]
        discount[threshold] += np.where(basket_value >= bar, off * value / basket_value, 0.0)
    numbers = np.arange(first_order, first_order + len(number)).astype(str)
    return pd.DataFrame(
        {
            "order_id": pd.Categorical.from_codes(
                line_order, np.char.add("O", np.char.zfill(numbers, 8))
            ),
            "line": line,
            "customer_id": pd.Categorical.from_codes(buyer, customer_ids(len(customers.join))),
            "timestamp": dates.to_numpy().astype("datetime64[s]")[day]
            + second.astype("timedelta64[s]"),
            "item_id": pd.Categorical.from_codes(item, item_ids),
            "quantity": quantity,
            "unit_price": np.round(paid, 2),
            "discount": np.round(discount, 2) + 0.0,
            "store_id": store_id,
        }
    )
