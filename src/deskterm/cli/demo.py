"""`deskterm demo`: fill the database with a believable desk."""

from __future__ import annotations

import typer


def demo_command(ctx: typer.Context) -> None:
    """Fill the database with a believable desk."""
    raise NotImplementedError  # filled in with the demo generator
