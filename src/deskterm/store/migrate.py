"""Schema migrations (Alembic), applied programmatically: `deskterm db upgrade`.

A database that already holds a schema is copied before it is upgraded, so a
failed or unwanted migration can be undone by putting the copy back.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).parent / "migrations"


def _config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config_without_engine()).get_current_head()
    assert head is not None
    return head


def _config_without_engine() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def pending(engine: Engine) -> bool:
    return current_revision(engine) != head_revision()


def backup_sqlite(engine: Engine, now: datetime) -> Path | None:
    """Copy an SQLite database that has a schema, consistently, next to it."""
    database = engine.url.database
    if engine.url.get_backend_name() != "sqlite" or not database or current_revision(engine) is None:
        return None
    source = Path(database)
    target = source.with_name(f"{source.name}.{current_revision(engine)}.{now:%Y%m%dT%H%M%SZ}.bak")
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    return target


def upgrade(engine: Engine, now: datetime) -> Path | None:
    """Bring the schema to the newest revision; returns the backup made, if any."""
    if not pending(engine):
        return None
    backup = backup_sqlite(engine, now)
    command.upgrade(_config(engine), "head")
    return backup
