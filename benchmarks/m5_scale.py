"""M5-size scale benchmark: the demo shop at 30,490 daily series x 1,941 days, end to end.

Stages, each timed (wall seconds) with its peak resident memory: generate the demo shop
(``promocast.testing.demo.generate``), ingest it into DuckDB (``services.ingest.ingest``: sales,
inventory, items, promotions, events, stores; the online store's order lines are generated but
not ingested, as forecasting never reads them), build the forecasting panel
(``services.forecasting.load_panel``) and run the 28-day LightGBM quantile forecast
(``services.forecast.run_forecast``; inside it the panel is built again, ``fit_global`` trains
the direct LightGBM models and their calibration refits, ``fit_predict`` forecasts; each piece
is timed apart, the calibration refits too).

Peak memory: a background thread samples this process's RSS with psutil every 0.1 s; a stage's
peak is the largest sample while it ran (the process-wide maximum from getrusage is reported
too). Everything runs in one process, so a stage's peak includes what earlier stages left
allocated (the script frees its own frames between stages).

Peers on the same panel (``load_panel``'s regular grid, y interpolated over gaps): plain
mlforecast with a default ``lightgbm.LGBMRegressor()`` on promocast's daily lags, rolling means
and date features (``engine._lags`` with lags from 1, recursive, no exogenous inputs) and
statsforecast ``AutoETS(season_length=7)``, optionally on a random sample of series with the
time extrapolated linearly in the number of series.

Run: .venv/bin/python benchmarks/m5_scale.py [--series 30490 --days 1941 --stores 10
     --threads 2 --out /tmp/m5scale --ets-sample 500 --skip-peers --no-write]
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import shutil
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import psutil  # noqa: E402

from _report import machine, peak_rss_mb, write_section  # noqa: E402

FULL_SERIES, FULL_DAYS = 30_490, 1_941
HORIZON = 28
TARGET_WALL_S, TARGET_PEAK_MB, TARGET_RATIO = 30 * 60, 12 * 1024, 1.2
TRAIN = "forecast: fit_global (training)"
PREDICT = "forecast: fit_predict (forecasting; training too without fit_global)"
INGESTED = ("stores", "items", "promotions", "events", "sales", "inventory")
REFRESH_INGEST = "refresh: ingest one new day (all series)"
REFRESH = "refresh: forecast --refresh (kept models, no retraining)"
TARGET_REFRESH_S = 60


class MemorySampler:
    """RSS of this process sampled every ``interval`` seconds; every open phase keeps its max."""

    def __init__(self, interval: float = 0.1) -> None:
        self.process = psutil.Process()
        self.interval = interval
        self.open: dict[str, float] = {}
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def rss_mb(self) -> float:
        return self.process.memory_info().rss / 2**20

    def _run(self) -> None:
        while not self.stop.wait(self.interval):
            self.sample()

    def sample(self) -> None:
        rss = self.rss_mb()
        with self.lock:
            for name in self.open:
                self.open[name] = max(self.open[name], rss)

    def begin(self, name: str) -> None:
        with self.lock:
            self.open[name] = self.rss_mb()

    def end(self, name: str) -> float:
        self.sample()
        with self.lock:
            return self.open.pop(name)


@dataclass
class Timings:
    """Wall seconds and peak RSS (MB) per stage, in the order they ran."""

    sampler: MemorySampler
    baseline_mb: float = 0.0
    """RSS after the imports, before the first stage: what the extrapolation does not scale."""
    seconds: dict[str, float] = field(default_factory=dict)
    peak: dict[str, float] = field(default_factory=dict)

    def scaled_mb(self, name: str, scale: float) -> float:
        """A stage's peak with the memory above the imports' baseline scaled by ``scale``."""
        return self.baseline_mb + (self.peak[name] - self.baseline_mb) * scale

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        gc.collect()
        self.sampler.begin(name)
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started
            self.peak[name] = max(self.peak.get(name, 0.0), self.sampler.end(name))
            print(f"[{name}] {self.seconds[name]:.1f} s, peak RSS {self.peak[name]:.0f} MB",
                  flush=True)


def years_for(days: int, start: pd.Timestamp) -> float:
    """The ``years`` argument of ``generate`` that gives exactly ``days`` daily dates."""
    from promocast.testing.demo.shop import history

    for whole in range(0, days // 365 + 2):
        rest = days - (start + pd.DateOffset(years=whole) - start).days
        if 0 <= rest < 366:
            years = whole + rest / 365.25
            if len(history(str(start.date()), years)) == days:
                return years
    raise ValueError(f"cannot generate exactly {days} days from {start.date()}")


def demo_start(days: int) -> pd.Timestamp:
    """2021-01-01, or earlier when the history would otherwise run past today."""
    start = pd.Timestamp("2021-01-01")
    latest = pd.Timestamp(date.today()) - pd.Timedelta(days=days + 1)
    return min(start, latest.normalize())


@contextmanager
def instrumented_forecast(timings: Timings, threads: int) -> Iterator[None]:
    """Time the pieces of ``run_forecast`` (its panel, fit_predict, the calibration refits)
    and give LightGBM ``threads`` threads, without touching src/: the service's and the
    engine's module globals are wrapped for the duration."""
    from promocast.forecasting import engine
    from promocast.services import forecast as service

    saved = {(module, name): getattr(module, name) for module, name in (
        (service, "load_panel"), (service, "fit_predict"), (service, "ForecastSpec"),
        (service, "fit_global"), (engine, "_holdout_residuals")) if hasattr(module, name)}

    def timed(name: str, fn):  # noqa: ANN001, ANN202 - a transparent wrapper
        def wrapper(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            with timings.stage(name):
                return fn(*args, **kwargs)
        return wrapper

    def spec(**kwargs: object) -> engine.ForecastSpec:
        return engine.ForecastSpec(**{**kwargs, "num_threads": threads})

    service.load_panel = timed("forecast: load_panel", service.load_panel)
    service.fit_predict = timed(PREDICT, service.fit_predict)
    if hasattr(service, "fit_global"):
        service.fit_global = timed(TRAIN, service.fit_global)
    service.ForecastSpec = spec
    engine._holdout_residuals = timed("forecast: of which calibration refits",
                                      engine._holdout_residuals)
    try:
        yield
    finally:
        for (module, name), value in saved.items():
            setattr(module, name, value)


def one_more_day(db: Path, folder: Path) -> Path:
    """Sales and inventory CSVs of the day after the store's last one for every series (the
    units and stock of the same weekday a week before, today's shelf price): what a shop's
    nightly export adds."""
    import duckdb

    folder.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(db), read_only=True)
    try:
        last = con.execute("SELECT max(date) FROM sales").fetchone()[0]
        week = "date = ?::DATE - INTERVAL 6 DAY"
        con.execute(f"""COPY (SELECT ?::DATE + INTERVAL 1 DAY AS date, item_id, store_id, units,
                                     base_price AS price, base_price, 0 AS on_promo
                              FROM sales WHERE {week}) TO '{folder / "sales.csv"}' (HEADER)""",
                    [last, last])
        con.execute(f"""COPY (SELECT ?::DATE + INTERVAL 1 DAY AS date, item_id, store_id, on_hand
                              FROM inventory WHERE {week}) TO '{folder / "inventory.csv"}'
                        (HEADER)""", [last, last])
    finally:
        con.close()
    return folder


def peer_frame(panel, horizon: int) -> pd.DataFrame:
    """What promocast's global model learns from on this panel (the same rows, the same
    known and static inputs, float32), for the peers: ``engine.training_frame``."""
    from promocast.forecasting.engine import ForecastSpec, training_frame

    spec = ForecastSpec(freq=panel.freq, horizon=horizon, models=["lgbm"], season_length=7,
                        known=panel.known, static=panel.static)
    long_enough = panel.frame.groupby("unique_id")["ds"].transform("size") > 2 * horizon
    return training_frame(panel.frame[long_enough], spec)


def plain_mlforecast(df: pd.DataFrame, static: list[str], threads: int,
                     settings: str) -> tuple[float, float]:
    """Plain mlforecast on the frame promocast trains on: promocast's daily lags, rolling
    means and date features (``lags._lags``, lags from 1, recursive), its known inputs as
    exogenous columns (their future values from the last row, as a forecast would get them)
    and static inputs, a log1p target, and LightGBM with ``settings``: ``promocast``
    (``zoo.ml_model("lgbm")``'s parameters: the same learner) or ``default``
    (``LGBMRegressor()``). Fit and predict seconds."""
    import lightgbm as lgb
    from mlforecast import MLForecast
    from mlforecast.target_transforms import GlobalSklearnTransformer
    from sklearn.preprocessing import FunctionTransformer

    from promocast.forecasting.lags import _lags
    from promocast.forecasting.spec import ForecastSpec
    from promocast.forecasting.zoo import ZooConfig, ml_model

    spec = ForecastSpec(freq="D", horizon=HORIZON, models=["lgbm"], season_length=7,
                        strategy="recursive")
    lags, transforms, dates = _lags(spec)
    model = (ml_model("lgbm", ZooConfig(season_length=7, num_threads=threads))
             if settings == "promocast" else lgb.LGBMRegressor(verbosity=-1, n_jobs=threads))
    mlf = MLForecast(models={"plain_lgbm": model}, freq="D", lags=lags,
                     lag_transforms=transforms, date_features=dates, num_threads=1,
                     target_transforms=[GlobalSklearnTransformer(
                         FunctionTransformer(np.log1p, np.expm1))])
    known = [c for c in df.columns if c not in ("unique_id", "ds", "y", "weight", *static)]
    started = time.perf_counter()
    mlf.fit(df, static_features=static, weight_col="weight")
    fitted = time.perf_counter() - started
    last = df.groupby("unique_id", sort=False).tail(1)
    future = mlf.make_future_dataframe(HORIZON).merge(last[["unique_id", *known]],
                                                      on="unique_id")
    started = time.perf_counter()
    mlf.predict(h=HORIZON, X_df=future)
    return fitted, time.perf_counter() - started


def autoets(df: pd.DataFrame, sample: int, threads: int, seed: int = 0) -> tuple[float, int]:
    """statsforecast AutoETS(season 7) forecast of ``sample`` random series: seconds, series."""
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS

    ids = df["unique_id"].unique()
    if sample and sample < len(ids):
        ids = np.random.default_rng(seed).choice(ids, sample, replace=False)
        df = df[df["unique_id"].isin(ids)]
    sf = StatsForecast(models=[AutoETS(season_length=7)], freq="D", n_jobs=threads)
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sf.forecast(df=df, h=HORIZON)
    return time.perf_counter() - started, len(ids)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=FULL_SERIES)
    parser.add_argument("--days", type=int, default=FULL_DAYS)
    parser.add_argument("--stores", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("/tmp/m5scale"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--ets-sample", type=int, default=500,
                        help="AutoETS on this many random series, time scaled up (0 = all)")
    parser.add_argument("--skip-peers", action="store_true")
    parser.add_argument("--until", choices=["ingest", "features", "forecast"], default="forecast",
                        help="stop after this stage (profiling the early stages at size)")
    parser.add_argument("--no-write", action="store_true", help="do not touch BENCHMARKS.md")
    args = parser.parse_args()
    os.environ["OMP_NUM_THREADS"] = str(args.threads)

    from promocast.services.forecast import run_forecast
    from promocast.services.forecasting import load_panel, recent_start
    from promocast.services.ingest import ingest
    from promocast.services.refresh import run_refresh
    from promocast.testing.demo import generate

    n_items = math.ceil(args.series / args.stores)
    if args.out.exists():
        shutil.rmtree(args.out)
    args.out.mkdir(parents=True)
    data, db = args.out / "data", args.out / "shop.duckdb"
    sampler = MemorySampler()
    sampler.thread.start()
    timings = Timings(sampler, sampler.rss_mb())
    start = demo_start(args.days)

    with timings.stage("generate"):
        shop = generate(data, seed=args.seed, n_items=n_items, n_stores=args.stores,
                        years=years_for(args.days, start), start=str(start.date()))
    sizes = {t: shop.files[t].stat().st_size / 2**20 for t in shop.files}
    del shop
    with timings.stage("ingest"):
        summary = ingest([data / f"{t}.csv" for t in INGESTED], db)
    rows = summary.counts["sales"].inserted
    del summary
    if args.until == "ingest":
        return finish(args, timings, {}, rows=rows, series=args.series, panel_rows=rows,
                      panel_mb=0.0, n_inputs=0, sizes=sizes)
    with timings.stage("features (load_panel)"):
        since = recent_start(db)  # what run_forecast reads by default (services.forecasting)
        panel = load_panel(db, since=since)
    series = int(panel.frame["unique_id"].nunique())
    panel_rows, panel_mb = len(panel.frame), panel.frame.memory_usage(deep=True).sum() / 2**20
    n_inputs = len(panel.known) + len(panel.static)
    static = list(panel.static)
    peer_file = args.out / "peer.parquet"
    if not args.skip_peers and args.until == "forecast":  # on disk while promocast runs
        peer_frame(panel, HORIZON).to_parquet(peer_file, index=False)
    del panel
    if args.until == "features":
        return finish(args, timings, {}, rows=rows, series=series, panel_rows=panel_rows,
                      panel_mb=panel_mb, n_inputs=n_inputs, sizes=sizes)
    with timings.stage("forecast (run_forecast, lgbm, h=28)"), \
            instrumented_forecast(timings, args.threads):
        result = run_forecast(db, horizon=HORIZON, models=["lgbm"])
    print(result, flush=True)
    new_day = one_more_day(db, args.out / "new_day")
    with timings.stage(REFRESH_INGEST):
        ingest([new_day / "sales.csv", new_day / "inventory.csv"], db)
    with timings.stage(REFRESH):
        refreshed = run_refresh(db)
    print(refreshed, flush=True)

    peers: dict[str, float] = {}
    if peer_file.exists():
        peer_df = pd.read_parquet(peer_file)
        peer_df["unique_id"] = peer_df["unique_id"].astype(pd.StringDtype("pyarrow"))
        for settings in ("promocast", "default"):
            with timings.stage(f"peer: plain mlforecast, {settings} LightGBM"):
                fit_s, predict_s = plain_mlforecast(peer_df, static, args.threads, settings)
            peers.update({f"ml_fit_{settings}": fit_s, f"ml_predict_{settings}": predict_s})
        with timings.stage("peer: statsforecast AutoETS (sample)"):
            ets_s, ets_n = autoets(peer_df[["unique_id", "ds", "y"]], args.ets_sample,
                                   args.threads, args.seed)
        peers.update(ets_s=ets_s, ets_n=ets_n, ets_all=ets_s * series / ets_n)
    finish(args, timings, peers, rows=rows, series=series, panel_rows=panel_rows,
           panel_mb=panel_mb, n_inputs=n_inputs, sizes=sizes)


def finish(args: argparse.Namespace, timings: Timings, peers: dict[str, float],
           **facts: object) -> None:
    """Print the section and write it into BENCHMARKS.md (unless ``--no-write``)."""
    timings.sampler.stop.set()
    body = report(args, timings, peers, **facts)
    print(body)
    print(machine())
    if not args.no_write:
        command = (f"python benchmarks/m5_scale.py --series {args.series} --days {args.days} "
                   f"--stores {args.stores} --threads {args.threads}"
                   + (" --skip-peers" if args.skip_peers else ""))
        write_section("m5_scale", "M5-size scale: demo shop end to end (issue 7)", body, command)


def report(args: argparse.Namespace, timings: Timings, peers: dict[str, float], *, rows: int,
           series: int, panel_rows: int, panel_mb: float, n_inputs: int,
           sizes: dict[str, float]) -> str:
    """The Markdown section: per-stage table, targets, peers, extrapolation to M5 size."""
    scale = FULL_SERIES * FULL_DAYS / max(rows, 1)  # the shop's size, not the window read
    full = scale < 1.05
    lines = [
        f"Demo shop: {series:,} daily series ({math.ceil(args.series / args.stores):,} items x "
        f"{args.stores} stores) x {args.days:,} days: {rows:,} sales rows "
        f"({sizes['sales']:.0f} MB sales.csv, {sizes['inventory']:.0f} MB inventory.csv, "
        f"{sizes['orders']:.0f} MB orders.csv not ingested); panel {panel_rows:,} rows x "
        f"{n_inputs} inputs, {panel_mb:,.0f} MB in pandas"
        + ("" if panel_rows >= rows else " (the newest dates the forecast reads by default: "
           "`services.forecasting.recent_start`, 12 M sales rows, at least 400 days)")
        + f". LightGBM threads: {args.threads}.",
        "",
        "| stage | wall s | peak RSS MB |" + ("" if full else f" linear x{scale:.1f} to M5 size: s / MB |"
                                              ),
        "|---|---|---|" + ("" if full else "---|"),
    ]
    for name, seconds in timings.seconds.items():
        row = f"| {name} | {seconds:,.1f} | {timings.peak[name]:,.0f} |"
        if not full:
            row += f" {seconds * scale:,.0f} / {timings.scaled_mb(name, scale):,.0f} |"
        lines.append(row)
    stages = [n for n in timings.seconds if not n.startswith(("forecast:", "peer", "refresh"))]
    total = sum(timings.seconds[n] for n in stages)
    after_generate = total - timings.seconds.get("generate", 0.0)
    peak = max(timings.peak[n] for n in stages)
    peak_full = max(timings.scaled_mb(n, scale) for n in stages)
    verdict = "met" if total <= TARGET_WALL_S and peak <= TARGET_PEAK_MB else "NOT met"
    lines += ["", f"End to end (generate .. forecast): {total:,.0f} s wall ({after_generate:,.0f} s "
              f"from ingest on), peak RSS {peak:,.0f} MB "
              f"(process maximum by getrusage: {peak_rss_mb():,.0f} MB). Target <= 1,800 s and "
              f"<= 12,288 MB at M5 size: **{verdict if full else 'not measured at M5 size'}**"
              + ("" if full else f"; a linear extrapolation (x{scale:.1f} rows) gives "
                 f"{total * scale:,.0f} s and {peak_full:,.0f} MB (memory above the "
                 f"{timings.baseline_mb:,.0f} MB of the imports scaled)") + ".",
              "", f"Load average of the machine at the end of the run: "
              f"{', '.join(f'{x:.1f}' for x in os.getloadavg())} (2 cores shared with other jobs: "
              "wall times are contended, CPU-bound stages run up to about 2x slower)."]
    if REFRESH in timings.seconds:
        refresh_s = timings.seconds[REFRESH]
        lines += ["", f"Incremental refresh: one new day ingested for all {series:,} series in "
                  f"{timings.seconds[REFRESH_INGEST]:,.1f} s, then `forecast --refresh` (the kept "
                  f"models, no retraining) in {refresh_s:,.1f} s, peak RSS "
                  f"{timings.peak[REFRESH]:,.0f} MB. Target <= {TARGET_REFRESH_S} s"
                  + (f" at M5 size: **{'met' if refresh_s <= TARGET_REFRESH_S else 'NOT met'}**."
                     if full else ": not measured at M5 size.")]
    if peers:
        ours = timings.seconds[PREDICT] + timings.seconds.get(TRAIN, 0.0)
        calib = timings.seconds.get("forecast: of which calibration refits", 0.0)
        plain = {k: peers[f"ml_fit_{k}"] + peers[f"ml_predict_{k}"] for k in ("promocast", "default")}
        ratio = ours / plain["promocast"]
        lines += [
            "",
            "| peer on the same training frame | fit s | predict s | promocast training + forecasting / peer |",
            "|---|---|---|---|",
            f"| plain mlforecast, promocast's LightGBM settings (the same learner) | "
            f"{peers['ml_fit_promocast']:,.1f} | {peers['ml_predict_promocast']:,.1f} | {ratio:.2f} |",
            f"| plain mlforecast, default `LGBMRegressor()` (100 trees of 31 leaves) | "
            f"{peers['ml_fit_default']:,.1f} | {peers['ml_predict_default']:,.1f} | "
            f"{ours / plain['default']:.2f} |",
            f"| statsforecast `AutoETS(season_length=7)`, {peers['ets_n']:,} series measured "
            f"({peers['ets_s']:,.1f} s), scaled to {series:,} | {peers['ets_all']:,.0f} | - | "
            f"{ours / peers['ets_all']:.2f} |",
            "",
            f"promocast's training + forecasting: {ours:,.1f} s (of which {calib:,.1f} s refit on a "
            "sample of series for the quantiles' hold-out residuals). The peers get the frame "
            "promocast's LightGBM learns from (the same rows, lags, rolling means, date features, "
            f"known and static inputs). Target <= {TARGET_RATIO} x plain mlforecast on the same "
            f"features: **{'met' if ratio <= TARGET_RATIO else 'NOT met'}** ({ratio:.2f} against "
            "the same learner).",
        ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
