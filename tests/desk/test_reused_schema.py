"""A PostgreSQL schema given back after a test (tests/migrated.py) is, for the next
test, a new desk: its tables hold only the migrations' rows, its ids start again, the
events come back from a plain scan in the order they were written, and the planner
sees its tables as new ones. Every PostgreSQL test relies on it.

(A table whose rows are updated, as `cases`, has no such order even when new: where
an update puts the row's new version depends on when other sessions let the page be
pruned.)"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Connection, Engine

from deskterm import settings
from deskterm.desk import cases
from deskterm.desk.context import Desk
from deskterm.models import FIRST_CASE_NUMBER
from deskterm.sla.catalog import PolicyCatalog
from tests.desk.conftest import MONDAY, furnish
from tests.migrated import give_back_pg_schema, pg_engine_in_migrated_schema

pytestmark = pytest.mark.skipif(
    not os.environ.get("DESKTERM_TEST_PG"), reason="PostgreSQL's schemas (DESKTERM_TEST_PG)"
)


def tables(connection: Connection) -> list[str]:
    return list(
        connection.exec_driver_sql(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1"
        ).scalars()
    )


def contents(engine: Engine) -> dict[str, list[Any]]:
    """Every table's rows (sorted), and the events in the order a plain scan gives them."""
    with engine.connect() as connection:
        found = {
            table: [
                tuple(row)
                for row in connection.exec_driver_sql(
                    f'SELECT * FROM "{table}" ORDER BY "{table}"::text'
                )
            ]
            for table in tables(connection)
        }
        found["events as scanned"] = [
            tuple(row) for row in connection.exec_driver_sql("SELECT * FROM events")
        ]
        return found


def planned(engine: Engine) -> dict[str, str]:
    """The planner's estimate of a plain scan of every table (its rows and width)."""
    with engine.connect() as connection:
        return {
            table: connection.exec_driver_sql(f'EXPLAIN SELECT * FROM "{table}"').scalar_one()
            for table in tables(connection)
        }


@pytest.fixture
def schemas() -> Iterator[list[tuple[Engine, str, Engine]]]:
    """Schemas taken by the test, each given back (disposed of first) at its end."""
    taken: list[tuple[Engine, str, Engine]] = []
    yield taken
    for engine, schema, admin in taken:
        engine.dispose()
        give_back_pg_schema(schema, admin)


def take(schemas: list[tuple[Engine, str, Engine]]) -> tuple[Engine, str]:
    engine, schema, admin = pg_engine_in_migrated_schema()
    schemas.append((engine, schema, admin))
    return engine, schema


def open_cases(engine: Engine, subjects: list[str]) -> list[int]:
    desk = furnish(Desk(engine, PolicyCatalog(settings.policy_dirs()), "alice", now=lambda: MONDAY))
    return [
        cases.open_case(
            desk, organization="Acme", contact="Bob Admin", severity=2, subject=subject
        ).number
        for subject in subjects
    ]


@pytest.mark.parametrize("subjects", [3, 400], ids=["a few rows", "past ten pages"])
def test_a_schema_given_back_is_a_new_desk_again(
    schemas: list[tuple[Engine, str, Engine]], subjects: int
) -> None:
    engine, schema = take(schemas)
    new, estimates = contents(engine), planned(engine)
    written = [f"case {n}" for n in range(subjects)]
    assert open_cases(engine, written) == list(
        range(FIRST_CASE_NUMBER, FIRST_CASE_NUMBER + subjects)
    )
    first = contents(engine)
    engine, _, admin = schemas.pop()
    engine.dispose()
    give_back_pg_schema(schema, admin)

    engine, again = take(schemas)
    assert again == schema  # the same schema, emptied
    assert contents(engine) == new
    assert planned(engine) == estimates
    # Ids, numbers and the events' order as in the first, new schema: every row alike.
    assert open_cases(engine, written) == list(
        range(FIRST_CASE_NUMBER, FIRST_CASE_NUMBER + subjects)
    )
    assert contents(engine) == first
