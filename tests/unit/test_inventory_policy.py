"""Inventory formulas against their textbook values: safety stock, fill rate, newsvendor,
rounding, urgency, the copula's dependence and the replay's service level on known demand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from promocast.inventory.leadtime import (
    Dependence,
    draw_paths,
    fit_window_rho,
    pit_scores,
    quantile_values,
)
from promocast.inventory.policy import (
    InventoryParams,
    critical_ratio,
    days_of_cover,
    default_review_period,
    fill_rate_level,
    newsvendor_quantity,
    plan_inventory,
    reorder_list,
    round_order,
    stockout_probability,
)
from promocast.inventory.replay import forecast_scores, replay_policy

LEVELS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.975, 0.99)


def normal_cube(mean: np.ndarray, sd: np.ndarray, days: int) -> np.ndarray:
    """Quantile forecasts (S, days, K) of normal daily demand."""
    q = mean[:, None] + sd[:, None] * norm.ppf(LEVELS)[None, :]
    return np.repeat(q[:, None, :], days, axis=1)


def test_quantile_function_is_exact_for_normal_demand_and_has_tails() -> None:
    cube = normal_cube(np.array([50.0]), np.array([8.0]), 1)[:, 0, :]
    z = np.array([[-3.0, -1.0, 0.0, 0.5, 2.0, 3.0]])
    assert np.allclose(quantile_values(cube, LEVELS, z), 50 + 8 * z, atol=1e-9)
    # demand is never negative, even far in the lower tail
    low = normal_cube(np.array([1.0]), np.array([2.0]), 1)[:, 0, :]
    assert quantile_values(np.clip(low, 0, None), LEVELS, np.array([[-3.5]]))[0, 0] == 0.0


@pytest.mark.parametrize("lead_time", [1, 5, 9])
def test_normal_safety_stock_is_z_sigma_sqrt_lead_time(lead_time: int) -> None:
    sigma, mean, level = 6.0, 40.0, 0.95
    cube = normal_cube(np.full(3, mean), np.full(3, sigma), lead_time)
    paths = draw_paths(cube, LEVELS, dependence=Dependence(rho=0.0), samples=40000, seed=1)
    params = InventoryParams(service_level=level, lead_time=lead_time, review_period=0)
    plan = plan_inventory(paths, params, on_hand=np.full(3, np.nan))
    expected = norm.ppf(level) * sigma * np.sqrt(lead_time)
    assert np.allclose(plan["safety_stock"], expected, rtol=0.03)
    assert np.allclose(plan["mean_demand_lead_time"], mean * lead_time, rtol=0.002)
    # the order-up-to level is the safety stock on top of the mean, in whole units
    assert (plan["order_up_to"] == np.round(mean * lead_time + plan["safety_stock"])).all()
    # R = 0: the reorder point is the order-up-to level
    assert (plan["reorder_point"] == plan["order_up_to"]).all()


def test_dependent_days_widen_the_lead_time_distribution() -> None:
    sigma, days = 5.0, 8
    cube = normal_cube(np.array([20.0]), np.array([sigma]), days)
    for rho in (0.0, 0.5, 1.0):
        window = draw_paths(cube, LEVELS, dependence=Dependence(rho=rho), samples=40000,
                            seed=2).window(0, days)
        expected = sigma * np.sqrt(days + days * (days - 1) * rho)
        assert window.std() == pytest.approx(expected, rel=0.03)


def test_window_rho_weights_lag_correlations_by_their_pairs() -> None:
    dep = Dependence(lag_correlation=(0.6, 0.3))
    # 3 days: two pairs at lag 1, one at lag 2
    assert dep.window_rho(3) == pytest.approx((2 * 0.6 + 1 * 0.3) / 3)
    # beyond the measured lags the last correlation carries on
    assert dep.window_rho(4) == pytest.approx((3 * 0.6 + 2 * 0.3 + 1 * 0.3) / 6)
    assert Dependence(rho=0.25).window_rho(10) == 0.25


def test_dependence_is_recovered_from_normal_scores() -> None:
    rng = np.random.default_rng(3)
    windows, days, rho = 3000, 7, 0.45
    z = np.sqrt(rho) * rng.standard_normal((windows, 1)) + np.sqrt(1 - rho) * rng.standard_normal(
        (windows, days))
    scores = pd.DataFrame({"window": np.repeat(np.arange(windows), days),
                           "step": np.tile(np.arange(1, days + 1), windows),
                           "z": (0.2 + 1.3 * z).ravel()})
    dep = Dependence.from_pit(scores, max_lag=days - 1)
    assert dep.window_rho(days) == pytest.approx(rho, abs=0.03)
    assert dep.shift == pytest.approx(0.2, abs=0.05)
    assert dep.scale == pytest.approx(1.3, abs=0.05)
    # the calibration map sends standard normal draws to the scores' own distribution
    grid = np.array([-1.645, 0.0, 1.645])
    assert np.allclose(dep.scores(grid), 0.2 + 1.3 * grid, atol=0.06)
    assert Dependence().scores(grid) == pytest.approx(grid)  # calibrated by default
    kept = Dependence.from_dict(dep.as_dict(days))
    assert kept.window_rho(days) == pytest.approx(dep.window_rho(days), abs=1e-3)
    assert np.allclose(kept.scores(grid), dep.scores(grid), atol=1e-3)
    assert Dependence.from_pit(scores.head(50), max_lag=3).source == "default"


def test_rho_is_fitted_to_past_lead_time_totals() -> None:
    """Windows whose days share a common shock (rho 0.3): the fitted rho puts the totals
    under each quantile as often as its level says."""
    rng = np.random.default_rng(9)
    windows, days, rho = 1200, 8, 0.3
    mean, sd = rng.uniform(20, 60, windows), rng.uniform(3, 8, windows)
    shock = np.sqrt(rho) * rng.standard_normal((windows, 1)) + np.sqrt(1 - rho) * rng.standard_normal(
        (windows, days))
    totals = (mean[:, None] + sd[:, None] * shock).sum(axis=1)
    cube = normal_cube(mean, sd, days)
    fitted = fit_window_rho(cube, LEVELS, totals, Dependence(), samples=200)
    assert set(fitted) == {0.8, 0.9, 0.95, 0.98}
    # the coverage of rarer quantiles tells rho apart less sharply on 1,200 windows
    assert abs(fitted[0.8] - rho) < 0.11 and abs(fitted[0.9] - rho) < 0.11, fitted
    assert abs(fitted[0.95] - rho) < 0.21 and abs(fitted[0.98] - rho) < 0.31, fitted
    independent = fit_window_rho(cube, LEVELS, (mean[:, None] + sd[:, None] * rng.standard_normal(
        (windows, days))).sum(axis=1), Dependence(), samples=200)
    assert max(independent.values()) < 0.11
    dep = Dependence(rho_by_level=tuple(sorted(fitted.items())))
    assert dep.window_rho(days, 0.9) == fitted[0.9]


def test_pit_scores_of_calibrated_forecasts_are_standard_normal() -> None:
    rng = np.random.default_rng(4)
    mean, sd = rng.uniform(5, 50, 20000), rng.uniform(1, 5, 20000)
    quantiles = mean[:, None] + sd[:, None] * norm.ppf(LEVELS)[None, :]
    z = pit_scores(quantiles, LEVELS, rng.normal(mean, sd))
    assert z.mean() == pytest.approx(0, abs=0.03)
    assert z.std() == pytest.approx(1, abs=0.03)
    # zero actuals under a forecast flat at zero get spread over the flat stretch, not piled up
    flat = np.zeros((4000, len(LEVELS)))
    flat[:, 6:] = [1, 2, 3, 4, 5]  # quantiles up to the median are 0
    z0 = pit_scores(flat, LEVELS, np.zeros(4000))
    assert np.mean(norm.cdf(z0) < 0.25) == pytest.approx(0.5, abs=0.05)
    assert np.isnan(pit_scores(flat[:1], LEVELS, np.array([np.nan])))[0]


def test_fill_rate_level_matches_the_normal_loss_function() -> None:
    mean, sigma, lead, review, target = 30.0, 6.0, 3, 4, 0.98
    cube = normal_cube(np.array([mean]), np.array([sigma]), lead + review)
    paths = draw_paths(cube, LEVELS, dependence=Dependence(rho=0.0), samples=60000, seed=5)
    level = fill_rate_level(paths.window(0, lead + review), paths.window(0, lead),
                            paths.window(lead, review), target)[0]
    # E(D - S)+ = sigma_P G(k), G(k) = phi(k) - k (1 - Phi(k)); solve 1 - sigma_P G(k) / E D[R]
    sigma_p = sigma * np.sqrt(lead + review)
    grid = np.linspace(-1, 3, 4001)
    loss = norm.pdf(grid) - grid * norm.sf(grid)
    k = grid[np.argmax(1 - sigma_p * loss / (mean * review) >= target)]
    assert level == pytest.approx(mean * (lead + review) + k * sigma_p, rel=0.01)


def test_newsvendor_quantity_is_the_critical_fractile() -> None:
    assert critical_ratio(np.array([10.0]), np.array([4.0]), np.array([1.0]))[0] == pytest.approx(6 / 9)
    ratio = critical_ratio(np.array([10.0, 5.0, 3.0, np.nan]), np.array([6.0, 6.0, 1.0, 1.0]),
                           np.array([2.0, 0.0, 3.0, 0.0]))
    assert ratio[0] == pytest.approx(0.5)
    assert ratio[1] == 0.0  # selling at a loss: stock nothing
    assert np.isnan(ratio[2]) and np.isnan(ratio[3])
    rng = np.random.default_rng(6)
    demand = rng.normal(100, 20, (2, 50000))
    q = newsvendor_quantity(demand, np.array([0.8, 0.0]))
    assert q[0] == pytest.approx(100 + 20 * norm.ppf(0.8), rel=0.01)
    assert q[1] == 0.0


def test_orders_are_rounded_to_packs_and_minimum_order() -> None:
    need = np.array([-3.0, 0.0, 3.2, 7.0, 12.0, np.nan])
    assert np.array_equal(round_order(need, 6, 0)[:5], [0, 0, 6, 12, 12])
    assert np.array_equal(round_order(need, 6, 20)[:5], [0, 0, 24, 24, 24])
    assert np.array_equal(round_order(need, 1, 0)[:5], [0, 0, 4, 7, 12])
    assert np.isnan(round_order(need, 6, 0)[5])


def test_days_of_cover_and_stockout_probability() -> None:
    daily = np.array([[4.0, 4.0, 4.0, 4.0], [1.0, 3.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]])
    cover = days_of_cover(np.array([10.0, 2.0, 5.0]), daily)
    assert cover[0] == pytest.approx(2.5)
    assert cover[1] == pytest.approx(1 + 1 / 3)
    assert np.isinf(cover[2])
    assert days_of_cover(np.array([20.0]), daily[:1])[0] == pytest.approx(5.0)  # past the forecast
    # two equally likely paths: 3 units a day, or 6 units a day, over 3 days
    paths = np.array([[[3.0, 3.0, 3.0], [6.0, 6.0, 6.0]]])
    assert stockout_probability(paths, np.array([10.0]))[0] == 0.5
    assert stockout_probability(paths, np.array([20.0]))[0] == 0.0
    # 5 units arriving before the second day save the slow path only: 6 < 3+3, 11 < 12
    assert stockout_probability(paths, np.array([5.0]), np.array([5.0]), arrival=1)[0] == 0.5
    assert np.isnan(stockout_probability(paths, np.array([np.nan]))[0])


def test_reorder_list_puts_the_most_urgent_first() -> None:
    cube = normal_cube(np.array([10.0, 10.0, 10.0, 10.0]), np.array([2.0, 2.0, 2.0, 2.0]), 7)
    paths = draw_paths(cube, LEVELS, dependence=Dependence(rho=0.3), samples=4000, seed=7,
                       ids=["a", "b", "c", "d"])
    params = InventoryParams(service_level=0.95, lead_time=2, review_period=5, pack_size=10)
    plan = plan_inventory(paths, params, on_hand=np.array([25.0, 5.0, 500.0, 15.0]))
    assert (plan["order_qty"] % 10 == 0).all()
    assert plan.set_index("unique_id").loc["c", "order_qty"] == 0
    ranked = reorder_list(plan)
    assert list(ranked["unique_id"]) == ["b", "d", "a"]
    assert list(ranked["urgency_rank"]) == [1, 2, 3]
    assert ranked["stockout_risk_lead_time"].is_monotonic_decreasing


def test_invalid_parameters_name_the_parameter() -> None:
    with pytest.raises(ValueError, match="service_level"):
        InventoryParams(service_level=1.2)
    with pytest.raises(ValueError, match="pack_size"):
        InventoryParams(pack_size=0)
    with pytest.raises(ValueError, match="pack_size must be between 0.001 and 1e"):
        InventoryParams(pack_size=1e-300)  # made the rounding overflow
    assert InventoryParams(pack_size=0.001).pack_size == 0.001  # a gram of a kilogram item
    with pytest.raises(ValueError, match="lead_time \\+ review_period"):
        InventoryParams(lead_time=0, review_period=0)


@pytest.mark.parametrize("target", [0.9, 0.95])
def test_replay_reaches_the_target_with_calibrated_forecasts(target: float) -> None:
    """Normal daily demand with a per-series level, forecast exactly: the replay's cycle
    service level is the target and the window coverage too (up to sampling noise)."""
    rng = np.random.default_rng(8)
    n_series, n_days, lead, review = 100, 180, 2, 5
    days = pd.date_range("2024-01-01", periods=n_days, freq="D")
    mean, sd = rng.uniform(20, 60, n_series), rng.uniform(3, 8, n_series)
    demand = np.clip(rng.normal(mean[:, None], sd[:, None], (n_series, n_days)), 0, None)
    ids = [f"s{k:03d}" for k in range(n_series)]
    actuals = pd.DataFrame({"unique_id": np.repeat(ids, n_days), "ds": np.tile(days, n_series),
                            "y": demand.ravel(), "observed": 1})
    columns = [f"m-q{q:g}" for q in LEVELS]
    step, periods = 3 * review, 3 * review + lead
    frames = []
    for cutoff in days[10:n_days - periods:step]:
        window = pd.date_range(cutoff + pd.Timedelta(days=1), periods=periods, freq="D")
        q = mean[:, None] + sd[:, None] * norm.ppf(LEVELS)[None, :]
        frame = pd.DataFrame(np.repeat(q, periods, axis=0), columns=columns)
        frame.insert(0, "unique_id", np.repeat(ids, periods))
        frame.insert(1, "cutoff", cutoff)
        frame.insert(2, "ds", np.tile(window, n_series))
        frame.insert(3, "step", np.tile(np.arange(1, periods + 1), n_series))
        frames.append(frame)
    forecasts = pd.concat(frames, ignore_index=True)
    scores = forecast_scores(forecasts, actuals, columns, LEVELS)
    assert abs(scores["z"].mean()) < 0.05
    params = InventoryParams(service_level=target, lead_time=lead, review_period=review)
    result = replay_policy(forecasts, actuals, columns=columns, levels=LEVELS, params=params,
                           dependence=Dependence(rho=0.0), samples=1000)
    summary = result.summary
    assert summary["cycles"] > 2000
    assert summary["window_coverage"] == pytest.approx(target, abs=0.015)
    # lost sales: the cycle service level is at least the backorder one, and close to it
    assert target - 0.015 <= summary["cycle_service_level"] <= target + 0.03
    assert summary["fill_rate"] > summary["cycle_service_level"]
    assert 0 < summary["avg_on_hand"] < (mean * (lead + review)).mean()


@pytest.mark.parametrize(("freq", "periods"), [("D", 7), ("W", 1), ("W-THU", 1), ("MS", 1),
                                               ("M", 1), (None, 7), ("mixed", 7)])
def test_the_default_review_period_is_a_week(freq: str | None, periods: int) -> None:
    """Not 7 periods whatever they are: 7 weeks (or months) between orders would make every
    order cover a quarter (or half a year) of demand."""
    assert default_review_period(freq) == periods
