"""The no-promotion baseline of the promotion use cases: forecast once, kept in the store
(``forecast_runs`` kind ``baseline``) and reused while the data stay the same, and the prices
it stands on (the regular price, or a standing discount's usual one)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import numpy as np
import pandas as pd

from promocast.data.storage import Store
from promocast.exceptions import UsageError
from promocast.features.calendar import build_calendar
from promocast.forecasting.engine import (
    DEFAULT_QUANTILES,
    ForecastSpec,
    fit_predict,
    quantile_column,
)
from promocast.forecasting.reconciliation import mean_from_quantiles
from promocast.promotions.plan_words import Said
from promocast.promotions.rules import period_offset
from promocast.services.shop import Progress, Shop, say_to

BASELINE_MODEL = "lgbm"
BASELINE_PRICES = "usual+young+spread+events_apart"
"""How the kept baselines are made: at the usual price (the regular one, or the price a
standing discount usually sells at), young series included (``forecasting.young``), with
quantiles from the series' own spread where the history held back no calibration window
(``forecasting.short_history``), by a LightGBM whose festivals and prices add up
(``ForecastSpec.events_apart``). Baselines kept under another rule (the regular price for
every series, before standing discounts; without the young series; with quantiles all equal
to the median on a short history, QA round 5 finding 4; festivals learnt only inside the
discounted branch, finding 8) are not reused."""


class BeyondHistory(UsageError):
    """The no-promotion baseline is asked further ahead than the history carries a forecast
    (less than half the longest series' history)."""

    def __init__(self, reach: pd.Timestamp, data_end: pd.Timestamp, needed: int,
                 history: int, carry: int, carry_end: pd.Timestamp) -> None:
        self.reach, self.data_end, self.carry_end = reach, data_end, carry_end
        self.needed, self.history, self.carry = needed, history, carry
        super().__init__(
            f"the no-promotion baseline would have to reach {reach.date()}, {needed} periods "
            f"after the data end on {data_end.date()}; {self.how_far()}: plan or simulate "
            "closer to the data's end")

    def __reduce__(self):  # pickled whole (a what-if worker may raise it)
        return (type(self), (self.reach, self.data_end, self.needed, self.history, self.carry,
                             self.carry_end))

    def how_far(self) -> str:
        return (f"{self.history} periods of history carry a forecast {self.carry} periods "
                f"ahead (less than half the history), to {self.carry_end.date()}")


def baseline_forecast(shop: Shop, horizon: int, *, country: str = "CN",
                      quantiles: tuple[float, ...] = DEFAULT_QUANTILES,
                      progress: Progress | None = None) -> pd.DataFrame:
    """Units each series would sell over the next ``horizon`` periods with no promotion (the
    forecaster with every promotion switched off), at its usual price: the regular price or,
    for a standing discount (``standing_discounts``), the price it usually sells at
    (``usual_prices``).

    A series that has sold at a discount in each of its last periods has no regular-price
    sales to speak of: "no promotion" for it means going on as now. (Stallion: at the regular
    price, these series' baseline for the next quarter sat up to 25 % under what they sold,
    and a planned "10 % off" the regular price, dearer than their usual trade discount, came
    out as a lift.)

    Columns item_id, store_id, category, ds, baseline_units (the mean, from the quantiles:
    money adds up over means, not medians), ``baseline_units-q<level>`` and ``usual_price``
    (the price a standing discount is held at; NaN for the others)."""
    from promocast.services.forecast import future_inputs, standing_discounts, usual_prices

    panel = shop.panel
    frame = panel.frame
    calendar = build_calendar(frame["ds"].min(), frame["ds"].max() + pd.Timedelta(days=800),
                              panel.country, shop.events)
    no_promotions = shop.promotions.iloc[0:0]
    standing = standing_discounts(frame, panel.freq)
    future = future_inputs(frame, panel.freq, horizon, panel.known, no_promotions,
                           shop.items[["item_id", "category"]], calendar, hold=standing)
    spec = ForecastSpec(freq=panel.freq, horizon=horizon, models=[BASELINE_MODEL],
                        season_length=panel.season_length, quantiles=quantiles,
                        known=panel.known, static=panel.static, events_apart=True)
    say_to(progress)(f"forecasting the no-promotion baseline of {frame['unique_id'].nunique()} "
                   f"series, {horizon} periods")
    train = frame[frame.groupby("unique_id")["ds"].transform("size") > 2 * horizon]
    if train.empty:
        raise UsageError(f"no series has more than {2 * horizon} periods of history: "
                         "plan or simulate a shorter horizon")
    predicted = fit_predict(train, future, spec)
    keys = frame.drop_duplicates("unique_id").set_index("unique_id")[
        ["item_id", "store_id", "category"]]
    young = frame[~frame["unique_id"].isin(train["unique_id"].unique())]
    if len(young):  # new items: their own level x their category's shape (forecasting.young)
        from promocast.forecasting.young import young_forecasts

        grid = future.loc[future["unique_id"].isin(young["unique_id"].unique()),
                          ["unique_id", "ds"]].join(keys, on="unique_id")
        peers = predicted.join(keys[["store_id", "category"]], on="unique_id")
        added = young_forecasts(young, grid, peers, [BASELINE_MODEL], quantiles)
        predicted = pd.concat([predicted, added[[c for c in predicted.columns if c in added]]],
                              ignore_index=True)
    out = predicted[["unique_id", "ds"]].join(keys, on="unique_id")
    out["baseline_units"] = np.clip(mean_from_quantiles(predicted, BASELINE_MODEL, quantiles), 0,
                                    None)
    for q in quantiles:
        out[f"baseline_units-q{q:g}"] = predicted[quantile_column(BASELINE_MODEL, q)].clip(lower=0)
    out["usual_price"] = usual_prices(frame, panel.freq, standing).reindex(
        out["unique_id"]).to_numpy()
    return out.reset_index(drop=True)


def _baseline_long(baseline: pd.DataFrame) -> pd.DataFrame:
    """The baseline in the store's long forecasts layout (the mean under quantile NULL)."""
    columns = {"baseline_units": np.nan} | {
        c: float(c.split("-q")[1]) for c in baseline if c.startswith("baseline_units-q")}
    return pd.concat([
        pd.DataFrame({"unique_id": baseline["unique_id"], "item_id": baseline["item_id"],
                      "store_id": baseline["store_id"], "ds": baseline["ds"], "model": "baseline",
                      "quantile": q, "value": baseline[c]})
        for c, q in columns.items()], ignore_index=True)


def kept_baseline(db: Path, data_hash: str, first_day: pd.Timestamp, last_day: pd.Timestamp
                  ) -> pd.DataFrame | None:
    """The newest no-promotion baseline kept for this data that covers the days asked, or None.
    Only a baseline priced as ``baseline_forecast`` prices now (``BASELINE_PRICES``) counts."""
    with Store(db, read_only=True) as store:
        runs = store.query(
            "SELECT run_id, document FROM forecast_runs WHERE kind = 'baseline' "
            "AND data_hash = ? AND json_extract_string(params, '$.prices') = ? "
            "ORDER BY created_at DESC LIMIT 1", [data_hash, BASELINE_PRICES])
        if runs.empty:
            return None
        long = store.query(
            "SELECT unique_id, item_id, store_id, ds, quantile, value FROM forecasts "
            "WHERE run_id = ?", [runs["run_id"].iloc[0]])
    long["ds"] = pd.to_datetime(long["ds"])
    if long.empty or long["ds"].min() > first_day or long["ds"].max() < last_day:
        return None
    long["column"] = np.where(long["quantile"].isna(), "baseline_units",
                              "baseline_units-q" + long["quantile"].map("{:g}".format))
    wide = long.pivot_table(index=["unique_id", "item_id", "store_id", "ds"], columns="column",
                            values="value").reset_index()
    wide.columns.name = None
    standing = json.loads(runs["document"].iloc[0]).get("standing", {})
    if not isinstance(standing, dict):  # not the usual prices: forecast the baseline anew
        return None
    wide["usual_price"] = wide["unique_id"].map(standing).astype(float)
    return wide


BASELINE_MIN_STEPS = {"D": 56, "W": 8}
"""Periods the no-promotion baseline covers at least, by the panel's frequency (else 2)."""


def panel_step(freq: str) -> pd.DateOffset:
    """One period of the panel as a calendar offset from one of its dates: the next week
    starts on the same weekday (a Thursday for Dominick's), the next month on the first."""
    return period_offset("D" if freq.startswith("D") else "W" if freq.startswith("W") else "M")


def shop_baseline(db: Path, shop: Shop, last_day: pd.Timestamp, *, country: str = "CN",
                  reserve_to: pd.Timestamp | None = None, progress: Progress | None = None,
                  ) -> pd.DataFrame:
    """The no-promotion baseline from the day after the history up to ``last_day`` at least:
    the kept one when it covers the days, else forecast and kept, as far as ``reserve_to``
    (default 8 weeks ahead) when the history carries that far, so that the next plan or
    what-if reuses it."""
    panel = shop.panel
    end = panel.frame["ds"].max()
    step = panel_step(panel.freq)
    first_day = end + step
    kept = kept_baseline(db, panel.data_hash, first_day, last_day)
    if kept is not None:
        say_to(progress)("reusing the no-promotion baseline forecast of the same data")
        return kept
    needed = _periods_to(end, last_day, step)
    reserve = (BASELINE_MIN_STEPS.get(panel.freq[:1], 2) if reserve_to is None
               else _periods_to(end, reserve_to, step))
    # the reserve only as far as the history carries a forecast (more than twice the
    # horizon: a 75-day shop forecasts 37 days ahead, not the 56 kept for reuse)
    longest = int(panel.frame.groupby("unique_id", sort=False).size().max())
    if needed > (longest - 1) // 2:
        carry = (longest - 1) // 2
        raise BeyondHistory(pd.Timestamp(last_day), end, needed, longest, carry,
                            pd.date_range(end, periods=carry + 1, freq=step)[-1])
    steps = max(needed, min(reserve, (longest - 1) // 2))
    baseline = baseline_forecast(shop, steps, country=country, progress=progress)
    with Store(db) as store:
        held = baseline.dropna(subset=["usual_price"]).drop_duplicates("unique_id")
        standing = dict(zip(held["unique_id"], held["usual_price"].astype(float), strict=True))
        store.save_run(f"baseline-{uuid.uuid4().hex[:8]}", "baseline", [BASELINE_MODEL], steps,
                       json.dumps({"country": country, "freq": panel.freq,
                                   "prices": BASELINE_PRICES}), panel.data_hash,
                       json.dumps({"rows": len(baseline), "standing": standing}),
                       _baseline_long(baseline))
    return baseline


def _periods_to(end: pd.Timestamp, day: pd.Timestamp, step: pd.DateOffset) -> int:
    """Periods after ``end`` until one starts on or after ``day`` (callers test coverage by
    the last period's date)."""
    starts = pd.date_range(end, max(day, end), freq=step)
    return len(starts) - 1 + int(starts[-1] < day)


def regular_prices(db: Path, standing: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per item and store: the regular price (the last base price seen, else the items table's,
    else the last price paid), the unit cost (items table; NaN when unknown) and the category.

    ``standing``: item_id, store_id, usual_price of the series the baseline holds at a
    standing discount (``standing_pairs``). Their price of reference is that usual price,
    the one their baseline assumes: a promotion's depth comes off the price they sell at,
    and its effect is measured from there. Column ``standing`` marks them."""
    with Store(db, read_only=True) as store:
        prices = store.query("""
            SELECT s.item_id, s.store_id,
                   coalesce(arg_max(s.base_price, s.date) FILTER (WHERE s.base_price > 0),
                            any_value(i.base_price),
                            arg_max(s.price, s.date) FILTER (WHERE s.price > 0)) AS regular_price,
                   any_value(i.unit_cost)::DOUBLE AS unit_cost,
                   coalesce(any_value(i.category), 'uncategorised') AS category
            FROM sales s LEFT JOIN items i USING (item_id)
            GROUP BY s.item_id, s.store_id ORDER BY s.item_id, s.store_id""")
    usual = pd.Series(np.nan, index=prices.index)
    if standing is not None and len(standing):
        by_key = standing.astype({"item_id": str, "store_id": str}).set_index(
            ["item_id", "store_id"])["usual_price"]
        keys = pd.MultiIndex.from_frame(prices[["item_id", "store_id"]].astype(str))
        usual = pd.Series(by_key.reindex(keys).to_numpy(float), index=prices.index)
    prices["standing"] = usual.notna().to_numpy()
    prices["regular_price"] = usual.where(prices["standing"], prices["regular_price"])
    return prices


def standing_note(n: int) -> Said:
    """What a plan says when it prices series at their standing discount (en and zh)."""
    from promocast.promotions.plan_words import standing
    from promocast.services.forecast import STANDING_PERIODS

    return standing(n, STANDING_PERIODS)


def standing_pairs(baseline: pd.DataFrame) -> pd.DataFrame:
    """item_id, store_id, usual_price of the series a baseline holds at a standing discount."""
    if "usual_price" not in baseline:
        return pd.DataFrame(columns=["item_id", "store_id", "usual_price"])
    return baseline.dropna(subset=["usual_price"])[
        ["item_id", "store_id", "usual_price"]].drop_duplicates(["item_id", "store_id"])
