"""``promocast serve``: the dashboard and the REST API on one port."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from promocast.cli.common import DbOption, console, resolve_db
from promocast.config import get_settings


def serve(
    db: DbOption = None,
    host: Annotated[str, typer.Option("--host", help="Address to listen on. Anything but "
                                      "loopback needs PROMOCAST_API_TOKEN.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535)] = 8000,
    max_upload_mb: Annotated[int | None, typer.Option(
        "--max-upload-mb", min=1, help="Largest upload (default $PROMOCAST_MAX_UPLOAD_MB or 200).")] = None,
    whatif_workers: Annotated[int | None, typer.Option(
        "--whatif-workers", min=0, max=64,
        help="Processes pricing what-ifs (default $PROMOCAST_WHATIF_WORKERS, else one per core "
             "up to 4; 0 = in the server process).")] = None,
) -> None:
    """Serve the dashboard (zh / en) and the REST API (docs at /docs).

    Example: promocast serve --db demo_out/promocast.duckdb --port 8000"""
    from promocast.services.server import check_bind, default_whatif_workers

    settings = get_settings()
    check_bind(host, settings.api_token)
    updates: dict = {"db": Path(resolve_db(db))}
    if max_upload_mb is not None:
        updates["max_upload_mb"] = max_upload_mb
    if whatif_workers is not None:
        updates["whatif_workers"] = whatif_workers
    elif "PROMOCAST_WHATIF_WORKERS" not in os.environ:
        updates["whatif_workers"] = default_whatif_workers()
    settings = settings.model_copy(update=updates)
    import uvicorn

    from promocast.api import create_app

    where = f"http://{'[' + host + ']' if ':' in host else host}:{port}"
    console.print(f"promocast serving {settings.db} at {where} "
                  f"({'API token required' if settings.api_token else 'no token: loopback only'})",
                  highlight=False, markup=False)
    uvicorn.run(create_app(settings, warm_up=True), host=host, port=port, log_level="warning",
                server_header=False)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
