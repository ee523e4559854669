"""Chaos, bounded to about a minute: writer processes on SQLite and on PostgreSQL are
killed -9 at random and, on PostgreSQL, every backend of the desk is terminated at
random, while a console runs in a pseudo-terminal. Afterwards every acknowledged
change is in the desk exactly once, doctor (hash chain and case versions included)
finds nothing wrong, and the console is still running and shows the last change.

The PostgreSQL half uses a desk of its own (tests/desk/pg_own_database.py).
"""

from __future__ import annotations

import multiprocessing
import os
import random
import re
import signal
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from bench.ptyterm import Terminal
from sqlalchemy import text

from deskterm import settings
from deskterm.desk import cases, directory, doctor
from deskterm.desk.context import Desk
from deskterm.locations import CRASH_FILE
from deskterm.sla.catalog import PolicyCatalog
from deskterm.store.engine import database_url, make_engine
from deskterm.store.migrate import upgrade
from tests.desk import crash_writer
from tests.desk.conftest import MONDAY
from tests.desk.crash_writer import COUNT
from tests.desk.pg_own_database import own_database, terminate_backends
from tests.desk.test_crashes import acknowledged
from tests.test_console_e2e import environment

WRITERS = 3
SECONDS = 12.0  # per backend, once the least worth testing is done (3 x that at most)
ENOUGH = 150  # changes acknowledged: the loop may stop early once the rest is done too
DESKTERM = str(Path(sys.executable).with_name("deskterm"))
BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("DESKTERM_TEST_PG") else [])


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield database_url(str(tmp_path / "desk.db"))
        return
    with own_database() as url:
        yield url


def why_dead(term: Terminal, home: Path) -> str:
    """What a console that ended says of it: the exit code, what it wrote after it left
    the alternate screen (Textual prints an unhandled error's traceback there, on
    stderr, which is the pty), its crash file, and its last screen."""
    code = term.wait(5.0)
    raw = bytes(term.raw or b"").decode("utf-8", "replace")
    after = raw.rsplit("\x1b[?1049l", 1)[-1] if "\x1b[?1049l" in raw else raw[-50000:]
    after = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07", "", after)
    crash = home / "state" / "deskterm" / CRASH_FILE
    told = crash.read_text() if crash.exists() else "(no crash file)"
    return (
        f"the console ended (exit code {code})\n--- its output after the console left:\n"
        f"{after}\n--- {crash}:\n{told}\n--- its last screen:\n{term.dump()}"
    )


def seed(url: str) -> Desk:
    engine = make_engine(url)
    upgrade(engine, MONDAY)
    desk = Desk(engine, PolicyCatalog(settings.policy_dirs()), "alice", now=lambda: MONDAY)
    directory.add_organization(desk, "Acme", "business-hours-3")
    for n in range(COUNT):
        cases.open_case(desk, organization="Acme", contact=None, severity=2, subject=f"case {n}")
    return desk


@pytest.mark.slow
def test_writers_killed_and_servers_cut_lose_nothing_and_the_console_goes_on(
    url: str, tmp_path: Path
) -> None:
    desk = seed(url)
    server = desk.engine.dialect.name != "sqlite"
    desk.engine.dispose()
    logs = tmp_path / "logs"
    logs.mkdir()
    chooser = random.Random(19)
    processes = multiprocessing.get_context("forkserver")
    processes.set_forkserver_preload(["tests.desk.crash_writer"])
    started = 0

    def start(slot: int) -> tuple[multiprocessing.process.BaseProcess, Path]:
        nonlocal started
        started += 1
        log = logs / f"{started:04d}.log"
        arguments = (url, str(log), f"engineer{slot}", str(chooser.random()))
        writer = processes.Process(target=crash_writer.main, args=arguments, daemon=True)
        writer.start()
        return writer, log

    with ExitStack() as stack:
        env = environment(tmp_path)
        env["DESKTERM_NOW"] = MONDAY.strftime("%Y-%m-%dT%H:%M:%SZ")
        term = stack.enter_context(Terminal([DESKTERM, "--db", url], 120, 40, env=env, record=True))

        def explain(_type: object, error: BaseException | None, _traceback: object) -> bool:
            # Whatever failed (an assert, a screen awaited in vain): a console that
            # ended says why, while its terminal is still open.
            if error is not None and not term.alive:
                error.add_note(why_dead(term, tmp_path))
            return False

        stack.push(explain)
        term.read_until(lambda t: "case 0" in t.screen_text(), 30)
        running = [start(slot) for slot in range(WRITERS)]
        stack.callback(lambda: [w.kill() or w.join() for w, _ in running])
        kills = cuts = 0
        soft, hard = time.monotonic() + SECONDS, time.monotonic() + 3 * SECONDS
        while time.monotonic() < hard:
            term.poll(chooser.uniform(0.05, 0.3))  # the console keeps drawing meanwhile
            assert term.alive, "the console died"
            if server and chooser.random() < 0.25:
                terminate_backends(url)  # the console's and every writer's
                cuts += 1
                continue
            slot = chooser.randrange(WRITERS)
            writer, log = running[slot]
            assert writer.is_alive(), "a writer died by itself"
            if not log.exists() or log.stat().st_size == 0:
                continue  # still starting: a kill now would test nothing
            os.kill(writer.pid, signal.SIGKILL)  # type: ignore[arg-type]
            writer.join()
            kills += 1
            running[slot] = start(slot)
            count = len(acknowledged(logs))
            minimum = kills >= 3 and (cuts >= 2 or not server) and count >= 10
            if minimum and (time.monotonic() > soft or count >= ENOUGH):
                break
        for writer, _ in running:
            writer.kill()
            writer.join()

        done = acknowledged(logs)
        assert kills >= 3 and (cuts >= 2 or not server), (kills, cuts)
        assert len(done) >= 10, "the writers acknowledged almost nothing"
        engine = make_engine(url)
        stack.callback(engine.dispose)
        with engine.connect() as connection:
            events = Counter(
                tuple(row)
                for row in connection.execute(
                    text(
                        "SELECT c.number, e.version, e.kind FROM events e "
                        "JOIN cases c ON c.id = e.case_id"
                    )
                )
            )
        missing = [change for change in done if events[change] == 0]
        twice = [change for change in done if events[change] > 1]
        assert missing == [] and twice == [], (missing[:5], twice[:5])
        assert len(set(done)) == len(done)  # no version acknowledged to two writers

        checks = doctor.examine(url, settings.policy_dirs())
        assert not doctor.failed(checks), [c for c in checks if c.status == "fail"]
        assert {c.name for c in checks} >= {"audit trail", "case versions"}

        # The last change, made now: the console, still running, shows it.
        last = Desk(engine, PolicyCatalog(settings.policy_dirs()), "bob", now=lambda: MONDAY)
        cases.open_case(
            last, organization="Acme", contact=None, severity=1, subject="The very last change"
        )
        term.read_until(lambda t: "The very last change" in t.screen_text(), 30)
        assert term.alive and "The very last change" in term.screen_text()
