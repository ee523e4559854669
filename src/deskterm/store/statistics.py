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
    with engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE")
        connection.commit()


def refresh(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return  # PostgreSQL's autovacuum keeps its own statistics
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA optimize")
        connection.commit()
