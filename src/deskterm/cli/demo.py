"""`deskterm demo`: fill the database with a believable desk."""

from __future__ import annotations

from typing import Annotated

import typer

from deskterm.cli import params
from deskterm.cli.context import desk
from deskterm.desk import demo, outcomes


def demo_command(
    ctx: typer.Context,
    cases: Annotated[
        int,
        typer.Option(
            "--cases",
            parser=params.demo_cases,
            help="How many cases to add (100,000 take seconds; at most 1,000,000).",
        ),
    ] = demo.DEFAULT_CASES,
    seed: Annotated[
        int,
        typer.Option(
            "--seed",
            parser=params.any_seed,
            help="The same seed (and DESKTERM_NOW) gives the same desk.",
        ),
    ] = demo.DEFAULT_SEED,
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="Do nothing when the database already has cases.")
    ] = False,
) -> None:
    """Fill the database with a believable desk: organizations, contacts, cases and histories."""
    the_desk = desk(ctx)
    report = demo.fill(
        the_desk, cases, seed, if_empty=if_empty, progress=outcomes.progress_bar("writing the demo")
    )
    typer.echo(report.summary())
