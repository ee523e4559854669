"""Opening the console: the database (migrated if need be), the user, the app."""

from __future__ import annotations

import sys

from deskterm.opening import OpenError, open_desk, start_settings
from deskterm.safe_text import safe_line


def run_console(
    db: str | None = None,
    as_user: str | None = None,
    readonly: bool = False,
    case: int | None = None,
    start: str = "queue",
) -> int:
    try:
        chosen = start_settings(db, as_user)
        desk, backup = open_desk(db, as_user, chosen)
    except OpenError as error:
        print(f"deskterm: {safe_line(str(error))}", file=sys.stderr, flush=True)
        return 2
    if backup is not None:
        print(
            f"deskterm: upgraded the database schema (copy of the old one: {backup})",
            file=sys.stderr,
            flush=True,
        )
    if case is not None:
        from deskterm.desk.case_file import version_of

        if version_of(desk, case) is None:
            print(
                f"deskterm: no case {case} (case numbers start at 40100; see deskterm case list)",
                file=sys.stderr,
                flush=True,
            )
            return 2
    from deskterm.app import DesktermApp

    app = DesktermApp(
        desk, readonly=readonly, bell=chosen.bell, case=case, start=start, drafts=chosen.drafts
    )
    app.run()
    if app.bug is not None:
        from deskterm import crash

        return crash.report(app.bug)
    return app.return_code or 0
