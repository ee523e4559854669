"""The desk a command works on: database from --db/DESKTERM_DB, actor from --as,
attachments beside an SQLite database (or DESKTERM_ATTACHMENTS)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from deskterm.desk.context import Desk


@dataclass
class Options:
    db: str | None = None
    as_user: str | None = None

    @cached_property
    def desk(self) -> Desk:
        """The desk, its schema brought up to date first (after a backup copy).

        A desk that cannot be opened raises OpenError: the root command says why.
        """
        from deskterm.opening import open_desk  # SQLAlchemy only once a desk is opened

        desk, backup = open_desk(self.db, self.as_user)
        if backup is not None:
            typer.echo(
                f"deskterm: upgraded the database schema (copy of the old one: {backup})", err=True
            )
        return desk

    def url(self) -> str:
        """The database's URL, for commands that open it their own way (db, backup)."""
        from deskterm.opening import location, url_of

        return url_of(location(self.db))


def options(ctx: typer.Context) -> Options:
    found = ctx.find_object(Options)
    assert found is not None, "the root callback sets Options"
    return found


def desk(ctx: typer.Context) -> Desk:
    return options(ctx).desk
