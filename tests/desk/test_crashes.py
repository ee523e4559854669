"""Writers killed with SIGKILL at random moments lose nothing that was acknowledged.

Several OS processes run real use cases on one SQLite file (tests/desk/crash_writer.py)
and are killed -9 and restarted at random until 1,000 changes have been acknowledged,
in four runs of 250 on files of their own (each killing at least 10 times, from a seed
of its own). Then each file must pass integrity_check, every acknowledged change
must be there with its event, and no case may have a version without its events or
events beyond it.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import sqlite3
import time
from contextlib import closing
from pathlib import Path

import pytest

from deskterm import settings
from deskterm.desk import cases, counts, directory, doctor, outcomes
from deskterm.desk.context import Desk
from deskterm.sla.catalog import PolicyCatalog
from deskterm.store.engine import database_url, make_engine
from tests.desk import crash_writer
from tests.desk.conftest import MONDAY
from tests.desk.crash_writer import COUNT, FIRST
from tests.migrated import migrated_sqlite

WRITERS = 3
RUNS = 4
ACKNOWLEDGED = 1_000 // RUNS  # per run: 1,000 in all
# Seconds without a single new acknowledged change: the writers are stuck, not slow.
# The loop itself runs until the changes are there, however long a loaded machine takes.
STUCK = 120.0


def acknowledged(logs: Path) -> list[tuple[int, int, str]]:
    """Every complete line of every writer's log (a kill may cut the last one short)."""
    found = []
    for log in sorted(logs.glob("*.log")):
        text = log.read_text(encoding="utf-8")
        for line in text.split("\n")[:-1]:
            number, version, kind = line.split()
            found.append((int(number), int(version), kind))
    return found


@pytest.mark.slow
@pytest.mark.parametrize("run", range(RUNS))
def test_kill_9_at_random_moments_loses_no_acknowledged_change(tmp_path: Path, run: int) -> None:
    database = tmp_path / "desk.db"
    engine = migrated_sqlite(database)
    desk = Desk(engine, PolicyCatalog(settings.policy_dirs()), "alice", now=lambda: MONDAY)
    directory.add_organization(desk, "Acme", "business-hours-3")
    numbers = [
        cases.open_case(
            desk, organization="Acme", contact=None, severity=2, subject=f"case {n}"
        ).number
        for n in range(COUNT)
    ]
    assert numbers == list(range(FIRST, FIRST + COUNT))
    engine.dispose()

    logs = tmp_path / "logs"
    logs.mkdir()
    chooser = random.Random(10 + run)  # run 0 is the single run's former seed
    started = 0

    # Writers are forked from a server that has imported deskterm already: a
    # restarted writer is at work in milliseconds instead of the seconds imports take.
    processes = multiprocessing.get_context("forkserver")
    processes.set_forkserver_preload(["tests.desk.crash_writer"])

    def start(slot: int) -> tuple[multiprocessing.process.BaseProcess, Path]:
        nonlocal started
        started += 1
        log = logs / f"{started:04d}.log"
        arguments = (str(database), str(log), f"engineer{slot}", str(chooser.random()))
        writer = processes.Process(target=crash_writer.main, args=arguments, daemon=True)
        writer.start()
        return writer, log

    running = [start(slot) for slot in range(WRITERS)]
    writers = [writer for writer, _ in running]
    kills = 0
    progress = (0, time.monotonic())  # changes acknowledged, and when that count was new
    try:
        while (count := len(acknowledged(logs))) < ACKNOWLEDGED or kills < 10:
            if count > progress[0]:
                progress = (count, time.monotonic())
            assert time.monotonic() - progress[1] < STUCK, f"stuck at {count} changes"
            time.sleep(chooser.uniform(0.05, 0.4))
            slot = chooser.randrange(WRITERS)
            writer, log = running[slot]
            assert writer.is_alive(), "a writer died by itself"
            if not log.exists() or log.stat().st_size == 0:
                continue  # still starting (imports): a kill now would test nothing
            os.kill(writer.pid, signal.SIGKILL)  # type: ignore[arg-type]
            writer.join()
            kills += 1
            running[slot] = start(slot)
            writers[slot] = running[slot][0]
    finally:
        for writer in writers:
            writer.kill()
            writer.join()

    done = acknowledged(logs)
    assert len(done) >= ACKNOWLEDGED and kills >= 10
    # The full-text index is in step with what survived: what deskterm doctor checks.
    assert doctor.search_check(database_url(str(database))).status == "ok"
    with closing(sqlite3.connect(database)) as connection:
        noted = set(
            connection.execute(
                "SELECT DISTINCT c.number FROM events e JOIN cases c ON c.id = e.case_id "
                "WHERE e.kind = 'note'"
            )
        )
        found = set(
            connection.execute(
                "SELECT DISTINCT c.number FROM search_text s JOIN cases c ON c.id = s.rowid >> 32 "
                "WHERE search_text MATCH '\"checked the logs\"'"
            )
        )
    assert noted and found == noted
    with closing(sqlite3.connect(database)) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        events = set(
            connection.execute(
                "SELECT c.number, e.version, e.kind FROM events e JOIN cases c ON c.id = e.case_id"
            )
        )
        missing = [change for change in done if change not in events]
        assert missing == [], f"acknowledged but not in the database: {missing[:5]}"
        # Each version of a case is one change with its event(s): versions 1..N all
        # have events, and no event carries a version the case never reached.
        broken = connection.execute(
            "SELECT c.number, c.version, count(DISTINCT e.version), max(e.version) "
            "FROM cases c JOIN events e ON e.case_id = c.id GROUP BY c.id "
            "HAVING count(DISTINCT e.version) != c.version OR max(e.version) != c.version"
        ).fetchall()
        assert broken == []
    # The counters the triggers keep, and the outcomes stored with each answer, died
    # and rolled back with each killed writer's change.
    engine = make_engine(database_url(str(database)))
    assert counts.differences_on(engine) == []
    with engine.connect() as connection:
        assert outcomes.missing(connection) == 0
    # Every stored SLA outcome (first responses, and each run of the other clocks)
    # equals a recount from the events that survived: what deskterm doctor --clocks checks.
    recount = doctor.outcomes_recount_check(database_url(str(database)), settings.policy_dirs())
    assert recount.status == "ok", recount.message
