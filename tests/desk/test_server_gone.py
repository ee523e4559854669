"""A PostgreSQL server that goes away (restart, failover, a cut network) and comes back:
the pool replaces the dead connections, a write cut off says "the database server went
away; nothing was written", and the change watcher reports the loss and reconnects.

Every test here has a desk of its own and terminates only that desk's backends
(tests/desk/pg_own_database.py); the socket cut goes through a proxy.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from deskterm import settings
from deskterm.desk import cases, directory
from deskterm.desk.context import Desk
from deskterm.desk.errors import ServerGone, StorageError
from deskterm.models import EventKind
from deskterm.sla.catalog import PolicyCatalog
from deskterm.store.changes import ChangeWatcher
from deskterm.store.engine import make_engine
from tests.desk.conftest import MONDAY
from tests.desk.heard import within
from tests.desk.pg_own_database import own_database, terminate_backends
from tests.desk.tcp_proxy import TcpProxy
from tests.frozen import FrozenClock
from tests.migrated import migrate_pg_schema

pytestmark = pytest.mark.skipif(
    not os.environ.get("DESKTERM_TEST_PG"), reason="DESKTERM_TEST_PG names no PostgreSQL"
)


def make_desk(url: str) -> Desk:
    engine = make_engine(url)
    return Desk(engine, PolicyCatalog(settings.policy_dirs()), "alice", now=FrozenClock(MONDAY))


@pytest.fixture
def url() -> Iterator[str]:
    with own_database() as url:
        engine = make_engine(url)
        migrate_pg_schema(engine)
        desk = make_desk(url)
        directory.add_organization(desk, "Acme", "business-hours-3", tier="standard")
        directory.add_contact(desk, "Bob Admin", "Acme", email="bob@acme.test", is_admin=True)
        desk.engine.dispose()
        engine.dispose()
        yield url


def open_case(desk: Desk) -> int:
    return cases.open_case(
        desk, organization="Acme", contact="Bob Admin", severity=2, subject="Disk full"
    ).number


def versions(desk: Desk, number: int) -> tuple[int, int]:
    """The case's version and how many events it has."""
    with desk.engine.connect() as connection:
        return connection.execute(
            text(
                "SELECT c.version, (SELECT count(*) FROM events e WHERE e.case_id = c.id) "
                "FROM cases c WHERE c.number = :n"
            ),
            {"n": number},
        ).one()  # type: ignore[return-value]


def test_after_every_backend_is_terminated_the_next_write_goes_through(url: str) -> None:
    desk = make_desk(url)
    try:
        number = open_case(desk)
        for round_ in range(3):  # more than once
            assert terminate_backends(url) >= 1  # the pool's idle connection
            cases.note(desk, number, f"after cut {round_}")  # no error: a fresh connection
        assert versions(desk, number) == (4, 4)
    finally:
        desk.engine.dispose()


def test_a_write_whose_backend_is_terminated_says_the_server_went_away(url: str) -> None:
    desk = make_desk(url)
    try:
        number = open_case(desk)
        started, release = threading.Event(), threading.Event()
        failures: list[BaseException] = []

        def held_write() -> None:
            try:
                with cases.changing(desk, number) as change:
                    change.record(EventKind.NOTE, text="cut mid-write")
                    started.set()
                    release.wait(10)
            except BaseException as error:  # noqa: BLE001  (the test reads it)
                failures.append(error)

        writer = threading.Thread(target=held_write)
        writer.start()
        assert started.wait(10)
        assert terminate_backends(url) >= 1
        release.set()
        writer.join(10)
        assert failures and isinstance(failures[0], ServerGone), failures
        assert isinstance(failures[0], StorageError)  # a refusal, not a bug
        assert "went away" in str(failures[0]) and "nothing was written" in str(failures[0])
        assert "shutting down" not in str(failures[0])
        assert versions(desk, number) == (1, 1)  # nothing of it written
        cases.note(desk, number, "and the next one is written")
        assert versions(desk, number) == (2, 2)
    finally:
        desk.engine.dispose()


def test_a_socket_cut_mid_transaction_is_the_server_gone_and_the_pool_recovers(url: str) -> None:
    real = make_url(url)
    proxy = TcpProxy(real.host or "127.0.0.1", real.port or 5432)
    desk = make_desk(real.set(host="127.0.0.1", port=proxy.port).render_as_string(False))
    try:
        number = open_case(desk)
        with pytest.raises(ServerGone), cases.changing(desk, number) as change:
            change.record(EventKind.NOTE, text="cut mid-transaction")
            proxy.cut()
        proxy.restore()
        cases.note(desk, number, "after the cut")
        assert versions(desk, number) == (2, 2)
    finally:
        desk.engine.dispose()
        proxy.close()


def test_the_watcher_reports_a_cut_of_every_backend_and_comes_back(url: str) -> None:
    desk = make_desk(url)
    watcher = ChangeWatcher(desk.engine)
    try:
        number = open_case(desk)
        watcher.changed()
        for round_ in range(2):
            terminate_backends(url)
            cases.note(desk, number, f"written after cut {round_}")
            assert within(5.0, watcher.changed)
            assert watcher.problem is None
    finally:
        watcher.close()
        desk.engine.dispose()


def test_the_sweep_survives_every_backend_terminated(url: str) -> None:
    from deskterm.desk.sweep import sweep

    desk = make_desk(url)
    try:
        open_case(desk)
        sweep(desk)
        terminate_backends(url)
        sweep(desk)  # a fresh connection, no error
        terminate_backends(url)
        sweep(desk)
    finally:
        desk.engine.dispose()


def test_the_command_line_says_in_one_line_that_nothing_was_written(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.cli.runner import invoke

    desk = make_desk(url)
    number = open_case(desk)
    desk.engine.dispose()
    real_refresh = cases.refresh

    def cut_then_refresh(*args: object, **kwargs: object) -> None:
        terminate_backends(url)  # mid-write: the case row is locked, the event inserted
        real_refresh(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(cases, "refresh", cut_then_refresh)
    monkeypatch.setenv("DESKTERM_DB", url)
    code, out, err = invoke(["case", "note", str(number), "cut mid-write"])
    assert code == 2, (out, err)
    assert err == "deskterm: the database server went away; nothing was written\n"
    monkeypatch.undo()
    desk = make_desk(url)
    try:
        assert versions(desk, number) == (1, 1)
    finally:
        desk.engine.dispose()
