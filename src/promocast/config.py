"""Settings read from the environment (``PROMOCAST_*``) with safe defaults.

Typed once here so the CLI, the API and the services agree on the store path, the country of the
holiday calendar and the server's security limits.
"""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DB = Path("promocast.duckdb")


class Settings(BaseSettings):
    """``PROMOCAST_DB``, ``PROMOCAST_COUNTRY``, ``PROMOCAST_API_TOKEN``, ``PROMOCAST_MAX_UPLOAD_MB``,
    ``PROMOCAST_WHATIF_WORKERS``."""

    model_config = SettingsConfigDict(env_prefix="PROMOCAST_", extra="ignore")

    db: Path = DEFAULT_DB
    country: str = "auto"
    """ISO code of the holiday calendar; ``auto``: the stores table's country, else CN."""
    api_token: str | None = None
    max_upload_mb: int = 200
    whatif_workers: int = 0
    """Worker processes pricing what-ifs (0: in the server process; ``serve`` picks one per
    core up to 4 unless told)."""


def get_settings() -> Settings:
    return Settings()
