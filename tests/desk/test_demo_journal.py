"""A large demo into an empty SQLite desk is written with a rollback journal, alone
(deskterm.store.bulk_load.alone): the same desk as through the log, back in WAL mode
after, and a load killed half-way leaves the desk as it was."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from deskterm.desk import demo
from deskterm.desk.context import Desk
from deskterm.store import bulk_load
from deskterm.store.engine import database_url, make_engine
from tests.desk.test_demo import NOW, dump
from tests.migrated import desk_maker, migrated_sqlite

CASES = 40


def _file(desk: Desk) -> Path:
    database = desk.engine.url.database
    assert database is not None
    return Path(database)


def _journal_seen(desk: Desk) -> tuple[list[bool], Callable[[int, int], None]]:
    """What the load's progress saw after each chunk: whether a rollback journal was there."""
    seen: list[bool] = []
    journal = _file(desk).with_name(_file(desk).name + "-journal")
    return seen, lambda _done, _total: seen.append(journal.exists())


def _mode_and_integrity(path: Path) -> tuple[str, str]:
    raw = sqlite3.connect(path)
    try:
        mode = raw.execute("PRAGMA journal_mode").fetchone()[0]
        return mode, raw.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        raw.close()


def test_a_large_load_into_an_empty_desk_no_one_has_open_goes_without_the_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk_load, "ALONE_FROM", CASES)
    with desk_maker("sqlite", tmp_path, NOW) as make:
        alone, shared = make(), make()
        seen, progress = _journal_seen(alone)
        demo.fill(alone, CASES, seed=5, progress=progress)
        demo.fill(shared, CASES, seed=5, second_process=False)
        assert seen == [True]
        assert dump(alone) == dump(shared)
        assert _mode_and_integrity(_file(alone)) == ("wal", "ok")


@pytest.mark.parametrize("why", ["small", "has cases", "open elsewhere"])
def test_otherwise_the_load_goes_through_the_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, why: str
) -> None:
    monkeypatch.setattr(bulk_load, "ALONE_FROM", CASES if why != "small" else CASES + 1)
    with desk_maker("sqlite", tmp_path, NOW) as make:
        desk = make()
        if why == "has cases":
            demo.fill(desk, 3, seed=5)
        other = sqlite3.connect(_file(desk))
        try:
            if why == "open elsewhere":  # a console reading the desk
                other.execute("SELECT count(*) FROM cases").fetchone()
            else:
                other.close()
            seen, progress = _journal_seen(desk)
            report = demo.fill(desk, CASES, seed=5, progress=progress)
        finally:
            other.close()
        assert report.cases == CASES
        assert seen == [False]
        assert _mode_and_integrity(_file(desk)) == ("wal", "ok")


_KILLED_LOAD = textwrap.dedent(
    """
    import signal, sys
    from datetime import datetime
    from deskterm import settings
    from deskterm.desk import demo
    from deskterm.desk.context import Desk
    from deskterm.sla.catalog import PolicyCatalog
    from deskterm.store import bulk_load
    from deskterm.store.engine import database_url, make_engine

    bulk_load.ALONE_FROM = 1
    now = datetime.fromisoformat(sys.argv[2])
    desk = Desk(make_engine(database_url(sys.argv[1])), PolicyCatalog(settings.policy_dirs()),
                "tester", now=lambda: now)

    def written(done, total):
        print("written", flush=True)
        signal.pause()  # killed here, the load's rows written and not committed

    demo.fill(desk, 30, seed=5, progress=written, second_process=False)
    """
)


def test_a_load_killed_half_way_leaves_the_empty_desk_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "desk.db"
    migrated_sqlite(path).dispose()
    schema = _schema(path)
    loader = subprocess.Popen(
        [sys.executable, "-c", _KILLED_LOAD, str(path), NOW.isoformat()],
        stdout=subprocess.PIPE,
        text=True,
    )
    journal = path.with_name(path.name + "-journal")
    try:
        assert loader.stdout is not None
        assert loader.stdout.readline() == "written\n", "the load stopped before its rows"
        assert journal.exists()
    finally:
        os.kill(loader.pid, signal.SIGKILL)
        loader.wait()
    engine = make_engine(database_url(str(path)))  # the next to open it rolls the load back
    try:
        with engine.connect() as connection:
            cases = connection.exec_driver_sql("SELECT count(*) FROM cases").scalar_one()
            indexed = connection.exec_driver_sql(
                "SELECT count(*) FROM search_text_docsize"
            ).scalar_one()
            connection.exec_driver_sql(
                "INSERT INTO search_text(search_text) VALUES ('integrity-check')"
            )
    finally:
        engine.dispose()
    assert (cases, indexed) == (0, 0)
    assert not journal.exists()
    assert _schema(path) == schema  # the triggers and indexes the load dropped are back
    assert _mode_and_integrity(path) == ("wal", "ok")


def _schema(path: Path) -> list[tuple[str, str, str]]:
    raw = sqlite3.connect(path)
    try:
        return sorted(raw.execute("SELECT type, name, coalesce(sql, '') FROM sqlite_master"))
    finally:
        raw.close()
