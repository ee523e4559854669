"""Opening the console: the database (migrated if need be), the user, the app."""

from __future__ import annotations

import os
import sys

from sqlalchemy.exc import OperationalError

from deskterm import clock, settings
from deskterm.desk.context import Desk
from deskterm.mail.config import mail_config
from deskterm.store import revision
from deskterm.store.engine import database_url, make_engine, printable_url
from deskterm.store.faults import explain


def run_console(
    db: str | None = None,
    as_user: str | None = None,
    readonly: bool = False,
    case: int | None = None,
    start: str = "queue",
) -> int:
    try:
        location = settings.database_location(db)
        limit = settings.attachment_limit()
        who = settings.actor(as_user)
        mail = mail_config()
    except settings.SettingError as error:
        print(f"deskterm: {error}", file=sys.stderr)
        return 2
    url = database_url(location)
    try:
        engine = make_engine(url)
        if not revision.is_current(engine):
            # Only now pay for Alembic: a pending migration, applied after a backup copy.
            from deskterm.store.migrate import SchemaError, upgrade

            try:
                backup = upgrade(engine, clock.now())
            except SchemaError as error:
                print(f"deskterm: {printable_url(url)}: {error}", file=sys.stderr)
                return 2
            if backup is not None:
                print(
                    f"deskterm: upgraded the database schema (copy of the old one: {backup})",
                    file=sys.stderr,
                )
    except (OperationalError, OSError) as error:
        print(
            f"deskterm: cannot open the database {printable_url(url)}: {explain(error)}",
            file=sys.stderr,
        )
        return 2
    desk = Desk(
        engine,
        settings.policy_catalog(),
        who,
        attachments=settings.attachments_dir(location),
        attachment_limit=limit,
        mail=mail,
    )
    if case is not None:
        from deskterm.desk.case_file import version_of

        if version_of(desk, case) is None:
            print(
                f"deskterm: no case {case} (case numbers start at 40100; see deskterm case list)",
                file=sys.stderr,
            )
            return 2
    from deskterm.app import DesktermApp

    bell = os.environ.get("DESKTERM_BELL") == "1"
    DesktermApp(desk, readonly=readonly, bell=bell, case=case, start=start).run()
    return 0
