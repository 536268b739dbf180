"""Customers from the orders table: segments, lifetime value, propensity, recommendations,
target lists."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from promocast.api.deps import DbDep, JobsDep
from promocast.api.routes.forecasts import accepted
from promocast.api.schemas import JobAccepted, PropensityRequest, TargetsRequest
from promocast.exceptions import EmptyStore
from promocast.services.customers import (
    check_propensity,
    check_targets,
    run_clv,
    run_propensity,
    run_recommend,
    run_segments,
    run_targets,
)
from promocast.services.results import latest_result

router = APIRouter(prefix="/api/customers", tags=["customers"])


@router.get("/segments")
def segments(db: DbDep) -> dict:
    """RFM segments (champions, loyal, at risk, ...) with customers, revenue and promotion
    responsiveness per segment."""
    return run_segments(db)


@router.get("/clv")
def lifetime_value(db: DbDep, horizon_days: Annotated[int, Query(ge=7, le=3650)] = 365,
                   top: Annotated[int, Query(ge=1, le=500)] = 20) -> dict:
    """BG/NBD + Gamma-Gamma lifetime value over ``horizon_days``; the ``top`` customers."""
    return run_clv(db, horizon_days=horizon_days, top=top)


@router.get("/propensity")
def propensity(db: DbDep) -> dict:
    """The newest kept comparison of the purchase-propensity models (AUC on a time split)."""
    found = latest_result(db, "customers_propensity")
    if found is None:
        raise EmptyStore("no propensity comparison kept yet: start one with "
                         "POST /api/customers/propensity")
    return found


@router.post("/propensity", status_code=202)
def start_propensity(body: PropensityRequest, db: DbDep, jobs: JobsDep) -> JobAccepted:
    """Compare logistic regression, tree, forest, SVM and LightGBM (a job; kept). A split
    date that leaves too little history before it or no label window after it is refused at
    once (422), a shop without orders with 404."""
    check_propensity(db, horizon_days=body.horizon_days,
                     split_date=str(body.split_date) if body.split_date else None)
    return accepted(jobs.submit("propensity", body.model_dump(), lambda say: run_propensity(
        db, horizon_days=body.horizon_days,
        split_date=str(body.split_date) if body.split_date else None, progress=say)))


@router.get("/recommend")
def recommend(db: DbDep, customer: Annotated[str | None, Query(max_length=200)] = None,
              top: Annotated[int, Query(ge=1, le=100)] = 10) -> dict:
    """One customer's top-N items, or (no customer) items bought together and new items."""
    return run_recommend(db, customer=customer, top=top)


@router.post("/targets", status_code=202)
def start_targets(body: TargetsRequest, db: DbDep, jobs: JobsDep) -> JobAccepted:
    """Customers most likely to respond to a planned promotion of an item or category (a job).
    Refused at once: both an item and a category, or one no known customer bought (422),
    a shop without orders (404)."""
    check_targets(db, item=body.item_id, category=body.category)
    return accepted(jobs.submit("targets", body.model_dump(), lambda say: run_targets(
        db, item=body.item_id, category=body.category, top=body.top, progress=say)))
