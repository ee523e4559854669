"""`deskterm backup FILE` and `deskterm restore FILE`: an SQLite desk copied out and back
(see store/backup.py); PostgreSQL has its own tools."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy.engine import make_url

from deskterm import clock
from deskterm.cli import params
from deskterm.cli.context import options
from deskterm.cli.output import fail, print_json
from deskterm.safe_text import safe_line
from deskterm.store.backup import BackupError, Copied, backup, restore
from deskterm.store.engine import printable_url

ForceOption = Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")]
JsonOption = Annotated[bool, typer.Option("--json", help="One JSON object.")]


def _database(ctx: typer.Context, verb: str) -> Path:
    """The SQLite file of the current desk; PostgreSQL is refused with what to use."""
    url = options(ctx).url()
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        tool = "pg_dump" if verb == "backup" else "pg_restore (or psql for a plain dump)"
        fail(f"{verb} works on SQLite desks only; {printable_url(url)} is PostgreSQL: use {tool}")
    if not parsed.database or parsed.database == ":memory:":
        fail(f"{printable_url(url)} is not a database file")
    return Path(parsed.database)


def _report(copied: Copied) -> dict[str, Any]:
    return {
        "file": str(copied.path),
        "revision": copied.revision,
        "cases": copied.cases,
        "events": copied.events,
        "kept": str(copied.kept) if copied.kept else None,
    }


def backup_command(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(parser=params.path, help="The backup file to write.")],
    force: ForceOption = False,
    as_json: JsonOption = False,
) -> None:
    """Copy the database to FILE while others keep working (SQLite's online backup)."""
    database = _database(ctx, "backup")
    try:
        copied = backup(database, file, force=force)
    except BackupError as error:
        fail(str(error))
    if as_json:
        print_json(_report(copied))
        return
    typer.echo(
        safe_line(
            f"backed up {database} to {copied.path}: {copied.cases} case(s), "
            f"{copied.events} event(s), revision {copied.revision}, integrity ok"
        )
    )


def restore_command(
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Argument(parser=params.path, help="A backup made by deskterm backup.")
    ],
    force: Annotated[
        bool,
        typer.Option("--force", help="Replace the current database (a copy of it is kept)."),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Put the desk in FILE in place of the current database, in one step."""
    database = _database(ctx, "restore")
    try:
        copied = restore(file, database, clock.now(), force=force)
    except BackupError as error:
        fail(str(error))
    if as_json:
        print_json(_report(copied))
        return
    kept = f"; the database it replaced is kept at {copied.kept}" if copied.kept else ""
    typer.echo(
        safe_line(
            f"restored {file} into {database}: {copied.cases} case(s), {copied.events} "
            f"event(s), revision {copied.revision}{kept}"
        )
    )
