"""Health, store facts, the calendar and background jobs."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Query

from promocast import __version__
from promocast.api.deps import DbDep, JobsDep, SettingsDep
from promocast.services.calendar import shop_calendar
from promocast.services.info import store_info
from promocast.services.overview import sales_overview
from promocast.services.series import _records

router = APIRouter()


@router.get("/health", tags=["system"])
def health() -> dict:
    """Always open: the server is up."""
    return {"status": "ok", "version": __version__}


@router.get("/api/info", tags=["data"])
def info(db: DbDep, quality: bool = Query(True, description="Include data-quality warnings.")
         ) -> dict:
    """Tables, series, frequency, dates and warnings of the store (``promocast info``)."""
    return store_info(db, quality=quality)


@router.get("/api/overview", tags=["data"])
def overview(db: DbDep) -> dict:
    """Weekly units and revenue by category, promotions by type, top items."""
    return {name: _records(frame) for name, frame in sales_overview(db).items()}


@router.get("/api/calendar", tags=["data"])
def calendar(db: DbDep, settings: SettingsDep,
             days: int = Query(120, ge=1, le=730, description="Days after the last sale.")) -> dict:
    """Holidays, make-up workdays, shopping festivals and the shop's own events."""
    frame = shop_calendar(db, country=settings.country, horizon_days=days)
    return {"events": _records(frame)}


@router.get("/api/jobs/{job_id}", tags=["jobs"])
def job(job_id: str, jobs: JobsDep) -> dict:
    """A background job: status (queued, running, done, failed), progress, result or error."""
    found = jobs.status(job_id)
    if found is None:
        raise HTTPException(404, detail=f"no job {job_id!r}")
    return found
