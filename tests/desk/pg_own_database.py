"""A PostgreSQL database of a test's own, for tests that terminate backends.

Other tests share the server's `test` database at the same time: a test that cuts
connections makes its own database (dt19_<random>) and terminates only that
database's backends, never anybody else's.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url


def server_url() -> str:
    return os.environ["DESKTERM_TEST_PG"]


@contextmanager
def own_database() -> Iterator[str]:
    """The URL of a new, empty database; dropped (with its connections) afterwards."""
    base = make_url(server_url())
    name = f"dt19_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"CREATE DATABASE {name}")
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


def terminate_backends(url: str) -> int:
    """Terminate every backend of the database `url` names (as a restart does); how many."""
    name = make_url(url).database
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            return len(
                connection.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = :name AND pid <> pg_backend_pid()"
                    ),
                    {"name": name},
                ).all()
            )
    finally:
        admin.dispose()


def engine_url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)
