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
- SQLite only: a large page cache for the block, so that the indexes of a million
  cases are maintained in memory rather than through the file.

PostgreSQL keeps its triggers: disabling them takes a lock that stops readers.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, text

from deskterm.store import search_index

# The insert triggers a load replaces (migrations 0004_chain, 0005_desk_figures and
# the search index's), on the tables it appends to.
PAUSED = ("events_no_replace", "cases_count_insert", "search_case_added", "search_event_added")
CACHE_KIB = 1024 * 1024  # SQLite's page cache during the load (a negative cache_size: KiB)


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
def bulk_load(connection: Connection) -> Iterator[Load]:
    """Cases and events appended in the block (with ids above any there) get their
    counters and search rows by its end, in the caller's transaction."""
    if connection.dialect.name != "sqlite":
        with search_index.deferred(connection) as index:
            yield Load(index)
        return
    first_case = _highest_case(connection)
    cache = connection.exec_driver_sql("PRAGMA cache_size").scalar_one()
    connection.exec_driver_sql(f"PRAGMA cache_size = -{CACHE_KIB}")
    try:
        with search_index.deferred(connection) as index:
            paused = _drop_triggers(connection)
            yield Load(index)
            _count_new_cases(connection, first_case, paused)
            for statement in paused.values():
                connection.exec_driver_sql(statement)
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size = {int(cache)}")


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


def _count_new_cases(connection: Connection, after_id: int, paused: dict[str, str]) -> None:
    """What cases_count_insert adds for each case with an id above `after_id`."""
    if "cases_count_insert" not in paused:
        return
    connection.execute(
        text(
            "INSERT INTO desk_counts (status, severity, assignee, cases) "
            "SELECT status, severity, coalesce(assignee, ''), count(*) FROM cases "
            "WHERE id > :after GROUP BY status, severity, coalesce(assignee, '') "
            "ORDER BY min(id) "
            "ON CONFLICT (status, severity, assignee) DO UPDATE SET cases = cases + excluded.cases"
        ),
        {"after": after_id},
    )
