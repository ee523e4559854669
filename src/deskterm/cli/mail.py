"""`deskterm mail ...`: take mail in, send the outbox, look at what is pending or unplaced.

`mail ingest` is what a mail server's pipe alias (or procmail, or fetchmail's
mda) runs for each message, as Request Tracker's rt-mailgate: exit 0 when the
message was taken (or was taken before), 2 when it is refused (the server
bounces it with the one-line reason), 75 (EX_TEMPFAIL) when the database cannot
be reached (the server keeps the message and tries again later).
"""

from __future__ import annotations

import mailbox
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text
from sqlalchemy.exc import DBAPIError, OperationalError

from deskterm.cli import params
from deskterm.cli.case_render import local, safe_line
from deskterm.cli.context import desk, options
from deskterm.cli.output import console, fail, print_json
from deskterm.desk import inbound, outbox
from deskterm.desk.errors import DeskError
from deskterm.opening import OpenError
from deskterm.safe_text import safe_line as cut_line
from deskterm.safe_text import safe_text
from deskterm.store.engine import first_line, make_engine

EX_TEMPFAIL = 75

app = typer.Typer(
    help="Mail: take customer mail in, send replies out, triage what has no case.",
    no_args_is_help=True,
)

JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]


@app.command("ingest")
def ingest_command(
    ctx: typer.Context,
    maildir: Annotated[
        Path | None,
        typer.Option(
            "--maildir",
            parser=params.path,
            help="Take every new message of this Maildir (marked seen in cur/ once taken; "
            "refused ones flagged); without it, one message on standard input.",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Take customer mail: onto its case, into a new case, or into triage."""
    _database_reachable(ctx)
    the_desk = desk(ctx)
    if maildir is None:
        raw = sys.stdin.buffer.read()
        try:
            result = inbound.ingest(the_desk, raw)
        except OperationalError as error:
            typer.echo(f"deskterm: temporary failure: {safe_line(first_line(error))}", err=True)
            raise typer.Exit(EX_TEMPFAIL) from None
        _say([result], [], as_json)
        return
    if not (maildir / "new").is_dir() or not (maildir / "cur").is_dir():
        fail(f"{safe_line(maildir)} is not a Maildir (it needs new/ and cur/ directories)")
    box = mailbox.Maildir(maildir, factory=None, create=False)
    taken: list[inbound.Ingested] = []
    refused: list[str] = []
    for key in sorted(box.keys()):
        message = box.get_message(key)
        if message.get_subdir() != "new":
            continue  # in cur/: taken (or refused) before, or a mail client's
        try:
            result = inbound.ingest(the_desk, box.get_bytes(key))
        except DeskError as error:
            refused.append(f"{key}: {error}")
            message.add_flag("F")  # flagged for a person: it could not be taken
        except OperationalError as error:
            typer.echo(f"deskterm: temporary failure: {safe_line(first_line(error))}", err=True)
            break  # left in new/: the next run takes it
        else:
            taken.append(result)
            message.add_flag("S")
        message.set_subdir("cur")
        box[key] = message
    _say(taken, refused, as_json)
    if refused:
        raise typer.Exit(2)


def _database_reachable(ctx: typer.Context) -> None:
    """A database that cannot be reached is a temporary failure (exit 75): the mail
    server keeps the message and tries again, rather than bouncing it."""
    try:
        engine = make_engine(options(ctx).url())
    except (OpenError, OSError):
        return  # opening the desk says what is wrong (exit 2)
    try:
        with engine.connect():
            pass
    except OperationalError as error:
        typer.echo(f"deskterm: temporary failure: {safe_line(first_line(error))}", err=True)
        raise typer.Exit(EX_TEMPFAIL) from None
    except DBAPIError:
        return  # not a database at all: opening the desk says so (exit 2)
    finally:
        engine.dispose()


def _say(results: list[inbound.Ingested], refused: list[str], as_json: bool) -> None:
    if as_json:
        print_json(
            {
                "taken": [
                    {
                        "outcome": r.outcome,
                        "message_id": r.message_id,
                        "case": r.case,
                        "triage": r.triage,
                        "reason": r.reason,
                    }
                    for r in results
                ],
                "refused": refused,
            }
        )
        return
    for result in results:
        typer.echo(safe_line(result.summary()))
    for line in refused:
        typer.echo(f"deskterm: {safe_line(line)}", err=True)


@app.command("send")
def send_command(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Send what is due in the outbox through the relay ([mail] in the config)."""
    the_desk = desk(ctx)
    if not the_desk.mail.relay:
        fail("no mail relay configured: set host (and from) in the [mail] table of the config")
    report = outbox.send_due(the_desk)
    if as_json:
        print_json({"sent": report.sent, "retrying": report.retrying, "failed": report.failed})
        return
    typer.echo(report.summary())


@app.command("retry")
def retry_command(
    ctx: typer.Context,
    message: Annotated[
        int,
        typer.Argument(
            metavar="ID", parser=params.positive, help="The message's id in the outbox."
        ),
    ],
) -> None:
    """Send a failed or not-sent message again (once the relay or the address is fixed)."""
    typer.echo(safe_line(outbox.retry(desk(ctx), message)))


@app.command("outbox")
def outbox_command(
    ctx: typer.Context,
    every: Annotated[bool, typer.Option("--all", help="Sent mail too.")] = False,
    case: Annotated[
        int | None,
        typer.Option("--case", parser=params.case_number, help="Only this case's mail."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Mail to customers that is pending, failed or not sent (with --all: sent too)."""
    lines = outbox.outbox(desk(ctx), everything=every, case=case)
    if as_json:
        print_json([line.as_json() for line in lines])
        return
    out = console()
    if not lines:
        out.print("the outbox is empty" if every else "nothing pending, failed or unsent")
        return
    table = Table("id", "case", "kind", "to", "queued", "state", box=None, pad_edge=False)
    for line in lines:
        table.add_row(
            str(line.id),
            str(line.case),
            line.kind,
            Text(safe_line(line.to or "-")),
            local(line.created_at),
            Text(safe_line(line.state)),
        )
    out.print(table)


@app.command("triage")
def triage_command(
    ctx: typer.Context,
    every: Annotated[bool, typer.Option("--all", help="Mail taken into a case too.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Mail deskterm could not place (unknown sender, say): take it with `mail take`."""
    lines = inbound.triage(desk(ctx), everything=every)
    if as_json:
        print_json([line.as_json() for line in lines])
        return
    out = console()
    if not lines:
        out.print("no mail in triage")
        return
    # One row a mail, whatever its sender wrote: long fields are cut with `…` to
    # fit the terminal (`mail show ID` has them whole).
    rows = [
        (
            str(line.id),
            local(line.received_at),
            cut_line(line.from_address, CELL),
            cut_line(line.subject, CELL),
            cut_line(
                line.reason if line.case is None else f"taken into Incident# {line.case}", CELL
            ),
        )
        for line in lines
    ]
    fixed = max(len("id"), *(len(row[0]) for row in rows)) + max(len(row[1]) for row in rows)
    room = max(30, out.width - fixed - 2 * 4)  # four gaps of two between five columns
    sender = min(max(len(row[2]) for row in rows), max(10, room // 4))
    why = min(max(len(row[4]) for row in rows), max(12, room // 3))
    table = Table(box=None, pad_edge=False)
    table.add_column("id", no_wrap=True)
    table.add_column("received", no_wrap=True)
    for name, width in (("from", sender), ("subject", room - sender - why), ("why", why)):
        table.add_column(name, no_wrap=True, overflow="ellipsis", width=max(width, len(name)))
    for row in rows:
        table.add_row(*row[:2], *(Text(cell) for cell in row[2:]))
    out.print(table)


CELL = 300  # characters of a field cut before the table cuts it to the terminal's width


@app.command("show")
def show_command(
    ctx: typer.Context,
    triage_id: Annotated[
        int,
        typer.Argument(metavar="ID", parser=params.positive, help="The mail's id in triage."),
    ],
    as_json: JsonOption = False,
) -> None:
    """One mail of triage whole: its sender, subject, why it waits, its text and files."""
    shown = inbound.triaged(desk(ctx), triage_id)
    if as_json:
        print_json(shown)
        return
    out = console()
    for name in ("from", "subject", "received", "why"):
        value = str(shown[name] or "-")
        out.print(Text(f"{name + ':':<10}", style="bold"), Text(safe_line(value)))
    files = shown["attachments"]  # the names of the mail's files (inbound.triaged)
    for name in files if isinstance(files, list) else ():
        out.print(Text(f"{'file:':<10}", style="bold"), Text(safe_line(str(name))))
    out.print()
    out.print(Text(safe_text(str(shown["text"]))))


@app.command("take")
def take_command(
    ctx: typer.Context,
    triage_id: Annotated[
        int,
        typer.Argument(metavar="ID", parser=params.positive, help="The mail's id in triage."),
    ],
    case: Annotated[
        int | None,
        typer.Option(
            "--case",
            parser=params.case_number,
            help="Add it to this case as the customer's reply.",
        ),
    ] = None,
    org: Annotated[
        str | None, typer.Option("--org", help="Open a new case for this organization.")
    ] = None,
    contact: Annotated[
        str | None, typer.Option("--contact", help="The new case's contact.")
    ] = None,
    severity: Annotated[
        int | None,
        typer.Option(
            "--severity",
            parser=params.severity,
            help="The new case's severity (default: the policy's for email).",
        ),
    ] = None,
) -> None:
    """Take a mail out of triage: onto a case, or into a new case."""
    number = inbound.take(
        desk(ctx), triage_id, case=case, organization=org, contact=contact, severity=severity
    )
    typer.echo(f"mail #{triage_id} taken into Incident# {number}")
