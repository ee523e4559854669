"""`deskterm export FILE.jsonl` and `deskterm import FILE.jsonl`: a desk moved whole
between databases (SQLite and PostgreSQL, either way); see deskterm.desk.transfer."""

from __future__ import annotations

import glob
import os
from pathlib import Path
from typing import Annotated

import typer

from deskterm.cli import params
from deskterm.cli.context import desk
from deskterm.cli.output import fail
from deskterm.desk import transfer
from deskterm.desk.errors import DeskError
from deskterm.store.engine import printable_url


def _summary(counts: dict[str, int]) -> str:
    return ", ".join(f"{counts[name]} {name}" for name in transfer.RECORDS)


def export_command(
    ctx: typer.Context,
    file: Annotated[
        Path,
        typer.Argument(parser=params.path, help="The file to write (JSON Lines); must not exist."),
    ],
) -> None:
    """Write every organization, contact, case, event and attachment record to FILE."""
    if file.exists():
        fail(f"{file} exists: name a new file (an export never overwrites one)")
    the_desk = desk(ctx)
    remove_stale_partials(file)
    # Named by the process writing it: a partial file whose process is gone was left
    # by a killed export and is removed by the next, never a reason to refuse.
    partial = file.with_name(f".{file.name}.{os.getpid()}.partial")
    try:
        # The whole desk, customers' words included: readable by its owner only.
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with open(fd, "w", encoding="utf-8", newline="\n") as out:
            exported = transfer.export_desk(the_desk, out)
        os.replace(partial, file)  # whole or not at all
    except OSError as error:
        fail(f"cannot write {file}: {error.strerror or error}")
    finally:
        partial.unlink(missing_ok=True)
    typer.echo(f"exported {_summary(exported.counts)} to {file}")


def remove_stale_partials(file: Path) -> None:
    """Remove what killed exports to `file` left: partial files whose process is gone."""
    for partial in file.parent.glob(f".{glob.escape(file.name)}.*partial"):
        middle = partial.name[len(file.name) + 2 : -len(".partial")]
        if middle and middle.isdigit() and _running(int(middle)):
            continue  # another export to the same file, still at work
        partial.unlink(missing_ok=True)


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return pid > 0
    return True


def import_command(
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Argument(parser=params.path, help="A file written by deskterm export.")
    ],
) -> None:
    """Import FILE into an empty desk: every line is checked before any is written."""
    the_desk = desk(ctx)
    try:
        checked = transfer.import_file(the_desk, file)
    except DeskError as error:
        fail(f"{error}; nothing imported")
    where = printable_url(the_desk.engine.url.render_as_string(hide_password=False))
    typer.echo(f"imported {_summary(checked.counts)} into {where}")
    typer.echo(
        f"attached files are not in the export: copy the attachment store too "
        f"(into {the_desk.attachments})"
    )
