"""Hierarchical forecasts: coherent across item, category, store and total.

The panel's series (``unique_id`` = "item/store") are the bottom level; upper levels are sums of
them: ``total``, ``category`` (the items table's category), ``store`` and, when both category
and store are asked for, ``category/store`` (a category in one store, the natural node between
them). The structure (summing matrix S and the tags of each level) comes from
``hierarchicalforecast.utils.aggregate``; every level's series is forecast by the engine
(``fit_predict``) and the base forecasts are reconciled by ``HierarchicalReconciliation``
(``forecasting.reconciliation``).

Choices, and why:

- The same models forecast every level. The global models (LightGBM, ridge, ...) are fitted
  once over the series of all levels, with a ``level_code`` static input so they can tell a
  store total from an item. Their known inputs are aggregated by the *mean* over the bottom
  series of a node: the share of its items on promotion (a flag's mean), the mean price,
  relative price and discount depth, the calendar as is (the same for every series of a day).
  The sample weight of an upper node is the share of its bottom rows actually observed.
- Reconciliation methods: ``bottom_up``, ``wls_struct`` (default: MinT with structural weights,
  needs only the structure), ``ols`` and ``mint_shrink`` (MinT with the Schäfer-Strimmer
  shrunk covariance of base errors). The errors ``mint_shrink`` needs come from a holdout: the
  models are refitted at ``holdout_windows`` origins before the end (one extra fit per window)
  and their out-of-sample errors over the horizon stand in for in-sample residuals.
- By default the engine's point forecast (the median) is reconciled. Quantiles come from
  hierarchicalforecast's ``normality`` method (default): it gives every node's reconciled
  standard deviation (S P W P' S' over the base spreads implied by the base quantiles); each
  node keeps its own base shape, its base quantiles' distances from the base median scaled by
  reconciled / base spread (the normal quantiles when the base is symmetric; a skewed,
  log-scale base stays skewed instead of being cut at 0). ``bootstrap`` and ``permbu`` (the
  library's quantiles, moved with the point) need the holdout errors too.
- ``point="mean"`` (an option) reconciles each series' mean, estimated from its quantiles,
  instead of its median: the medians of skewed, low-count items add up to less than the
  total's median, so summing them biases the upper levels low; the median then stays
  available as ``<model>-q0.5``.
- Demand is never negative: a bottom forecast below 0 is set to 0 and the upper levels are
  summed again from the bottom, so the output stays exactly coherent; quantiles move with
  their point forecast, are clipped at 0 and never cross (with medians reconciled, the
  median equals the point).
- Series that stopped before the panel's last date are left out (their forecasts would start
  on other dates than the hierarchy's); the result lists them.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from hierarchicalforecast.utils import SMatrix, aggregate

from promocast.forecasting.engine import ForecastSpec, fit_predict, quantile_column
from promocast.forecasting.reconciliation import (
    DEFAULT_RECONCILER,
    INTERVAL_METHODS,
    POINTS,
    RECONCILERS,
    check_method,
    mean_from_quantiles,
    normality_spread,
    reconcile,
)

LEVELS = ("total", "category", "store", "category/store", "item")
"""Every level, top down; ``category/store`` is added when both category and store are asked."""
REQUESTABLE = ("total", "category", "store", "item")
NEEDS_ERRORS = ("mint_shrink",)
"""Reconcilers that need base forecast errors (computed on a holdout)."""
_KEY_COLUMNS = {"total": ["total"], "category": ["category"], "store": ["store"],
                "category/store": ["category", "store"]}
Progress = Callable[[str], None]
__all__ = ["DEFAULT_RECONCILER", "INTERVAL_METHODS", "LEVELS", "POINTS", "RECONCILERS",
           "REQUESTABLE", "HierarchicalForecast", "Hierarchy", "aggregate_frame", "build_hierarchy",
           "check_method", "fill_missing", "forecast_hierarchy", "holdout_errors",
           "mean_from_quantiles", "normality_spread", "parse_levels", "reconcile"]


def parse_levels(levels: str | Sequence[str]) -> list[str]:
    """``"total,store,category,item"`` -> the levels of the hierarchy, top down.

    Any subset and order of total, category, store and item is accepted (``categories`` and
    ``stores`` too); ``category/store`` joins when both category and store are asked. The item
    level (the panel's series) is always the bottom of the structure, shown only when asked.
    """
    names = levels.split(",") if isinstance(levels, str) else list(levels)
    asked = []
    for raw in names:
        name = raw.strip().lower()
        if not name:
            continue
        name = {"categories": "category", "stores": "store", "items": "item",
                "category_store": "category/store"}.get(name, name)
        if name not in (*REQUESTABLE, "category/store"):
            raise ValueError(f"unknown level {raw.strip()!r} in --levels: choose from "
                             f"{', '.join(REQUESTABLE)} (comma-separated, any order)")
        asked.append(name)
    if not asked:
        raise ValueError(f"--levels is empty: choose from {', '.join(REQUESTABLE)}")
    if "category" in asked and "store" in asked:
        asked.append("category/store")
    return [level for level in LEVELS if level in asked]


@dataclass(frozen=True)
class Hierarchy:
    """The aggregation structure of a panel.

    ``S`` is the summing matrix (rows: every series top down, columns: the bottom series);
    ``tags`` maps each level to its series ids; ``keys`` has one row per series in S order:
    unique_id, level, item_id, store_id, category (missing where a level has no such key), and
    ``members`` maps each bottom series to its node at every upper level.
    """

    levels: list[str]
    shown: list[str]
    S: SMatrix
    tags: dict[str, np.ndarray]
    keys: pd.DataFrame
    members: pd.DataFrame = field(repr=False)

    @property
    def n_bottom(self) -> int:
        return len(self.tags["item"])

    def summing_matrix(self) -> pd.DataFrame:
        """S as a dense frame: one row per series (index), one column per bottom series."""
        return pd.DataFrame(self.S.to_dense(), index=self.S.row_labels, columns=self.S.col_labels)


def _node_names(members: pd.DataFrame, level: str) -> pd.Series:
    if level == "total":
        return pd.Series("total", index=members.index)
    if level == "category":
        return "category=" + members["category"]
    if level == "store":
        return "store=" + members["store_id"]
    if level == "category/store":
        return "category=" + members["category"] + "/store=" + members["store_id"]
    return members["unique_id"]


def build_hierarchy(frame: pd.DataFrame, levels: str | Sequence[str]) -> Hierarchy:
    """The structure over the bottom series of ``frame`` (unique_id, item_id, store_id, category).

    Keys are passed to ``aggregate`` as plain codes ("/" inside an id or a category name would
    otherwise break its "/"-joined ids) and the ids are renamed afterwards: ``total``,
    ``category=juice``, ``store=S1``, ``category=juice/store=S1`` and the items' own ids.
    """
    shown = parse_levels(levels)
    structure = [level for level in shown if level != "item"] + ["item"]
    missing = [c for c in ("unique_id", "item_id", "store_id", "category") if c not in frame]
    if missing:
        raise ValueError(f"the panel lacks {', '.join(missing)}: the hierarchy needs each "
                         "series' item, store and category")
    members = (frame.drop_duplicates("unique_id")[["unique_id", "item_id", "store_id", "category"]]
               .sort_values("unique_id").reset_index(drop=True))
    for col in ("item_id", "store_id", "category"):
        members[col] = members[col].astype(str)
    coded = pd.DataFrame({
        "total": "t",
        "category": "c" + pd.Series(pd.factorize(members["category"])[0]).astype(str),
        "store": "s" + pd.Series(pd.factorize(members["store_id"])[0]).astype(str),
        "series": "b" + pd.Series(np.arange(len(members))).astype(str),
        "ds": pd.Timestamp("2000-01-01"), "y": 0.0})
    used = list(dict.fromkeys(c for level in structure[:-1] for c in _KEY_COLUMNS[level]))
    spec = [_KEY_COLUMNS[level] for level in structure[:-1]] + [[*used, "series"]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, s_matrix, tags = aggregate(coded[[*used, "series", "ds", "y"]], spec, sparse_s=True)
    rename: dict[str, str] = {}  # aggregate's ids differ across levels: prefixes c, s, b, t
    names: dict[str, pd.Series] = {}
    for level, cols in zip(structure, spec, strict=True):
        agg_ids = coded[cols].agg("/".join, axis=1)
        names[level] = _node_names(members, level)
        rename.update(dict(zip(agg_ids, names[level], strict=True)))
    new_tags = {level: np.array([rename[i] for i in tags["/".join(cols)]], dtype=object)
                for level, cols in zip(structure, spec, strict=True)}
    s_named = SMatrix(s_matrix.to_sparse(),
                      row_labels=np.array([rename[i] for i in s_matrix.row_labels], dtype=object),
                      col_labels=np.array([rename[i] for i in s_matrix.col_labels], dtype=object))
    rows = []
    for level in structure:
        first = members.assign(unique_id=names[level].to_numpy()).drop_duplicates("unique_id")
        first = first.set_index("unique_id").reindex(new_tags[level]).reset_index()
        keep = {"total": [], "category": ["category"], "store": ["store_id"],
                "category/store": ["category", "store_id"],
                "item": ["item_id", "store_id", "category"]}[level]
        for col in ("item_id", "store_id", "category"):
            if col not in keep:
                first[col] = None
        rows.append(first.assign(level=level)[["unique_id", "level", "item_id", "store_id",
                                               "category"]])
    keys = pd.concat(rows, ignore_index=True)
    if list(keys["unique_id"]) != list(s_named.row_labels):
        raise AssertionError("hierarchy keys out of S order")  # guards the renaming above
    node_of = pd.DataFrame({level: names[level].to_numpy() for level in structure},
                           index=members["unique_id"].to_numpy())
    return Hierarchy(structure, shown, s_named, new_tags, keys, node_of)


def aggregate_frame(frame: pd.DataFrame, hierarchy: Hierarchy, *, means: Sequence[str] = (),
                    sums: Sequence[str] = ("y",), static: Sequence[str] = ()) -> pd.DataFrame:
    """Every level's series of a bottom frame: ``sums`` summed (units), ``means`` averaged
    over the node's bottom series (inputs: share on promotion, mean price, calendar), each
    ``static`` kept where all the node's series share it and -1 where they differ, plus
    ``level_code`` (the level's position in ``LEVELS``)."""
    sums = [c for c in sums if c in frame]
    means = [c for c in means if c in frame and c not in sums]
    static = [c for c in static if c in frame]
    value_cols = [*sums, *means]
    firsts = frame.drop_duplicates("unique_id").set_index("unique_id")
    data = frame[["unique_id", "ds", *value_cols]]
    series, uniques = pd.factorize(data["unique_id"])
    parts = []
    for level in hierarchy.levels:
        if level == "item":
            part = data.copy()
            codes = firsts[static].astype("float32")
        else:
            node = hierarchy.members[level]
            keys = node.reindex(uniques).to_numpy()[series]
            grouped = data.groupby([pd.Series(keys, index=data.index, name="unique_id"),
                                    data["ds"]], sort=False)
            part = (pd.concat([grouped[sums].sum(), grouped[means].mean()], axis=1)
                    if value_cols else grouped.size().to_frame("_n")).reset_index()
            part = part[["unique_id", "ds", *value_cols]]
            by_node = firsts[static].astype("float32").groupby(node.reindex(firsts.index))
            low, high = by_node.min(), by_node.max()
            codes = low.where(low == high, -1.0)
        if static:
            part = part.join(codes, on="unique_id")
        part["level_code"] = np.float32(LEVELS.index(level))
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    for col in means:
        out[col] = out[col].astype("float32")
    return out.sort_values(["unique_id", "ds"]).reset_index(drop=True)


@dataclass
class HierarchicalForecast:
    """Reconciled forecasts of every shown level, the base forecasts they came from, timings."""

    forecasts: pd.DataFrame
    base: pd.DataFrame
    hierarchy: Hierarchy
    method: str
    left_out: list[str]
    seconds: dict[str, float]
    fallback: dict[str, int] = field(default_factory=dict)
    """Series per model whose base forecast fell back to their recent mean."""


def fill_missing(predicted: pd.DataFrame, train: pd.DataFrame, spec: ForecastSpec
                 ) -> tuple[pd.DataFrame, dict[str, int]]:
    """Forecasts a model could not make (a series shorter than its season, or left out of a
    fit for being short) fall back to the series' mean of its last season of observed units,
    with no spread; returns the frame and how many series fell back per model."""
    observed = train[train["weight"] > 0] if "weight" in train else train
    recent = (observed.groupby("unique_id").tail(spec.season_length)
              .groupby("unique_id")["y"].mean())
    recent = recent.reindex(train["unique_id"].unique()).fillna(
        train.groupby("unique_id")["y"].mean())
    fallback = predicted["unique_id"].map(recent)
    filled: dict[str, int] = {}
    predicted = predicted.copy()
    for model in spec.models:
        if model not in predicted:
            predicted[model] = np.nan
        missing = predicted[model].isna()
        if missing.any():
            filled[model] = int(predicted.loc[missing, "unique_id"].nunique())
            predicted.loc[missing, model] = fallback[missing]
        for q in spec.quantiles:
            col = quantile_column(model, q)
            if col not in predicted:
                predicted[col] = np.nan
            predicted[col] = predicted[col].fillna(predicted[model])
    return predicted, filled


def holdout_errors(train: pd.DataFrame, spec: ForecastSpec, windows: int = 2) -> pd.DataFrame:
    """Out-of-sample forecasts of the last ``windows`` horizons before the end: unique_id, ds,
    y (NaN where nothing was observed) and one column per model, fitted at each origin on the
    data up to it with the actual known inputs of the window."""
    offset = pd.tseries.frequencies.to_offset(spec.freq)
    end = train["ds"].max()
    frames = []
    for k in range(windows, 0, -1):
        cutoff = end - k * spec.horizon * offset
        past = train[train["ds"] <= cutoff]
        past = past[past.groupby("unique_id")["ds"].transform("size") > 2 * spec.horizon]
        window = train[(train["ds"] > cutoff) & (train["ds"] <= cutoff + spec.horizon * offset)]
        predicted = fit_predict(past, window[["unique_id", "ds", *spec.known]], spec)
        actual = window[["unique_id", "ds", "y", "weight"]]
        merged = actual.merge(predicted, on=["unique_id", "ds"], how="left")
        seen = train.loc[train["ds"] <= cutoff]
        merged = merged[merged["unique_id"].isin(seen["unique_id"].unique())]
        merged, _ = fill_missing(merged.drop(columns=["y", "weight"]), seen, spec)
        merged = merged.merge(actual, on=["unique_id", "ds"])
        frames.append(merged[["unique_id", "ds", "y", "weight", *spec.models]])
    out = pd.concat(frames, ignore_index=True)
    # Unobserved rows (gaps, stock-outs) hold placeholder units: no error there, unless a series
    # would keep fewer than 2 errors (the covariance needs 2): then its placeholders count.
    unobserved = out["weight"] <= 0
    observed_count = (~unobserved).groupby(out["unique_id"]).transform("sum")
    out.loc[unobserved & (observed_count >= 2), "y"] = np.nan
    return out.drop(columns="weight")


def forecast_hierarchy(train: pd.DataFrame, future: pd.DataFrame, spec: ForecastSpec,
                       levels: str | Sequence[str], *, method: str = DEFAULT_RECONCILER,
                       intervals: str = "normality", point: str = "median",
                       holdout_windows: int = 2,
                       progress: Progress | None = None) -> HierarchicalForecast:
    """Forecast every level of the hierarchy and reconcile.

    ``train`` is the bottom panel (unique_id, ds, y, weight, item_id, store_id, category, the
    spec's known and static inputs); ``future`` its known inputs over the horizon. Returns the
    reconciled frame: level, unique_id, item_id, store_id, category, ds, per model the point
    forecast and the ``<model>-q<q>`` quantiles, for the shown levels.
    """
    say = progress or (lambda _m: None)
    check_method(method, intervals, point)
    hierarchy_levels = parse_levels(levels)
    if intervals == "permbu" and "category/store" in hierarchy_levels:
        raise ValueError("permbu intervals need a strict hierarchy (one parent per series): "
                         "ask for category or store, not both")
    end = train["ds"].max()
    last = train.groupby("unique_id")["ds"].max()
    left_out = sorted(last.index[last < end])
    if left_out:
        train = train[~train["unique_id"].isin(left_out)]
        future = future[~future["unique_id"].isin(left_out)]
    if train.empty:
        raise ValueError("no series reaches the last date of the data: nothing to reconcile")
    hierarchy = build_hierarchy(train, hierarchy_levels)
    sizes = {level: len(hierarchy.tags[level]) for level in hierarchy.levels}
    say("aggregating " + ", ".join(f"{n} {level}" for level, n in sizes.items()))
    known = list(spec.known)
    agg_train = aggregate_frame(train, hierarchy, sums=["y"], means=["weight", "observed", *known],
                                static=spec.static)
    # A node's actual counts as observed where any of its bottom rows was (the rest of its units
    # are the panel's placeholders); its training weight is the observed share.
    seen = agg_train["observed"] if "observed" in agg_train else agg_train["weight"]
    agg_train["observed"] = (seen > 0).astype("int8")
    agg_future = aggregate_frame(future, hierarchy, sums=[], means=known)
    agg_spec = replace(spec, static=[*[s for s in spec.static if s in train], "level_code"])
    started = time.perf_counter()
    say(f"fitting {', '.join(spec.models)} on {agg_train['unique_id'].nunique()} series of "
        f"{len(hierarchy.levels)} levels")
    base, filled = fill_missing(fit_predict(agg_train, agg_future, agg_spec), agg_train, agg_spec)
    errors = None
    if method in NEEDS_ERRORS or intervals != "normality":
        say(f"holdout errors for {method} ({holdout_windows} windows)")
        errors = holdout_errors(agg_train, agg_spec, holdout_windows)
        counts = errors.dropna(subset=["y"]).groupby("unique_id").size().reindex(
            hierarchy.keys["unique_id"], fill_value=0)
        short = counts[counts < 2]
        if len(short):
            raise ValueError(f"{method} needs at least 2 observed holdout errors per series; "
                             f"{len(short)} series (e.g. {short.index[0]!r}) have fewer: "
                             "use wls_struct")
    fitted = time.perf_counter()
    models = [m for m in spec.models if m in base]
    say(f"reconciling {len(hierarchy.keys)} series ({method})")
    reconciled = reconcile(base, hierarchy, models, spec.quantiles, method=method,
                           errors=errors, intervals=intervals, point=point)
    done = time.perf_counter()
    labels = hierarchy.keys
    shown = labels[labels["level"].isin(hierarchy.shown)]
    first = ["level", "unique_id", "item_id", "store_id", "category"]

    def label(frame: pd.DataFrame) -> pd.DataFrame:
        out = shown.merge(frame, on="unique_id", how="inner")
        return out[first + [c for c in out.columns if c not in first]].reset_index(drop=True)

    base_cols = ["unique_id", "ds", *[c for c in base.columns
                                      if c in models or c.split("-q")[0] in models]]
    return HierarchicalForecast(
        forecasts=label(reconciled), base=label(base[base_cols]), hierarchy=hierarchy,
        method=method, left_out=left_out, fallback=filled,
        seconds={"fit": round(fitted - started, 2), "reconcile": round(done - fitted, 3)})
