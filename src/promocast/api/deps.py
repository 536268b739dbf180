"""Shared route dependencies as ``Annotated`` aliases (FastAPI template style)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request

from promocast.config import Settings
from promocast.services.jobs import JobRunner


def _settings(request: Request) -> Settings:
    return request.app.state.settings


def _db(request: Request) -> Path:
    return request.app.state.settings.db


def _jobs(request: Request) -> JobRunner:
    return request.app.state.jobs


def _whatif_pool(request: Request):
    return getattr(request.app.state, "whatif_pool", None)


SettingsDep = Annotated[Settings, Depends(_settings)]
DbDep = Annotated[Path, Depends(_db)]
JobsDep = Annotated[JobRunner, Depends(_jobs)]
WhatIfPoolDep = Annotated[object | None, Depends(_whatif_pool)]
