"""The schema revision this code expects, readable without importing Alembic.

The console checks it on start with one query; Alembic (a noticeable share of
start-up time) is imported only when a migration is actually pending. A test
keeps this in step with the newest migration script.
"""

from __future__ import annotations

from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError, ProgrammingError

HEAD = "0008_issue_22_policy_versions"


def stored_revision(engine: Engine) -> str | None:
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except (OperationalError, ProgrammingError):
        return None  # no schema yet


def is_current(engine: Engine) -> bool:
    return stored_revision(engine) == HEAD
