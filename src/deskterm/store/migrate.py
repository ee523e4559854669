"""Schema migrations (Alembic), applied programmatically: `deskterm db upgrade`.

A database that already holds a schema is copied before it is upgraded, so a
failed or unwanted migration can be undone by putting the copy back.
"""

from __future__ import annotations

import sqlite3
import sys
from datetime import datetime
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.script.revision import RevisionError
from alembic.util import CommandError
from sqlalchemy import Engine

from deskterm.errors import SystemFailure
from deskterm.store import search_index
from deskterm.store.engine import create_database_file

MIGRATIONS = Path(__file__).parent / "migrations"


def _config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


class SchemaError(SystemFailure, RuntimeError):
    """The database's schema cannot be brought up to date by this deskterm."""


def _scripts() -> ScriptDirectory:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config)


def head_revision() -> str:
    head = _scripts().get_current_head()
    assert head is not None
    return head


def pending_revisions(current: str | None) -> list[str]:
    """Revisions from `current` to head, oldest first; refuses a revision it does not know."""
    head = head_revision()
    if current == head:
        return []
    try:
        revisions = list(_scripts().iterate_revisions(head, current or "base"))
    except (CommandError, RevisionError):
        raise SchemaError(
            f"the database is at revision {current!r}, which this deskterm does not know "
            "(written by a newer deskterm?)"
        ) from None
    return [revision.revision for revision in reversed(revisions)]


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def pending(engine: Engine) -> bool:
    return current_revision(engine) != head_revision()


def backup_sqlite(engine: Engine, now: datetime) -> Path | None:
    """Copy an SQLite database that has a schema, consistently, next to it."""
    database = engine.url.database
    if (
        engine.url.get_backend_name() != "sqlite"
        or not database
        or current_revision(engine) is None
    ):
        return None
    source = Path(database)
    target = source.with_name(f"{source.name}.{current_revision(engine)}.{now:%Y%m%dT%H%M%SZ}.bak")
    create_database_file(target)  # as private as the desk itself: 0660
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    return target


def upgrade(engine: Engine, now: datetime) -> Path | None:
    """Bring the schema to the newest revision; returns the backup made, if any."""
    if not pending_revisions(current_revision(engine)):
        return None
    backup = backup_sqlite(engine, now)
    command.upgrade(_config(engine), "head")
    build_search_index(engine)
    return backup


def build_search_index(engine: Engine) -> int:
    """Index the texts still in the search index's backlog, showing progress on stderr
    (an interrupted build resumes here: see deskterm.store.search_index)."""
    return search_index.build(
        engine,
        progress_on_stderr("building the search index"),
        merging=progress_on_stderr("merging the search index", "pages"),
        words=_making_words_index,
    )


def _making_words_index() -> None:
    sys.stderr.write(
        "building the search index: its index of words (a minute or two at 1M cases)\n"
    )
    sys.stderr.flush()


def progress_on_stderr(what: str, unit: str = "texts") -> search_index.Progress:
    """A progress bar on a terminal; elsewhere a line every tenth of the way."""
    terminal = sys.stderr.isatty()
    shown = [-1]

    def report(done: int, total: int) -> None:
        share = done / total if total else 1.0
        if terminal:
            bar = "#" * int(share * 30)
            sys.stderr.write(f"\r{what}: [{bar:<30}] {done:,} of {total:,} {unit}")
            if done >= total:
                sys.stderr.write("\n")
            sys.stderr.flush()
        elif int(share * 10) > shown[0]:
            shown[0] = int(share * 10)
            print(f"{what}: {done:,} of {total:,} {unit}", file=sys.stderr, flush=True)

    return report
