"""promocast's errors as HTTP answers: a status and a message in words, never a stack trace."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from promocast.exceptions import (
    DataValidationError,
    EmptyStore,
    InfeasiblePlan,
    InvalidRequest,
    NeedsForecast,
    PromocastError,
    StoreLockedError,
    UnknownCustomer,
    UnknownSeries,
    UsageError,
)
from promocast.services.error_codes import error_code

log = logging.getLogger("promocast.api")


def error_body(exc: Exception) -> dict:
    """``{"error": message}`` plus, for refused data, every row error with its place, and for
    the messages the pages know a ``code`` (``services.error_codes``)."""
    if isinstance(exc, DataValidationError):
        return {"error": exc.message(), "total": exc.total,
                "errors": [{"file": e.file, "row": e.row, "column": e.column, "value": e.value,
                            "rule": e.rule} for e in exc.errors]}
    errors = getattr(exc, "errors", None)
    body: dict = {"error": str(exc)}
    code = error_code(str(exc))
    if code:  # the pages say these in their language (services.error_codes)
        body["code"] = code
    if isinstance(errors, list) and errors and hasattr(errors[0], "rule"):
        body["errors"] = [{"file": e.file, "row": e.row, "column": e.column, "value": e.value,
                           "rule": e.rule} for e in errors]
    return body


def status_of(exc: Exception) -> int:
    """404 for an id the store does not hold (an item, a run, a customer) or data not loaded
    yet; 422 for a request whose values cannot be processed (refused data, plan rules, a gap
    as long as the horizon); 409 when a kept result is needed first; 400 for other misuse."""
    if isinstance(exc, UnknownSeries | UnknownCustomer | EmptyStore):
        return 404
    if isinstance(exc, StoreLockedError):
        return 503
    if isinstance(exc, NeedsForecast):
        return 409
    if isinstance(exc, DataValidationError | InfeasiblePlan | InvalidRequest):
        return 422
    if isinstance(exc, UsageError):
        return 400
    return 400


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    @app.exception_handler(PromocastError)
    async def promocast_error(_request: Request, exc: PromocastError) -> JSONResponse:
        return JSONResponse(error_body(exc), status_code=status_of(exc))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return JSONResponse({"error": "internal error: the server log has the details",
                             "code": "internal"}, status_code=500)
