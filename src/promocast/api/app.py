"""The application: API routers, web pages, security, error handling, background jobs."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import HTTPException, RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from promocast import __version__
from promocast.api import errors
from promocast.api.routes import (
    customers,
    data,
    exports,
    forecasts,
    inventory,
    promo,
    system,
)
from promocast.api.security import SecurityMiddleware
from promocast.config import Settings, get_settings
from promocast.services.jobs import JobRunner
from promocast.services.server import prepare_store_for_server
from promocast.services.whatif import warm_whatif_context
from promocast.services.whatif_pool import WhatIfPool
from promocast.wording import API, speaking

log = logging.getLogger("promocast.api")


class ApiWords:
    """Every request, and the jobs it starts, builds its messages in the API's words
    (``promocast.wording``): an upload's error names the form's fields, not the CLI's flags."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        with speaking(API):
            await self.app(scope, receive, send)


def create_app(settings: Settings | None = None, *, warm_up: bool = False) -> FastAPI:
    """A FastAPI app serving ``settings.db``. Security settings are read once, here.
    ``warm_up``: read the kept what-if inputs into memory at start-up, in the background, so
    the first what-ifs do not wait for them (``promocast serve`` does). With
    ``settings.whatif_workers`` what-ifs are priced in that many worker processes."""
    settings = settings or get_settings()
    prepare_store_for_server()
    jobs = JobRunner(settings.db)
    pool = WhatIfPool(settings.whatif_workers) if settings.whatif_workers > 0 else None

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if warm_up:
            threading.Thread(target=warm_whatif_context,
                             args=(settings.db, settings.country, pool),
                             name="promocast-warm-up", daemon=True).start()
        yield
        jobs.shutdown()
        if pool is not None:
            pool.shutdown()

    app = FastAPI(title="promocast", version=__version__, lifespan=lifespan, docs_url=None,
                  redoc_url=None,
                  description="Sales forecasting and promotion decisions for e-commerce shops. "
                              "Send `Authorization: Bearer <token>` when the server has one.")
    app.state.settings = settings
    app.state.jobs = jobs
    app.state.whatif_pool = pool
    errors.install(app)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: HTTPException) -> JSONResponse:
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def bad_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [{"where": ".".join(str(p) for p in e.get("loc", ())), "rule": e.get("msg")}
                    for e in exc.errors()]
        text = "; ".join(f"{p['where']}: {p['rule']}" for p in problems[:10])
        return JSONResponse({"error": f"bad request: {text}", "errors": problems},
                            status_code=422)

    for router in (system.router, data.router, forecasts.router, promo.router,
                   inventory.router, customers.router, exports.router):
        app.include_router(router)
    from promocast.web import pages

    pages.install(app)
    app.add_middleware(ApiWords)
    app.add_middleware(SecurityMiddleware, token=settings.api_token,
                       max_upload_mb=settings.max_upload_mb)

    return app
