"""A real database per test: an SQLite file in tmp_path (never :memory:, which hides
locking), and the same tests on PostgreSQL when DESKTERM_TEST_PG names a database.
Each starts at the newest schema without running the migrations again (tests/migrated.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from deskterm import settings
from deskterm.desk import directory
from deskterm.desk.context import Desk
from deskterm.sla.catalog import PolicyCatalog
from tests.frozen import FrozenClock
from tests.migrated import (  # noqa: F401 - drop_pg_schema and the fresh schema: for other tests
    drop_pg_schema,
    give_back_pg_schema,
    migrated_sqlite,
    pg_engine_in_fresh_schema,
    pg_engine_in_migrated_schema,
)

# Monday 23 November 2026, 16:00 UTC: 11:00 in New York, 09:00 in Denver.
MONDAY = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)
BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("DESKTERM_TEST_PG") else [])


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = migrated_sqlite(tmp_path / "desk.db")
        yield engine
        engine.dispose()
        return
    engine, schema, admin = pg_engine_in_migrated_schema()
    yield engine
    engine.dispose()
    give_back_pg_schema(schema, admin)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(MONDAY)


@pytest.fixture
def desk(engine: Engine, clock: FrozenClock) -> Desk:
    desk = Desk(engine, PolicyCatalog(settings.policy_dirs()), "alice", now=clock)
    return furnish(desk)


def furnish(desk: Desk) -> Desk:
    """The organizations and contacts every desk of these tests starts with."""
    directory.add_organization(desk, "Acme", "business-hours-3", tier="standard")
    directory.add_contact(
        desk, "Bob Admin", "Acme", email="bob@acme.test", phone="+1 555 0100", is_admin=True
    )
    directory.add_organization(
        desk, "Globex", "standard-tier", contract_until=datetime(2026, 1, 31).date()
    )
    directory.add_contact(desk, "Gina", "Globex")
    return desk


def as_user(desk: Desk, name: str) -> Desk:
    return Desk(desk.engine, desk.policies, name, now=desk.now)
