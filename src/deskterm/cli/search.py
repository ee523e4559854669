"""`deskterm search QUERY`: every word anyone wrote on any case, open or closed."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from deskterm.cli import params
from deskterm.cli.context import desk
from deskterm.cli.output import console, print_json
from deskterm.desk import search
from deskterm.safe_text import safe_line

SUBJECT_SHOWN = 40


def search_command(
    ctx: typer.Context,
    query: Annotated[
        str,
        typer.Argument(
            help='Words (all must match), "a phrase", -excluded, prefix*, subject:/from:/'
            "contact: fields, and the queue's filters (sev:1 status:open @me breached "
            "due<2h). See the README's search table."
        ),
    ],
    status: Annotated[
        list[str] | None,
        typer.Option(
            "--status",
            parser=params.status_name,
            help="Only cases in this status (repeat for several; a prefix will do).",
        ),
    ] = None,
    limit: Annotated[
        int,
        typer.Option(
            "--limit", parser=params.search_limit, help="At most this many cases (1 to 1000)."
        ),
    ] = 20,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="A JSON list: number, subject, status, where, snippet."),
    ] = False,
) -> None:
    """Search every case, newest first: where each matched, with the words marked ⟦ ⟧."""
    the_desk = desk(ctx)
    hits = search.search(the_desk, query, statuses=status or [], limit=limit)
    if as_json:
        print_json([hit.as_dict() for hit in hits])
        return
    out = console()
    if not hits:
        out.print("no cases match")
        return
    table = Table("case", "status", "subject", "where", "snippet", box=None, pad_edge=False)
    for hit in hits:
        table.add_row(
            str(hit.number),
            Text(hit.status),
            Text(safe_line(hit.subject, SUBJECT_SHOWN)),
            Text(hit.where),
            Text(hit.snippet),
        )
    out.print(table)
