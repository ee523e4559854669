"""A PostgreSQL schema given back after a test (tests/migrated.py) is, for the next
test, a new desk: its tables hold only the migrations' rows, its ids start again and
the planner sees its tables as new ones. Every PostgreSQL test relies on it.

No order of a plain scan is promised, of any table, new or given back: where a row
goes depends on when other sessions let a page's dead rows be pruned (a hog run saw
the events of a schema given back by DELETE scan from the 36th on). A test that needs
an order asks for it."""

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
    """Every table's rows, sorted."""
    with engine.connect() as connection:
        return {
            table: [
                tuple(row)
                for row in connection.exec_driver_sql(
                    f'SELECT * FROM "{table}" ORDER BY "{table}"::text'
                )
            ]
            for table in tables(connection)
        }


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
    # Ids and numbers as in the first schema: every row alike.
    assert open_cases(engine, written) == list(
        range(FIRST_CASE_NUMBER, FIRST_CASE_NUMBER + subjects)
    )
    assert contents(engine) == first
