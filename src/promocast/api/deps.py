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


SettingsDep = Annotated[Settings, Depends(_settings)]
DbDep = Annotated[Path, Depends(_db)]
JobsDep = Annotated[JobRunner, Depends(_jobs)]
