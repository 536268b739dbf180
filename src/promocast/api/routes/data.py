"""Uploading data and browsing the shop's series."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Query, UploadFile

from promocast.api.deps import DbDep, SettingsDep
from promocast.services.series import find_series, item_history
from promocast.services.upload import ingest_uploads

router = APIRouter(prefix="/api", tags=["data"])


@router.post("/ingest")
def ingest(db: DbDep, settings: SettingsDep,
           files: Annotated[list[UploadFile], File(description="One or more data files.")],
           format: Annotated[str | None, Form(max_length=40, description=(
               "A known public layout: dominicks, walmart, m5, online-retail, stallion, tuna."))] = None,
           table: Annotated[str | None, Form(max_length=40, description=(
               "The table when the file name does not say it."))] = None,
           pseudonymise: Annotated[bool, Form(description=(
               "Hash customer ids with a salt before they are stored."))] = False,
           missing_days: Annotated[str | None, Form(pattern="^(zero|unknown)?$", description=(
               "What a day (week) without a sales row means: 'zero' writes a 0-unit row for "
               "it (out-of-stock days stay unknown), 'unknown' leaves it out of training. "
               "Kept for the shop; empty: the shop's choice, else unknown."))] = None) -> dict:
    """Validate and load the files in one transaction (``promocast ingest``). Refused data
    answer 422 with every error's file, row, column, value and rule; the store is unchanged.
    The answer's ``missing_days`` says the shop's choice and the zero rows added / removed."""
    summary = ingest_uploads(((f.filename, f.file) for f in files), db, fmt=format or None,
                             table=table or None, pseudonymise=pseudonymise,
                             missing_days=missing_days or None,
                             max_bytes=settings.max_upload_mb * 1024 * 1024)
    return {**summary.as_dict(), "lines": summary.lines()}


@router.get("/series")
def series(db: DbDep, q: Annotated[str | None, Query(max_length=100)] = None,
           category: Annotated[str | None, Query(max_length=200)] = None,
           limit: Annotated[int, Query(ge=1, le=1000)] = 50,
           offset: Annotated[int, Query(ge=0)] = 0) -> dict:
    """Items matching ``q`` (id or name) in ``category``, biggest revenue first."""
    return find_series(db, query=q, category=category, limit=limit, offset=offset)


@router.get("/series/{item_id}/history")
def history(db: DbDep, item_id: str,
            store_id: Annotated[str | None, Query(max_length=200)] = None,
            days: Annotated[int, Query(ge=1, le=20000)] = 365) -> dict:
    """One item's units, prices and promotions over its last ``days``."""
    return item_history(db, item_id, store_id=store_id, days=days)
