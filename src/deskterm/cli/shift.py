"""`deskterm handoff`, `deskterm report` and `deskterm serve`: the shift lead's commands."""

from __future__ import annotations

import csv
import io
import shlex
import socket
import sys
from datetime import datetime, timedelta
from typing import Annotated

import typer
from rich.table import Table

from deskterm.cli import params
from deskterm.cli.context import desk, options
from deskterm.cli.output import console, fail, print_json
from deskterm.desk import handoff as handoffs
from deskterm.desk import reports
from deskterm.desk.limits import quoted
from deskterm.safe_text import safe_line
from deskterm.sla.duration import format_hours_minutes

HANDOFF_FORMATS = ("markdown", "json")
REPORT_FORMATS = ("table", "csv", "json")
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def handoff_command(
    ctx: typer.Context,
    since: Annotated[
        timedelta,
        typer.Option(
            "--since", parser=params.span, help="How far back the shift goes: 8h, 90m, 2d."
        ),
    ] = "8h",  # type: ignore[assignment]  # typer parses a default like typed text (--help shows 8h)
    format: Annotated[
        str, typer.Option("--format", help="markdown (for a chat or a mail) or json.")
    ] = "markdown",
) -> None:
    """What came in, breached and was resolved this shift; what the next one inherits."""
    if format not in HANDOFF_FORMATS:
        fail(f"--format must be one of {', '.join(HANDOFF_FORMATS)} (got {quoted(format)})")
    found = handoffs.handoff(desk(ctx), since)
    if format == "json":
        print_json(found.json())
    else:
        typer.echo(handoffs.markdown(found))


def _duration(value: timedelta | None) -> str:
    return "-" if value is None else format_hours_minutes(value)


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}%"


COLUMNS = (
    ("received", "Received"),
    ("met", "FR met"),
    ("missed", "FR missed"),
    ("met %", "FR met %"),
    ("median", "Median FR"),
    ("p90", "P90 FR"),
    ("breaches", "Breaches"),
    ("timeouts", "Timeout downgrades"),
    ("auto-closed", "Auto-closed"),
)


def _cells(row: reports.Figures) -> list[str]:
    return [
        str(row.received),
        str(row.met),
        str(row.missed),
        _percent(row.met_percent),
        _duration(row.median_response),
        _duration(row.p90_response),
        str(row.breaches),
        str(row.customer_timeouts),
        str(row.auto_closures),
    ]


def report_command(
    ctx: typer.Context,
    start: Annotated[
        datetime,
        typer.Option(
            "--from", parser=params.first_day, help="First day (UTC), 2026-11-01, or an instant."
        ),
    ],
    end: Annotated[
        datetime,
        typer.Option(
            "--to",
            parser=params.last_day,
            help="Last day (UTC, included), 2026-11-30, or an instant.",
        ),
    ],
    by: Annotated[
        str, typer.Option("--by", help="Group by severity, organization or engineer.")
    ] = "severity",
    format: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
) -> None:
    """First-response SLA met, breaches, response times in business time, and the update,
    resolution and next-response clocks met, for a period."""
    if format not in REPORT_FORMATS:
        fail(f"--format must be one of {', '.join(REPORT_FORMATS)} (got {quoted(format)})")
    if by not in reports.GROUPINGS:
        fail(f"--by must be one of {', '.join(reports.GROUPINGS)} (got {quoted(by)})")
    found = reports.report(desk(ctx), start, end, by)
    if format == "json":
        print_json(found.json())
        return
    if format == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        fields = list(found.total.json())
        writer.writerow(fields)
        for row in (*found.rows, found.total):
            writer.writerow(["" if v is None else v for v in row.json().values()])
        typer.echo(out.getvalue(), nl=False)
        return
    table = Table(
        title=f"SLA report {found.start:%Y-%m-%d} to {found.end:%Y-%m-%d %H:%M} UTC "
        f"(end excluded), by {by}",
        title_justify="left",
    )
    table.add_column(reports.report_rows_for(by))
    for _, title in COLUMNS:
        table.add_column(title, justify="right")
    # The update, resolution and next-response runs met of those counted, where any were.
    clocks = reports.counted_clocks(found)
    for clock in clocks:
        table.add_column(f"{reports.CLOCK_TITLES[clock]} met", justify="right")

    def cells(row: reports.Figures) -> list[str]:
        return _cells(row) + [reports.clock_cell(row.clocks[clock]) for clock in clocks]

    for row in found.rows:
        table.add_row(safe_line(row.key), *cells(row))
    table.add_row("All", *cells(found.total), style="bold", end_section=True)
    console().print(table)


def serve_command(
    ctx: typer.Context,
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on (default: this machine only).")
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", parser=params.port, help="Port to listen on.")
    ] = 8000,
    board: Annotated[bool, typer.Option("--board", help="Open on the breach board.")] = False,
    readonly: Annotated[
        bool, typer.Option("--readonly", help="No key changes data (a wall screen).")
    ] = False,
) -> None:
    """Serve the console to a web browser (textual-serve): a wall screen without SSH."""
    if not host.strip():
        fail("--host is empty: name the address to listen on (e.g. 127.0.0.1)")
    _can_listen(host, port)
    given = options(ctx)
    words = [sys.executable, "-m", "deskterm"]
    if given.db:
        words += ["--db", given.db]
    if given.as_user:
        words += ["--as", given.as_user]
    if board or readonly:
        words.append("board")
        if readonly:
            words.append("--readonly")
    if host not in LOCAL_HOSTS:
        typer.echo(
            f"deskterm: WARNING: serving on {host}: anyone who can reach this address and port "
            "gets the console, with no password. Use --readonly for a wall screen, or keep "
            "the default 127.0.0.1 and an SSH tunnel.",
            err=True,
        )
    from textual_serve.server import Server

    typer.echo(f"deskterm: serving the console on http://{host}:{port} (ctrl+c stops)", err=True)
    try:
        Server(shlex.join(words), host=host, port=port, title="deskterm").serve()
    except OSError as error:  # taken between the check and now
        fail(f"cannot listen on {quoted(host)} port {port}: {error.strerror or error}")


def _can_listen(host: str, port: int) -> None:
    """Refuse an address this machine cannot listen on before the server says anything."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as error:
        reason = getattr(error, "strerror", None) or "not an address"
        fail(f"--host: cannot listen on {quoted(host)}: {reason}")
    family, kind, protocol, _, address = found[0]
    with socket.socket(family, kind, protocol) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            fail(f"cannot listen on {quoted(host)} port {port}: {error.strerror or error}")
