"""The disk fills up or the database turns read-only: the use case is refused with one
clear sentence, nothing is half-written, and the desk works again once it is fixed.

A full disk is shown twice: with SQLite's own page limit (runs anywhere) and with a
real 2 MB tmpfs file system (needs root to mount; skipped otherwise). Read-only is a
remount of that file system: chmod does not stop root, a read-only mount does.
"""

from __future__ import annotations

import gc
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from deskterm import settings
from deskterm.desk import cases, directory, queries
from deskterm.desk.context import Desk
from deskterm.desk.errors import StorageError
from deskterm.sla.catalog import PolicyCatalog
from deskterm.store.engine import database_url, make_engine
from deskterm.store.migrate import upgrade
from tests.cli.runner import invoke
from tests.desk.conftest import MONDAY

LONG_REPLY = "The logs show the restart loop began at 03:12.\n" * 5_000  # about 240 KB


def new_desk(path: Path) -> Desk:
    engine = make_engine(database_url(str(path)))
    upgrade(engine, MONDAY)
    desk = Desk(engine, PolicyCatalog(settings.policy_dirs()), "alice", now=lambda: MONDAY)
    directory.add_organization(desk, "Acme", "business-hours-3")
    cases.open_case(desk, organization="Acme", contact=None, severity=1, subject="Server down")
    return desk


def contents(path: Path) -> tuple[list[str], str]:
    with closing(sqlite3.connect(path)) as connection:
        check = connection.execute("PRAGMA integrity_check").fetchone()[0]
        return list(connection.iterdump()), check


def test_a_full_database_refuses_the_reply_in_one_sentence_and_takes_it_later(
    tmp_path: Path,
) -> None:
    path = tmp_path / "desk.db"
    desk = new_desk(path)
    limit = {"pages": 0}

    def cap(connection: Any, _record: Any) -> None:
        pages = connection.execute("PRAGMA page_count").fetchone()[0]
        connection.execute(f"PRAGMA max_page_count = {pages + limit['pages']}")

    desk.engine.dispose()
    event.listen(desk.engine, "connect", cap)
    before, _ = contents(path)
    with pytest.raises(StorageError) as refused:
        cases.reply(desk, 40100, LONG_REPLY)
    assert str(refused.value).startswith("the disk holding the database is full: nothing was saved")
    after, check = contents(path)
    assert (after, check) == (before, "ok")

    limit["pages"] = 10_000  # space is back
    desk.engine.dispose()
    assert cases.reply(desk, 40100, LONG_REPLY).version == 2
    assert queries.show_case(desk, 40100)["version"] == 2


def _mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MB file system of its own (tmpfs), unmounted afterwards."""
    point = tmp_path / "small"
    point.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small file system needs root")
    try:
        _mount("-t", "tmpfs", "-o", "size=2m,mode=0700", "tmpfs", str(point))
    except (subprocess.CalledProcessError, FileNotFoundError) as error:
        pytest.skip(f"cannot mount a tmpfs here: {error}")
    try:
        yield point
    finally:
        subprocess.run(["umount", "-l", str(point)], check=False)


def fill(directory: Path) -> Path:
    """Write a file until the file system has no room left."""
    filler = directory / "filler"
    handle = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while True:
            os.write(handle, b"\0" * 4096)
    except OSError as error:
        assert error.errno == 28  # ENOSPC
    finally:
        os.close(handle)
    return filler


def test_a_full_disk_refuses_the_reply_leaves_nothing_half_written_and_recovers(
    small_disk: Path,
) -> None:
    path = small_disk / "desk.db"
    desk = new_desk(path)
    try:
        before, _ = contents(path)
        filler = fill(small_disk)
        with pytest.raises(StorageError, match="the disk holding the database is full"):
            cases.reply(desk, 40100, LONG_REPLY)
        desk.engine.dispose()
        after, check = contents(path)
        assert (after, check) == (before, "ok")

        filler.unlink()  # space is back
        assert cases.reply(desk, 40100, LONG_REPLY).version == 2
    finally:
        desk.engine.dispose()


def test_a_read_only_file_system_refuses_the_note_and_the_desk_works_once_writable(
    small_disk: Path,
) -> None:
    path = small_disk / "desk.db"
    desk = new_desk(path)
    try:
        desk.engine.dispose()  # a file system with files open for writing cannot go read-only
        before, _ = contents(path)
        _mount("-o", "remount,ro", str(small_disk))
        with pytest.raises(StorageError, match="read-only") as refused:
            cases.note(desk, 40100, "checked the logs")
        assert "nothing was saved" in str(refused.value)
        desk.engine.dispose()
        _mount("-o", "remount,rw", str(small_disk))
        assert contents(path) == (before, "ok")
        assert cases.note(desk, 40100, "checked the logs").version == 2
    finally:
        desk.engine.dispose()


def test_the_command_line_says_the_disk_is_full_in_one_line_without_a_traceback(
    small_disk: Path,
) -> None:
    path = small_disk / "desk.db"
    console = new_desk(path)  # a console keeps the desk open meanwhile
    try:
        before, _ = contents(path)
        filler = fill(small_disk)
        code, out, err = invoke(["--db", str(path), "case", "reply", "40100", LONG_REPLY])
        assert (code, out) == (2, "")
        assert err.splitlines() == [
            "deskterm: the disk holding the database is full: nothing was saved; "
            "try again once that is fixed"
        ]
        assert contents(path) == (before, "ok")
        filler.unlink()
        code, _, err = invoke(["--db", str(path), "case", "reply", "40100", LONG_REPLY])
        assert code == 0, err
    finally:
        console.engine.dispose()


def test_a_desk_that_cannot_even_be_opened_on_a_full_disk_says_why_in_words(
    small_disk: Path,
) -> None:
    path = small_disk / "desk.db"
    new_desk(path).engine.dispose()  # nobody has it open: SQLite must make its -shm file
    fill(small_disk)
    code, out, err = invoke(["--db", str(path), "case", "note", "40100", "checked"])
    assert (code, out) == (2, "")
    [line] = err.splitlines()
    assert line.startswith("deskterm: cannot open the database sqlite:///")
    assert "OperationalError" not in line
    assert line.endswith(": the disk holding the database is full")


@pytest.mark.skipif(not os.environ.get("DESKTERM_TEST_PG"), reason="DESKTERM_TEST_PG not set")
def test_a_read_only_postgresql_server_refuses_the_note_in_one_sentence() -> None:
    from tests.desk.conftest import drop_pg_schema, pg_engine_in_fresh_schema

    engine, schema, admin = pg_engine_in_fresh_schema()
    try:
        upgrade(engine, MONDAY)
        desk = Desk(engine, PolicyCatalog(settings.policy_dirs()), "alice", now=lambda: MONDAY)
        directory.add_organization(desk, "Acme", "business-hours-3")
        cases.open_case(desk, organization="Acme", contact=None, severity=1, subject="down")
        # A replica or a server put in read-only mode: every transaction is read-only.
        read_only = make_engine(
            f"{engine.url.render_as_string(hide_password=False)}"
            "%20-cdefault_transaction_read_only%3Don"
        )
        reader = Desk(read_only, desk.policies, "alice", now=lambda: MONDAY)
        with pytest.raises(StorageError, match="only allows reading"):
            cases.note(reader, 40100, "checked the logs")
        read_only.dispose()
        assert queries.show_case(desk, 40100)["version"] == 1
    finally:
        engine.dispose()
        drop_pg_schema(schema, admin)


def test_every_new_engine_reports_storage_failures_even_where_an_old_one_lived() -> None:
    # SQLAlchemy files an engine's handle_error listener under id(engine) for as long
    # as the engine's dialect lives, and a dialect can outlive its engine (here: kept
    # in a list). A new engine at the dead one's address then looked as if it had the
    # listener already: CI saw a read-only server's refusal arrive as a traceback.
    # Collecting each engine at once lets CPython hand its address on (about one new
    # engine in ten got one here). What the worker holds when the test starts is set
    # aside for good, as tests/conftest.py does after collection (gc.freeze): each
    # collection then walks this test's objects, not the worker's whole heap (24 s of
    # CPU, 35 s of wall, for the 200 collections in a worker late in the suite).
    kept_dialects = []
    gc.collect()
    gc.freeze()
    for _ in range(200):
        engine = make_engine("sqlite://")
        Desk(engine, PolicyCatalog(settings.policy_dirs()), "alice", now=lambda: MONDAY)
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA query_only = ON")
            with pytest.raises(StorageError, match="read-only"):
                connection.exec_driver_sql("CREATE TABLE notes (body TEXT)")
        kept_dialects.append(engine.dialect)
        engine.dispose()
        del engine
        gc.collect()
