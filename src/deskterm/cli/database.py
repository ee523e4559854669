"""`deskterm db ...`: the database schema."""

from __future__ import annotations

import typer

app = typer.Typer(help="The database schema.", no_args_is_help=True)
