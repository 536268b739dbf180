"""The fast what-if keeps the numbers of the straightforward one: sort-based quantiles equal
``np.quantile`` bit for bit, whole-array rounding equals Python's ``round(v, 4)``, the JSON
records equal a value-by-value conversion, the dictionary look-ups equal ``plan.effect_rows``
and the pandas look-up they replaced, and a scenario exercising every path reproduces numbers
pinned from the pandas implementation (same seed, same numbers to 1e-9)."""

from __future__ import annotations

import functools
import json
import math

import numpy as np
import pandas as pd
import pytest

from promocast.exceptions import DataValidationError
from promocast.promotions.plan import effect_rows
from promocast.promotions.scenario import check_scenario
from promocast.promotions.simulate import simulate
from promocast.promotions.simulate_draws import draw_normals, sample_quantiles
from promocast.promotions.simulate_inputs import effects, lookup
from promocast.promotions.simulate_result import _jsonable, records, rounded

QS = (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95)


# --- building blocks against their references -------------------------------------------------


@pytest.mark.parametrize(
    ("shape", "axis", "levels"),
    [
        ((140, 500), 1, QS),
        ((500,), -1, QS),
        ((21, 500), 1, [0.5, 0.9]),
        ((7, 33), 1, (0.0, 0.01, 0.5, 0.99, 1.0)),
        ((40, 9), 0, QS),
    ],
)
def test_sample_quantiles_equal_numpy_bit_for_bit(shape, axis, levels):
    rng = np.random.default_rng(7)
    for values in (
        rng.gamma(2.0, 3.0, shape),
        np.round(rng.normal(0, 1, shape), 1),  # many ties
        rng.normal(0, 1, shape).astype(np.float32),
    ):
        expected = np.quantile(values, levels, axis=axis)
        got = sample_quantiles(values, levels, axis=axis)
        assert got.dtype == expected.dtype and got.shape == expected.shape
        np.testing.assert_array_equal(got, expected)


def test_sample_quantiles_give_nan_for_a_slice_with_nan():
    values = np.random.default_rng(1).normal(size=(5, 50))
    values[2, 7] = np.nan
    got = sample_quantiles(values, QS, axis=1)
    np.testing.assert_array_equal(got, np.quantile(values, QS, axis=1))
    assert np.isnan(got[:, 2]).all() and not np.isnan(np.delete(got, 2, axis=1)).any()


def _num(value: float) -> float | None:
    """The value-by-value rule: Python's round to 4 decimals, +0.0 for zero, None if not
    finite."""
    return round(value, 4) + 0.0 if math.isfinite(value) else None


def test_rounding_whole_arrays_equals_python_round_including_ties():
    rng = np.random.default_rng(3)
    prices = np.round(rng.uniform(1, 200, 4000), 2)
    values = np.concatenate(
        [
            rng.normal(0, 50, 20000),
            prices * 0.875,  # 12.5 % off: five decimals, ties at the fifth
            prices * (1 - rng.integers(1, 90, 4000) / 100) * rng.integers(1, 30, 4000),
            (np.arange(-5000, 5000) + 0.5) / 1e4,  # exact halves of the last decimal
            [1e11 + 0.123456, -3e15 / 7, 1e300, 5e-324, -1e-5, 0.0, -0.0],
            [np.nan, np.inf, -np.inf],
        ]
    )
    got = rounded(values)
    expected = [_num(float(v)) for v in values]
    assert got.tolist() == expected
    # signs of zero too (json prints -0.0 and 0.0 differently)
    assert json.dumps(got.tolist()) == json.dumps(expected)


def test_records_equal_value_by_value_conversion():
    frame = pd.DataFrame(
        {
            "item_id": ["A", "B", "C", "D"],
            "promo_id": ["P1", np.nan, None, "P2"],
            "mixed": [np.int64(3), 2.123456, pd.Timestamp("2026-01-02"), "x"],
            "ds": pd.to_datetime(["2026-06-01", "2026-06-02", None, "2026-06-04"]),
            "ds_us": pd.to_datetime(
                ["2026-06-01", "2026-06-02", "2026-06-03", "2026-06-04"]
            ).astype("datetime64[us]"),
            "units": [1.23456789, np.nan, -0.00001, 2.5e-5],
            "f32": np.array([0.1, 0.2, 0.3, np.inf], dtype=np.float32),
            "n": [1, 2, 3, 4],
            "flag": [True, False, True, False],
            "nullable": pd.array([1, None, 3, 4], dtype="Int64"),
            "cat": pd.Categorical(["u", "v", "u", "v"]),
        }
    )
    expected = [{k: _jsonable(v) for k, v in r.items()} for r in frame.to_dict("records")]
    assert records(frame) == expected
    assert json.dumps(records(frame)) == json.dumps(expected)
    assert records(frame.iloc[:0]) == [] and records(pd.DataFrame(index=range(2))) == [{}, {}]


def _params() -> pd.DataFrame:
    rows = [
        ("A", "all", "juice", -2.0, 0.1, np.nan, 0.05),
        ("A", "s2", "juice", -1.5, 0.3, 0.2, np.nan),  # the store's own row
        ("B", "s1", "juice", np.nan, 0.4, 0.1, 0.1),  # no elasticity: the pooled row wins
        ("B", "all", "juice", -2.5, np.nan, 0.0, 0.2),
        ("B", "all", "juice", -9.0, 9.0, 9.0, 9.0),  # a duplicate: the first row counts
        ("C", "s1", "juice", -1.2, 0.2, np.nan, 0.3),  # no pooled row
    ]
    cols = ["item_id", "store_id", "category", "price_elasticity", "lift_gift"]
    frame = pd.DataFrame(rows, columns=[*cols, "post_promo_dip", "cannibalisation_rate"])
    return frame.assign(price_elasticity_lo=frame["price_elasticity"] - 0.5)


def test_effect_lookup_equals_the_planners_effect_rows():
    params = _params()
    keys = pd.DataFrame(
        {"item_id": ["A", "A", "B", "B", "C"], "store_id": ["s1", "s2", "s1", "s2", "s1"]}
    )
    expected = effect_rows(keys, params)
    got = effects(keys, params)
    # the planner also carries the effects' intervals (for plan_risk); the point effects agree
    assert list(got) == [c for c in expected
                         if c != "category" and not c.endswith(("_lo", "_hi"))]
    for col, values in got.items():
        np.testing.assert_array_equal(values, expected[col].to_numpy(float), err_msg=col)
    missing = pd.DataFrame({"item_id": ["C", "Q"], "store_id": ["s2", "s1"]})
    with pytest.raises(DataValidationError) as fast:
        effects(missing, params)
    with pytest.raises(DataValidationError) as slow:
        effect_rows(missing, params)
    assert str(fast.value) == str(slow.value)


def _pandas_lookup(keys: pd.DataFrame, table: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The frame-based look-up the dictionary one replaced (the reference)."""
    series = ["item_id", "store_id"]
    table = table.assign(item_id=table["item_id"].astype(str))
    out = pd.DataFrame(np.nan, index=keys.index, columns=columns, dtype=float)
    if "store_id" in table:
        table["store_id"] = table["store_id"].astype(str)
        own = table.drop_duplicates(series).set_index(series)[columns]
        out = own.reindex(pd.MultiIndex.from_frame(keys[series])).set_axis(keys.index)
        table = table[table["store_id"] == "all"]
    pooled = table.drop_duplicates("item_id").set_index("item_id")[columns]
    fallback = pooled.reindex(keys["item_id"]).set_axis(keys.index)
    return out.astype(float).fillna(fallback.astype(float))


@pytest.mark.parametrize("with_store", [True, False])
def test_price_and_stock_lookup_equals_the_pandas_lookup(with_store):
    table = pd.DataFrame(
        {
            "item_id": ["A", "A", "B", "B", "C", 7, "A"],
            "store_id": ["all", "s2", "s1", "all", "s9", "all", "s2"],
            "price": [10.0, 12.0, np.nan, 8.0, 3.0, 1.0, 99.0],
            "on_hand": [1, 2, 3, 4, 5, 6, 7],
        }
    )
    if not with_store:
        table = table.drop(columns="store_id")
    keys = pd.DataFrame(
        {
            "item_id": ["A", "A", "B", "C", "7", "Q"],
            "store_id": ["s1", "s2", "s1", "s1", "s1", "s1"],
        }
    )
    expected = _pandas_lookup(keys, table, ["price", "on_hand"])
    got = lookup(keys, table, {"price": "price", "on_hand": "on_hand"})
    for col in ("price", "on_hand"):
        np.testing.assert_array_equal(got[col], expected[col].to_numpy(float), err_msg=col)


# --- one scenario through every path, pinned ---------------------------------------------------

CATS = {"A": "juice", "B": "juice", "C": "juice", "D": "juice", "Z": "snacks"}
STORES = ["s1", "s2"]
DAYS = pd.date_range("2026-06-01", periods=21, freq="D")


def _inputs():
    grid = pd.MultiIndex.from_product([list(CATS), STORES, DAYS]).to_frame(
        index=False, name=["item_id", "store_id", "ds"]
    )
    k = np.arange(len(grid))
    grid["baseline_units"] = 6.0 + (k % 7) + 2.0 * (k % 3)
    for q, z in ((0.05, -1.645), (0.25, -0.674), (0.5, 0.0), (0.75, 0.674), (0.95, 1.645)):
        grid[f"baseline_units-q{q:g}"] = np.maximum(grid["baseline_units"] * (1 + 0.25 * z), 0)
    params = pd.DataFrame(
        {
            "item_id": ["A", "B", "C", "D", "Z", "A"],
            "store_id": ["all", "all", "all", "all", "all", "s2"],
            "category": ["juice", "juice", "juice", "juice", "snacks", "juice"],
            "price_elasticity": [-2.0, -1.6, -2.4, -1.7, -1.2, -1.8],
            "price_elasticity_lo": [-2.6, -1.6, -3.0, -2.0, -1.5, -2.2],
            "price_elasticity_hi": [-1.4, -1.6, -1.8, -1.4, -0.9, -1.4],
            "lift_threshold": 0.12,
            "lift_gift": [0.2, 0.1, 0.15, 0.1, 0.05, 0.2],
            "lift_flash_sale": 0.4,
            "lift_bundle": 0.1,
            "lift_feature_display": 0.3,
            "post_promo_dip": [0.2, 0.1, 0.0, 0.1, 0.15, 0.25],
            "cannibalisation_rate": [0.1, 0.05, 0.08, 0.1, 0.0, 0.12],
        }
    )
    items = pd.DataFrame(
        {
            "item_id": list(CATS),
            "category": list(CATS.values()),
            "unit_cost": [4.0, 5.5, 3.2, 2.5, 9.0],
        }
    )
    prices = pd.DataFrame(
        {
            "item_id": ["A", "A", "B", "C", "D", "Z"],
            "store_id": ["all", "s2", "all", "all", "all", "all"],
            "regular_price": [10.01, 10.49, 12.99, 6.5, 4.99, 19.9],
        }
    )
    stock = pd.DataFrame(
        {"item_id": ["A", "Z", "B"], "store_id": ["s1", "s2", "s2"], "on_hand": [60.0, 35.0, 500]}
    )
    plan = pd.DataFrame(
        [
            (
                "P1",
                "threshold",
                "2026-06-03",
                "2026-06-09",
                None,
                "juice",
                "s1",
                10,
                None,
                None,
                0,
                0,
                120.0,
            ),
            ("P7", "gift", "2026-06-18", "2026-06-20", "Z", None, "s1", 5, None, None, 0, 0, None),
            (
                "P2",
                "percent_off",
                "2026-06-05",
                "2026-06-07",
                "A",
                None,
                "s1",
                12.5,
                None,
                None,
                1,
                0,
                None,
            ),
            (
                "P3",
                "flash_sale",
                "2026-06-04",
                "2026-06-05",
                "Z",
                None,
                "s2",
                30,
                None,
                None,
                0,
                1,
                None,
            ),
            (
                "P4",
                "amount_off",
                "2026-06-02",
                "2026-06-10",
                "B",
                None,
                "s2",
                None,
                2.0,
                None,
                0,
                0,
                50.0,
            ),
            (
                "P5",
                "gift",
                "2026-06-06",
                "2026-06-12",
                "C",
                None,
                "s2",
                None,
                None,
                1.5,
                0,
                0,
                None,
            ),
            (
                "P6",
                "bundle",
                "2026-06-12",
                "2026-06-14",
                "A",
                None,
                "s2",
                15,
                None,
                None,
                0,
                0,
                None,
            ),
        ],
        columns=[
            "promo_id",
            "promo_type",
            "start_date",
            "end_date",
            "item_id",
            "category",
            "store_id",
            "discount_pct",
            "amount_off",
            "gift_value",
            "feature",
            "display",
            "fixed_cost",
        ],
    ).assign(threshold_amount=np.nan, planned_price=np.nan)
    plan.loc[5, "planned_price"] = 9.49
    for col in ("start_date", "end_date"):
        plan[col] = pd.to_datetime(plan[col])
    expanded = check_scenario(plan, item_ids=list(CATS), categories=CATS, store_ids=STORES)
    return expanded, grid, params, items, prices, stock


PINNED = {  # from the pandas implementation (before the vectorised rewrite), seed 11, then
    # re-pinned with the cannibalisation bound (cannibal_bound): in s2, C's P5 is a price
    # rise (planned 9.49 > 6.50, gains nothing) and B's P4 and A's P6 gain less than their
    # rivals lost, so the rivals lose at most that gain in 9 cells: 22.31 units come back
    # (units 2245.80 -> 2268.11, margin
    # -1134.93 -> -1030.52, other items -20.72 -> -11.98), the rest is unchanged
    ("units", "expected"): 2268.106856315088,
    ("units", "q0.05"): 2056.5355157628696,
    ("units", "q0.95"): 2454.5372410847704,
    ("incremental_margin", "expected"): -1030.5241201496979,
    ("incremental_margin", "q0.05"): -1146.8680998645832,
    ("incremental_margin", "q0.5"): -1017.0378112047492,
    ("incremental_margin", "q0.95"): -903.972884557575,
    ("other_items_incremental_units", "expected"): -11.980948238970996,
    ("promo_cost", "expected"): 1080.079110199181,
    ("fixed_cost", "expected"): 169.99999999999997,
}


def test_a_scenario_through_every_path_reproduces_the_pinned_numbers():
    expanded, baseline, params, items, prices, stock = _inputs()
    assert expanded.filter(like="use_").dtypes.eq(bool).all()
    sim = simulate(
        expanded, baseline, params, items, prices=prices, stock=stock, n_samples=300, seed=11
    )
    for (name, key), value in PINNED.items():
        assert sim.totals[name][key] == pytest.approx(value, rel=1e-9, abs=1e-9), (name, key)
    kinds = [w["kind"] for w in sim.warnings]
    assert kinds == [
        "cannibalisation_bounded", "stock_unknown", "stock_median", "stock_median", "dip_truncated"
    ]
    (bound,) = [w for w in sim.warnings if w["kind"] == "cannibalisation_bounded"]
    assert (bound["cells"], bound["units_cut"]) == (9, 22.31)
    doc = sim.to_json()
    assert json.loads(json.dumps(doc, allow_nan=False)) == doc
    assert len(doc["days"]) == len(sim.rows) and len(doc["items"]) == len(sim.series)
    assert list(doc["days"][0]) == list(sim.rows.columns)


def test_memoised_normals_give_the_same_numbers_and_stay_unchanged():
    expanded, baseline, params, items, prices, stock = _inputs()
    cached = functools.lru_cache(maxsize=4)(draw_normals)
    kwargs = dict(prices=prices, stock=stock, n_samples=200, seed=5)
    plain = simulate(expanded, baseline, params, items, **kwargs)
    for _ in range(2):  # the second run reuses the cached draws
        again = simulate(expanded, baseline, params, items, normals=cached, **kwargs)
        assert again.totals == plain.totals
        pd.testing.assert_frame_equal(again.rows, plain.rows)
    assert cached.cache_info().hits == 1
    noise = cached(5, 1, 1, 3, True)
    assert not noise.rows.flags.writeable and not noise.elasticity.flags.writeable


@pytest.mark.parametrize("levels", [list(QS), [0.1, 0.5, 0.9], [0.05, 0.95]])
def test_compiled_copula_draws_equal_the_numpy_ones(levels: list[float]) -> None:
    from promocast.promotions.simulate_draws import _hinge, baseline_draws

    rng = np.random.default_rng(3)
    n_rows, n_series = 300, 17
    qvalues = np.sort(rng.gamma(1.5, 4.0, (n_rows, len(levels))), axis=1)
    qvalues[:5] = 0.0  # series that sell nothing
    bsid = rng.integers(0, n_series, n_rows)
    normals = draw_normals(11, n_rows, n_series, 250, True)
    got = baseline_draws(qvalues[:, 0], qvalues, levels, bsid, 0.4, normals)
    z = normals.rows * np.float32(np.sqrt(0.6))
    z += normals.series[bsid] * np.float32(np.sqrt(0.4))
    expected = _hinge(qvalues, levels, z)
    assert got.dtype == expected.dtype == np.float32
    np.testing.assert_array_equal(got, expected)
    with_nan = qvalues.copy()
    with_nan[7, 1] = np.nan  # NaN quantiles keep numpy's propagation
    np.testing.assert_array_equal(
        baseline_draws(with_nan[:, 0], with_nan, levels, bsid, 0.4, normals),
        _hinge(with_nan, levels, z))
