"""The console when every backend of its PostgreSQL desk is terminated (a server
restart, a failover): it keeps running, says it is reconnecting if it notices, and
shows what was written once it is back. Its own desk: only its backends are cut
(tests/desk/pg_own_database.py).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from deskterm import settings
from deskterm.desk import directory
from deskterm.desk.context import Desk
from deskterm.sla.catalog import PolicyCatalog
from deskterm.store.engine import make_engine
from tests.desk.pg_own_database import own_database, terminate_backends
from tests.migrated import migrate_pg_schema

from .conftest import ME, NOW, make_app, open_case, screen_lines, seed, settle, until
from .test_case import WIDE

pytestmark = pytest.mark.skipif(
    not os.environ.get("DESKTERM_TEST_PG"), reason="DESKTERM_TEST_PG names no PostgreSQL"
)


@pytest.fixture
def desks() -> Iterator[tuple[str, Desk, Desk]]:
    with own_database() as url:
        policies = PolicyCatalog(settings.policy_dirs())
        engine = make_engine(url)
        migrate_pg_schema(engine)
        bob = Desk(engine, policies, "bob", now=lambda: NOW)
        directory.add_organization(bob, "Acme", "business-hours-3", tier="standard")
        directory.add_contact(bob, "Bob Admin", "Acme", email="bob@acme.test", is_admin=True)
        directory.add_organization(bob, "Initech", "p1-p6")
        directory.add_organization(bob, "Umbrella", "standard-tier")
        seed(bob)
        console_engine = make_engine(url)
        console = Desk(console_engine, policies, ME, now=lambda: NOW)
        yield url, console, bob
        console_engine.dispose()
        engine.dispose()


def shows(app: object, words: str) -> bool:
    return any(words in line for line in screen_lines(app))  # type: ignore[arg-type]


async def test_the_queue_survives_every_backend_terminated_twice_and_shows_new_cases(
    desks: tuple[str, Desk, Desk],
) -> None:
    url, console, bob = desks
    app = make_app(console)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        for round_ in range(2):
            assert terminate_backends(url) >= 1  # the console's listener and pool
            await pilot.pause(0.6)  # the watcher's next question meets the dead backend
            subject = f"Opened after cut {round_}"
            open_case(bob, "Acme", 2, subject)
            assert await until(pilot, lambda s=subject: shows(app, s), 10), screen_lines(app)
        assert app.is_running and app.return_code is None
        # A read while the server is away in the middle of it: the screen's own
        # refresh (r) after a cut, not only the watcher.
        terminate_backends(url)
        await pilot.press("r")
        await settle(pilot)
        assert app.is_running and app.return_code is None


async def test_a_read_while_the_server_is_away_keeps_the_console_running(
    desks: tuple[str, Desk, Desk],
) -> None:
    from sqlalchemy.engine import make_url

    from deskterm.screens.connection import AWAY_TITLE
    from tests.desk.tcp_proxy import TcpProxy

    url, _, bob = desks
    real = make_url(url)
    proxy = TcpProxy(real.host or "127.0.0.1", real.port or 5432)
    engine = make_engine(real.set(host="127.0.0.1", port=proxy.port).render_as_string(False))
    console = Desk(engine, bob.policies, ME, now=lambda: NOW)
    app = make_app(console)
    try:
        async with app.run_test(size=WIDE) as pilot:
            await settle(pilot)
            proxy.cut()
            await pilot.press("r")  # reads while nothing answers
            await settle(pilot)
            assert app.is_running and app.return_code is None
            titles = [n.title for n in app._notifications]
            assert AWAY_TITLE in titles
            proxy.restore()
            open_case(bob, "Acme", 2, "Opened while it was away")
            assert await until(pilot, lambda: shows(app, "Opened while it was away"), 10)
    finally:
        engine.dispose()
        proxy.close()
