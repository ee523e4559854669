"""The `deskterm` command line: a script-friendly twin of every console action."""

from __future__ import annotations

from typing import Annotated

import typer

from deskterm.cli import coercion, params
from deskterm.cli.context import Options, options
from deskterm.cli.tree import LazyGroup

coercion.install()  # values without pydantic (see deskterm.cli.coercion)

# The subcommands are listed in deskterm.cli.tree and imported only when used.
app = typer.Typer(
    cls=LazyGroup,
    help="deskterm: a terminal helpdesk console for support cases under an SLA.",
    add_completion=False,
    rich_markup_mode=None,
)


@app.callback(invoke_without_command=True)
def start(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Database file or SQLAlchemy URL (default: DESKTERM_DB, else `database` "
            "in the config files, else deskterm.db in the user's data directory).",
        ),
    ] = None,
    as_user: Annotated[
        str | None,
        typer.Option(
            "--as",
            help="Act as this user (default: DESKTERM_USER, else the login name); on a "
            "shared host only if its site config says [identity] allow_as = true.",
        ),
    ] = None,
) -> None:
    """Without a subcommand: the console."""
    ctx.obj = Options(db=db, as_user=as_user)
    if ctx.invoked_subcommand is None:
        from deskterm.console import run_console

        raise typer.Exit(run_console(db, as_user))


def open_command(
    ctx: typer.Context,
    number: Annotated[
        int,
        typer.Argument(
            metavar="N",
            parser=params.case_number,
            help="The case: 40100, #40100 or 'Incident# 40100'.",
        ),
    ],
) -> None:
    """Open the console on one case (esc goes back to the queue)."""
    from deskterm.console import run_console

    given = options(ctx)
    raise typer.Exit(run_console(given.db, given.as_user, case=number))


def sev1_command(ctx: typer.Context) -> None:
    """The Severity 1 phone-call wizard (resumes a call left mid-way); esc at step 1 leaves."""
    from deskterm.console import run_console

    given = options(ctx)
    raise typer.Exit(run_console(given.db, given.as_user, start="sev1"))


def board_command(
    ctx: typer.Context,
    readonly: Annotated[
        bool,
        typer.Option("--readonly", help="For a wall screen: no key changes data, no sweep runs."),
    ] = False,
) -> None:
    """The breach board: next cases to breach, counts, load per engineer, the next 8 hours."""
    from deskterm.console import run_console

    given = options(ctx)
    raise typer.Exit(run_console(given.db, given.as_user, readonly=readonly, start="board"))
