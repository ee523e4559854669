"""The planner's statistics, rebuilt after a bulk load (deskterm.store.statistics)."""

from __future__ import annotations

import os
import threading

import pytest

from deskterm.store import statistics
from tests.migrated import drop_pg_schema, pg_engine_in_fresh_schema


def test_postgresql_statistics_of_a_desk_leave_other_schemas_tables_alone() -> None:
    """A bare ANALYZE, in the transaction SQLAlchemy begins, took a lock on every table
    of the database, one after another, and held them all until it ended: a demo's
    rebuild on one desk deadlocked with another desk's bulk load pausing its triggers
    (seen in the suite: two workers, two schemas of one database)."""
    if not os.environ.get("DESKTERM_TEST_PG"):
        pytest.skip("PostgreSQL (DESKTERM_TEST_PG)")
    engine, schema, admin = pg_engine_in_fresh_schema()
    other, other_schema, other_admin = pg_engine_in_fresh_schema()
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE cases (id INTEGER PRIMARY KEY)")
            connection.exec_driver_sql("INSERT INTO cases SELECT generate_series(1, 100)")
        with other.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE cases (id INTEGER PRIMARY KEY)")
        done = threading.Event()
        with other.connect() as holding:
            # Another desk's load holds its table (as ALTER TABLE ... DISABLE TRIGGER).
            holding.exec_driver_sql("LOCK TABLE cases IN SHARE ROW EXCLUSIVE MODE")
            rebuilding = threading.Thread(
                target=lambda: (statistics.rebuild(engine), done.set()), daemon=True
            )
            rebuilding.start()
            # A condition, not a duration: the rebuild ends, or waits on the lock.
            assert done.wait(timeout=60), "the rebuild waited on another schema's table"
            holding.rollback()
        with engine.connect() as connection:
            analysed = connection.exec_driver_sql(
                "SELECT reltuples FROM pg_class WHERE oid = to_regclass('cases')"
            ).scalar_one()
        assert analysed == 100
    finally:
        engine.dispose()
        other.dispose()
        drop_pg_schema(schema, admin)
        drop_pg_schema(other_schema, other_admin)
