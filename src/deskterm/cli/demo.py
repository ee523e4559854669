"""`deskterm demo`: fill the database with a believable desk."""

from __future__ import annotations

from typing import Annotated

import typer

from deskterm.cli.context import desk
from deskterm.cli.output import fail
from deskterm.desk import demo
from deskterm.desk.errors import DeskError
from deskterm.safe_text import safe_line


def demo_command(
    ctx: typer.Context,
    cases: Annotated[
        int, typer.Option("--cases", help="How many cases to add (100,000 take seconds).")
    ] = demo.DEFAULT_CASES,
    seed: Annotated[
        int, typer.Option("--seed", help="The same seed (and DESKTERM_NOW) gives the same desk.")
    ] = demo.DEFAULT_SEED,
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="Do nothing when the database already has cases.")
    ] = False,
) -> None:
    """Fill the database with a believable desk: organizations, contacts, cases and histories."""
    if cases < 1:
        fail(f"--cases must be at least 1 (got {cases})")
    the_desk = desk(ctx)
    try:
        report = demo.fill(the_desk, cases, seed, if_empty=if_empty)
    except DeskError as error:
        fail(safe_line(str(error)))
    typer.echo(report.summary())
