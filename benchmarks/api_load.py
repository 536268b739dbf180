"""API under load (issue 5): 20 concurrent clients for 60 s on the demo shop; p95 of one item's
forecast and of a what-if of 5 items x 14 days; errors counted.

The server is a real ``promocast serve`` process (uvicorn, one worker) on loopback; the clients
are threads in this process, each looping: pick an endpoint (forecast or what-if, half each;
random items), send, wait for the answer, think ``--think`` seconds (uniform 0.5x-1.5x; 0 = no
pause, every client hammers the server back to back). With a think time the clients also
arrive spread over the first 1.5 think times (twenty users do not click in the same
millisecond); without one they all start at once. Before the clock starts the store holds a
28-day forecast, the effects and the no-promotion baseline (what a shop has after its nightly
run). ``GET /health`` is measured in the same run as the floor of the stack itself (FastAPI +
uvicorn + the security middleware answering a constant): the peer baseline. Each load runs
twice: what-ifs priced in the server process (``--whatif-workers 0``, the plain FastAPI way)
and in ``serve``'s default what-if worker processes (one per core up to 4).

Run: .venv/bin/python benchmarks/api_load.py [--items 200] [--years 2] [--clients 20]
     [--seconds 60] [--think 1.0] [--think 0] [--whatif-workers N ...] [--db STORE]
     [--no-write]
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import httpx  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from _report import markdown_table, write_section  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def prepare(root: Path, n_items: int, years: float, seed: int) -> Path:
    """The demo shop in a store with a forecast, the effects and the baseline kept."""
    from promocast.services.forecast import run_forecast
    from promocast.services.ingest import ingest
    from promocast.services.whatif import whatif_context
    from promocast.testing.demo_shop import generate

    shop = generate(root / "data", seed=seed, n_items=n_items, years=years)
    db = root / "shop.duckdb"
    ingest([shop.files[t] for t in ("stores", "items", "promotions", "events", "sales",
                                    "inventory") if t in shop.files], db)
    started = time.perf_counter()
    run_forecast(db, horizon=28, models=["lgbm"])
    print(f"forecast kept in {time.perf_counter() - started:.0f} s", flush=True)
    started = time.perf_counter()
    whatif_context(db)
    print(f"effects + baseline kept in {time.perf_counter() - started:.0f} s", flush=True)
    return db


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(db: Path, port: int, whatif_workers: int) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "PROMOCAST_API_TOKEN"}
    process = subprocess.Popen([sys.executable, "-m", "promocast", "serve", "--db", str(db),
                                "--port", str(port), "--whatif-workers", str(whatif_workers)],
                               env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):  # wait for the server to listen (startup, not a measurement)
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"the server did not start: {process.stdout.read()}")


def run_load(base: str, items: list[str], end: pd.Timestamp, clients: int, seconds: float,
             think: float, seed: int) -> pd.DataFrame:
    """Every request: endpoint, seconds, status (0 = transport error)."""
    records: list[tuple[str, float, int]] = []
    lock = threading.Lock()
    first = end + pd.Timedelta(days=3)

    # every client's connection pool is made before the clock starts (building one costs
    # ~20 ms of this process's lock, which would be charged to the others' requests)
    sessions = [httpx.Client(base_url=base, timeout=30) for _ in range(clients)]
    stop = time.perf_counter() + seconds

    def client(number: int) -> None:
        rng = random.Random(seed * 1000 + number)
        if think > 0:  # clients arrive spread over one think time, not all in the same instant
            time.sleep(think * rng.uniform(0, 1.5))
        with sessions[number] as http:
            while time.perf_counter() < stop:
                kind = rng.choice(("forecast", "whatif", "forecast", "whatif", "health"))
                started = time.perf_counter()
                try:
                    if kind == "forecast":
                        answer = http.get(f"/api/forecasts/{rng.choice(items)}")
                    elif kind == "whatif":
                        start = first + pd.Timedelta(days=rng.randrange(0, 14))
                        rows = [{"promo_type": rng.choice(("percent_off", "flash_sale",
                                                           "threshold", "gift")),
                                 "item_id": item, "discount_pct": rng.choice((10, 20, 30)),
                                 "start_date": str(start.date()),
                                 "end_date": str((start + pd.Timedelta(days=13)).date())}
                                for item in rng.sample(items, 5)]
                        answer = http.post("/api/promo/simulate",
                                           json={"scenario": rows, "samples": 500})
                    else:
                        answer = http.get("/health")
                    status = answer.status_code
                except httpx.HTTPError:
                    status = 0
                elapsed = time.perf_counter() - started
                with lock:
                    records.append((kind, elapsed, status))
                if think > 0:
                    time.sleep(think * rng.uniform(0.5, 1.5))

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return pd.DataFrame(records, columns=["endpoint", "seconds", "status"])


def warm(base: str, items: list[str], end: pd.Timestamp) -> None:
    """One forecast and one what-if before the clock starts."""
    start = end + pd.Timedelta(days=3)
    with httpx.Client(base_url=base, timeout=600) as http:
        http.get(f"/api/forecasts/{items[0]}").raise_for_status()
        http.post("/api/promo/simulate", json={"scenario": [{
            "promo_type": "percent_off", "item_id": items[0], "discount_pct": 20,
            "start_date": str(start.date()),
            "end_date": str((start + pd.Timedelta(days=13)).date())}]}).raise_for_status()


def summary(frame: pd.DataFrame, seconds: float) -> pd.DataFrame:
    rows = []
    for kind, part in frame.groupby("endpoint"):
        ms = part["seconds"].to_numpy() * 1000
        rows.append({"endpoint": kind, "requests": len(part),
                     "per_s": round(len(part) / seconds, 1),
                     "errors": int((part["status"] != 200).sum()),
                     "p50_ms": round(float(np.percentile(ms, 50)), 1),
                     "p95_ms": round(float(np.percentile(ms, 95)), 1),
                     "p99_ms": round(float(np.percentile(ms, 99)), 1),
                     "max_ms": round(float(ms.max()), 1)})
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--years", type=float, default=2.0)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--think", type=float, action="append",
                        help="think time between a client's requests, s (repeatable)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--whatif-workers", type=int, action="append",
                        help="what-if worker processes of the server (repeatable; default: 0, "
                             "the server alone, then serve's own default)")
    parser.add_argument("--db", type=Path, help="a store prepared by an earlier run (its "
                        "forecast, effects and baseline kept), instead of a new shop")
    args = parser.parse_args()
    thinks = args.think or [1.0, 0.0]
    with tempfile.TemporaryDirectory() as folder:
        db = args.db or prepare(Path(folder), args.items, args.years, args.seed)
        from promocast.services.series import find_series

        items = [s["item_id"] for s in find_series(db, limit=10_000)["series"]]
        from promocast.services.info import store_info

        end = pd.Timestamp(store_info(db, quality=False)["end"])
        from promocast.services.server import default_whatif_workers

        configs = args.whatif_workers or [0, default_whatif_workers()]
        blocks = []
        for workers in configs:
            port = free_port()
            server = serve(db, port, workers)
            try:
                # warm-up, not measured: the server reads its what-if inputs (and starts its
                # what-if workers) in the background at start-up; wait for them with one
                # what-if, as an operator's smoke test would
                warm(f"http://127.0.0.1:{port}", items, end)
                for think in thinks:
                    frame = run_load(f"http://127.0.0.1:{port}", items, end, args.clients,
                                     args.seconds, think, args.seed)
                    table = summary(frame, args.seconds)
                    print(f"\nwhat-if workers {workers}, think {think} s\n"
                          f"{markdown_table(table)}", flush=True)
                    blocks.append((workers, think, table))
            finally:
                server.terminate()
                server.wait(timeout=30)
    body = [f"Demo shop: {args.items} items x 2 stores x {args.years:g} years; {args.clients} "
            f"clients for {args.seconds:g} s per run; one uvicorn worker, what-ifs priced in the "
            "server process (0 workers, the plain FastAPI way) or in `serve`'s what-if worker "
            "processes; what-if = 5 random items x 14 days, random mechanism and depth, 500 "
            "draws. Target (issue 5): p95 <= 200 ms for forecast and what-if, zero errors."]
    verdicts = []
    for workers, think, table in blocks:
        label = (f"think time {think:g} s (uniform 0.5x-1.5x) between a client's requests"
                 if think else "no think time: every client sends its next request at once")
        body.append(f"**{workers} what-if workers; {label}**\n\n{markdown_table(table)}")
        p95 = table.set_index("endpoint")["p95_ms"]
        errors = int(table["errors"].sum())
        met = p95.get("forecast", 1e9) <= 200 and p95.get("whatif", 1e9) <= 200 and not errors
        verdicts.append(f"{workers} what-if workers, think {think:g} s: forecast p95 "
                        f"{p95.get('forecast', float('nan')):.0f} ms, what-if p95 "
                        f"{p95.get('whatif', float('nan')):.0f} ms, {errors} errors: "
                        f"{'met' if met else 'NOT met'}.")
    body.append("Result (target p95 <= 200 ms, zero errors): " + " ".join(verdicts)
                + " Without think time twenty clients send back to back, a saturation test: "
                "latency is then the queue (clients / throughput), the figure to read there is "
                "the requests per second.")
    if not args.no_write:
        write_section("api_load", "API under load (issue 5)", "\n\n".join(body),
                      f"python benchmarks/api_load.py --items {args.items} --years {args.years:g}"
                      + "".join(f" --think {t:g}"
                                                                for t in thinks)
                      + "".join(f" --whatif-workers {w}" for w in configs))


if __name__ == "__main__":
    main()
