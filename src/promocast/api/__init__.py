"""The REST API (FastAPI): JSON over every service of the CLI. Routes call ``services`` only."""

from promocast.api.app import create_app

__all__ = ["create_app"]
