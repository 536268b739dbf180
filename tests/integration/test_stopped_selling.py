"""A delisted item whose shop keeps writing zero rows (QA round 5, finding 6): D1 sells
Poisson(20) a day, then 0 for its last 40 days; D2 sells Poisson(20) throughout. D1 is left
out of the forecast and said to be, and D2's intervals are those of a Poisson(20) count, not
0.3 .. 130 a day from D1's zeros in the pooled hold-out residuals."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import promocast
from promocast.forecasting.stopped import stopped_selling
from promocast.services.forecast import run_forecast

DAYS = pd.date_range("2026-03-01", periods=164, freq="D")


def _frame(units: dict[str, np.ndarray], observed: dict[str, np.ndarray] | None = None
           ) -> pd.DataFrame:
    parts = [pd.DataFrame({"unique_id": uid, "ds": DAYS[:len(y)], "y": y.astype(float),
                           "observed": (observed or {}).get(uid, np.ones(len(y), int))})
             for uid, y in units.items()]
    return pd.concat(parts, ignore_index=True)


def test_only_a_zero_tail_chance_cannot_explain_is_stopped() -> None:
    rng = np.random.default_rng(3)
    steady = rng.poisson(20, len(DAYS))
    delisted = np.r_[rng.poisson(20, len(DAYS) - 40), np.zeros(40)]
    # sells on about 1 day in 10: 40 zero days happen by chance (0.9^40 = 1.5 %)
    slow = np.r_[(rng.random(len(DAYS) - 40) < 0.1).astype(int), np.zeros(40)]
    # out of stock for its last 40 days: censored, not a zero sale
    censored = delisted.copy()
    observed = np.r_[np.ones(len(DAYS) - 40, int), np.zeros(40, int)]
    short_tail = np.r_[rng.poisson(20, len(DAYS) - 20), np.zeros(20)]
    frame = _frame({"steady": steady, "delisted": delisted, "slow": slow,
                    "censored": censored, "short_tail": short_tail},
                   observed={"censored": observed})
    out = stopped_selling(frame, min_run=28)
    assert out["unique_id"].tolist() == ["delisted"]
    assert out["zero_periods"].tolist() == [40]
    assert out["since"].tolist() == [DAYS[-40]]


def test_too_little_history_before_the_run_is_not_judged() -> None:
    y = np.r_[np.full(20, 15), np.zeros(40)]  # 20 selling days, then 40 zeros
    assert stopped_selling(_frame({"a": y}), min_run=28).empty


@pytest.fixture(scope="module")
def two_item_shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from promocast.services.ingest import ingest

    root = tmp_path_factory.mktemp("delisted")
    rng = np.random.default_rng(11)
    d1 = np.r_[rng.poisson(20, len(DAYS) - 40), np.zeros(40, int)]
    d2 = rng.poisson(20, len(DAYS))
    pd.concat([pd.DataFrame({"date": DAYS.strftime("%Y-%m-%d"), "item_id": item, "units": y,
                             "price": 10.0}) for item, y in (("D1", d1), ("D2", d2))]
              ).to_csv(root / "sales.csv", index=False)
    db = root / "shop.duckdb"
    ingest([root / "sales.csv"], db)
    return db


def test_the_delisted_item_is_left_out_and_the_other_keeps_its_spread(
        two_item_shop: Path, tmp_path: Path) -> None:
    out = tmp_path / "f.csv"
    summary = run_forecast(two_item_shop, horizon=14, models=["lgbm"], out=out)
    stopped = summary["not_forecast"]["stopped"]
    assert stopped["series"] == 1 and stopped["zero_periods"] == 40
    assert [e.split("/")[0] for e in stopped["examples"]] == ["D1"]
    f = pd.read_csv(out)
    assert f["item_id"].unique().tolist() == ["D2"]
    # Poisson(20): 5 % and 95 % quantiles near 13 and 28 a day; with D1's zeros in the pool
    # they were about 0.3 and 90-130
    assert 8 <= f["lgbm-q0.05"].median() <= 16
    assert 24 <= f["lgbm-q0.95"].median() <= 40
    assert 16 <= f["lgbm-q0.5"].median() <= 24


def test_the_cli_says_which_item_stopped(two_item_shop: Path, tmp_path: Path) -> None:
    result = promocast("forecast", "--db", str(two_item_shop), "--horizon", "7", "--models",
                       "seasonal_naive", "--out", str(tmp_path / "f.csv"))
    assert result.returncode == 0, result.stderr
    assert "1 series not forecast: no sale in their last 40 days" in result.stdout
    assert "D1" in result.stdout
