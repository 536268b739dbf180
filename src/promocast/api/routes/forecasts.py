"""Forecasts, backtests and explanations (long fits run as background jobs)."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from promocast.api.deps import DbDep, JobsDep, SettingsDep
from promocast.api.schemas import BacktestRequest, ExplainRequest, ForecastRequest, JobAccepted
from promocast.services.explain import run_explain
from promocast.services.forecast import run_forecast
from promocast.services.forecasting import run_backtest
from promocast.services.job_checks import check_backtest, check_explain, check_forecast
from promocast.services.refresh import run_refresh
from promocast.services.series import forecast_run, item_forecast, kept_backtests
from promocast.services.whatif import JSONText

router = APIRouter(prefix="/api", tags=["forecasts"])
RUN_ID = r"^[A-Za-z0-9_-]{1,64}$"
"""A kept run's id (12 hex digits)."""


def accepted(job_id: str) -> JobAccepted:
    return JobAccepted(job_id=job_id, url=f"/api/jobs/{job_id}")


def json_response(document: dict | str) -> Response:
    """A services document (already JSON-safe) serialised once: FastAPI's generic encoder walks
    every value in Python, 170 ms for a 1.5 MB what-if against 27 ms for ``json.dumps``. A
    ``JSONText`` (serialised by a what-if worker) goes out as it is."""
    if isinstance(document, JSONText):
        return Response(str(document), media_type="application/json")
    return Response(json.dumps(document, ensure_ascii=False, default=str),
                    media_type="application/json")


@router.get("/forecasts/{item_id}")
def forecast_of_item(db: DbDep, item_id: str,
                     store_id: Annotated[str | None, Query(max_length=200)] = None,
                     run_id: Annotated[str | None, Query(max_length=100)] = None) -> Response:
    """The newest kept forecast of one item (or run ``run_id``'s): quantiles per store, day and
    model; ``run`` null when the item has none yet. 404 for an item without sales, an
    unknown run or a run without the item."""
    return json_response(item_forecast(db, item_id, store_id=store_id, run_id=run_id))


@router.get("/forecasts/runs/{run_id}")
def forecast_run_summary(db: DbDep, run_id: Annotated[str, Path(pattern=RUN_ID)]) -> Response:
    """A kept forecast run: horizon, models, dates, series, what was left out, when it was
    made; its table at ``/api/forecasts/runs/{run_id}/export``. 404 naming the run when none
    is kept by that id."""
    return json_response(forecast_run(db, run_id))


@router.post("/forecasts", status_code=202)
def start_forecast(body: ForecastRequest, db: DbDep, jobs: JobsDep,
                   settings: SettingsDep) -> JobAccepted:
    """Fit on the history (all of it, or the newest 12 M sales rows of a larger shop) and
    forecast every series (a job; the forecasts are kept). A history shorter than two
    horizons is refused at once (422)."""
    check_forecast(db, horizon=body.horizon, history=body.history)
    return accepted(jobs.submit("forecast", body.model_dump(), lambda say: run_forecast(
        db, horizon=body.horizon, models=body.models, country=settings.country,
        history=body.history, strategy=body.strategy, progress=say)))


@router.post("/forecasts/refresh", status_code=202)
def start_refresh(db: DbDep, jobs: JobsDep) -> JobAccepted:
    """Forecast again from the newest data with the models kept by the last forecast, without
    retraining (a job: new periods appended, the next horizon forecast and kept)."""
    return accepted(jobs.submit("forecast_refresh", {}, lambda say: run_refresh(db, progress=say)))


@router.get("/backtests")
def backtests(db: DbDep, limit: Annotated[int, Query(ge=1, le=100)] = 20) -> dict:
    """Kept backtests, newest first: the model leaderboard (DESIGN §3 documents)."""
    return {"backtests": kept_backtests(db, limit=limit)}


@router.post("/backtests", status_code=202)
def start_backtest(body: BacktestRequest, db: DbDep, jobs: JobsDep,
                   settings: SettingsDep) -> JobAccepted:
    """Rolling-origin backtest of the models (a job; the document is kept). A gap as long as
    the horizon, or folds reaching back before the first sale, are refused at once (422)."""
    check_backtest(db, horizon=body.horizon, gap=body.gap, folds=body.folds, step=body.step)
    return accepted(jobs.submit("backtest", body.model_dump(), lambda say: run_backtest(
        db, horizon=body.horizon, gap=body.gap, folds=body.folds, step=body.step,
        models=body.models, metric=body.metric, country=settings.country, progress=say)[0]))


@router.post("/explain/{item_id}", status_code=202)
def start_explain(item_id: str, body: ExplainRequest, db: DbDep, jobs: JobsDep,
                  settings: SettingsDep) -> JobAccepted:
    """SHAP drivers of the item's LightGBM forecast per day (a job). 404 at once for an item
    the store does not sell (in ``store_id``)."""
    check_explain(db, item=item_id, store=body.store_id)
    return accepted(jobs.submit("explain", {"item_id": item_id, **body.model_dump()},
                                lambda say: run_explain(
                                    db, item=item_id, store=body.store_id, horizon=body.horizon,
                                    country=settings.country, progress=say)))
