"""Conformance checks every forecaster and effect model passes (STYLE.md).

``check_forecaster``: on a small generated panel: shapes, no look-ahead (changing the actuals
after the cutoff changes nothing), quantiles ordered, demand never negative, same seed same
numbers. ``check_effect_model``: on a generated demo shop with known effects: the elasticities
and lifts are recovered within stated errors, deterministically.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from promocast.forecasting.engine import ForecastSpec, fit_predict, quantile_column
from promocast.forecasting.panel import future_grid, split_at


def small_panel(n_series: int = 6, n_days: int = 120, seed: int = 0) -> pd.DataFrame:
    """A daily panel with weekly seasonality, a price input and promotions."""
    rng = np.random.default_rng(seed)
    rows = []
    dates = pd.date_range("2024-01-01", periods=n_days, freq="D")
    for k in range(n_series):
        promo = (rng.random(n_days) < 0.1).astype(float)
        price = 10 * (1 - 0.2 * promo)
        mean = (5 + k) * (1 + 0.3 * (dates.weekday >= 5)) * (price / 10) ** -2
        rows.append(pd.DataFrame({"unique_id": f"S{k}", "ds": dates, "y": rng.poisson(mean).astype(float),
                                  "price": price, "promo": promo, "observed": 1, "weight": 1.0,
                                  "category_code": float(k % 2)}))
    return pd.concat(rows, ignore_index=True)


def check_forecaster(model: str, horizon: int = 7, seed: int = 0) -> None:
    """Raise AssertionError when ``model`` breaks the forecaster contract."""
    panel = small_panel(seed=seed)
    cutoff = panel["ds"].max() - pd.Timedelta(days=horizon)
    spec = ForecastSpec(freq="D", horizon=horizon, models=[model], season_length=7,
                        known=["price", "promo"], static=["category_code"], seed=seed)
    train, after = split_at(panel, cutoff)
    future = future_grid(train, "D", horizon).merge(after, on=["unique_id", "ds"], how="left")
    first = fit_predict(train, future, spec)
    assert len(first) == panel["unique_id"].nunique() * horizon, "one row per series and step"
    qcols = [quantile_column(model, q) for q in spec.quantiles]
    values = first[qcols].to_numpy()
    assert np.isfinite(values).all(), "quantiles must be finite"
    assert (values >= 0).all(), "demand forecasts must never be negative"
    assert (np.diff(values, axis=1) >= -1e-9).all(), "quantiles must not cross"
    assert np.allclose(first[model], first[quantile_column(model, 0.5)]), "median column"
    # No look-ahead: the actuals after the cutoff must not matter (inputs stay the same).
    shuffled = future.copy()
    shuffled["y"] = 1e6
    again = fit_predict(train, shuffled, spec)
    assert np.allclose(again[qcols].to_numpy(), values), "forecast used actuals after the cutoff"
    assert np.allclose(fit_predict(train, future, spec)[qcols].to_numpy(), values), "not deterministic"


def check_effect_model(
    estimator_factory: Callable[..., Any],
    *,
    seed: int = 0,
    n_items: int = 20,
    years: float = 2.0,
    max_elasticity_error: float = 0.2,
    min_coverage: float = 0.6,
    max_lift_error: float = 0.35,
    mechanisms: tuple[str, ...] = ("threshold", "gift", "bundle", "feature_display"),
    workdir: Path | None = None,
) -> dict[str, float]:
    """Raise AssertionError naming what ``estimator_factory`` failed to recover on a generated
    demo shop with known effects; return the measured errors.

    ``estimator_factory(seed=...)`` returns an object with ``fit(frame, promotions, items,
    freq=..., sales=...)`` whose ``effects_.params`` is an EffectParams frame (as
    ``promotions.effects.EffectModel``). Checked: one row per item; median relative error of
    the own-price elasticity <= ``max_elasticity_error``; its interval covers the truth for
    >= ``min_coverage`` of items; median absolute error of the lift of each of ``mechanisms``
    <= ``max_lift_error``; same seed, same numbers. The defaults suit a small shop (20 items,
    two years: EffectModel measured 0.11, 75 %, lifts 0.10-0.29); flash sales are left out by
    default because such a shop holds only a handful of one-day flash sales per category. The
    issue's targets (15 %, 80 %, 0.10) are measured on bigger shops by
    ``benchmarks/promo_effects.py``. ``workdir``: where the temporary shop goes.
    """
    from promocast.data.storage import Store
    from promocast.services.forecasting import load_panel
    from promocast.services.ingest import ingest
    from promocast.testing.demo.plan_truth import effect_params_from_truth
    from promocast.testing.demo_shop import generate

    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        shop = generate(Path(tmp) / "data", seed=seed, n_items=n_items, years=years)
        db = Path(tmp) / "shop.duckdb"
        tables = ("stores", "items", "promotions", "events", "sales", "inventory")
        ingest([shop.files[t] for t in tables], db)
        panel = load_panel(db)
        with Store(db, read_only=True) as store:
            promotions, items = store.read("promotions"), store.read("items")
            sales = store.query("SELECT date, item_id, store_id, units FROM sales")

        def fit() -> pd.DataFrame:
            model = estimator_factory(seed=seed)
            model.fit(panel.frame, promotions, items, freq=panel.freq, sales=sales)
            return model.effects_.params

        params = fit()
        truth = effect_params_from_truth(shop.ground_truth)
    errors = effect_errors(params, truth)
    assert errors["items"] == len(truth), (
        f"{int(errors['items'])} items estimated, {len(truth)} in the data: one row per item"
    )
    assert errors["elasticity_rel_error"] <= max_elasticity_error, (
        f"own-price elasticity not recovered: median relative error "
        f"{errors['elasticity_rel_error']:.3f} > {max_elasticity_error}"
    )
    assert errors["elasticity_coverage"] >= min_coverage, (
        f"elasticity intervals cover the truth for {errors['elasticity_coverage']:.0%} of items,"
        f" fewer than {min_coverage:.0%}"
    )
    for name in (f"lift_{m}" for m in mechanisms):
        value = errors[name]
        if not value <= max_lift_error:
            raise AssertionError(
                f"{name} not recovered: median absolute error {value:.3f} > {max_lift_error}"
            )
    again = fit()
    assert np.allclose(
        again.select_dtypes("number").to_numpy(),
        params.select_dtypes("number").to_numpy(),
        equal_nan=True,
    ), "not deterministic: the same seed gave different effects"
    return errors


def effect_errors(
    params: pd.DataFrame, truth: pd.DataFrame, categories: pd.DataFrame | None = None
) -> dict[str, float]:
    """Estimated EffectParams against the true ones (both one row per item): median relative
    elasticity error, interval coverage, median absolute error per lift (NaN estimates count
    as misses: an error of infinity); with ``categories`` (``Effects.categories``) also
    ``category_lift_<m>``: median over categories of |category estimate - mean true lift of
    its items|."""
    merged = truth.merge(params, on="item_id", suffixes=("_true", ""), how="left")
    true_e = merged["price_elasticity_true"]
    out = {
        "items": float(params["item_id"].nunique()),
        "elasticity_rel_error": float(
            ((merged["price_elasticity"] - true_e).abs() / true_e.abs()).fillna(np.inf).median()
        ),
        "elasticity_coverage": float(
            ((merged["price_elasticity_lo"] <= true_e) & (true_e <= merged["price_elasticity_hi"]))
            .mean()
        ),
    }
    for col in [c for c in truth if c.startswith("lift_")]:
        err = (merged[col] - merged[f"{col}_true"]).abs().fillna(np.inf)
        out[col] = float(err.median())
        if categories is not None:
            true_mean = truth.groupby("category")[col].mean()
            estimate = categories.set_index("category")[col].reindex(true_mean.index)
            out[f"category_{col}"] = float((estimate - true_mean).abs().fillna(np.inf).median())
    return out
