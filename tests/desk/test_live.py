"""Live updates: a change committed by another OS process is seen within a second,
on SQLite (data_version) and PostgreSQL (LISTEN/NOTIFY, payload number:version);
a lost PostgreSQL is reported, retried, and the desk reloaded when it is back."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from deskterm.desk import cases, directory
from deskterm.desk.context import Desk
from deskterm.store import changes as feed
from deskterm.store.changes import LOST, ChangeWatcher, parse_payload
from deskterm.store.engine import make_engine
from tests.desk.conftest import drop_pg_schema, pg_engine_in_fresh_schema
from tests.desk.heard import HEARD, heard_next, within
from tests.desk.tcp_proxy import TcpProxy

needs_pg = pytest.mark.skipif(
    not os.environ.get("DESKTERM_TEST_PG"), reason="DESKTERM_TEST_PG names no PostgreSQL"
)


def open_case(desk: Desk) -> int:
    return cases.open_case(
        desk, organization="Acme", contact="Bob Admin", severity=2, subject="Disk full"
    ).number


def url_of(desk: Desk) -> str:
    return desk.engine.url.render_as_string(hide_password=False)


def test_a_change_committed_by_another_process_is_seen(desk: Desk) -> None:
    number = open_case(desk)
    watcher = ChangeWatcher(desk.engine)
    try:
        assert watcher.changed() is False  # the starting point
        other = subprocess.run(
            [sys.executable, "-m", "deskterm", "--db", url_of(desk), "--as", "bob"]
            + ["case", "note", str(number), "seen from the other terminal"],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "DESKTERM_NOW": "2026-11-23T16:05:00Z"},
        )
        assert other.returncode == 0, other.stderr
        # Within a second on a quiet machine (the console asks every half second);
        # how soon is a matter for bench/live_bench.py, not for a test on a busy one.
        assert within(HEARD, watcher.changed)
        if desk.engine.dialect.name == "postgresql":
            assert (number, 2) in watcher.heard
        assert watcher.changed() is False  # heard once
    finally:
        watcher.close()


def test_nothing_committed_is_no_change(desk: Desk) -> None:
    open_case(desk)
    watcher = ChangeWatcher(desk.engine)
    try:
        watcher.changed()
        assert not within(0.3, watcher.changed)
    finally:
        watcher.close()


def test_what_changed_is_named_by_case_number_and_version(desk: Desk) -> None:
    first, second = open_case(desk), open_case(desk)
    watcher = ChangeWatcher(desk.engine)
    try:
        assert watcher.poll() is None  # the starting point
        cases.note(desk, first, "one")
        cases.note(desk, first, "two")
        cases.note(desk, second, "three")
        named: dict[int, int] = {}

        def heard_all() -> bool:
            # PostgreSQL may deliver the three notifications over several questions.
            change = watcher.poll()
            if change is not None:
                assert not change.unknown and not change.mail
                for number, version in change.cases.items():
                    named[number] = max(version, named.get(number, 0))
            return named == {first: 3, second: 2}

        assert within(HEARD, heard_all), named
        assert watcher.poll() is None  # heard once
    finally:
        watcher.close()


def test_a_change_that_names_no_case_is_unknown(desk: Desk) -> None:
    open_case(desk)
    watcher = ChangeWatcher(desk.engine)
    try:
        watcher.poll()
        directory.add_organization(desk, "Soylent Live", "business-hours-3")
        if desk.engine.dialect.name == "sqlite":
            changes = watcher.poll()
            assert changes is not None and changes.unknown and not changes.cases
        else:  # PostgreSQL announces case rows and the outbox only: as before
            assert not within(0.3, lambda: watcher.poll() is not None)
    finally:
        watcher.close()


def test_more_changes_than_are_worth_naming_are_unknown(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    if desk.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL names every case it is told of")
    monkeypatch.setattr(feed, "MOST_NAMED", 2)
    number = open_case(desk)
    watcher = ChangeWatcher(desk.engine)
    try:
        watcher.poll()
        for text_ in ("a", "b", "c"):
            cases.note(desk, number, text_)
        changes = watcher.poll()
        assert changes is not None and changes.unknown
        cases.note(desk, number, "d")  # and the next is named again, from the newest seen
        changes = watcher.poll()
        assert changes is not None and dict(changes.cases) == {number: 5}
    finally:
        watcher.close()


def test_the_payload_is_the_case_number_its_version_and_the_kinds_written() -> None:
    assert parse_payload("40100:7") == (40100, 7, None)
    assert parse_payload("40100:7:note") == (40100, 7, frozenset({"note"}))
    assert parse_payload("40100:7:assign,status") == (40100, 7, frozenset({"assign", "status"}))
    assert parse_payload("40100:7:") == (40100, 7, None)  # a version with no event
    assert parse_payload("garbage") is None


@needs_pg
def test_desks_in_other_schemas_of_the_same_database_are_not_heard(desk: Desk) -> None:
    if desk.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL channels")
    from deskterm.store.migrate import upgrade
    from tests.desk.conftest import MONDAY

    other, schema, admin = pg_engine_in_fresh_schema()
    try:
        upgrade(other, MONDAY)
        mine, theirs = ChangeWatcher(desk.engine), ChangeWatcher(other)
        mine.changed(), theirs.changed()
        assert mine.channel != theirs.channel
        open_case(desk)
        assert within(HEARD, mine.changed)
        assert not theirs.changed()
        mine.close(), theirs.close()
    finally:
        other.dispose()
        drop_pg_schema(schema, admin)


def kill_listener(desk: Desk, watcher: ChangeWatcher) -> int | None:
    """Terminate the backend `watcher` listens on, once it listens; its pid."""
    watcher.changed()
    pid = watcher.listener_pid()
    with desk.engine.begin() as connection:
        connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    return pid


@needs_pg
def test_a_killed_listening_connection_is_reported_and_reconnected(desk: Desk) -> None:
    if desk.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL reconnect")
    number = open_case(desk)
    watcher = ChangeWatcher(desk.engine)
    try:
        pid = kill_listener(desk, watcher)
        # A change made while nobody listens is not heard, so the reconnect itself
        # says "changed": the console reloads.
        cases.note(desk, number, "while the listener was gone")
        said: list[str | None] = []

        def poll() -> bool:
            changed = watcher.changed()
            said.append(watcher.problem)
            return changed

        assert within(HEARD, poll)
        assert LOST in said  # the console said so while it was away
        assert watcher.problem is None and watcher.listener_pid() != pid
    finally:
        watcher.close()


@needs_pg
@pytest.mark.parametrize(
    "refusal", ["TooManyConnections", "CannotConnectNow"], ids=["too-many-clients", "starting-up"]
)
def test_a_server_that_refuses_the_reconnection_is_reported_not_raised(
    desk: Desk, refusal: str
) -> None:
    """A server that answers a new connection with "too many clients already" (53300)
    or "the database system is starting up" (57P03): the desk's storage handler turns
    that into a StorageError, which is no reason for the console's monitor to end the
    console (it did); it cannot hear the desk for now, and says so."""
    if desk.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL reconnect")
    import psycopg.errors
    from sqlalchemy import event

    def refuse(*_: object) -> None:
        raise getattr(psycopg.errors, refusal)("the server refuses new connections")

    number = open_case(desk)
    watcher = ChangeWatcher(desk.engine)
    try:
        kill_listener(desk, watcher)
        desk.engine.dispose()  # no connection left in the pool: a new one is needed
        event.listen(desk.engine, "do_connect", refuse)
        try:
            # The listener is gone and no new one is let in: said, and said again.
            assert within(HEARD, lambda: (watcher.changed(), watcher.problem)[1] == LOST)
            for _ in range(3):
                assert watcher.changed() is False and watcher.problem == LOST
        finally:
            event.remove(desk.engine, "do_connect", refuse)
        cases.note(desk, number, "written while the server refused the watcher")
        assert within(HEARD, watcher.changed)  # let in again: reload
        assert watcher.problem is None
    finally:
        watcher.close()


@needs_pg
def test_a_server_away_for_a_while_is_reported_until_it_is_back(desk: Desk) -> None:
    if desk.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL reconnect")
    number = open_case(desk)
    real = make_url(url_of(desk))
    proxy = TcpProxy(real.host or "127.0.0.1", real.port or 5432)
    engine = make_engine(real.set(host="127.0.0.1", port=proxy.port).render_as_string(False))
    watcher = ChangeWatcher(engine)
    try:
        watcher.changed()
        proxy.cut()
        assert within(HEARD, lambda: (watcher.changed(), watcher.problem)[1] == LOST)
        cases.note(desk, number, "written while the watcher's server was away")
        for _ in range(3):  # still away: still reported, no exception
            assert watcher.changed() is False and watcher.problem == LOST
        proxy.restore()
        assert within(HEARD, watcher.changed)  # back: reload
        assert watcher.problem is None
        cases.note(desk, number, "and heard again")
        assert within(HEARD, watcher.changed)
        assert (number, 3) in watcher.heard  # opened 1, two notes
    finally:
        watcher.close()
        engine.dispose()
        proxy.close()


def test_the_feed_tells_a_note_from_a_change_that_moves_the_desks_figures(desk: Desk) -> None:
    """On both databases: a note made elsewhere costs a console no recount."""
    from deskterm.live.messages import DeskChanged

    number = open_case(desk)
    watcher = ChangeWatcher(desk.engine)
    try:
        assert watcher.poll() is None  # the starting point
        cases.note(desk, number, "Looked at the logs")
        heard = heard_next(watcher)
        assert heard is not None and heard.kinds == frozenset({"note"})
        assert dict(heard.cases) == {number: 2}
        quiet = DeskChanged(heard.cases, kinds=heard.kinds)
        assert quiet.figures_unchanged  # the counts and the board need not be read again
        cases.assign(desk, number, "bob")
        heard = heard_next(watcher)
        assert heard is not None and heard.kinds == frozenset({"assign"})
        moved = DeskChanged(heard.cases, kinds=heard.kinds)
        assert not moved.figures_unchanged
        assert not quiet.merged(moved).figures_unchanged
        assert not DeskChanged({number: 9}).figures_unchanged  # kinds not told: read again
        assert not DeskChanged(everything=True, kinds=frozenset({"note"})).figures_unchanged
    finally:
        watcher.close()


def test_a_case_row_written_without_an_event_is_not_taken_for_a_note(desk: Desk) -> None:
    """A write that bumps no version names no kinds (PostgreSQL) or no case (SQLite):
    either way the screens read again rather than keep figures that may have moved."""
    number = open_case(desk)
    cases.note(desk, number, "Looked at the logs")
    watcher = ChangeWatcher(desk.engine)
    try:
        assert watcher.poll() is None  # the starting point
        with desk.engine.begin() as connection:
            connection.execute(
                text("UPDATE cases SET assignee = 'carol' WHERE number = :n"), {"n": number}
            )
        heard = heard_next(watcher)
        assert heard is not None
        assert heard.unknown or heard.kinds is None
    finally:
        watcher.close()


def test_a_mail_sent_or_failed_moves_no_figure_on_either_database(desk: Desk) -> None:
    watcher = ChangeWatcher(desk.engine)
    try:
        assert watcher.poll() is None  # the starting point
        with desk.engine.begin() as connection:
            connection.execute(
                text("UPDATE counters SET value = value + 1 WHERE name = :n"),
                {"n": feed.OUTBOX_COUNTER},
            )
        heard = heard_next(watcher)
        assert heard is not None and heard.mail and not heard.cases
        assert heard.kinds == frozenset()
    finally:
        watcher.close()


class Recorder:
    """What the monitor needs of an app: somewhere to post."""

    def __init__(self) -> None:
        self.posted: list[object] = []

    def post_message(self, message: object) -> bool:
        self.posted.append(message)
        return True


def test_the_screens_hear_a_note_made_elsewhere_as_a_note_on_either_database(
    desk: Desk,
) -> None:
    """The same DeskChanged on SQLite and PostgreSQL: a note moves no figure, so the
    queue and the board count nothing again (screens/queue.py, screens/board.py)."""
    from deskterm.live.messages import DeskChanged
    from deskterm.live.monitor import DeskMonitor

    number = open_case(desk)
    recorder = Recorder()
    # The monitor only posts to its app: a recorder stands in for the Textual app.
    monitor = DeskMonitor(recorder, desk.engine)  # type: ignore[arg-type]  # see above
    try:
        monitor.watcher.poll()  # the starting point
        other = subprocess.run(
            [sys.executable, "-m", "deskterm", "--db", url_of(desk), "--as", "bob"]
            + ["case", "note", str(number), "seen from the other terminal"],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "DESKTERM_NOW": "2026-11-23T16:05:00Z"},
        )
        assert other.returncode == 0, other.stderr

        def posted() -> bool:
            monitor.ask()
            return bool(recorder.posted)

        assert within(HEARD, posted)
        (change,) = recorder.posted
        assert isinstance(change, DeskChanged)
        assert change.cases == {number: 2} and not change.everything
        assert change.figures_unchanged
    finally:
        monitor.stop()
