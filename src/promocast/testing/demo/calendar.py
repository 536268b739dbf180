"""The demo shop's calendar demand: level, trend, seasons, festivals and launch ramps.

``calendar_demand`` computes, from ``ground_truth.json`` alone, the expected units of every item
x store x day at the item's reference price with no promotion. The generator itself calls it on
the truth it writes, and a benchmark can call it on future dates to price a promotion plan.
Festival shapes: shopping festivals (38, 520, 618, Double 11, Double 12) build up over a run-up
to a peak on the day and leave a hangover dip; Spring Festival (lunar new year) brings a
stock-up before the holiday offline, a courier shutdown online and a quiet week after.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from promocast.testing.demo.catalogue import LAUNCH_RAMP_DAYS

SPRING_FESTIVAL: dict[int, str] = {
    2015: "2015-02-19",
    2016: "2016-02-08",
    2017: "2017-01-28",
    2018: "2018-02-16",
    2019: "2019-02-05",
    2020: "2020-01-25",
    2021: "2021-02-12",
    2022: "2022-02-01",
    2023: "2023-01-22",
    2024: "2024-02-10",
    2025: "2025-01-29",
    2026: "2026-02-17",
    2027: "2027-02-06",
    2028: "2028-01-26",
    2029: "2029-02-13",
    2030: "2030-02-03",
}
"""Lunar new year's day (Spring Festival) by year."""

SHOPPING_FESTIVALS: dict[str, dict] = {
    "festival_38": {
        "month": 3,
        "day": 8,
        "runup_days": 3,
        "hangover_days": 2,
        "peak_lift": {"online": 0.40, "offline": 0.10},
        "hangover_dip": {"online": 0.10, "offline": 0.03},
    },
    "festival_520": {
        "month": 5,
        "day": 20,
        "runup_days": 2,
        "hangover_days": 1,
        "peak_lift": {"online": 0.25, "offline": 0.10},
        "hangover_dip": {"online": 0.05, "offline": 0.0},
    },
    "festival_618": {
        "month": 6,
        "day": 18,
        "runup_days": 7,
        "hangover_days": 4,
        "peak_lift": {"online": 1.20, "offline": 0.20},
        "hangover_dip": {"online": 0.25, "offline": 0.05},
    },
    "double_11": {
        "month": 11,
        "day": 11,
        "runup_days": 10,
        "hangover_days": 5,
        "peak_lift": {"online": 2.00, "offline": 0.30},
        "hangover_dip": {"online": 0.35, "offline": 0.08},
    },
    "double_12": {
        "month": 12,
        "day": 12,
        "runup_days": 4,
        "hangover_days": 3,
        "peak_lift": {"online": 0.60, "offline": 0.15},
        "hangover_dip": {"online": 0.15, "offline": 0.05},
    },
}
"""Peak lift at the festival day (scaled by the category's festival_sensitivity, rising as the
square of the run-up progress) and the hangover dip on the day after (fading linearly)."""

SPRING_PHASES: list[dict] = [
    {"from_day": -25, "to_day": -15, "online": 0.15, "offline": 0.20},
    {"from_day": -14, "to_day": -8, "online": 0.05, "offline": 0.35},
    {"from_day": -7, "to_day": -1, "online": -0.35, "offline": 0.60},
    {"from_day": 0, "to_day": 2, "online": -0.55, "offline": -0.50},
    {"from_day": 3, "to_day": 7, "online": -0.40, "offline": -0.25},
    {"from_day": 8, "to_day": 14, "online": -0.15, "offline": -0.10},
]
"""Spring Festival: relative change per phase (days from new year's day) and channel; positive
changes (the stock-up) scale with the category's spring_festival_sensitivity, negative ones
(couriers stop, shops close) hit every category alike."""


def spring_festival_date(year: int) -> pd.Timestamp | None:
    """Lunar new year's day, from the table or else the ``holidays`` package."""
    if year in SPRING_FESTIVAL:
        return pd.Timestamp(SPRING_FESTIVAL[year])
    try:
        import holidays

        table = holidays.country_holidays("CN", years=[year], language="en_US")
    except Exception:  # pragma: no cover - only outside 2015-2030
        return None
    days = sorted(day for day, name in table.items() if "Spring Festival" in name)
    return pd.Timestamp(days[0]) if days else None


def festival_truth(dates: pd.DatetimeIndex) -> dict:
    """The festival part of the truth, with every festival date from the first year to five
    years after the last (so future plans can be priced)."""
    years = range(dates[0].year, dates[-1].year + 6)
    out: dict[str, dict] = {}
    for event, spec in SHOPPING_FESTIVALS.items():
        out[event] = {
            **spec,
            "dates": [f"{y}-{spec['month']:02d}-{spec['day']:02d}" for y in years],
        }
    spring = [spring_festival_date(y) for y in years]
    out["spring_festival"] = {
        "phases": SPRING_PHASES,
        "dates": [d.strftime("%Y-%m-%d") for d in spring if d is not None],
    }
    return out


def events_table(festivals: dict, dates: pd.DatetimeIndex) -> pd.DataFrame:
    """events.csv: every festival day inside the history (date, event, store_id ``all``)."""
    rows = [(day, event) for event, spec in festivals.items() for day in spec["dates"]]
    frame = pd.DataFrame(rows, columns=["date", "event"])
    first, last = dates[0].strftime("%Y-%m-%d"), dates[-1].strftime("%Y-%m-%d")
    frame = frame[(frame["date"] >= first) & (frame["date"] <= last)]
    return frame.assign(store_id="all").sort_values(["date", "event"]).reset_index(drop=True)


def festival_multiplier(
    festivals: dict,
    dates: pd.DatetimeIndex,
    channel: str,
    sensitivity: float,
    spring_sensitivity: float,
) -> np.ndarray:
    """(n_days,) demand multiplier of all festivals for one category and channel."""
    day_numbers = dates.to_numpy().astype("datetime64[D]").astype(np.int64)
    mult = np.ones(len(dates))
    for event, spec in festivals.items():
        for day in spec["dates"]:
            offset = day_numbers - np.datetime64(day, "D").astype(np.int64)
            if event == "spring_festival":
                for phase in spec["phases"]:
                    inside = (offset >= phase["from_day"]) & (offset <= phase["to_day"])
                    change = phase[channel]
                    mult[inside] *= 1 + (change * spring_sensitivity if change > 0 else change)
                continue
            runup, hangover = spec["runup_days"], spec["hangover_days"]
            before = (offset >= -runup) & (offset <= 0)
            progress = (runup + 1 + offset[before]) / (runup + 1)
            mult[before] *= 1 + sensitivity * spec["peak_lift"][channel] * progress**2
            after = (offset >= 1) & (offset <= hangover)
            fade = (hangover + 1 - offset[after]) / max(hangover, 1)
            mult[after] *= 1 - min(sensitivity * spec["hangover_dip"][channel], 0.9) * fade
    return mult


def calendar_demand(
    truth: dict,
    dates: pd.DatetimeIndex,
    item_ids: Sequence[str] | None = None,
    store_ids: Sequence[str] | None = None,
) -> np.ndarray:
    """Expected units (n_items, n_stores, n_days) at the reference price with no promotion.

    Read from the truth alone: base level x exp(trend x years since start) x yearly cycle x
    weekday x festivals x launch ramp (zero before a launch inside the history).
    """
    items = list(truth["items"]) if item_ids is None else list(item_ids)
    stores = list(truth["stores"]) if store_ids is None else list(store_ids)
    rows = [truth["items"][i] for i in items]
    channels = [truth["stores"][s]["channel"] for s in stores]
    start = pd.Timestamp(truth["start"])
    years = ((dates - start).days.to_numpy() / 365.25)[None, :]
    day_of_year = dates.dayofyear.to_numpy()[None, :]
    weekday = dates.weekday.to_numpy()

    level = np.array([[r["base_level"][s] for s in stores] for r in rows], dtype=float)
    trend = np.array([r["trend"] for r in rows])[:, None]
    amplitude = np.array([r["yearly_amplitude"] for r in rows])[:, None]
    peak = np.array([truth["categories"][r["category"]]["yearly_peak_day"] for r in rows])[:, None]
    yearly = np.exp(amplitude * np.cos(2 * np.pi * (day_of_year - peak) / 365.25))
    out = level.reshape(len(rows), len(stores), 1) * (np.exp(trend * years) * yearly)[:, None, :]

    cache: dict[tuple[str, str], np.ndarray] = {}
    for category in sorted({r["category"] for r in rows}):
        spec = truth["categories"][category]
        for channel in sorted(set(channels)):
            week = np.asarray(spec["weekly"][channel])[weekday]
            cache[category, channel] = week * festival_multiplier(
                truth["festivals"],
                dates,
                channel,
                spec["festival_sensitivity"],
                spec["spring_festival_sensitivity"],
            )
    for i, r in enumerate(rows):
        for s, channel in enumerate(channels):
            out[i, s] *= cache[r["category"], channel]

    launch = np.array([np.datetime64(r["launch_date"], "D") for r in rows])
    since = (dates.to_numpy().astype("datetime64[D]")[None, :] - launch[:, None]).astype(np.int64)
    new = np.array([r["new_launch"] for r in rows])[:, None]
    ramp = np.where(new, 1 - 0.7 * np.exp(-np.maximum(since, 0) / LAUNCH_RAMP_DAYS), 1.0)
    ramp = np.where(new & (since < 0), 0.0, ramp)
    return out * ramp[:, None, :]
