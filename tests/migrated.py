"""Databases at the newest schema for tests, the migrations run once per test process.

Running Alembic for every test cost about a tenth of a second of CPU on SQLite and
more on PostgreSQL (the scripts, the reflection, a schema's worth of DDL), for
hundreds of tests. Instead:

- SQLite: the migrations run once into a template file, which each test copies
  (`shutil.copy` keeps the file's 0660 mode, as `make_engine` creates it);
- PostgreSQL: the statements the migrations send are recorded once, in a schema of
  their own, and each test's fresh schema gets the same statements, in order, in one
  transaction, as `env.py` runs them.

Tests of the migrations themselves (tests/desk/test_schema.py) still run them.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event

from deskterm.store.engine import database_url, make_engine
from deskterm.store.migrate import current_revision, head_revision, upgrade

# What upgrade() is told the time is: it names a backup only, and a new desk has none.
_MIGRATED_AT = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)


def migrated_sqlite(path: Path) -> Engine:
    """An engine on a new SQLite file at `path`, at the newest schema."""
    shutil.copy(_sqlite_template(), path)
    return make_engine(database_url(str(path)))


_template: Path | None = None


def _sqlite_template() -> Path:
    global _template
    if _template is None:
        folder = Path(tempfile.mkdtemp(prefix="deskterm-template-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        path = folder / "desk.db"
        engine = make_engine(database_url(str(path)))
        upgrade(engine, _MIGRATED_AT)
        engine.dispose()  # the last connection closed: the WAL is folded into the file
        assert not path.with_name(path.name + "-wal").exists()
        _template = path
    return _template


# -- PostgreSQL ------------------------------------------------------------------------


def pg_engine_in_fresh_schema() -> tuple[Engine, str, Engine]:
    """An engine whose search_path is a new, empty schema; the schema's name; an admin
    engine (for drop_pg_schema)."""
    base = os.environ["DESKTERM_TEST_PG"]
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(base)
    with admin.begin() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in base else "?"
    return make_engine(f"{base}{separator}options=-csearch_path%3D{schema}"), schema, admin


def drop_pg_schema(schema: str, admin: Engine) -> None:
    """Undo pg_engine_in_fresh_schema: the schema and all in it, then the admin engine."""
    with admin.begin() as connection:
        connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
    admin.dispose()


@dataclass(frozen=True)
class _Sent:
    """One statement as SQLAlchemy handed it to the driver's cursor."""

    statement: str
    parameters: Any
    with_parameters: bool  # cursor.execute(statement, parameters) rather than (statement)
    many: bool


_recorded: list[_Sent] | None = None


def pg_engine_in_migrated_schema() -> tuple[Engine, str, Engine]:
    """As pg_engine_in_fresh_schema, the schema at the newest revision."""
    statements = _migration_statements()
    engine, schema, admin = pg_engine_in_fresh_schema()
    with engine.begin() as connection:
        cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        for sent in statements:
            if sent.many:
                cursor.executemany(sent.statement, sent.parameters)
            elif sent.with_parameters:
                cursor.execute(sent.statement, sent.parameters)
            else:
                cursor.execute(sent.statement)
        cursor.close()
    return engine, schema, admin


def _migration_statements() -> list[_Sent]:
    global _recorded
    if _recorded is None:
        engine, schema, admin = pg_engine_in_fresh_schema()
        sent: list[_Sent] = []

        def record(
            _connection: Any,
            _cursor: Any,
            statement: str,
            parameters: Any,
            context: Any,
            executemany: bool,
        ) -> None:
            # As DefaultExecutionContext decides between do_execute and do_execute_no_params.
            plain = not executemany and not parameters and context.no_parameters
            sent.append(_Sent(statement, parameters, not plain, executemany))

        event.listen(engine, "before_cursor_execute", record)
        try:
            upgrade(engine, _MIGRATED_AT)
        finally:
            engine.dispose()
            drop_pg_schema(schema, admin)
        _recorded = sent
        # The recording is checked once by replaying it: it must leave the newest revision.
        engine, schema, admin = pg_engine_in_migrated_schema()
        try:
            assert current_revision(engine) == head_revision()
        finally:
            engine.dispose()
            drop_pg_schema(schema, admin)
    return _recorded
