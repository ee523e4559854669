"""The schema revision this code expects, readable without importing Alembic.

The console checks it on start with one query; Alembic (a noticeable share of
start-up time) is imported only when a migration is actually pending. A test
keeps this in step with the newest migration script.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError, ProgrammingError

HEAD = "0018_search_case_changes"


def stored_revision(engine: Engine) -> str | None:
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except (OperationalError, ProgrammingError):
        return None  # no schema yet


def is_current(engine: Engine) -> bool:
    return stored_revision(engine) == HEAD


@dataclass(frozen=True)
class Schema:
    """What start-up needs to know of a desk's schema, read in one query (`check`)."""

    revision: str | None  # None: no schema yet
    index_unfinished: bool  # an interrupted search index build (deskterm.store.search_index)

    @property
    def current(self) -> bool:
        return self.revision == HEAD


# The stored revision, and whether any row of the search index's backlog (one per
# source of texts, and the merge: deskterm.store.search_index.Backlog) has work left.
_CHECK = text(
    "SELECT version_num, "
    "CASE WHEN EXISTS (SELECT 1 FROM search_backlog WHERE done_upto < last) THEN 1 ELSE 0 END "
    "FROM alembic_version"
)


def check(engine: Engine) -> Schema:
    """The schema's state in one query; on an older schema (no search index) or none,
    the revision alone (migrations are due then anyway)."""
    try:
        with engine.connect() as connection:
            row = connection.execute(_CHECK).first()
    except (OperationalError, ProgrammingError):
        return Schema(stored_revision(engine), index_unfinished=False)
    if row is None:
        return Schema(None, index_unfinished=False)
    return Schema(row[0], index_unfinished=bool(row[1]))
