"""Databases at the newest schema for tests, the migrations run once per test process.

Running Alembic for every test cost about a tenth of a second of CPU on SQLite and
more on PostgreSQL (the scripts, the reflection, a schema's worth of DDL), for
hundreds of tests. Instead:

- SQLite: the migrations run once into a template file, which each test copies
  (`shutil.copy` keeps the file's 0660 mode, as `make_engine` creates it);
- PostgreSQL: the statements the migrations send are recorded once, in a schema of
  their own, and a new schema gets the same statements, in order, in one transaction,
  as `env.py` runs them. Even so a schema's DDL is most of a PostgreSQL test's time
  (tens of tables, indexes, triggers), so a schema a test is done with is emptied and
  used again (`give_back_pg_schema`): the tables the test wrote to are emptied
  (`_emptied`), the rows the migrations wrote are put back and the sequences restart.
  A schema whose catalog rows changed during the test (a trigger dropped, a column
  added) is dropped instead.

Tests of the migrations themselves (tests/desk/test_schema.py) still run them.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, text
from sqlalchemy.exc import DBAPIError

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


# Schemas at the newest revision and as the migrations left them, ready for a test; and
# each one's catalog fingerprint (`_SHAPE`) when it was made.
_clean: list[str] = []
_shapes: dict[str, str] = {}
# The rows the migrations wrote, by table (the case-number counter, alembic_version).
_initial_rows: dict[str, list[dict[str, Any]]] = {}


def pg_engine_in_migrated_schema() -> tuple[Engine, str, Engine]:
    """As pg_engine_in_fresh_schema, the schema at the newest revision; hand it back with
    give_back_pg_schema."""
    if _clean:
        schema = _clean.pop()
        base = os.environ["DESKTERM_TEST_PG"]
        separator = "&" if "?" in base else "?"
        url = f"{base}{separator}options=-csearch_path%3D{schema}"
        return make_engine(url), schema, make_engine(base)
    statements = _migration_statements()
    engine, schema, admin = pg_engine_in_fresh_schema()
    with engine.begin() as connection:
        _replay(connection, statements)
        tables = _tables(connection, schema)
        for table in tables:
            # No autovacuum: a table emptied by DELETE (`_emptied`) keeps its
            # planner figures as a new table's (see there).
            connection.exec_driver_sql(
                f'ALTER TABLE "{table}" SET (autovacuum_enabled = false, '
                "toast.autovacuum_enabled = false)"
            )
        _shapes[schema] = connection.execute(_SHAPE, {"schema": schema}).scalar_one()
        if not _initial_rows:
            for table in tables:
                rows = connection.exec_driver_sql(f'SELECT * FROM "{table}"').mappings()
                _initial_rows[table] = [dict(row) for row in rows]
    return engine, schema, admin


def migrate_pg_schema(engine: Engine) -> None:
    """Bring the empty schema `engine` works in to the newest revision, as upgrade()
    would, from the recorded statements (one transaction, no Alembic)."""
    statements = _migration_statements()
    with engine.begin() as connection:
        _replay(connection, statements)


def _replay(connection: Any, statements: list[_Sent]) -> None:
    driver = connection.connection.dbapi_connection
    assert driver is not None  # a connection in a transaction has its driver's
    cursor = driver.cursor()
    for sent in statements:
        if sent.many:
            cursor.executemany(sent.statement, sent.parameters)
        elif sent.with_parameters:
            cursor.execute(sent.statement, sent.parameters)
        else:
            cursor.execute(sent.statement)
    cursor.close()


def give_back_pg_schema(schema: str, admin: Engine) -> None:
    """Empty a schema of pg_engine_in_migrated_schema for the next test, or drop it when
    the test changed more than its rows. The test's engine must be disposed of first."""
    try:
        with admin.begin() as connection:
            if connection.execute(_SHAPE, {"schema": schema}).scalar_one() != _shapes[schema]:
                raise _Reshaped
            # The append-only triggers (events refuse TRUNCATE) and the counters' are
            # the schema's own business: off for this transaction only.
            connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
            written = _emptied(connection, schema)
            connection.execute(_RESTART_SEQUENCES, {"schema": schema})
            for table, rows in _initial_rows.items():
                if table not in written:
                    continue
                for row in rows:
                    columns = ", ".join(f'"{name}"' for name in row)
                    values = ", ".join(f":{name}" for name in row)
                    connection.execute(
                        text(f'INSERT INTO "{schema}"."{table}" ({columns}) VALUES ({values})'),
                        row,
                    )
            # Not fingerprinted again: TRUNCATE writes only pg_class rows (new files), which
            # the fingerprint leaves out, and should anything else change, the next test's
            # give-back finds it and drops the schema. (The second look cost about 17 ms of
            # server CPU a test.)
    except (_Reshaped, DBAPIError):
        drop_pg_schema(schema, admin)
        _shapes.pop(schema, None)
        return
    admin.dispose()
    _clean.append(schema)
    if len(_clean) == 1:
        atexit.register(_drop_clean_schemas)


class _Reshaped(Exception):
    """The schema's catalog is not what the migrations made."""


def _drop_clean_schemas() -> None:
    base = os.environ.get("DESKTERM_TEST_PG")
    if not base or not _clean:
        return
    with contextlib.suppress(DBAPIError):
        admin = make_engine(base)
        while _clean:
            drop_pg_schema(_clean.pop(), admin)
        admin.dispose()


def _emptied(connection: Any, schema: str) -> list[str]:
    """Empty the tables with rows other than the migrations' own; returns their names.

    A small table that was never analysed loses its rows by DELETE; the others are
    emptied by TRUNCATE, which gives a table and each of its indexes new files and
    was most of the cost of giving a schema back (about 55 ms of the server's CPU a
    test). With no autovacuum on these tables (pg_engine_in_migrated_schema) a
    table under ten pages that was never analysed is planned as a new one is
    (PostgreSQL assumes ten pages for it). A table that grew past that, or was
    analysed, gets TRUNCATE, which makes it new again. A table nobody wrote to has
    no pages at all. Where rows written later go in the pages (the order of a plain
    scan) is not kept: pruning a page's dead rows frees room, when other sessions let
    it happen (tests/desk/test_reused_schema.py).
    """
    sizes = connection.execute(
        text(
            "SELECT c.relname, pg_table_size(c.oid) / current_setting('block_size')::int, "
            "c.reltuples FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = :schema AND c.relkind = 'r' ORDER BY 1"
        ),
        {"schema": schema},
    ).all()
    truncated, deleted = [], []
    for table, pages, analysed in sizes:
        if table in _initial_rows:
            rows = connection.exec_driver_sql(f'SELECT * FROM "{schema}"."{table}"').mappings()
            if [dict(row) for row in rows] == _initial_rows[table]:
                continue
        elif pages == 0:
            continue
        if pages < _SMALL_PAGES and analysed < 0:
            deleted.append(table)
        else:
            truncated.append(table)
    if truncated:
        tables = ", ".join(f'"{schema}"."{table}"' for table in truncated)
        # CASCADE: with the tables that refer to them, which TRUNCATE wants.
        connection.exec_driver_sql(f"TRUNCATE {tables} CASCADE")
    if deleted:  # no foreign key checks here: session_replication_role = replica
        connection.exec_driver_sql(
            "; ".join(f'DELETE FROM "{schema}"."{table}"' for table in deleted)
        )
    return truncated + deleted


# Below ten pages a table never analysed is planned as a new one (see `_emptied`).
_SMALL_PAGES = 10


# A sequence nobody called has no last_value; any other starts again, as a new one.
_RESTART_SEQUENCES = text(
    "SELECT setval(format('%I.%I', schemaname, sequencename), start_value, false) "
    "FROM pg_sequences WHERE schemaname = :schema AND last_value IS NOT NULL"
)


def _tables(connection: Any, schema: str) -> list[str]:
    return list(
        connection.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = :schema ORDER BY 1"),
            {"schema": schema},
        ).scalars()
    )


# A fingerprint of a schema's catalog rows: each object's oid and the transaction that
# last wrote its row (xmin), so any DDL shows. pg_class is left out of the xmins, as
# TRUNCATE writes its rows (new files); its oids, names and column counts are in.
_SHAPE = text(
    """
    WITH n AS (SELECT oid FROM pg_namespace WHERE nspname = :schema),
    rel AS (SELECT c.oid FROM pg_class c, n WHERE c.relnamespace = n.oid)
    SELECT md5(coalesce(string_agg(item, ',' ORDER BY item), '')) FROM (
        SELECT concat_ws(' ', 'c', c.oid, c.relname, c.relkind, c.relnatts)
            FROM pg_class c, n WHERE c.relnamespace = n.oid
        UNION ALL SELECT concat_ws(' ', 'a', a.attrelid, '.', a.attnum, '@', a.xmin)
            FROM pg_attribute a WHERE a.attrelid IN (SELECT oid FROM rel)
        UNION ALL SELECT concat_ws(' ', 't', t.oid, '@', t.xmin)
            FROM pg_trigger t WHERE t.tgrelid IN (SELECT oid FROM rel)
        UNION ALL SELECT concat_ws(' ', 'i', i.indexrelid, '@', i.xmin)
            FROM pg_index i WHERE i.indrelid IN (SELECT oid FROM rel)
        UNION ALL SELECT concat_ws(' ', 'd', d.oid, '@', d.xmin)
            FROM pg_attrdef d WHERE d.adrelid IN (SELECT oid FROM rel)
        UNION ALL SELECT concat_ws(' ', 's', s.seqrelid, '@', s.xmin)
            FROM pg_sequence s WHERE s.seqrelid IN (SELECT oid FROM rel)
        UNION ALL SELECT concat_ws(' ', 'k', k.oid, '@', k.xmin) FROM pg_constraint k, n
            WHERE k.connamespace = n.oid
        UNION ALL SELECT concat_ws(' ', 'p', p.oid, '@', p.xmin) FROM pg_proc p, n
            WHERE p.pronamespace = n.oid
        UNION ALL SELECT concat_ws(' ', 'y', y.oid, '@', y.xmin) FROM pg_type y, n
            WHERE y.typnamespace = n.oid
    ) AS shape(item)
    """
)


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


@contextmanager
def desk_maker(backend: str, folder: Path, now: datetime) -> Iterator[Callable[[], Any]]:
    """Fresh, migrated databases for one test (an SQLite file each in `folder`, or a
    PostgreSQL schema each), as Desks whose clock stands at `now`; all given back after."""
    from deskterm import settings
    from deskterm.desk.context import Desk
    from deskterm.sla.catalog import PolicyCatalog

    engines: list[Engine] = []
    cleanups: list[Callable[[], None]] = []

    def make() -> Desk:
        if backend == "sqlite":
            engine = migrated_sqlite(folder / f"desk{len(engines)}.db")
        else:
            engine, schema, admin = pg_engine_in_migrated_schema()
            cleanups.append(lambda: give_back_pg_schema(schema, admin))
        engines.append(engine)
        return Desk(engine, PolicyCatalog(settings.policy_dirs()), "tester", now=lambda: now)

    try:
        yield make
    finally:
        for engine in engines:
            engine.dispose()
        for cleanup in cleanups:
            cleanup()
