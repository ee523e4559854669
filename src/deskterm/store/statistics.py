"""Table statistics for the query planner.

Without them SQLite guesses that an equality on any indexed column is selective,
and answers "Recently closed" or "sev:1 @unassigned" by sorting a large part of
the table instead of walking the queue index. After a bulk load the statistics
are rebuilt at once; a desk that grows case by case gets `PRAGMA optimize`,
which SQLite keeps cheap, from the console's sweep every minute.
"""

from __future__ import annotations

from sqlalchemy import Engine


def rebuild(engine: Engine) -> None:
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            connection.exec_driver_sql("ANALYZE")
            connection.commit()
        return
    # PostgreSQL: a bare ANALYZE takes every table of the database, other desks' (other
    # schemas) too, and in a transaction holds each one's lock until the end: a table
    # at a time of the desk's own schema, each in a transaction of its own.
    with engine.connect() as connection:
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        tables = connection.exec_driver_sql(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
        ).scalars()
        for table in list(tables):
            connection.exec_driver_sql(f'ANALYZE "{table}"')


def refresh(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return  # PostgreSQL's autovacuum keeps its own statistics
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA optimize")
        connection.commit()
