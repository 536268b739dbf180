"""Backtest origins and windows (DESIGN §3), checked on the Dominick's OJ protocol."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from promocast.forecasting.origins import (
    forecast_window,
    pandas_freq,
    period_ordinals,
    rolling_origins,
    split,
    validate_origins,
)

FIRST_WEEK = pd.Timestamp("1989-09-14")  # Dominick's week 1, a Thursday


def week(number: int) -> pd.Timestamp:
    """The date labelling Dominick's week ``number`` (its first day)."""
    return FIRST_WEEK + pd.Timedelta(days=7 * (number - 1))


def test_dominicks_protocol_exact_dates() -> None:
    """Data weeks 40..160, ``--horizon 3 --gap 1 --folds 12 --step 2``: cut-offs at weeks
    135, 137, ..., 157, each scoring weeks t+2 and t+3."""
    assert week(40) == pd.Timestamp("1990-06-14") and week(160) == pd.Timestamp("1992-10-01")
    dates = pd.Series([week(w) for w in range(40, 161)])
    freq = pandas_freq(dates)
    assert freq == "W-THU"

    origins = rolling_origins(week(160), freq, horizon=3, folds=12, step=2)
    assert origins == [week(t) for t in range(135, 158, 2)]
    assert origins[0] == pd.Timestamp("1992-04-09")
    assert origins[1] == pd.Timestamp("1992-04-23")
    assert origins[-2] == pd.Timestamp("1992-08-27")
    assert origins[-1] == pd.Timestamp("1992-09-10")
    assert validate_origins(origins, week(40), week(160), freq, horizon=3, gap=1) == origins

    for t, origin in zip(range(135, 158, 2), origins, strict=True):
        window = forecast_window(origin, freq, horizon=3, gap=1)
        assert list(window) == [week(t + 2), week(t + 3)]
    assert list(forecast_window(origins[0], freq, 3, 1)) == [
        pd.Timestamp("1992-04-23"),
        pd.Timestamp("1992-04-30"),
    ]
    assert list(forecast_window(origins[-1], freq, 3, 1)) == [
        pd.Timestamp("1992-09-24"),
        pd.Timestamp("1992-10-01"),
    ]


def test_split_drops_the_gap_and_missing_rows() -> None:
    weeks = [w for w in range(40, 161) if w != 159]  # week 159 missing for this series
    frame = pd.DataFrame(
        {"unique_id": "s1", "ds": [week(w) for w in weeks], "y": np.arange(len(weeks), dtype=float)}
    )
    train, test = split(frame, week(157), "W-THU", horizon=3, gap=1)
    assert train["ds"].max() == week(157) and train["ds"].min() == week(40)
    assert len(train) == 157 - 40 + 1
    assert list(test["ds"]) == [week(160)]  # week 158 is the gap, week 159 is absent

    train, test = split(frame, week(135), "W-THU", horizon=3, gap=1)
    assert list(test["ds"]) == [week(137), week(138)]
    assert not set(train["ds"]) & set(test["ds"])
    assert week(136) not in set(train["ds"]) | set(test["ds"])


def test_split_accepts_string_dates_and_keeps_columns() -> None:
    frame = pd.DataFrame(
        {"ds": ["2024-03-01", "2024-03-02", "2024-03-03", "2024-03-04"], "y": [1.0, 2.0, 3.0, 4.0]}
    )
    train, test = split(frame, pd.Timestamp("2024-03-02"), "D", horizon=2)
    assert train["y"].tolist() == [1.0, 2.0]
    assert test["y"].tolist() == [3.0, 4.0]
    assert list(test.columns) == ["ds", "y"]


def test_daily_and_monthly_origins() -> None:
    daily = rolling_origins(pd.Timestamp("2024-03-31"), "D", horizon=7, folds=3, step=7)
    assert daily == [pd.Timestamp(d) for d in ("2024-03-10", "2024-03-17", "2024-03-24")]
    assert list(forecast_window(daily[-1], "D", 7)) == list(
        pd.date_range("2024-03-25", "2024-03-31")
    )

    monthly = rolling_origins(pd.Timestamp("2024-12-01"), "MS", horizon=2, folds=2, step=1)
    assert monthly == [pd.Timestamp("2024-09-01"), pd.Timestamp("2024-10-01")]
    assert list(forecast_window(monthly[0], "MS", 2, gap=1)) == [pd.Timestamp("2024-11-01")]


def test_plain_w_is_anchored_on_the_data_weekday() -> None:
    origins = rolling_origins(week(160), "W", horizon=3, folds=2, step=2)
    assert origins == [week(155), week(157)]


def test_pandas_freq() -> None:
    assert pandas_freq(pd.date_range("2024-01-01", periods=10, freq="D")) == "D"
    assert pandas_freq(pd.Series(pd.date_range("2024-01-01", periods=5, freq="W-MON"))) == "W-MON"
    assert pandas_freq(pd.date_range("2024-01-01", periods=5, freq="MS")) == "MS"
    assert pandas_freq(["2024-01-04", "2024-01-18"]) == "W-THU"  # a gap keeps the weekday
    with pytest.raises(ValueError, match="mix"):
        pandas_freq(pd.to_datetime(["2024-01-01", "2024-01-09", "2024-01-17"]))
    with pytest.raises(ValueError, match="no dates"):
        pandas_freq([])


def test_period_ordinals_count_periods() -> None:
    assert np.diff(period_ordinals([week(1), week(2), week(10)], "W-THU")).tolist() == [1, 8]
    assert np.diff(period_ordinals(["2024-01-01", "2024-03-01"], "MS")).tolist() == [2]
    assert np.diff(period_ordinals(["2024-02-28", "2024-03-01"], "D")).tolist() == [2]


@pytest.mark.parametrize(
    ("origins", "message"),
    [
        ([week(39)], "leaves no training data"),
        ([week(158)], "past the end of the data"),
        ([week(150) + pd.Timedelta(days=1)], "not a period label"),
        ([week(150), week(150)], "given twice"),
        ([], "no backtest origins"),
        (["not-a-date"], "is not a date"),
    ],
)
def test_validate_origins_refuses(origins: list, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        validate_origins(origins, week(40), week(160), "W-THU", horizon=3, gap=1)


def test_validate_origins_sorts_and_parses_strings() -> None:
    got = validate_origins(["1992-09-10", "1992-04-09"], week(40), week(160), "W-THU", 3, 1)
    assert got == [week(135), week(157)]
    assert validate_origins([week(40)], week(40), week(160), "W-THU", 3) == [week(40)]
    with pytest.raises(ValueError, match="at least 10 periods"):
        validate_origins([week(45)], week(40), week(160), "W-THU", 3, min_train=10)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="gap 3 leaves nothing"):
        forecast_window(week(100), "W-THU", horizon=3, gap=3)
    with pytest.raises(ValueError, match="folds must be"):
        rolling_origins(week(160), "W-THU", horizon=3, folds=0, step=1)
    with pytest.raises(ValueError, match="not a period label"):
        rolling_origins(pd.Timestamp("1992-10-02"), "W-THU", horizon=3, folds=2, step=1)


_GRIDS = {"D": pd.Timestamp("2020-01-01"), "W-THU": FIRST_WEEK, "MS": pd.Timestamp("2015-01-01")}


@settings(max_examples=60, deadline=None)
@given(
    freq=st.sampled_from(sorted(_GRIDS)),
    shift=st.integers(0, 400),
    horizon=st.integers(1, 12),
    folds=st.integers(1, 15),
    step=st.integers(1, 6),
)
def test_rolling_origins_properties(
    freq: str, shift: int, horizon: int, folds: int, step: int
) -> None:
    end = pd.date_range(_GRIDS[freq], periods=shift + 1, freq=freq)[-1]
    origins = rolling_origins(end, freq, horizon, folds, step)
    assert len(origins) == folds
    assert all(a < b for a, b in zip(origins, origins[1:], strict=False))
    ordinals = period_ordinals(origins + [end], freq)
    assert ordinals[-1] - ordinals[-2] == horizon  # last origin = end - H periods
    assert set(np.diff(ordinals[:-1]).tolist()) <= {step}
    assert forecast_window(origins[-1], freq, horizon)[-1] == end
