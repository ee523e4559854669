"""The desk a command works on: database from --db/DESKTERM_DB, actor from --as,
attachments beside an SQLite database (or DESKTERM_ATTACHMENTS)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import typer
from sqlalchemy.exc import OperationalError

from deskterm import clock, settings
from deskterm.cli.output import fail
from deskterm.desk.context import Desk
from deskterm.mail.config import mail_config
from deskterm.store.engine import database_url, make_engine, printable_url
from deskterm.store.faults import explain
from deskterm.store.migrate import SchemaError, upgrade


@dataclass
class Options:
    db: str | None = None
    as_user: str | None = None

    @cached_property
    def desk(self) -> Desk:
        """The desk, its schema brought up to date first (after a backup copy)."""
        try:
            location = settings.database_location(self.db)
            limit = settings.attachment_limit()
            who = settings.actor(self.as_user)
            mail = mail_config()
        except settings.SettingError as error:
            fail(str(error))
        url = database_url(location)
        try:
            engine = make_engine(url)
            backup = upgrade(engine, clock.now())
        except SchemaError as error:
            fail(f"{printable_url(url)}: {error}")
        except (OperationalError, OSError) as error:
            fail(f"cannot open the database {printable_url(url)}: {explain(error)}")
        if backup is not None:
            typer.echo(
                f"deskterm: upgraded the database schema (copy of the old one: {backup})", err=True
            )
        return Desk(
            engine,
            settings.policy_catalog(),
            who,
            attachments=settings.attachments_dir(location),
            attachment_limit=limit,
            mail=mail,
        )


def desk(ctx: typer.Context) -> Desk:
    options = ctx.find_object(Options)
    assert options is not None, "the root callback sets Options"
    return options.desk
