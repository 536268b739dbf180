"""Recommendations from order lines: items bought together, top-N items per customer, and new
items (no purchase history yet) matched to customers by category / brand / name similarity.

Top-N per customer is item-to-item collaborative filtering on the customer x item matrix
(scipy sparse, weights log(1 + purchase days), optionally decayed with age). Two item-to-item
models: ``ease`` (Steck 2019, "Embarrassingly Shallow Autoencoders": a ridge regression of each
item on all others, closed form with numpy; strong on shop data and one matrix inverse of the
catalogue) and ``cosine`` (classic item-kNN, Deshpande & Karypis 2004: cheaper for very large
catalogues). Both are a learned item x item weight matrix W; a customer's scores are x W.
Items a customer already bought are left out of their list by default: a recommender is for
discovery, and the customer's own history is the "buy again" list.

Evaluation on a time split (``hit_rate``): train on orders before the split; for each customer
with history, the held-out items are the items of their first purchase day after the split that
they had never bought; hit-rate@k = the share of held-out items in the customer's top k,
averaged over customers (the expectation of the classic leave-one-out hit-rate of Deshpande &
Karypis / He et al. over the next basket). The popularity baseline ranks items by the number of
customers who bought them before the split, under the same rules. Also reported: the share of
customers with at least one held-out item in their list (a looser, per-customer hit-rate that
large baskets make easy for popularity too).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from promocast.data.order_status import sold_lines

METHODS = ("ease", "cosine")
CHUNK = 2048
"""Customers scored at a time (bounds the dense score block to CHUNK x items)."""


@dataclass(frozen=True)
class Interactions:
    """A customer x item matrix with its row and column labels."""

    matrix: sp.csr_matrix
    customers: pd.Index
    items: pd.Index

    def row(self, customer_id: str) -> int:
        return int(self.customers.get_loc(customer_id))


def purchase_days(lines: pd.DataFrame) -> pd.DataFrame:
    """Order lines -> one row per (customer, item, day) bought: customer_id, item_id, day.
    Guest lines, returns, free lines and lines not sold (cancelled, unpaid, ...) are left out
    (see ``customers.orders``)."""
    lines = sold_lines(lines)
    bought = lines[lines["customer_id"].notna() & (lines["quantity"] > 0)
                   & (lines["unit_price"].fillna(0.0) > 0)]
    days = pd.DataFrame({"customer_id": bought["customer_id"].astype(str),
                         "item_id": bought["item_id"].astype(str),
                         "day": pd.to_datetime(bought["timestamp"]).dt.normalize()})
    return days.drop_duplicates().reset_index(drop=True)


def interaction_matrix(days: pd.DataFrame, *, as_of: pd.Timestamp | None = None,
                       half_life_days: float | None = None,
                       items: pd.Index | None = None) -> Interactions:
    """Customer x item weights log(1 + purchase days) from ``purchase_days`` rows before
    ``as_of``; with ``half_life_days`` each purchase day counts 0.5 ** (age / half life), so
    recent tastes weigh more."""
    if as_of is not None:
        days = days[days["day"] < as_of]
    customers = pd.Index(np.sort(days["customer_id"].unique()), name="customer_id")
    items = items if items is not None else pd.Index(np.sort(days["item_id"].unique()),
                                                       name="item_id")
    col = items.get_indexer(days["item_id"])
    keep = col >= 0
    days, col = days[keep], col[keep]
    weight = np.ones(len(days))
    if half_life_days:
        reference = as_of if as_of is not None else days["day"].max() + pd.Timedelta(days=1)
        age = (reference - days["day"]).dt.days.to_numpy(float)
        weight = 0.5 ** (age / half_life_days)
    matrix = sp.csr_matrix((weight, (customers.get_indexer(days["customer_id"]), col)),
                           shape=(len(customers), len(items)))
    matrix.sum_duplicates()
    matrix.data = np.log1p(matrix.data)
    return Interactions(matrix, customers, items)


def popularity(interactions: Interactions) -> np.ndarray:
    """Customers who bought each item (the baseline every recommender must beat)."""
    return np.asarray((interactions.matrix > 0).sum(axis=0)).ravel().astype(float)


class ItemToItem:
    """Item-to-item recommender (``ease`` or ``cosine``), scikit-learn style.

    ``l2``: EASE's ridge penalty (larger = smoother, less overfit to rare pairs);
    ``max_items``: only the most bought items get a row/column of W (EASE inverts a
    max_items^2 matrix: 4,000 items take about 1.5 s on one core)."""

    def __init__(self, *, method: str = "ease", l2: float = 200.0, max_items: int = 5000) -> None:
        self.method = method
        self.l2 = l2
        self.max_items = max_items

    def fit(self, interactions: Interactions) -> ItemToItem:
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {', '.join(METHODS)}; got {self.method!r}")
        if self.l2 <= 0:
            raise ValueError(f"l2 must be > 0; got {self.l2}")
        counts = popularity(interactions)
        keep = np.sort(np.argsort(-counts, kind="stable")[: self.max_items])
        binary = (interactions.matrix[:, keep] > 0).astype(np.float64)
        gram = (binary.T @ binary).toarray()
        if self.method == "ease":
            gram[np.diag_indices_from(gram)] += self.l2
            inverse = _spd_inverse(gram)
            weights = -inverse / np.diag(inverse)
        else:
            norms = np.sqrt(np.diag(gram)) + 1e-12
            weights = gram / norms[:, None] / norms[None, :]
        np.fill_diagonal(weights, 0.0)
        self.items_ = interactions.items[keep]
        self.columns_ = keep
        self.weights_ = weights.astype(np.float32)
        self.popularity_ = counts
        return self

    def _check(self) -> None:
        if not hasattr(self, "weights_"):
            from sklearn.exceptions import NotFittedError

            raise NotFittedError("ItemToItem is not fitted: call fit(interactions) first")

    def scores(self, interactions: Interactions, rows: np.ndarray) -> np.ndarray:
        """Dense scores (len(rows) x len(items_)) for customers ``rows`` of ``interactions``
        (whose items must be those the model was fitted on)."""
        self._check()
        x = interactions.matrix[rows][:, self.columns_]
        return np.asarray(x @ self.weights_)

    def recommend(self, interactions: Interactions, *, customers: list[str] | None = None,
                  top: int = 10, exclude_bought: bool = True) -> pd.DataFrame:
        """customer_id, rank, item_id, score: each customer's top items."""
        self._check()
        rows = (np.arange(len(interactions.customers)) if customers is None
                else interactions.customers.get_indexer(customers))
        rows = rows[rows >= 0]
        parts = []
        for start in range(0, len(rows), CHUNK):
            block = rows[start:start + CHUNK]
            score = self.scores(interactions, block)
            # ties (customers with no signal) fall back on popularity
            score = score + 1e-9 * self.popularity_[self.columns_] / max(self.popularity_.max(), 1)
            if exclude_bought:
                bought = interactions.matrix[block][:, self.columns_] > 0
                score[bought.nonzero()] = -np.inf
            parts.append(_top_k(score, block, top))
        if not parts:
            return pd.DataFrame(columns=["customer_id", "rank", "item_id", "score"])
        row, col, value, rank = (np.concatenate(p) for p in zip(*parts, strict=True))
        out = pd.DataFrame({"customer_id": interactions.customers[row], "rank": rank + 1,
                            "item_id": self.items_[col], "score": value})
        return out[np.isfinite(out["score"])].reset_index(drop=True)


def _spd_inverse(matrix: np.ndarray) -> np.ndarray:
    """Inverse of a symmetric positive definite matrix through its Cholesky factor in single
    precision (LAPACK potrf + potri): about 4x faster than a float64 LU inverse, and the ridge
    penalty on the diagonal keeps the conditioning far from float32's limits."""
    from scipy.linalg import lapack

    factor, info = lapack.spotrf(matrix.astype(np.float32), lower=False)
    if info == 0:
        inverse, info = lapack.spotri(factor, lower=False)
    if info != 0:  # not positive definite in float32: fall back on the general inverse
        return np.linalg.inv(matrix)
    upper = np.triu(inverse)
    return (upper + np.triu(upper, 1).T).astype(np.float64)


def _top_k(score: np.ndarray, rows: np.ndarray, k: int
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(row label, column, score, rank) of each row's k best columns, best first."""
    k = min(k, score.shape[1])
    if k <= 0:
        empty = np.array([], dtype=int)
        return empty, empty, np.array([]), empty
    part = np.argpartition(-score, k - 1, axis=1)[:, :k]
    values = np.take_along_axis(score, part, axis=1)
    order = np.argsort(-values, axis=1, kind="stable")
    cols = np.take_along_axis(part, order, axis=1)
    values = np.take_along_axis(values, order, axis=1)
    n = len(rows)
    return (np.repeat(rows, k), cols.ravel(), values.ravel(), np.tile(np.arange(k), n))


# -- evaluation -------------------------------------------------------------------------------
def held_out_items(days: pd.DataFrame, train: Interactions, split: pd.Timestamp,
                   *, new_only: bool = True) -> pd.DataFrame:
    """customer_id, item_id: each training customer's items of their first purchase day on or
    after ``split`` (only items they never bought before when ``new_only``)."""
    after = days[(days["day"] >= split) & days["customer_id"].isin(train.customers)]
    first = after.groupby("customer_id")["day"].transform("min")
    target = after[after["day"] == first][["customer_id", "item_id"]]
    if new_only:
        rows = train.customers.get_indexer(target["customer_id"])
        cols = train.items.get_indexer(target["item_id"])
        known = cols >= 0
        bought = np.zeros(len(target), dtype=bool)
        if known.any():
            bought[known] = np.asarray(train.matrix[rows[known], cols[known]]).ravel() > 0
        target = target[~bought]
    return target.reset_index(drop=True)


def hit_rate(recommended: pd.DataFrame, held_out: pd.DataFrame, *, any_hit: bool = False
             ) -> float:
    """Mean over customers with held-out items of the share of them in the customer's list
    (``any_hit``: the share of customers with at least one of them in their list)."""
    if held_out.empty:
        return float("nan")
    found = held_out.merge(recommended[["customer_id", "item_id"]], how="left",
                           on=["customer_id", "item_id"], indicator=True)
    hits = (found["_merge"] == "both").groupby(found["customer_id"])
    return float((hits.max() if any_hit else hits.mean()).mean())


def popularity_lists(train: Interactions, customers: list[str], top: int,
                     exclude_bought: bool = True) -> pd.DataFrame:
    """The baseline: the most bought items each customer has not bought yet."""
    counts = popularity(train)
    rows = train.customers.get_indexer(customers)
    parts = []
    for start in range(0, len(rows), CHUNK):
        block = rows[start:start + CHUNK]
        score = np.tile(counts, (len(block), 1))
        if exclude_bought:
            score[(train.matrix[block] > 0).nonzero()] = -np.inf
        parts.append(_top_k(score, block, top))
    if not parts:
        return pd.DataFrame(columns=["customer_id", "rank", "item_id", "score"])
    row, col, value, rank = (np.concatenate(p) for p in zip(*parts, strict=True))
    return pd.DataFrame({"customer_id": train.customers[row], "rank": rank + 1,
                         "item_id": train.items[col], "score": value})


def evaluate_time_split(days: pd.DataFrame, split: pd.Timestamp, *, k: int = 10,
                        method: str = "ease", half_life_days: float | None = None,
                        l2: float = 200.0) -> dict:
    """Hit-rate@k of the item-to-item model and of popularity on the same time split, for new
    items of the next purchase (the headline) and for any item of it (repeat purchases allowed
    in the lists)."""
    train = interaction_matrix(days, as_of=split, half_life_days=half_life_days)
    model = ItemToItem(method=method, l2=l2).fit(train)
    out: dict = {"split_date": str(pd.Timestamp(split).date()), "k": k, "method": method,
                 "train_customers": int(len(train.customers)), "items": int(len(model.items_))}
    for name, new_only in (("new_items", True), ("any_item", False)):
        held = held_out_items(days, train, split, new_only=new_only)
        customers = sorted(held["customer_id"].unique())
        ours = model.recommend(train, customers=customers, top=k, exclude_bought=new_only)
        base = popularity_lists(train, customers, k, exclude_bought=new_only)
        model_rate, base_rate = hit_rate(ours, held), hit_rate(base, held)
        model_any, base_any = hit_rate(ours, held, any_hit=True), hit_rate(base, held,
                                                                           any_hit=True)
        out[name] = {"customers": len(customers), "held_out": int(len(held)),
                     "hit_rate": _rounded(model_rate), "popularity_hit_rate": _rounded(base_rate),
                     "ratio": round(model_rate / base_rate, 3) if base_rate > 0 else None,
                     "customers_with_a_hit": _rounded(model_any),
                     "popularity_customers_with_a_hit": _rounded(base_any)}
    return out


def _rounded(value: float) -> float | None:
    """JSON-ready: None where nothing could be measured (no held-out items)."""
    return None if np.isnan(value) else round(value, 4)


# -- bought together --------------------------------------------------------------------------
def bought_together(lines: pd.DataFrame, *, min_orders: int = 5, top: int = 50,
                    max_items: int = 5000) -> pd.DataFrame:
    """Item pairs found in the same orders: item_a, item_b, orders (both), support (share of
    orders), confidence (P(b | a)) and lift (confidence / P(b)); the pairs with the highest
    lift among those in at least ``min_orders`` orders, each pair once (a < b). Pairs bought
    together no more often than chance (lift <= 1) are not "bought together" and are left
    out (a shop of random baskets listed pairs at lift 0.8). Lines not sold are no basket."""
    lines = sold_lines(lines)
    bought = lines[(lines["quantity"] > 0)][["order_id", "item_id"]].astype(str).drop_duplicates()
    counts = bought["item_id"].value_counts()
    items = pd.Index(np.sort(counts.index[:max_items].to_numpy()))
    bought = bought[bought["item_id"].isin(items)]
    orders = pd.Index(bought["order_id"].unique())
    basket = sp.csr_matrix((np.ones(len(bought)), (orders.get_indexer(bought["order_id"]),
                                                   items.get_indexer(bought["item_id"]))),
                           shape=(len(orders), len(items)))
    together = sp.triu(basket.T @ basket, k=1).tocoo()
    per_item = np.asarray(basket.sum(axis=0)).ravel()
    n = max(len(orders), 1)
    keep = (together.data >= min_orders) & (
        together.data * n > per_item[together.row] * per_item[together.col])
    a, b, both = together.row[keep], together.col[keep], together.data[keep]
    frame = pd.DataFrame({"item_a": items[a], "item_b": items[b], "orders": both.astype(int),
                          "support": both / n, "confidence": both / per_item[a],
                          "lift": both * n / (per_item[a] * per_item[b])})
    return frame.sort_values(["lift", "orders"], ascending=False).head(top).reset_index(drop=True)


# -- new items --------------------------------------------------------------------------------
def item_documents(items: pd.DataFrame) -> pd.Series:
    """Each item as words: ``cat:<category>``, ``brand:<brand>`` and the words of its name."""
    def token(prefix: str, values: pd.Series) -> pd.Series:
        text = values.fillna("").astype(str).str.strip().str.lower().str.replace(r"\s+", "_",
                                                                                 regex=True)
        return (prefix + text).where(text != "", "")

    cat = token("cat:", items["category"]) if "category" in items else ""
    brand = token("brand:", items["brand"]) if "brand" in items else ""
    name = items["name"].fillna("").astype(str).str.lower() if "name" in items else ""
    docs = (pd.Series(cat, index=items.index) + " " + pd.Series(brand, index=items.index)
            + " " + pd.Series(name, index=items.index))
    return pd.Series(docs.to_numpy(), index=items["item_id"].astype(str).to_numpy())


def content_similarity(items: pd.DataFrame, new_items: list[str], known: pd.Index
                       ) -> np.ndarray:
    """Cosine similarity (new x known) of TF-IDF item documents: category and brand tokens
    and name words, so an item shares most with items of its brand and category."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import cosine_similarity

    docs = item_documents(items)
    docs = docs[~docs.index.duplicated()]
    vectorizer = TfidfVectorizer(token_pattern=r"[^\s]{2,}", sublinear_tf=True)
    matrix = vectorizer.fit_transform(docs.to_numpy())
    position = pd.Index(docs.index)
    new_rows = matrix[position.get_indexer(new_items)]
    known_pos = position.get_indexer(known)
    known_rows = matrix[np.clip(known_pos, 0, None)]
    sim = cosine_similarity(new_rows, known_rows)
    sim[:, known_pos < 0] = 0.0
    return sim


def new_item_recommendations(items: pd.DataFrame, interactions: Interactions,
                             new_items: list[str], *, top: int = 10) -> pd.DataFrame:
    """For each item without purchase history: the ``top`` customers whose purchases are most
    similar to it in category / brand / name (item_id, rank, customer_id, score). A customer's
    score = sum over their items of weight x content similarity, the cold-start twin of
    item-to-item."""
    described = set(items["item_id"].astype(str))
    new_items = [i for i in new_items if i in described]
    if not new_items or not len(interactions.customers):
        return pd.DataFrame(columns=["item_id", "rank", "customer_id", "score"])
    sim = content_similarity(items, new_items, interactions.items)  # new x known
    score = np.asarray(interactions.matrix @ sim.T)  # customers x new
    rows, cols, values, rank = _top_k(score.T, np.arange(len(new_items)), top)
    out = pd.DataFrame({"item_id": np.asarray(new_items)[rows], "rank": rank + 1,
                        "customer_id": interactions.customers[cols], "score": values})
    return out[out["score"] > 0].reset_index(drop=True)
