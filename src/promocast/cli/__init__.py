"""The ``promocast`` command line: parses arguments, calls ``services``, turns errors into
messages and exit codes (0 ok, 1 bad data, 2 bad usage). Nothing else lives here."""

from __future__ import annotations

import sys

import typer

from promocast.cli import customers as customers_commands
from promocast.cli import data as data_commands
from promocast.cli import demo as demo_commands
from promocast.cli import diagnose as diagnose_commands
from promocast.cli import explain as explain_commands
from promocast.cli import forecast as forecast_commands
from promocast.cli import inventory as inventory_commands
from promocast.cli import promo as promo_commands
from promocast.cli import report as report_commands
from promocast.cli import serve as serve_commands
from promocast.cli.common import run_guarded

app = typer.Typer(
    name="promocast",
    help="Sales forecasting and promotion decisions for e-commerce shops.\n\n"
    "Example: promocast demo --out demo_out",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
data_commands.register(app)
customers_commands.register(app)
demo_commands.register(app)
explain_commands.register(app)
forecast_commands.register(app)
inventory_commands.register(app)
diagnose_commands.register(app)
promo_commands.register(app)
report_commands.register(app)
serve_commands.register(app)


def main() -> None:
    """Console entry point."""
    sys.exit(run_guarded(app))
