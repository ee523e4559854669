"""A PostgreSQL desk of a test's own, for tests that terminate backends.

Other tests share the server's `test` database at the same time: a test that cuts
connections gets a schema of its own (dt19_<random>) in that database, and every
connection to it carries the schema's name as its `application_name`, so the test
terminates only its own backends, never anybody else's.

Not a database of its own: DROP DATABASE makes the server write a checkpoint and waits
for it (PostgreSQL 15 does so on every platform). In `make test` the other workers keep
the server's buffers dirty, and each such teardown waited 28-66 s for the whole of
them to reach the disk, while everybody else's writes queued behind it. A schema is
dropped at the cost of its own catalog rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url


def server_url() -> str:
    return os.environ["DESKTERM_TEST_PG"]


@contextmanager
def own_database() -> Iterator[str]:
    """The URL of a new, empty schema whose connections all carry its name; dropped
    (with its connections) afterwards."""
    base = server_url()
    name = f"dt19_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"CREATE SCHEMA {name}")
        separator = "&" if "?" in base else "?"
        yield f"{base}{separator}application_name={name}&options=-csearch_path%3D{name}"
    finally:
        with admin.connect() as connection:
            _terminate(connection, name)  # as DROP DATABASE ... WITH (FORCE) did
            connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {name} CASCADE")
        admin.dispose()


def terminate_backends(url: str) -> int:
    """Terminate every backend of the desk `url` names (as a restart does); how many."""
    name = make_url(url).query["application_name"]
    assert isinstance(name, str) and name.startswith("dt19_"), url  # never anybody else's
    admin = create_engine(make_url(url).set(query={}), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            return _terminate(connection, name)
    finally:
        admin.dispose()


def _terminate(connection: Connection, name: str) -> int:
    return len(
        connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = :name AND pid <> pg_backend_pid()"
            ),
            {"name": name},
        ).all()
    )


def engine_url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)
