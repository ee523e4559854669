"""The console on PostgreSQL when the server goes away: it says it is reconnecting,
the text being written stays in its composer, and the case reloads once it is back.

The shared server is never restarted: a TCP proxy stands between the console and it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.engine import make_url
from textual.widgets import TextArea

from deskterm import settings
from deskterm.desk import cases
from deskterm.desk.context import Desk
from deskterm.screens import case_compose as writing
from deskterm.screens.connection import AWAY_TITLE, BACK
from deskterm.sla.catalog import PolicyCatalog
from deskterm.store.engine import make_engine
from deskterm.store.migrate import upgrade
from tests.desk.conftest import drop_pg_schema, pg_engine_in_fresh_schema
from tests.desk.tcp_proxy import TcpProxy

from .conftest import ME, NOW, PRODUCTION_DOWN, make_app, paste, seed, until
from .test_case import WIDE, open_case, timeline_text

pytestmark = pytest.mark.skipif(
    not os.environ.get("DESKTERM_TEST_PG"), reason="DESKTERM_TEST_PG names no PostgreSQL"
)


@pytest.fixture
def behind_proxy() -> Iterator[tuple[Desk, Desk, TcpProxy]]:
    """The seeded desk in a fresh schema: the console's way in through a proxy, and
    another engineer's direct."""
    engine, schema, admin = pg_engine_in_fresh_schema()
    upgrade(engine, NOW)
    policies = PolicyCatalog(settings.policy_dirs())
    direct = Desk(engine, policies, ME, now=lambda: NOW)
    from deskterm.desk import directory

    directory.add_organization(direct, "Acme", "business-hours-3", tier="standard")
    directory.add_contact(direct, "Bob Admin", "Acme", email="bob@acme.test", is_admin=True)
    directory.add_organization(direct, "Initech", "p1-p6")
    directory.add_organization(direct, "Umbrella", "standard-tier")
    seed(direct)
    url = make_url(engine.url.render_as_string(hide_password=False))
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    proxied = make_engine(url.set(host="127.0.0.1", port=proxy.port).render_as_string(False))
    console = Desk(proxied, policies, ME, now=lambda: NOW)
    bob = Desk(engine, policies, "bob", now=lambda: NOW)
    yield console, bob, proxy
    proxy.close()
    proxied.dispose()
    engine.dispose()
    drop_pg_schema(schema, admin)


def messages(app: Any) -> list[str]:
    return [f"{n.title}: {n.message}" for n in app._notifications]


async def test_a_lost_server_is_announced_the_text_kept_and_the_case_reloaded(
    behind_proxy: tuple[Desk, Desk, TcpProxy],
) -> None:
    console, bob, proxy = behind_proxy
    app = make_app(console)
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_case(pilot, PRODUCTION_DOWN)
        await pilot.press("r")
        assert await until(pilot, lambda: isinstance(app.screen, writing.Composer))
        await paste(pilot, "We are restarting the service now")
        composer = app.screen
        proxy.cut()
        assert await until(pilot, lambda: any(AWAY_TITLE in m for m in messages(app)), 5)
        assert any("reconnecting" in m for m in messages(app))
        cases.note(bob, PRODUCTION_DOWN, "bob looked at it while the console was cut off")
        proxy.restore()
        assert await until(pilot, lambda: any(BACK in m for m in messages(app)), 5)
        assert await until(pilot, lambda: "bob looked at it" in timeline_text(screen), 5)
        # The composer is where it was, with every word typed.
        assert app.screen is composer
        assert "We are restarting the service now" in composer.query_one(TextArea).text
