"""Background jobs: long work (backtests, forecasts, effects, plans) run off the request thread.

A job is recorded in the store's ``jobs`` table (status, progress, the result document or the
error) so its result outlives the request and the server process. One worker by default: the
heavy work already uses every core, and two model fits at once only slow each other down.
"""

from __future__ import annotations

import contextvars
import json
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from promocast.data.storage import Store
from promocast.exceptions import DataValidationError, PromocastError
from promocast.services.error_codes import error_code

Progress = Callable[[str], None]
Work = Callable[[Progress], dict]
PROGRESS_EVERY = 1.0
"""Seconds between two progress writes to the store (the live text is kept in memory)."""


class JobRunner:
    """Runs jobs on ``workers`` threads and records them in ``db``."""

    def __init__(self, db: Path, *, workers: int = 1) -> None:
        self.db = db
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="promocast-job")
        self._live: dict[str, str] = {}
        self._lock = threading.Lock()
        if db.exists():
            with Store(db) as store:
                (left,), = store.con.execute(
                    "SELECT count(*) FROM jobs WHERE status IN ('queued', 'running')").fetchall()
                if left:
                    store.con.execute(
                        "UPDATE jobs SET status = 'failed', error = 'interrupted: the server "
                        "stopped before the job finished', finished_at = now()::TIMESTAMP "
                        "WHERE status IN ('queued', 'running')")

    def submit(self, kind: str, params: dict, work: Work) -> str:
        """Queue ``work`` (called with a progress callback, returning a JSON-ready document)."""
        job_id = uuid.uuid4().hex[:12]
        with Store(self.db) as store:
            store.save_job(job_id, kind, json.dumps(params, default=str))
        self._live[job_id] = "queued"
        # the job runs in the caller's context: its messages speak the caller's words
        # (``promocast.wording``: the API's fields, not the CLI's flags)
        self._pool.submit(contextvars.copy_context().run, self._run, job_id, work)
        return job_id

    def _run(self, job_id: str, work: Work) -> None:
        last_write = [0.0]

        def progress(message: str) -> None:
            self._live[job_id] = message
            now = time.monotonic()
            if now - last_write[0] >= PROGRESS_EVERY:
                last_write[0] = now
                self._update(job_id, progress=message)

        self._update(job_id, status="running", progress="started")
        try:
            document = work(progress)
        except DataValidationError as exc:
            self._update(job_id, status="failed", error=exc.message())
        except PromocastError as exc:
            self._update(job_id, status="failed", error=str(exc))
        except Exception as exc:  # noqa: BLE001 - a job must end recorded whatever happens
            traceback.print_exc()
            self._update(job_id, status="failed",
                         error=f"internal error ({type(exc).__name__}); see the server log")
        else:
            self._update(job_id, status="done", progress="done",
                         result=json.dumps(document, default=str))
        finally:
            self._live.pop(job_id, None)

    def _update(self, job_id: str, **fields: str) -> None:
        with self._lock, Store(self.db) as store:
            store.update_job(job_id, **fields)

    def status(self, job_id: str) -> dict | None:
        """The job as recorded, with its live progress text and its result document."""
        with Store(self.db, read_only=True) as store:
            row = store.job(job_id)
        if row is None:
            return None
        out = {"job_id": job_id, "kind": row["kind"], "status": row["status"],
               "progress": self._live.get(job_id) or row["progress"],
               "created_at": _time(row["created_at"]), "started_at": _time(row["started_at"]),
               "finished_at": _time(row["finished_at"]),
               "params": json.loads(row["params"]) if row["params"] else {},
               "error": row["error"] if isinstance(row["error"], str) else None,
               "result": json.loads(row["result"]) if isinstance(row["result"], str) else None}
        out["code"] = error_code(out["error"])  # for the pages' own words (error.<code>)
        return out

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def _time(value: object) -> str | None:
    text = str(value)
    return None if value is None or text in ("NaT", "None", "nan") else text
