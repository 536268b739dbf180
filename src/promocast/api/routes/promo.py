"""Promotion effects, evaluation, what-if, plan and advice."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from promocast.api.deps import DbDep, JobsDep, SettingsDep, WhatIfPoolDep
from promocast.api.routes.forecasts import accepted, json_response
from promocast.api.schemas import EffectsRequest, JobAccepted, PlanRequest, SimulateRequest
from promocast.exceptions import EmptyStore
from promocast.services.plan_setup import plan_setup
from promocast.services.promotions import run_advice, run_effects, run_evaluate, run_plan
from promocast.services.results import latest_result
from promocast.services.whatif import simulate_rows

router = APIRouter(prefix="/api/promo", tags=["promotions"])


def _kept(db, kind: str, start: str) -> dict:
    found = latest_result(db, kind)
    if found is None:
        raise EmptyStore(f"no {kind} result kept yet: start one with POST {start}")
    return found


@router.get("/effects")
def effects(db: DbDep) -> dict:
    """The newest kept effects (elasticities, lifts, dips, cannibalisation; DESIGN §3)."""
    return _kept(db, "effects", "/api/promo/effects")


@router.post("/effects", status_code=202)
def start_effects(body: EffectsRequest, db: DbDep, jobs: JobsDep,
                  settings: SettingsDep) -> JobAccepted:
    """Estimate the effects (a job; reused when the data have not changed unless refresh)."""
    return accepted(jobs.submit("effects", body.model_dump(), lambda say: run_effects(
        db, country=settings.country, refresh=body.refresh, progress=say)))


@router.get("/evaluate")
def evaluation(db: DbDep) -> dict:
    """The newest kept evaluation of past promotions against their counterfactual baseline."""
    return _kept(db, "evaluate", "/api/promo/evaluate")


@router.post("/evaluate", status_code=202)
def start_evaluation(body: EffectsRequest, db: DbDep, jobs: JobsDep,
                     settings: SettingsDep) -> JobAccepted:
    """Evaluate every past promotion (a job)."""
    return accepted(jobs.submit("evaluate", body.model_dump(), lambda say: run_evaluate(
        db, country=settings.country, refresh=body.refresh, progress=say)))


@router.post("/simulate")
def simulate(body: SimulateRequest, db: DbDep, settings: SettingsDep,
             pool: WhatIfPoolDep) -> Response:
    """What-if: units, revenue and margin of the planned promotions per day and in total
    (quantiles) against the no-promotion baseline; other items of the category; stock
    warnings. Answers from the kept effects and baseline without refitting."""
    rows = [row.model_dump(exclude_none=True, mode="json") for row in body.scenario]
    return json_response(simulate_rows(db, rows, country=settings.country,
                                       samples=body.samples, keep=body.keep, days=body.days,
                                       pool=pool, as_text=True))


@router.get("/plan")
def plan(db: DbDep) -> dict:
    """The newest kept promotion plan."""
    return _kept(db, "plan", "/api/promo/plan")


@router.post("/plan", status_code=202)
def start_plan(body: PlanRequest, db: DbDep, jobs: JobsDep, settings: SettingsDep) -> JobAccepted:
    """Optimise a promotion calendar under the rules (a job; MILP, HiGHS). What can be refused
    without solving is refused at once, with the message of ``promo plan``: 422 for rules the
    shop cannot keep (an unknown item, category, store or event, a depth outside 0-90 %, a
    negative or missing budget, dates that leave no period, a required festival outside the
    planned periods), 404 without sales or, for a margin plan, without any unit cost."""
    plan_setup(db, horizon=body.horizon, budget=body.budget, rules_values=body.rules,
               country=settings.country)
    return accepted(jobs.submit("plan", body.model_dump(mode="json"), lambda say: run_plan(
        db, horizon=body.horizon, budget=body.budget, rules_values=body.rules,
        country=settings.country, progress=say)))


@router.get("/advice")
def advice(db: DbDep) -> dict:
    """The newest kept plain-language advice (en and zh)."""
    return _kept(db, "advice", "/api/promo/advice")


@router.post("/advice", status_code=202)
def start_advice(db: DbDep, jobs: JobsDep, settings: SettingsDep) -> JobAccepted:
    """Advice per item and category from the effects and past results (a job; kept)."""
    return accepted(jobs.submit("advice", {}, lambda say: run_advice(
        db, country=settings.country, progress=say)))
