"""Screens under test: a small desk in an SQLite file, a frozen clock, a UTC viewer.

No async plugin is installed, so `async def` tests in this package run in their
own event loop (`pytest_pyfunc_call` below), each with a time limit so a hung
pilot fails the test instead of the run.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from textual import constants, events
from textual.app import App
from textual.pilot import Pilot

from deskterm import settings
from deskterm.app import DesktermApp
from deskterm.desk import cases, directory
from deskterm.desk.context import Desk
from deskterm.sla.catalog import PolicyCatalog
from deskterm.store.engine import database_url, make_engine
from deskterm.store.migrate import upgrade
from deskterm.widgets.queue_table import QueueTable
from tests.frozen import FrozenClock

# Monday 23 November 2026, 16:00 UTC: 11:00 in New York (Acme's business hours,
# 08-17) and 09:00 in Denver (Umbrella's, 09-17); Initech's P1-P3 run 24x7.
NOW = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)
ME = "alice"
TEST_SECONDS = 120

# The seeded desk, in the order the cases are opened (numbers start at 40100).
PRODUCTION_DOWN = 40100  # Acme Sev 1, received now: 30m of business time left
LOGIN_BROKEN = 40101  # Acme Sev 1, received an hour ago: breached 30m ago
SLOW_REPORTS = 40102  # Initech P3 (24x7, 4h), received an hour ago: 3h left
EXPORT_QUESTION = 40103  # Acme Sev 3, answered, waiting on the customer
DISK_FULL = 40104  # Umbrella Sev 2 (8 business hours), assigned to alice
DOCS_TYPO = 40105  # Umbrella Sev 3 (next business day), assigned to bob
OLD_THING = 40106  # Initech P4, closed today

# All open, soonest deadline first.
QUEUE_ORDER = [LOGIN_BROKEN, PRODUCTION_DOWN, SLOW_REPORTS, DISK_FULL, DOCS_TYPO, EXPORT_QUESTION]


# -- running async tests ---------------------------------------------------------


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    function = pyfuncitem.obj
    if not inspect.iscoroutinefunction(function):
        return None
    arguments = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}

    async def bounded() -> None:
        await asyncio.wait_for(function(**arguments), TEST_SECONDS)

    asyncio.run(bounded())
    return True


# -- time -------------------------------------------------------------------------


@pytest.fixture
def colour(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """For snapshots in colour: the suite runs with NO_COLOR=1 (tests/conftest.py)."""
    monkeypatch.delenv("NO_COLOR", raising=False)
    yield


@pytest.fixture(autouse=True)
def true_colour_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """A terminal of 16 million colours, whatever TERM the run has: with TERM unset or
    `xterm` the console takes its 16-colour look (deskterm/app.py), and snapshots
    would change with the machine. tests/screens/test_sixteen_colours.py asks for 16."""
    monkeypatch.setattr(constants, "COLOR_SYSTEM", "truecolor")


@pytest.fixture(autouse=True)
def frozen_viewer(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The viewer sits in UTC and DESKTERM_NOW is frozen, whatever the machine."""
    monkeypatch.setenv("DESKTERM_NOW", NOW.isoformat())
    saved = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if saved is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = saved
    time.tzset()


# -- a desk ------------------------------------------------------------------------


@dataclass
class Seeded:
    path: Path
    clock: FrozenClock
    desk: Desk
    engines: list[Engine] = field(default_factory=list)

    def as_user(self, name: str) -> Desk:
        """Another user on the same database file, through an engine of their own."""
        engine = make_engine(database_url(str(self.path)))
        self.engines.append(engine)
        return Desk(engine, self.desk.policies, name, now=self.clock)


def build_desk(path: Path, policies: PolicyCatalog) -> Desk:
    engine = make_engine(database_url(str(path)))
    upgrade(engine, NOW)
    desk = Desk(engine, policies, ME, now=lambda: NOW)
    directory.add_organization(desk, "Acme", "business-hours-3", tier="standard")
    directory.add_contact(desk, "Bob Admin", "Acme", email="bob@acme.test", is_admin=True)
    directory.add_organization(desk, "Initech", "p1-p6")
    directory.add_organization(desk, "Umbrella", "standard-tier")
    return desk


def open_case(
    desk: Desk, organization: str, severity: int, subject: str, ago: timedelta = timedelta(0)
) -> int:
    contact = "Bob Admin" if organization == "Acme" else None
    case = cases.open_case(
        desk,
        organization=organization,
        contact=contact,
        severity=severity,
        subject=subject,
        received=NOW - ago,
    )
    return case.number


def seed(desk: Desk) -> None:
    hour = timedelta(hours=1)
    assert open_case(desk, "Acme", 1, "Production down") == PRODUCTION_DOWN
    assert open_case(desk, "Acme", 1, "Login broken", ago=hour) == LOGIN_BROKEN
    assert open_case(desk, "Initech", 3, "Slow reports", ago=hour) == SLOW_REPORTS
    assert open_case(desk, "Acme", 3, "Question about export") == EXPORT_QUESTION
    cases.reply(desk, EXPORT_QUESTION, "Which version do you run?")
    cases.move(desk, EXPORT_QUESTION, "waiting-on-customer")
    assert open_case(desk, "Umbrella", 2, "Disk full") == DISK_FULL
    cases.assign(desk, DISK_FULL, ME)
    assert open_case(desk, "Umbrella", 3, "Typo in docs") == DOCS_TYPO
    cases.assign(desk, DOCS_TYPO, "bob")
    assert open_case(desk, "Initech", 4, "Old thing") == OLD_THING
    cases.move(desk, OLD_THING, "closed")


def seed_long(desk: Desk) -> None:
    for i in range(60):
        open_case(desk, "Initech", 3, f"Batch job {i}", ago=timedelta(minutes=59 - i))


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each desk built once (migrations and use cases take a while), copied per test."""
    # Only the packaged presets: the session starts before HOME is isolated.
    policies = PolicyCatalog([settings.packaged_policy_dir()])
    folder = tmp_path_factory.mktemp("templates")
    built = {}
    for name, fill in (("seeded", seed), ("long", seed_long)):
        path = folder / f"{name}.db"
        desk = build_desk(path, policies)
        fill(desk)
        desk.engine.dispose()  # the last connection closed: the WAL is folded into the file
        assert not path.with_name(path.name + "-wal").exists()
        built[name] = path
    return built


def desk_from(template: Path, path: Path) -> Seeded:
    shutil.copyfile(template, path)
    clock = FrozenClock(NOW)
    engine = make_engine(database_url(str(path)))
    desk = Desk(engine, PolicyCatalog(settings.policy_dirs()), ME, now=clock)
    return Seeded(path, clock, desk, [engine])


@pytest.fixture
def seeded(templates: dict[str, Path], tmp_path: Path) -> Iterator[Seeded]:
    """The small desk above, in an SQLite file of this test's own."""
    built = desk_from(templates["seeded"], tmp_path / "desk.db")
    yield built
    for engine in built.engines:
        engine.dispose()


@pytest.fixture
def long_queue(templates: dict[str, Path], tmp_path: Path) -> Iterator[Seeded]:
    """Sixty Initech P3 cases, due a minute apart: 40100 first, 40159 last."""
    built = desk_from(templates["long"], tmp_path / "long.db")
    yield built
    for engine in built.engines:
        engine.dispose()


# -- reading the screen ------------------------------------------------------------


async def settle(pilot: Pilot[Any]) -> None:
    """Let messages, thread workers (counts, take) and the repaint they ask for finish."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def until(
    pilot: Pilot[Any], condition: Callable[[], bool], seconds: float = 10.0, step: float = 0.05
) -> bool:
    """Poll `condition` while the app runs, for at most `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        if condition():
            return True
        if time.monotonic() > deadline:
            return False
        await pilot.pause(step)


def make_app(desk: Desk, **options: Any) -> DesktermApp:
    """The console on `desk`, with animations off so pilot key presses need not wait for them."""
    app = DesktermApp(desk, **options)
    app.animation_level = "none"
    return app


async def paste(pilot: Pilot[Any], text: str) -> None:
    """What a terminal sends for a bracketed paste (one event, not a key per character)."""
    driver = pilot.app._driver
    assert driver is not None
    driver.send_message(events.Paste(text))
    await settle(pilot)


def table_of(app: App[Any]) -> QueueTable:
    return app.screen.query_one(QueueTable)


def screen_lines(app: App[Any]) -> list[str]:
    """The text of every line of the screen as it would be painted now.

    Read through the compositor, which repaints only what a widget asked to
    refresh: a row the app forgot to refresh shows here as stale, as it would on
    the terminal.
    """
    return [strip.text for strip in app.screen._compositor.render_strips()]


def visible_lines(app: App[Any]) -> list[str]:
    """The queue's rows now on screen (blank lines left out), as painted."""
    region = table_of(app).scrollable_content_region
    strips = app.screen._compositor.render_strips()[region.y : region.bottom]
    lines = [strip.crop(region.x, region.right).text for strip in strips]
    return [line for line in lines if line.strip()]


# A row's case number: the first five-digit number on the line (numbers start at
# 40100; no other column before the subject holds one).
_NUMBER = re.compile(r"\b(4\d{4})\b")


def row_lines(app: App[Any]) -> list[tuple[int, str]]:
    """(case number, line) for each row on screen; other lines (a scrollbar) are left out."""
    rows = []
    for line in visible_lines(app):
        found = _NUMBER.search(line)
        if found:
            rows.append((int(found.group(1)), line))
    return rows


def shown_numbers(app: App[Any]) -> list[int]:
    return [number for number, _ in row_lines(app)]


def line_of(app: App[Any], number: int) -> str:
    for shown, line in row_lines(app):
        if shown == number:
            return line
    raise AssertionError(f"case {number} is not on screen: {visible_lines(app)}")
