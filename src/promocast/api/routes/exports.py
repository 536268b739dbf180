"""Every table of the pages as CSV or Excel, and the self-contained HTML report."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse, Response

from promocast.api.deps import DbDep, SettingsDep
from promocast.services.report import build_report
from promocast.services.results import export_frame, table_bytes

router = APIRouter(prefix="/api", tags=["exports"])
MEDIA = {"csv": "text/csv; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
TableName = Literal["series", "backtest", "evaluation", "plan", "effects", "advice", "segments"]


@router.get("/export/{name}")
def export(db: DbDep, name: Annotated[TableName, Path()],
           format: Annotated[Literal["csv", "xlsx"], Query()] = "csv") -> Response:
    """A result table as a download (``csv`` or ``xlsx``)."""
    body = table_bytes(export_frame(db, name), format)
    return Response(body, media_type=MEDIA[format], headers={
        "content-disposition": f'attachment; filename="promocast_{name}.{format}"'})


@router.get("/report", response_class=HTMLResponse)
def report(db: DbDep, settings: SettingsDep,
           download: Annotated[bool, Query()] = True) -> HTMLResponse:
    """The self-contained HTML report of what the store holds (charts inline, no network)."""
    headers = {"content-disposition": 'attachment; filename="promocast_report.html"'} \
        if download else {}
    return HTMLResponse(build_report(db, country=settings.country), headers=headers)
