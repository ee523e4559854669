"""A bulk load of new cases and their events in one write transaction, done set-based.

For deskterm.desk.demo (a million cases): what the triggers on `cases` and `events`
do for each inserted row is done once for all the new rows when the block ends, in
the same transaction, so the desk afterwards is the one the triggers would have
made:

- the search index: the new ids wait in the backlog and are indexed with an
  INSERT ... SELECT after each chunk of cases (`Load.written`) and at the end
  (deskterm.store.search_index.deferred);
- SQLite only: the per-row insert triggers are dropped for the block and created
  again from their own stored text at its end. A trigger costs a program run per
  row (about half the time of the inserts); the counters of `desk_counts`
  (migration 0005_desk_figures) are then added from one grouped count of the new
  cases, a group's row first written in the order its first case came, as the
  trigger writes them. `events_no_replace` guards ids given with an insert; the
  load gives none. No one else can write while the load holds the write lock, and
  a load that fails rolls back with the triggers (SQLite's DDL is transactional).
- SQLite only, for a load at least as large as what is there (`rows_coming`): the
  secondary indexes of the tables it appends to are dropped for the block and
  created again from their stored text at its end. One sort per index at the end
  costs a third of keeping each index in step row by row (in keys that come in no
  order: due instants, statuses, assignees), and at a million cases those indexes
  no longer fit the page cache. The unique ones check the rows again when made.
- SQLite only: a large page cache while the rows come, the desk's own while the
  indexes are made, and the sorter of CREATE INDEX may use a second thread (the
  cases are made by then, the second core is free).
- SQLite only: FTS5 merges its segments 16 at a time during the block rather than 4
  (`automerge`), about half the merging, and holds up to 64 MiB of terms before it
  writes a segment rather than 1 MiB (`hashsize`), a sixth less indexing time at a
  million cases; its settings are put back at the end. A load at least as large as
  the desk merges nothing until its end, as the search index's own build
  (`search_index.BUILD_SETTINGS`): a merge during the load rewrote segments that the
  merge into one at the end rewrites again (the million-case demo's indexing took
  47-49 s instead of 54-60 s, two runs each). A load at least as large as the desk
  then merges the index into one segment (FTS5's 'optimize': 13 s at a
  million cases). Left as the load made it (at a million, twenty segments of 1,400 to
  22,000 pages on two levels), the first writers after it merged those inside their
  own commits: a sweep's batch held the write lock 16 s.

PostgreSQL: a load at least as large as the desk pauses the counting triggers
(`PG_PAUSED`) and counts its cases set-based at its end, as SQLite does, and the
search triggers it indexes for (`PG_SEARCH_PAUSED`); the others stay (disabling them
takes a lock that stops other writers).

`alone`, before the load's transaction: a large load into an SQLite desk with no
case yet, that no one else has open, is written with a rollback journal instead of
the write-ahead log. The log takes every page twice (there, then copied into the
file at the commit), and again each time the load changes a page the page cache
had already let go: the million-case demo wrote 16 GB for its 4.9 GB desk, and its
commit took 23 s of 180. A rollback journal keeps only the pages the file had
before (a new desk: a few) and writes the new ones once, in place. The price: a
program that opens the desk during the load waits for it (the busy timeout) rather
than reading the empty desk.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import ProgrammingError

from deskterm.store import search_index
from deskterm.store.engine import BUSY_TIMEOUT_MS

# The insert triggers a load replaces (migrations 0004_chain, 0005_desk_figures,
# 0016_live_cost and the search index's), on the tables it appends to.
PAUSED = (
    "events_no_replace",
    "cases_count_insert",
    "cases_promise_insert",
    "search_case_added",
    "search_event_added",
)
# PostgreSQL: the counting triggers (migrations 0005_desk_figures, 0016_live_cost) a
# load at least as large as the desk disables and does set-based at its end. In one
# transaction each case's row-by-row +1 on the same few counter rows leaves a new
# version of the row each time, none of them prunable until the commit, and each
# upsert walks them all: writing the cases of a 200,000-case demo took 59 s, 11.5 s
# paused (50,000: 2.3 s). Pausing takes a lock that stops other writers of cases
# until the commit, hence only for a load at least as large as the desk.
PG_PAUSED = (("cases", "cases_count_rows"), ("cases", "cases_promise_rows"))
# ... and the search triggers (deskterm.store.search_index), when the load's rows are
# indexed set-based (`search_index.deferred`): they only find each new row in the
# backlog and leave it, a trigger call per row all the same (a tenth of the server's
# time on a 50,000-case load).
PG_SEARCH_PAUSED = (("cases", "search_case_added"), ("events", "search_event_added"))
# The tables a load appends to, whose secondary indexes it may rebuild at its end.
INDEXED = ("cases", "events", "sla_outcomes", "sla_clock_outcomes")
# FTS5's settings during a load into a larger desk: segments merged 16 at a time (its
# default: 4), and up to 64 MiB of terms held before a segment is written (its default:
# 1 MiB). A load at least as large as the desk takes search_index.BUILD_SETTINGS.
LOAD_SETTINGS = {"automerge": 16, "hashsize": 64 * 2**20}
CACHE_KIB = 1024 * 1024  # SQLite's page cache during the load (a negative cache_size: KiB)


# From this many cases a load into an empty SQLite desk is written without the log (`alone`).
ALONE_FROM = 20_000


@contextmanager
def alone(engine: Engine, cases_coming: int) -> Iterator[Engine | Connection]:
    """What a load of `cases_coming` cases writes on (deskterm.store.engine.writing):
    for a large load into an SQLite desk with no case that no other connection has
    open, a connection of its own with the desk in rollback-journal mode until the
    block ends; otherwise the engine, as it is."""
    if engine.dialect.name == "sqlite" and cases_coming >= ALONE_FROM:
        with engine.connect() as connection:
            raw = connection.connection.driver_connection
            if _journal_alone(raw):
                try:
                    yield connection
                finally:
                    _journal_shared(raw)
                return
    yield engine


def _journal_alone(raw: Any) -> bool:
    """Whether the desk has no case and is now in rollback-journal mode (no other
    connection had it open)."""
    if raw.execute("SELECT EXISTS (SELECT 1 FROM cases)").fetchone()[0]:
        return False
    raw.execute("PRAGMA busy_timeout = 0")  # someone has the desk open: no waiting
    try:
        mode = raw.execute("PRAGMA journal_mode = DELETE").fetchone()[0]
    except sqlite3.OperationalError as error:
        if "locked" not in str(error):
            raise
        return False
    finally:
        raw.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    if mode != "delete":
        return False
    raw.execute("PRAGMA synchronous = FULL")  # a rollback journal's safe setting
    return True


def _journal_shared(raw: Any) -> None:
    """The desk back in WAL mode, as deskterm.store.engine opens it."""
    raw.execute("PRAGMA synchronous = NORMAL")
    try:
        raw.execute("PRAGMA journal_mode = WAL")
    except sqlite3.OperationalError as error:
        # Someone opened the desk as the load ended: their connection put the log
        # back already, or will (deskterm.store.engine), as every connection does.
        if "locked" not in str(error):
            raise


class Load:
    """A bulk load under way."""

    def __init__(self, index: search_index.Deferred | None) -> None:
        self._index = index

    def written(self) -> None:
        """Some cases, each with all its events, are written: index them for search now
        (in the caller's transaction), while the next ones are being made."""
        if self._index is not None:
            self._index.catch_up()


@contextmanager
def bulk_load(connection: Connection, rows_coming: int = 0) -> Iterator[Load]:
    """Cases and events appended in the block (with ids above any there) get their
    counters and search rows by its end, in the caller's transaction.

    `rows_coming`: about how many cases the block appends (its indexes are rebuilt
    at the end when that is at least as many as there are)."""
    if connection.dialect.name != "sqlite":
        first_case = _highest_case(connection)
        whole = rows_coming >= _count_cases(connection)
        counting = _pause_pg_triggers(connection, PG_PAUSED) if whole else []
        with search_index.deferred(connection) as index:
            searching = (
                _pause_pg_triggers(connection, PG_SEARCH_PAUSED)
                if whole and index is not None
                else []
            )
            yield Load(index)
        _count_new_cases(connection, first_case, [name for _table, name in counting])
        if counting or searching:
            # ALTER TABLE refuses a table with trigger events waiting for the commit:
            # the deferred change-notice trigger (deskterm_case_changed) runs now
            # instead; its notices still go out only at the commit.
            connection.exec_driver_sql("SET CONSTRAINTS ALL IMMEDIATE")
        for table, name in (*counting, *searching):
            connection.exec_driver_sql(f"ALTER TABLE {table} ENABLE TRIGGER {name}")
        return
    first_case = _highest_case(connection)
    pragmas = {
        name: connection.exec_driver_sql(f"PRAGMA {name}").scalar_one()
        for name in ("cache_size", "threads")
    }
    connection.exec_driver_sql(f"PRAGMA cache_size = -{CACHE_KIB}")
    connection.exec_driver_sql("PRAGMA threads = 2")
    try:
        with search_index.deferred(connection) as index:
            paused = _drop_triggers(connection)
            whole = rows_coming >= _count_cases(connection)
            indexes = _drop_indexes(connection) if whole else {}
            settings = (
                _index_in_bulk(connection, search_index.BUILD_SETTINGS if whole else LOAD_SETTINGS)
                if index is not None
                else None
            )
            yield Load(index)
            if index is not None:
                index.catch_up()  # while the load's settings hold
                if whole:
                    search_index.optimize(connection)
            if settings is not None:
                _index_as_before(connection, settings)
            if indexes:
                # The desk's own page cache again: CREATE INDEX sorts runs the size of
                # the cache, and small runs are sorted by the second thread while the
                # first reads on (a large one, by one thread alone: the 1M demo's
                # indexes took 34 s with the load's cache, 16 s with the default).
                connection.exec_driver_sql(f"PRAGMA cache_size = {int(pragmas['cache_size'])}")
            for statement in indexes.values():
                connection.exec_driver_sql(statement)
            _count_new_cases(connection, first_case, paused)
            for statement in paused.values():
                connection.exec_driver_sql(statement)
    finally:
        for name, value in pragmas.items():
            connection.exec_driver_sql(f"PRAGMA {name} = {int(value)}")


def _highest_case(connection: Connection) -> int:
    return int(connection.exec_driver_sql("SELECT coalesce(max(id), 0) FROM cases").scalar_one())


def _drop_triggers(connection: Connection) -> dict[str, str]:
    """Drop the triggers of PAUSED there are; returns their SQL by name, in schema order."""
    names = ", ".join(f"'{name}'" for name in PAUSED)
    found = {
        name: sql
        for name, sql in connection.exec_driver_sql(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name IN ({names}) "
            "ORDER BY rowid"
        )
    }
    for name in found:
        connection.exec_driver_sql(f"DROP TRIGGER {name}")
    return found


def _count_cases(connection: Connection) -> int:
    return int(connection.exec_driver_sql("SELECT count(*) FROM cases").scalar_one())


def _drop_indexes(connection: Connection) -> dict[str, str]:
    """Drop the secondary indexes of INDEXED (not those of a UNIQUE or PRIMARY KEY
    constraint, which have no text); returns their SQL by name, in schema order."""
    tables = ", ".join(f"'{table}'" for table in INDEXED)
    found = {
        name: sql
        for name, sql in connection.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            f"AND tbl_name IN ({tables}) ORDER BY rowid"
        )
    }
    for name in found:
        connection.exec_driver_sql(f'DROP INDEX "{name}"')
    return found


def _index_in_bulk(connection: Connection, settings: dict[str, int]) -> dict[str, int | None]:
    """Put FTS5's `settings` in place; returns those stored before (None: no row,
    FTS5's default)."""
    names = ", ".join(f"'{name}'" for name in settings)
    stored: dict[str, int | None] = dict.fromkeys(settings)
    for name, value in connection.exec_driver_sql(
        f"SELECT k, v FROM search_text_config WHERE k IN ({names})"
    ):
        stored[name] = int(value)
    search_index.fts5_settings(connection, settings)
    return stored


def _index_as_before(connection: Connection, stored: dict[str, int | None]) -> None:
    for name, value in stored.items():
        default = search_index.FTS5_DEFAULTS[name]
        search_index.fts5_set(connection, name, default if value is None else value)
    defaults = ", ".join(f"'{name}'" for name, value in stored.items() if value is None)
    if defaults:  # as it was: no row, FTS5's default
        connection.exec_driver_sql(f"DELETE FROM search_text_config WHERE k IN ({defaults})")


def _pause_pg_triggers(
    connection: Connection, triggers: tuple[tuple[str, str], ...]
) -> list[tuple[str, str]]:
    """Disable those of `triggers` (table, name) there are and are enabled (if this user
    may: else none); returns them."""
    found = [
        (table, name)
        for table, name in triggers
        if connection.exec_driver_sql(
            "SELECT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = to_regclass(%(table)s) "
            "AND tgname = %(name)s AND tgenabled <> 'D')",
            {"table": table, "name": name},
        ).scalar_one()
    ]
    try:
        with connection.begin_nested():
            for table, name in found:
                connection.exec_driver_sql(f"ALTER TABLE {table} DISABLE TRIGGER {name}")
    except ProgrammingError:  # not the tables' owner: the triggers work row by row
        return []
    return found


def _count_new_cases(connection: Connection, after_id: int, paused: Collection[str]) -> None:
    """What the paused counting triggers (cases_count_insert and cases_promise_insert on
    SQLite, cases_count_rows and cases_promise_rows on PostgreSQL) add for each case
    with an id above `after_id`."""
    dialect = connection.dialect.name
    if {"cases_promise_insert", "cases_promise_rows"} & set(paused):
        from deskterm.desk.counts import promise_add_sql

        connection.execute(text(promise_add_sql(dialect)), {"after": after_id})
    if not {"cases_count_insert", "cases_count_rows"} & set(paused):
        return
    connection.execute(
        text(
            "INSERT INTO desk_counts (status, severity, assignee, cases) "
            "SELECT status, severity, coalesce(assignee, ''), count(*) FROM cases "
            "WHERE id > :after GROUP BY status, severity, coalesce(assignee, '') "
            "ORDER BY min(id) "
            "ON CONFLICT (status, severity, assignee) "
            "DO UPDATE SET cases = desk_counts.cases + excluded.cases"
        ),
        {"after": after_id},
    )
