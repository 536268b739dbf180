"""What-ifs priced in worker processes, so a server answers them on every core.

One server process runs Python under one lock: at 20 dashboard users a second of what-ifs
(~70 ms each) queues behind itself while the other core idles. The pool's workers never open
the store (the server holds the DuckDB file): the server builds the ``WhatIfContext`` as
before, writes it once to a snapshot file per context (new data, new effects, a longer
baseline), and each worker loads the snapshot it is pointed at the first time it needs it
and keeps it. A scenario's rows are checked and priced in the worker; the answer (and, when
kept, the whole result) comes back to the server, which writes to the store. A worker that
dies takes the pool with it: the pool is rebuilt and that what-if is priced in the server.
"""

from __future__ import annotations

import contextlib
import gc
import json
import logging
import multiprocessing
import os
import pickle
import tempfile
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pandas as pd

from promocast.services.whatif import WhatIfContext, price, rows_frame

log = logging.getLogger(__name__)

_LOADED: dict[str, WhatIfContext] = {}
"""In a worker: the context of the snapshot it last loaded (one at a time)."""


def _start_worker(folder: str) -> None:
    """A worker computes on one thread: the server's cores are shared out by processes. Its
    garbage collector runs less often (a what-if allocates thousands of short-lived objects,
    none of them in cycles worth a pause at every 700). It starts warm: the newest snapshot
    of ``folder`` loaded and priced once (each worker runs this; tasks may all go to one)."""
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = "1"
    gc.set_threshold(20_000, 20, 50)
    snapshots = sorted(Path(folder).glob("context-*.pkl"),
                       key=lambda path: int(path.stem.split("-")[1]))
    if snapshots:
        with contextlib.suppress(OSError):  # replaced meanwhile: the first what-if loads it
            _load(str(snapshots[-1]))


def _context(snapshot: str) -> WhatIfContext:
    context = _LOADED.get(snapshot)
    if context is None:
        with open(snapshot, "rb") as handle:
            context = pickle.load(handle)
        _LOADED.clear()
        _LOADED[snapshot] = context
        gc.collect()
        gc.freeze()  # the context lives as long as the worker: never scan it again
    return context


def _load(snapshot: str) -> int:
    """Warm a worker: load the snapshot and price a one-day what-if now (compiled kernels,
    lazy imports) rather than on its first real what-if."""
    if snapshot in _LOADED:  # warmed already (the start-up hook or an earlier call)
        return _LOADED[snapshot].serial
    context = _context(snapshot)
    first = context.history_end + pd.Timedelta(days=1)
    try:
        item = str(context.category_of.index[0])
        price(context, rows_frame([{"promo_type": "percent_off", "item_id": item,
                                    "discount_pct": 10.0, "start_date": str(first.date()),
                                    "end_date": str(first.date())}]),
              source="warm-up", samples=100, days="none")
    except Exception:  # noqa: BLE001 - a shop this what-if does not fit still serves others
        log.debug("what-if worker warm-up skipped", exc_info=True)
    return context.serial


def _price(snapshot: str, planned: pd.DataFrame | list[dict], source: str, samples: int,
           days: str, whole: bool, as_text: bool = False) -> tuple[dict | str, dict | None]:
    """In a worker: check and price one scenario (``whatif.price``); ``as_text``: the answer
    as JSON text, serialised here rather than in the server."""
    frame = planned if isinstance(planned, pd.DataFrame) else rows_frame(planned)
    document, kept = price(_context(snapshot), frame, source=source, samples=samples,
                           days=days, whole=whole)
    if as_text and kept is None:
        return json.dumps(document, ensure_ascii=False, default=str), None
    return document, kept


class WhatIfPool:
    """``workers`` processes pricing what-ifs (started on first use or by ``start``)."""

    def __init__(self, workers: int) -> None:
        if workers < 1:
            raise ValueError("a what-if pool needs at least one worker")
        self.workers = workers
        self._folder = Path(tempfile.mkdtemp(prefix="promocast-whatif-"))
        self._lock = threading.Lock()
        self._executor: ProcessPoolExecutor | None = None
        self._snapshots: list[tuple[int, str]] = []  # (context serial, file), newest last

    def start(self) -> None:
        with self._lock:
            self._start()

    def _start(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                self.workers, mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker, initargs=(str(self._folder),))
        return self._executor

    def snapshot(self, context: WhatIfContext) -> str:
        """The file holding ``context``, written the first time this context is seen. The
        newest two are kept: a what-if queued a moment before the context changed still finds
        its file."""
        with self._lock:
            for serial, path in self._snapshots:
                if serial == context.serial:
                    return path
            target = self._folder / f"context-{context.serial}.pkl"
            partial = target.with_suffix(".tmp")
            with open(partial, "wb") as handle:
                pickle.dump(context, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(partial, target)
            self._snapshots.append((context.serial, str(target)))
            while len(self._snapshots) > 2:
                Path(self._snapshots.pop(0)[1]).unlink(missing_ok=True)
            return str(target)

    def warm(self, context: WhatIfContext) -> None:
        """Start every worker with ``context`` loaded and priced once (``_start_worker``)."""
        snapshot = self.snapshot(context)
        with self._lock:
            executor = self._start()
        for future in [executor.submit(_load, snapshot) for _ in range(self.workers)]:
            future.result()

    def price(self, context: WhatIfContext, planned: pd.DataFrame | list[dict], *, source: str,
              samples: int, days: str, whole: bool, as_text: bool = False,
              ) -> tuple[dict | str, dict | None]:
        """``whatif.price`` in a worker; in this process when the pool broke (rebuilt for
        the next one). Errors of the scenario come back as raised in the worker."""
        snapshot = self.snapshot(context)
        with self._lock:
            executor = self._start()
        try:
            return executor.submit(_price, snapshot, planned, source, samples, days, whole,
                                   as_text).result()
        except BrokenProcessPool:
            log.warning("a what-if worker died; pricing in the server and restarting the pool")
            with self._lock:
                if self._executor is executor:
                    self._executor = None
            executor.shutdown(wait=False, cancel_futures=True)
            frame = planned if isinstance(planned, pd.DataFrame) else rows_frame(planned)
            return price(context, frame, source=source, samples=samples, days=days,
                         whole=whole)

    def shutdown(self) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
        for path in self._folder.glob("*"):
            path.unlink(missing_ok=True)
        self._folder.rmdir()
