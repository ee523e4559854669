"""The `deskterm` command: the console, and a script-friendly twin of every action."""

from __future__ import annotations

import typer

from deskterm.cli import policy

app = typer.Typer(
    help="deskterm: a terminal helpdesk console for support cases under an SLA.",
    add_completion=False,
    rich_markup_mode=None,
)
app.add_typer(policy.app, name="policy")


@app.callback(invoke_without_command=True)
def start(ctx: typer.Context) -> None:
    """Without a subcommand: the console (until its screens exist, this help)."""
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())


def main() -> None:
    app()
