"""`deskterm doctor`: one line per check of what deskterm stands on (see desk/doctor.py)."""

from __future__ import annotations

from typing import Annotated

import typer

from deskterm import settings
from deskterm.cli.context import options
from deskterm.cli.output import print_json
from deskterm.desk import doctor
from deskterm.opening import location
from deskterm.safe_text import safe_line
from deskterm.store.engine import database_url, printable_url

EXIT_FAILED = 1
LABELS = {"ok": "OK", "warn": "WARN", "fail": "FAIL"}


def doctor_command(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
    clocks: Annotated[
        bool,
        typer.Option(
            "--clocks",
            help="Also replay every case's events and compare its stored clocks (as import "
            "does; milliseconds a case).",
        ),
    ] = False,
) -> None:
    """Check the database, SQLite, file modes, migrations, policies and time zones.

    Exit code 1 when a check FAILs (warnings alone exit 0).
    """
    url = database_url(location(options(ctx).db))
    checks = doctor.examine(url, settings.policy_dirs(), clocks=clocks)
    if as_json:
        print_json(
            {
                "database": printable_url(url),
                "ok": not doctor.failed(checks),
                "checks": [check.as_dict() for check in checks],
            }
        )
    else:
        for check in checks:
            line = f"{LABELS[check.status]:<4} {check.name}: {check.message}"
            if check.advice:
                line += f" -> {check.advice}"
            typer.echo(safe_line(line))
    if doctor.failed(checks):
        raise typer.Exit(EXIT_FAILED)
