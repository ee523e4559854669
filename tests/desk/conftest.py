"""A real database per test: an SQLite file in tmp_path (never :memory:, which hides
locking), and the same tests on PostgreSQL when DESKTERM_TEST_PG names a database."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from deskterm import settings
from deskterm.desk import directory
from deskterm.desk.context import Desk
from deskterm.sla.catalog import PolicyCatalog
from deskterm.store.engine import database_url, make_engine
from deskterm.store.migrate import upgrade
from tests.frozen import FrozenClock

# Monday 23 November 2026, 16:00 UTC: 11:00 in New York, 09:00 in Denver.
MONDAY = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)
BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("DESKTERM_TEST_PG") else [])


def pg_engine_in_fresh_schema() -> tuple[Engine, str, Engine]:
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


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = make_engine(database_url(str(tmp_path / "desk.db")))
        upgrade(engine, MONDAY)
        yield engine
        engine.dispose()
        return
    engine, schema, admin = pg_engine_in_fresh_schema()
    upgrade(engine, MONDAY)
    yield engine
    engine.dispose()
    drop_pg_schema(schema, admin)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(MONDAY)


@pytest.fixture
def desk(engine: Engine, clock: FrozenClock) -> Desk:
    desk = Desk(engine, PolicyCatalog(settings.policy_dirs()), "alice", now=clock)
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
