"""The shop's period in the dashboard's words: its unit (day, week or month) and the default
spans of the windows and horizons that a daily default would get wrong on a weekly or monthly
shop (28 "periods" of a monthly shop are more than two years)."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class ShopPeriod:
    """Defaults in periods of the shop's data (``unit``)."""

    unit: str
    """``day``, ``week`` or ``month``: what one period of the data is."""
    recent: int
    """Overview window compared with the one before: 28 days, 8 weeks, 3 months."""
    trend: str
    """Period of the overview's trend chart: ``week`` (daily and weekly data) or ``month``."""
    forecast_horizon: int
    """A forecast started from the dashboard: 28 days, 13 weeks, 6 months."""
    backtest_horizon: int
    """A backtest started from the dashboard: 14 days, 8 weeks, 3 months."""
    promotion_length: int
    """A what-if's default length: 7 days, 2 weeks, 1 month."""
    lead_time: int
    """The inventory form's default lead time: 3 days, 1 week, 1 month."""
    history_days: int
    """Days of an item's history the items page shows: a year of days, two years of weeks,
    four years of months."""
    context: int
    """Periods of actuals drawn before a forecast: 56 days, 26 weeks, 24 months."""

    def as_dict(self) -> dict:
        return asdict(self)


DAILY = ShopPeriod("day", recent=28, trend="week", forecast_horizon=28, backtest_horizon=14,
                   promotion_length=7, lead_time=3,
                   history_days=365, context=56)
WEEKLY = ShopPeriod("week", recent=8, trend="week", forecast_horizon=13, backtest_horizon=8,
                    promotion_length=2, lead_time=1,
                    history_days=730, context=26)
MONTHLY = ShopPeriod("month", recent=3, trend="month", forecast_horizon=6, backtest_horizon=3,
                     promotion_length=1, lead_time=1,
                     history_days=1461, context=24)


def shop_period(freq: str | None) -> ShopPeriod:
    """The defaults of a store frequency (``store_info``'s ``freq``: ``D``, ``W``, ``W-MON``,
    ``MS``, ...). Unknown or mixed frequencies count in days, the finest grid."""
    code = str(freq or "D").upper()
    if code.startswith("W"):
        return WEEKLY
    if code.startswith(("MS", "M")) and code != "MIXED":
        return MONTHLY
    return DAILY
