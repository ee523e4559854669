"""`deskterm org add`, `deskterm contact add`: who the desk supports."""

from __future__ import annotations

import typer

org_app = typer.Typer(help="Organizations under a support contract.", no_args_is_help=True)
contact_app = typer.Typer(help="Contacts of organizations.", no_args_is_help=True)
