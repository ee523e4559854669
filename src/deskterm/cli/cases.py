"""`deskterm case ...`: the case use cases from the command line (contract in issue 3)."""

from __future__ import annotations

import typer

app = typer.Typer(help="Support cases: open, list, show, work and explain them.", no_args_is_help=True)
