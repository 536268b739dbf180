"""Inventory: stock levels and the reorder list from the quantile forecasts; policy replay."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from promocast.api.deps import DbDep, JobsDep, SettingsDep
from promocast.api.routes.exports import download
from promocast.api.routes.forecasts import accepted
from promocast.api.schemas import InventoryRequest, JobAccepted, ReplayRequest
from promocast.services.inventory import MAX_PACK, MIN_PACK, run_inventory, run_inventory_replay
from promocast.services.job_checks import check_replay
from promocast.services.results import reorder_frame

router = APIRouter(prefix="/api/inventory", tags=["inventory"])


def _policy(service_level: Annotated[float, Query(gt=0.5, lt=1.0)] = 0.95,
            lead_time: Annotated[int, Query(ge=1, le=365)] = 3,
            review_period: Annotated[int | None, Query(ge=1, le=365)] = None,
            pack_size: Annotated[float, Query(ge=MIN_PACK, le=MAX_PACK)] = 1.0,
            min_order: Annotated[float, Query(ge=0, le=1e9)] = 0.0) -> dict:
    """The stock policy's query parameters, shared by the plan and its download."""
    return {"service_level": service_level, "lead_time": lead_time,
            "review_period": review_period, "pack_size": pack_size, "min_order": min_order}


PolicyDep = Annotated[dict, Depends(_policy)]


@router.get("")
def inventory(db: DbDep, settings: SettingsDep, policy: PolicyDep) -> dict:
    """Safety stock, reorder point, order-up-to level, order quantity, days of cover and
    stock-out probability per item and store; the reorder list by urgency (DESIGN §3).
    Answers from the newest kept forecast covering lead time + review period; 409 when there
    is none (POST here starts the job that forecasts first)."""
    return run_inventory(db, **policy, country=settings.country, forecast_missing=False)


@router.get("/export")
def export_reorder_list(db: DbDep, settings: SettingsDep, policy: PolicyDep,
                        format: Annotated[Literal["csv", "xlsx"], Query()] = "csv") -> Response:
    """The reorder list of ``GET /api/inventory`` with the same parameters as a download
    (``csv``: UTF-8 with BOM, so Excel reads Chinese names; or ``xlsx``), most urgent first;
    every series' levels when no stock on hand is loaded. 409 as the GET without a kept
    forecast covering lead time + review period."""
    document = run_inventory(db, **policy, country=settings.country, forecast_missing=False)
    return download(reorder_frame(document), "promocast_reorder", format)


@router.post("", status_code=202)
def start_inventory(body: InventoryRequest, db: DbDep, jobs: JobsDep,
                    settings: SettingsDep) -> JobAccepted:
    """The same stock levels as a job: forecasts lead time + review period first when no kept
    forecast covers them (the forecast is kept, so later GETs answer at once)."""
    return accepted(jobs.submit("inventory", body.model_dump(), lambda say:
                                run_inventory(db, **body.model_dump(), country=settings.country,
                                              progress=say)))


@router.post("/replay", status_code=202)
def start_replay(body: ReplayRequest, db: DbDep, jobs: JobsDep,
                 settings: SettingsDep) -> JobAccepted:
    """Replay the policy over past folds with the actual demand: the service level achieved and
    the stock held (a job; kept, and used to calibrate later stock levels). Folds reaching
    back before the first sale are refused at once (422)."""
    check_replay(db, lead_time=body.lead_time, review_period=body.review_period,
                 folds=body.folds)
    return accepted(jobs.submit("inventory_replay", body.model_dump(), lambda say:
                                run_inventory_replay(
                                    db, service_level=body.service_level,
                                    lead_time=body.lead_time, review_period=body.review_period,
                                    folds=body.folds, country=settings.country, progress=say)))
