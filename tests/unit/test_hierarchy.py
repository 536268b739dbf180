"""Hierarchical forecasts: structure, aggregation, coherence, quantiles (forecasting.hierarchy)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hierarchicalforecast.core import HierarchicalReconciliation
from hierarchicalforecast.methods import MinTrace
from scipy.stats import norm

from promocast.forecasting.engine import ForecastSpec, quantile_column
from promocast.forecasting.hierarchy import (
    aggregate_frame,
    build_hierarchy,
    check_method,
    forecast_hierarchy,
    mean_from_quantiles,
    normality_spread,
    parse_levels,
    reconcile,
)

HORIZON = 7
QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)


def tiny_panel(days: int = 90, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """2 categories x 3 items x 2 stores = 12 daily series (weekly pattern, promotions), and
    the known inputs of the next week. One category name holds a "/" on purpose."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2024-01-01", periods=days + HORIZON, freq="D")
    frames = []
    for c, category in enumerate(["juice", "snacks/sweets"]):
        for i in range(3):
            for s, store in enumerate(["S1", "S2"]):
                promo = (rng.random(len(dates)) < 0.1).astype("float32")
                rate = (4 + 3 * i + 5 * c) * (1 + 0.4 * (dates.dayofweek >= 5)) * (1 + promo)
                frames.append(pd.DataFrame({
                    "unique_id": f"I{c}{i}/{store}", "item_id": f"I{c}{i}", "store_id": store,
                    "category": category, "ds": dates, "y": rng.poisson(rate).astype(float),
                    "promo": promo, "weight": 1.0, "category_code": float(c),
                    "store_code": float(s)}))
    frame = pd.concat(frames, ignore_index=True)
    cut = dates[days - 1]
    return frame[frame["ds"] <= cut].reset_index(drop=True), \
        frame[frame["ds"] > cut].drop(columns="y").reset_index(drop=True)


def spec(models: list[str], **kw) -> ForecastSpec:
    return ForecastSpec(freq="D", horizon=HORIZON, models=models, season_length=7,
                        quantiles=QUANTILES, known=["promo"],
                        static=["category_code", "store_code"], num_threads=1, **kw)


def test_parse_levels_any_order_and_the_category_store_node() -> None:
    assert parse_levels("total,category,store,item") == \
        ["total", "category", "store", "category/store", "item"]
    assert parse_levels("item, Store ,total") == ["total", "store", "item"]
    assert parse_levels(["stores", "total"]) == ["total", "store"]
    with pytest.raises(ValueError, match=r"unknown level 'brand'.*total, category, store, item"):
        parse_levels("total,brand,item")
    with pytest.raises(ValueError, match="empty"):
        parse_levels(" , ")
    with pytest.raises(ValueError, match="unknown reconciliation method 'mint'"):
        check_method("mint")


def test_structure_has_one_row_per_series_of_each_level() -> None:
    train, _ = tiny_panel(days=20)
    hierarchy = build_hierarchy(train, "total,store,category,item")
    sizes = {level: len(ids) for level, ids in hierarchy.tags.items()}
    assert sizes == {"total": 1, "category": 2, "store": 2, "category/store": 4, "item": 12}
    S = hierarchy.summing_matrix()
    assert S.shape == (21, 12)
    assert S.loc["total"].sum() == 12
    assert S.loc["category=snacks/sweets"].sum() == 6 and S.loc["store=S2"].sum() == 6
    assert S.loc["category=juice/store=S1"].sum() == 3
    assert S.loc["category=juice/store=S1", "I01/S1"] == 1
    assert S.loc["category=juice/store=S1", "I01/S2"] == 0
    np.testing.assert_array_equal(S.iloc[-12:].to_numpy(), np.eye(12))
    assert list(S.columns) == list(S.index[-12:])
    keys = hierarchy.keys.set_index("unique_id")
    assert keys.loc["store=S1", "level"] == "store" and keys.loc["store=S1", "store_id"] == "S1"
    assert keys.loc["I12/S2", ["item_id", "store_id", "category"]].tolist() == \
        ["I12", "S2", "snacks/sweets"]
    small = build_hierarchy(train, "total,store,item")
    assert small.summing_matrix().shape == (1 + 2 + 12, 12)


def test_aggregated_units_are_sums_and_inputs_are_shares() -> None:
    train, _ = tiny_panel(days=20)
    hierarchy = build_hierarchy(train, "total,category,item")
    agg = aggregate_frame(train, hierarchy, sums=["y"], means=["promo", "weight"],
                          static=["category_code", "store_code"])
    total = agg[agg["unique_id"] == "total"].set_index("ds")
    np.testing.assert_allclose(total["y"], train.groupby("ds")["y"].sum())
    np.testing.assert_allclose(total["promo"], train.groupby("ds")["promo"].mean(), rtol=1e-6)
    firsts = agg.drop_duplicates("unique_id").set_index("unique_id")
    assert firsts.loc["category=juice", "category_code"] == 0
    assert firsts.loc["category=juice", "store_code"] == -1  # spans both stores
    assert firsts.loc["total", "level_code"] == 0 and firsts.loc["I00/S1", "level_code"] == 4


@pytest.mark.parametrize("method", ["wls_struct", "bottom_up", "mint_shrink"])
def test_reconciled_forecasts_add_up_and_quantiles_are_ordered(method: str) -> None:
    train, future = tiny_panel()
    result = forecast_hierarchy(train, future, spec(["seasonal_naive", "ridge"]),
                                "total,category,store,item", method=method)
    frame = result.forecasts
    assert set(frame["level"]) == {"total", "category", "store", "category/store", "item"}
    assert len(frame) == 21 * HORIZON and result.left_out == []
    S = result.hierarchy.summing_matrix()
    for model in ("seasonal_naive", "ridge"):
        wide = frame.pivot(index="unique_id", columns="ds", values=model).loc[S.index]
        summed = S.to_numpy() @ wide.loc[S.columns].to_numpy()
        np.testing.assert_allclose(wide.to_numpy(), summed, rtol=1e-6)
        qcols = [quantile_column(model, q) for q in QUANTILES]
        values = frame[qcols].to_numpy()
        assert (values >= 0).all() and (np.diff(values, axis=1) >= 0).all()
        np.testing.assert_allclose(frame[quantile_column(model, 0.5)], frame[model])
    base = result.base.set_index(["unique_id", "ds"])
    rec = frame.set_index(["unique_id", "ds"])
    if method == "bottom_up":  # the items keep their own forecasts
        items = frame.loc[frame["level"] == "item"].set_index(["unique_id", "ds"]).index
        np.testing.assert_allclose(rec.loc[items, "ridge"], base.loc[items, "ridge"].clip(0))
    else:  # the total moved towards a compromise of all levels
        assert not np.allclose(rec.loc["total", "ridge"], base.loc["total", "ridge"])


def test_only_the_asked_levels_are_shown() -> None:
    train, future = tiny_panel()
    result = forecast_hierarchy(train, future, spec(["seasonal_naive"]), "total,store")
    assert set(result.forecasts["level"]) == {"total", "store"}
    frame = result.forecasts.set_index(["unique_id", "ds"])["seasonal_naive"]
    np.testing.assert_allclose(frame.loc["total"],
                               frame.loc["store=S1"] + frame.loc["store=S2"], rtol=1e-9)


def test_negative_base_forecasts_end_at_zero_and_stay_coherent() -> None:
    train, _ = tiny_panel(days=20)
    hierarchy = build_hierarchy(train, "total,store,item")
    ids = list(hierarchy.S.row_labels)
    rng = np.random.default_rng(3)
    base = pd.DataFrame({"unique_id": np.repeat(ids, 3),
                         "ds": np.tile(pd.date_range("2024-03-01", periods=3), len(ids))})
    base["m"] = rng.normal(1, 3, len(base))  # many negative points
    for q in QUANTILES:
        base[quantile_column("m", q)] = base["m"] + norm.ppf(q) * 2
    out = reconcile(base, hierarchy, ["m"], QUANTILES, method="ols")
    wide = out.pivot(index="unique_id", columns="ds", values="m").loc[ids]
    S = hierarchy.summing_matrix().to_numpy()
    assert (wide.to_numpy() >= 0).all()
    np.testing.assert_allclose(wide.to_numpy(), S @ wide.to_numpy()[-12:], atol=1e-9)


def test_normality_spread_matches_hierarchicalforecast() -> None:
    """The fast reconciled standard deviation equals the library's Normality sampler."""
    train, _ = tiny_panel(days=20)
    hierarchy = build_hierarchy(train, "total,category,store,item")
    ids = list(hierarchy.S.row_labels)
    rng = np.random.default_rng(1)
    n, h = len(ids), 4
    frame = pd.DataFrame({"unique_id": np.repeat(ids, h),
                          "ds": np.tile(pd.date_range("2024-03-01", periods=h), n)})
    frame["m"] = rng.gamma(3, 5, len(frame))
    sigma = rng.gamma(2, 1, len(frame))
    frame["m-lo-80"] = frame["m"] - norm.ppf(0.9) * sigma
    frame["m-hi-80"] = frame["m"] + norm.ppf(0.9) * sigma
    insample = pd.DataFrame({"unique_id": np.repeat(ids, 10),
                             "ds": np.tile(pd.date_range("2024-02-01", periods=10), n)})
    insample["y"] = rng.gamma(3, 5, len(insample))
    insample["m"] = insample["y"] + rng.normal(0, 2, len(insample))
    for method in ("wls_struct", "mint_shrink"):
        engine = HierarchicalReconciliation([MinTrace(method=method)])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = engine.reconcile(Y_hat_df=frame, tags=hierarchy.tags, S_df=hierarchy.S,
                                   Y_df=insample if method == "mint_shrink" else None,
                                   level=[80], intervals_method="normality")
        name = [c for c in out.columns if c.startswith("m/") and c.endswith("-hi-80")][0]
        library = ((out[name] - out[name.replace("-hi-", "-lo-")]) / (2 * norm.ppf(0.9)))
        fitted = engine.reconcilers[0]
        ours = normality_spread(hierarchy.S.to_csr(), fitted.P, fitted.W,
                                sigma.reshape(n, h)).ravel()
        np.testing.assert_allclose(ours, library.to_numpy(), rtol=1e-6)


def test_series_ending_early_are_left_out() -> None:
    train, future = tiny_panel()
    gone = "I00/S1"
    last_days = train["ds"] > train["ds"].max() - pd.Timedelta(days=10)
    train = train[~((train["unique_id"] == gone) & last_days)]
    result = forecast_hierarchy(train, future, spec(["seasonal_naive"]), "total,item",
                                method="bottom_up")
    assert result.left_out == [gone]
    assert gone not in set(result.forecasts["unique_id"])
    assert result.hierarchy.summing_matrix().shape == (12, 11)


def test_permbu_intervals_on_a_strict_hierarchy_only() -> None:
    train, future = tiny_panel()
    result = forecast_hierarchy(train, future, spec(["seasonal_naive"]), "total,store,item",
                                intervals="permbu")
    values = result.forecasts[[quantile_column("seasonal_naive", q) for q in QUANTILES]]
    assert (values.to_numpy() >= 0).all() and (np.diff(values.to_numpy(), axis=1) >= 0).all()
    with pytest.raises(ValueError, match="strict hierarchy"):
        forecast_hierarchy(train, future, spec(["seasonal_naive"]), "category,store,item",
                           intervals="permbu")


def test_mean_from_quantiles_and_mean_point_reconciliation() -> None:
    uniform = pd.DataFrame({quantile_column("m", q): [10 * q] for q in QUANTILES} | {"m": [5.0]})
    assert mean_from_quantiles(uniform, "m", QUANTILES)[0] == pytest.approx(5.0)
    train, future = tiny_panel()
    result = forecast_hierarchy(train, future, spec(["ridge"]), "total,store,item",
                                method="bottom_up", point="mean")
    frame = result.forecasts
    wide = frame.pivot(index="unique_id", columns="ds", values="ridge")
    items = wide.loc[frame.loc[frame["level"] == "item", "unique_id"].unique()]
    np.testing.assert_allclose(wide.loc["total"], items.sum(), rtol=1e-6)
    qcols = [quantile_column("ridge", q) for q in QUANTILES]
    assert (frame[qcols].to_numpy() >= 0).all()
    assert (np.diff(frame[qcols].to_numpy(), axis=1) >= 0).all()
    # log-scale forecasts are right-skewed: the mean lies above the median
    assert (frame["ridge"] >= frame[quantile_column("ridge", 0.5)] - 1e-9).mean() > 0.9
    median = forecast_hierarchy(train, future, spec(["ridge"]), "total,store,item",
                                method="bottom_up").forecasts
    assert frame.loc[frame["level"] == "total", "ridge"].sum() > \
        median.loc[median["level"] == "total", "ridge"].sum()
