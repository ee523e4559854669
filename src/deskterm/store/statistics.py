"""Table statistics for the query planner.

Without them SQLite guesses that an equality on any indexed column is selective,
and answers "Recently closed" or "sev:1 @unassigned" by sorting a large part of
the table instead of walking the queue index. After a bulk load the statistics
are rebuilt at once; a desk that grows case by case gets `PRAGMA optimize`,
which SQLite keeps cheap, from the console's sweep every minute.
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine


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


def sample(connection: Connection, tables: tuple[str, ...]) -> None:
    """Statistics for `tables` inside a transaction that is still loading them, from a
    sample of each index (SQLite's analysis_limit): enough for the planner to prefer the
    selective index, at a small part of a full ANALYZE's cost. A desk filled from empty
    has no statistics at all until `rebuild`, and the planner then guesses, for
    `case_id IN (...) AND kind IN (...)`, the index of kinds: every event of those
    kinds read for each chunk of cases (desk/demo/fill.py)."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("PRAGMA analysis_limit = 1000")
        for table in tables:
            connection.exec_driver_sql(f'ANALYZE "{table}"')
        connection.exec_driver_sql("PRAGMA analysis_limit = 0")
    else:
        connection.exec_driver_sql("ANALYZE " + ", ".join(f'"{table}"' for table in tables))
