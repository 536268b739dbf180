"""Every table of the pages as CSV or Excel, and the self-contained HTML report."""

from __future__ import annotations

from typing import Annotated, Literal

import pandas as pd
from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse, Response

from promocast.api.deps import DbDep, SettingsDep
from promocast.api.routes.forecasts import RUN_ID
from promocast.services.report import build_report
from promocast.services.results import export_frame, table_bytes
from promocast.services.series import forecast_table

router = APIRouter(prefix="/api", tags=["exports"])
MEDIA = {"csv": "text/csv; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
TableName = Literal["series", "backtest", "evaluation", "plan", "effects", "advice", "segments"]


def download(frame: pd.DataFrame, name: str, fmt: str) -> Response:
    """``frame`` as a file download named ``name.fmt``: CSV in UTF-8 with a BOM (Excel opens
    Chinese names) or an Excel workbook. ``name`` is the route's own (with at most a run id
    that passed ``RUN_ID``), never a path from the request; nothing touches the disk."""
    return Response(table_bytes(frame, fmt), media_type=MEDIA[fmt], headers={
        "content-disposition": f'attachment; filename="{name}.{fmt}"'})


@router.get("/export/{name}")
def export(db: DbDep, name: Annotated[TableName, Path()],
           format: Annotated[Literal["csv", "xlsx"], Query()] = "csv") -> Response:
    """A result table as a download (``csv`` or ``xlsx``)."""
    return download(export_frame(db, name), f"promocast_{name}", format)


@router.get("/forecasts/runs/{run_id}/export")
def export_forecast_run(db: DbDep, run_id: Annotated[str, Path(pattern=RUN_ID)],
                        format: Annotated[Literal["csv", "xlsx"], Query()] = "csv") -> Response:
    """A kept forecast run's table as a download, as ``forecast --out`` writes it: one row per
    series and period (unique_id, item_id, store_id, ds), one column per model and quantile
    (``lgbm-q0.5``), run_id. 404 naming the run when none is kept by that id; the id's
    pattern keeps anything but letters, digits, '-' and '_' out of the file name."""
    return download(forecast_table(db, run_id), f"promocast_forecast_{run_id}", format)


@router.get("/report", response_class=HTMLResponse)
def report(db: DbDep, settings: SettingsDep,
           download: Annotated[bool, Query()] = True,
           lang: Annotated[Literal["en", "zh"], Query()] = "en") -> HTMLResponse:
    """The self-contained HTML report of what the store holds (charts inline, no network),
    in English or Chinese (``lang``; the dashboard's button passes its own language)."""
    headers = {"content-disposition": 'attachment; filename="promocast_report.html"'} \
        if download else {}
    return HTMLResponse(build_report(db, country=settings.country, lang=lang), headers=headers)
