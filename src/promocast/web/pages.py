"""The dashboard's pages. Each page renders its frame and key figures on the server; its charts
and forms talk to the JSON API from the browser (``static/app.js``), so a page and the API can
never disagree. Texts come from the translation catalogue (``i18n``)."""

from __future__ import annotations

import hmac
import json
from importlib import resources
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Body, FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from promocast import __version__
from promocast.api.security import SESSION_COOKIE, session_value
from promocast.exceptions import EmptyStore
from promocast.services.calendar import shop_calendar
from promocast.services.info import is_monthly, store_info
from promocast.services.inventory import default_review_period
from promocast.services.periods import shop_period
from promocast.services.results import effect_flags, latest_result
from promocast.services.series import find_series, kept_backtests
from promocast.web.i18n import LANG_COOKIE, LANGUAGES, catalogue, pick_language, translator

HERE = Path(str(resources.files("promocast.web")))
templates = Jinja2Templates(directory=str(HERE / "templates"))
router = APIRouter(include_in_schema=False)
PAGES = [("overview", "/"), ("data", "/data"), ("items", "/items"),
         ("promotions", "/promotions"), ("quality", "/quality"), ("inventory", "/inventory"),
         ("customers", "/customers")]
"""Navigation: (page key, path)."""


def _render(request: Request, template: str, page: str, **context: object) -> HTMLResponse:
    lang = pick_language(request.query_params.get("lang"), request.cookies.get(LANG_COOKIE))
    t = translator(lang)
    response = templates.TemplateResponse(request, template, {
        "t": t, "lang": lang, "languages": LANGUAGES, "page": page, "pages": PAGES,
        "version": __version__, "texts_json": json.dumps(catalogue(lang), ensure_ascii=False),
        "login": bool(request.app.state.settings.api_token), "shop": None, **context})
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="strict")
    return response


def _facts(request: Request, quality: bool = False) -> dict | None:
    """The store's facts (with the data-quality warnings when ``quality``), or None when it
    holds no sales yet."""
    try:
        info = store_info(request.app.state.settings.db, quality=quality)
    except EmptyStore:
        return None
    return info if info.get("series") else None


def _shop(info: dict) -> dict:
    """The shop's period and its default spans (``services.periods``), for the templates and,
    as ``window.SHOP``, for the page's script: a daily default is wrong on a weekly shop."""
    return shop_period(info.get("freq")).as_dict()


@router.get("/", response_class=HTMLResponse)
def overview(request: Request) -> HTMLResponse:
    info = _facts(request, quality=True)
    if info is None:
        return _render(request, "empty.html", "overview", empty=True)
    settings = request.app.state.settings
    calendar = shop_calendar(settings.db, country=settings.country, horizon_days=90)
    coming = calendar[(calendar["date"] > info["end"]) & (calendar["kind"] != "workday")]
    kept = {kind: latest_result(settings.db, kind) for kind in ("effects", "evaluate", "plan")}
    return _render(request, "overview.html", "overview", info=info, kept=kept, shop=_shop(info),
                   flags=effect_flags(kept["effects"]),
                   events=[{"date": d.strftime("%Y-%m-%d"), "event": e, "kind": k,
                            "days": (d - calendar["date"].min()).days}
                           for d, e, k in coming[["date", "event", "kind"]].head(12).itertuples(
                               index=False)])


@router.get("/data", response_class=HTMLResponse)
def data_page(request: Request) -> HTMLResponse:
    return _render(request, "data.html", "data", info=_facts(request, quality=True),
                   max_upload_mb=request.app.state.settings.max_upload_mb)


@router.get("/items", response_class=HTMLResponse)
def items_page(request: Request) -> HTMLResponse:
    info = _facts(request)
    if info is None:
        return _render(request, "empty.html", "items", empty=True)
    categories = find_series(request.app.state.settings.db, limit=1)["categories"]
    return _render(request, "items.html", "items", categories=categories, shop=_shop(info))


@router.get("/promotions", response_class=HTMLResponse)
def promotions_page(request: Request) -> HTMLResponse:
    info = _facts(request)
    if info is None:
        return _render(request, "empty.html", "promotions", empty=True)
    db = request.app.state.settings.db
    top = find_series(db, limit=200)
    # a monthly shop plans whole months (services.plan_setup.plan_period): say so on the form
    monthly = is_monthly(info.get("freq"))
    return _render(request, "promotions.html", "promotions", items=top["series"],
                   categories=top["categories"], monthly=monthly, shop=_shop(info))


@router.get("/quality", response_class=HTMLResponse)
def quality_page(request: Request) -> HTMLResponse:
    info = _facts(request)
    if info is None:
        return _render(request, "empty.html", "quality", empty=True)
    runs = kept_backtests(request.app.state.settings.db, limit=10)
    return _render(request, "quality.html", "quality", runs=runs, shop=_shop(info))


@router.get("/inventory", response_class=HTMLResponse)
def inventory_page(request: Request) -> HTMLResponse:
    info = _facts(request)
    if info is None:
        return _render(request, "empty.html", "inventory", empty=True)
    return _render(request, "inventory.html", "inventory", shop=_shop(info),
                   review_default=default_review_period(info.get("freq")))


@router.get("/customers", response_class=HTMLResponse)
def customers_page(request: Request) -> HTMLResponse:
    info = _facts(request)
    orders = info["tables"]["orders"]["rows"] if info else 0
    if not orders:
        return _render(request, "no_orders.html", "customers")
    categories = find_series(request.app.state.settings.db, limit=1)["categories"]
    return _render(request, "customers.html", "customers", categories=categories)


@router.get("/docs", response_class=HTMLResponse)
def api_docs(request: Request) -> HTMLResponse:
    """The API reference from the OpenAPI schema, rendered here: Swagger UI would fetch its
    scripts from a CDN, which offline shops (and these machines) cannot reach."""
    schema = request.app.openapi()
    operations = []
    for path, methods in schema["paths"].items():
        for method, op in methods.items():
            body = op.get("requestBody", {}).get("content", {})
            ref = next(iter(body.values()), {}).get("schema", {}).get("$ref", "")
            operations.append({
                "method": method.upper(), "path": path, "summary": op.get("summary", ""),
                "description": op.get("description", ""), "tag": (op.get("tags") or [""])[0],
                "parameters": [{"name": p["name"], "where": p["in"],
                                "required": p.get("required", False),
                                "description": p.get("description") or p.get("schema", {}).get(
                                    "description", "")} for p in op.get("parameters", [])],
                "body": ref.rsplit("/", 1)[-1]})
    return _render(request, "api_docs.html", "docs", operations=operations,
                   models=schema.get("components", {}).get("schemas", {}))


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request) -> HTMLResponse:
    return _render(request, "login.html", "login", next=_local(request.query_params.get("next")))


@router.post("/login")
def login(request: Request, token: Annotated[str, Body(embed=True, max_length=500)]) -> Response:
    """Trade the API token for an HttpOnly session cookie (the pages' way in)."""
    expected = request.app.state.settings.api_token
    if not expected or not hmac.compare_digest(token.strip().encode(), expected.strip().encode()):
        return JSONResponse({"error": translator(pick_language(
            None, request.cookies.get(LANG_COOKIE)))("login.wrong")}, status_code=401)
    response = JSONResponse({"ok": True})
    response.set_cookie(SESSION_COOKIE, session_value(expected.strip()), httponly=True,
                        samesite="strict", max_age=7 * 86400)
    return response


@router.get("/logout")
def logout() -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


def _local(target: str | None) -> str:
    """A redirect target inside this site only (no ``//host`` or scheme)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@router.get("/static/plotly.min.js")
def plotly_js() -> FileResponse:
    """plotly.js from the installed plotly package: no CDN (offline machines, privacy)."""
    import plotly

    path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    return FileResponse(path, media_type="text/javascript",
                        headers={"cache-control": "public, max-age=86400"})


def install(app: FastAPI) -> None:
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
