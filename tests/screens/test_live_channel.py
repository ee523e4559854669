"""The live-desk channel: one monitor per console tells the screens what changed
(`DeskChanged`, with case numbers and versions) and whether the database can be
reached (`ConnectionLost`, `ConnectionBack`); each screen reads again only what
the change touches."""

from __future__ import annotations

from typing import Any

import pytest
from textual.message import Message

from deskterm.desk import cases
from deskterm.live.messages import ConnectionBack, ConnectionLost, DeskChanged
from deskterm.live.monitor import DeskMonitor
from deskterm.screens import queue as queue_screen
from deskterm.screens.case import CaseScreen
from deskterm.screens.connection import AWAY_TITLE, BACK
from deskterm.store.changes import LOST, Changes
from deskterm.widgets import queue_table

from .conftest import (
    LOGIN_BROKEN,
    PRODUCTION_DOWN,
    SLOW_REPORTS,
    Seeded,
    make_app,
    settle,
    shown_numbers,
    until,
)
from .test_case import WIDE, open_case, screen_text

# Generous: a condition waited on, never a pause; a loaded machine is slow, not wrong.
HEARD_SECONDS = 10


class Recorder:
    """What the monitor needs of an app: somewhere to post."""

    def __init__(self) -> None:
        self.posted: list[Message] = []

    def post_message(self, message: Message) -> bool:
        self.posted.append(message)
        return True


def test_the_monitor_names_the_cases_and_versions_that_changed(seeded: Seeded) -> None:
    recorder = Recorder()
    monitor = DeskMonitor(recorder, seeded.desk.engine)  # type: ignore[arg-type]
    try:
        monitor.watcher.poll()  # the starting point
        bob = seeded.as_user("bob")
        cases.note(bob, SLOW_REPORTS, "looked at it")
        cases.note(bob, SLOW_REPORTS, "and again")
        cases.note(bob, LOGIN_BROKEN, "this one too")
        monitor.ask()
        (change,) = recorder.posted
        assert isinstance(change, DeskChanged)
        assert change.cases == {SLOW_REPORTS: 3, LOGIN_BROKEN: 2}
        assert not change.everything and not change.mail
        assert change.touches(SLOW_REPORTS) and not change.touches(PRODUCTION_DOWN)
        monitor.ask()
        assert len(recorder.posted) == 1  # nothing more: nothing posted
    finally:
        monitor.stop()


def test_the_monitor_says_once_that_the_database_is_lost_and_once_that_it_is_back(
    seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder = Recorder()
    monitor = DeskMonitor(recorder, seeded.desk.engine)  # type: ignore[arg-type]
    # What the feed answers while the server is away, when it is back, and after.
    answers: list[tuple[str | None, Changes | None]] = [
        (LOST, None),
        (LOST, None),
        (None, Changes(unknown=True)),  # back: what was said meanwhile was not heard
        (None, None),
    ]

    def poll() -> Changes | None:
        problem, change = answers.pop(0)
        monitor.watcher.problem = problem
        return change

    monkeypatch.setattr(monitor.watcher, "poll", poll)
    for _ in range(4):
        monitor.ask()
    kinds = [type(message) for message in recorder.posted]
    assert kinds == [ConnectionLost, ConnectionBack, DeskChanged]
    lost = recorder.posted[0]
    assert isinstance(lost, ConnectionLost) and lost.problem == LOST
    back_change = recorder.posted[2]
    assert isinstance(back_change, DeskChanged) and back_change.everything
    monitor.stop()


def test_changes_heard_while_hidden_add_up() -> None:
    one = DeskChanged({40100: 2, 40101: 3})
    two = DeskChanged({40100: 4}, mail=True)
    both = one.merged(two)
    assert both.cases == {40100: 4, 40101: 3} and both.mail and not both.everything
    assert one.merged(DeskChanged(everything=True)).everything


async def test_the_console_announces_a_lost_database_and_its_return(seeded: Seeded) -> None:
    app = make_app(seeded.desk)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        app.post_message(ConnectionLost(LOST))
        assert await until(pilot, lambda: any(n.title == AWAY_TITLE for n in app._notifications))
        said = next(n.message for n in app._notifications if n.title == AWAY_TITLE)
        assert "reconnecting" in said and said.startswith("Lost the connection")
        app.post_message(ConnectionBack())
        assert await until(pilot, lambda: any(BACK in n.message for n in app._notifications))
        assert not any(n.title == AWAY_TITLE for n in app._notifications)


async def test_a_storage_failure_a_worker_meets_is_one_notice_and_the_console_goes_on(
    seeded: Seeded,
) -> None:
    """Not only a lost server: any storage failure (a full disk, a server that lets no
    new connection in) that reaches the app from a worker is said, not a crash."""
    from deskterm.desk.errors import StorageError
    from deskterm.screens.connection import FAILED_TITLE

    problem = "the disk holding the database is full: nothing was saved"

    def fails() -> None:
        raise StorageError(problem)

    app = make_app(seeded.desk)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        app.run_worker(fails, thread=True)
        assert await until(
            pilot,
            lambda: (
                any(n.title == FAILED_TITLE for n in app._notifications)
                or app.return_code is not None
            ),
        )
        assert app.is_running and app.return_code is None
        assert [n.message for n in app._notifications if n.title == FAILED_TITLE] == [problem]


async def test_the_monitor_asks_one_question_at_a_time(seeded: Seeded) -> None:
    """On PostgreSQL the monitor asks in a thread every half second; a question that
    takes longer (a reconnection to a loaded or restarting server) must not have a
    second one asked beside it on the same watcher: Textual's `exclusive` cancels a
    thread worker's task, not its thread, and two threads would then share (and drop)
    the one LISTENing connection."""
    import threading

    app = make_app(seeded.desk)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        monitor = app.monitor
        monitor.stop()  # no timer: the test asks
        release = threading.Event()
        asking: list[int] = []  # questions under way, as each one starts
        lock = threading.Lock()
        running = 0

        def slow_poll() -> Changes | None:
            nonlocal running
            with lock:
                running += 1
                asking.append(running)
            release.wait(10)
            with lock:
                running -= 1
            return None

        monitor.watcher.poll = slow_poll  # type: ignore[method-assign]  # a slow server
        monitor._in_thread = True  # as on PostgreSQL
        monitor.poll()
        assert await until(pilot, lambda: asking == [1])
        monitor.poll()  # the next ticks, while the first question waits
        monitor.poll()
        # No second question under way, nor waiting to start beside the first.
        assert [w.group for w in app.workers].count("desk-monitor") == 1
        release.set()
        await settle(pilot)
        monitor.poll()  # answered: the next question is asked
        await settle(pilot)
        assert asking == [1, 1]


@pytest.fixture
def small_pages(monkeypatch: pytest.MonkeyPatch) -> int:
    """Pages of 20 rows: the sixty-case queue is then longer than the rows held."""
    monkeypatch.setattr(queue_table, "PAGE", 20)
    monkeypatch.setattr(queue_screen, "PAGE", 20)
    return 20


async def test_a_change_to_a_case_far_below_the_rows_held_reads_no_rows(
    long_queue: Seeded, small_pages: int
) -> None:
    app = make_app(long_queue.desk)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, queue_screen.QueueScreen)
        held = screen.table.loaded_from_top()
        assert held is not None and 0 < len(held) < 60
        pages: list[int] = []
        applied: list[DeskChanged] = []
        real_page, real_apply = screen.source.page, screen._apply

        def page(start: int, limit: int) -> Any:
            pages.append(start)
            return real_page(start, limit)

        def apply(change: DeskChanged) -> None:
            applied.append(change)
            real_apply(change)

        screen.source.page = page  # type: ignore[method-assign]
        screen._apply = apply  # type: ignore[method-assign]
        bob = long_queue.as_user("bob")
        last = 40159  # due last: far below the rows held
        cases.note(bob, last, "nothing urgent")
        assert await until(
            pilot, lambda: last in {n for a in applied for n in a.cases}, HEARD_SECONDS
        )
        await settle(pilot)
        assert pages == []  # no row read again
        first = shown_numbers(app)[0]
        cases.assign(bob, first, "bob")  # a row shown: read again, and shows it
        assert await until(
            pilot, lambda: first in {n for a in applied for n in a.cases}, HEARD_SECONDS
        )
        await settle(pilot)
        assert pages != []


async def test_a_case_screen_reads_again_only_for_its_own_case(seeded: Seeded) -> None:
    app = make_app(seeded.desk)
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_case(pilot, PRODUCTION_DOWN)
        reads: list[int] = []
        real_read = screen._read

        def read() -> Any:
            reads.append(1)
            return real_read()

        screen._read = read  # type: ignore[method-assign]
        (queue,) = [s for s in app.screen_stack if isinstance(s, queue_screen.QueueScreen)]
        bob = seeded.as_user("bob")
        cases.note(bob, SLOW_REPORTS, "another case")
        # The queue beneath hears it too, and keeps it for when it shows again.
        assert await until(pilot, lambda: queue._pending is not None, HEARD_SECONDS)
        await settle(pilot)
        assert reads == []
        cases.note(bob, PRODUCTION_DOWN, "this case")
        assert await until(pilot, lambda: reads != [], HEARD_SECONDS)
        assert isinstance(app.screen, CaseScreen)


async def test_a_change_to_the_case_shown_lays_out_only_its_news_line_the_first_time(
    seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A new layout repaints every widget of the screen (most of the cost of a change
    # to the case on screen): the timeline grows and its tab's count moves in place,
    # the header keeps its set height, and the news line appears once, at the first
    # change; after that a change lays nothing out.
    from textual.widget import Widget

    app = make_app(seeded.desk)
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_case(pilot, PRODUCTION_DOWN)
        laid_out: list[str] = []
        real = Widget.refresh

        def refresh(widget: Widget, *regions: Any, layout: bool = False, **kw: Any) -> Any:
            if layout:
                laid_out.append(f"{type(widget).__name__}#{widget.id}")
            return real(widget, *regions, layout=layout, **kw)

        async def noted(text: str) -> list[str]:
            assert screen.file is not None
            version = screen.file.version
            laid_out.clear()
            cases.note(seeded.as_user("bob"), PRODUCTION_DOWN, text)
            assert await until(
                pilot, lambda: screen.file is not None and screen.file.version != version, 10
            )
            await settle(pilot)
            return list(laid_out)

        monkeypatch.setattr(Widget, "refresh", refresh)
        first, second = await noted("this case"), await noted("and again")
        monkeypatch.undo()
        # (the first time, the widgets the news line makes shorter are sized again)
        assert first[0] == "Static#case-news"
        assert second == []
        assert "and again" in screen_text(app)


def with_a_long_timeline(seeded: Seeded) -> Any:
    """Production down with a timeline longer than the screen; bob, who wrote it."""
    bob = seeded.as_user("bob")
    for n in range(30):
        cases.note(bob, PRODUCTION_DOWN, f"earlier note {n}")
    return bob


async def timeline_open(pilot: Any) -> tuple[CaseScreen, Any]:
    """Production down's case screen, loaded, and its timeline."""
    from deskterm.widgets.document import Document

    screen = await open_case(pilot, PRODUCTION_DOWN)
    return screen, screen.query_one("#timeline-doc", Document)


async def test_a_change_to_the_case_shown_reads_and_adds_only_its_new_entries(
    seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A change made elsewhere to the case on screen costs what it wrote: its events are
    # read (not the whole timeline again) and added after those shown, and the engineer
    # reading an older entry stays where they are; at the end, the view follows.
    from deskterm.desk import case_file

    bob = with_a_long_timeline(seeded)
    app = make_app(seeded.desk)
    async with app.run_test(size=WIDE) as pilot:
        screen, document = await timeline_open(pilot)
        shown = len(document.blocks)
        await pilot.press("g")  # reading the first entry
        await settle(pilot)
        assert document.scroll_offset.y == 0 and document.max_scroll_y > 0
        read: list[int] = []
        real_entries = case_file._entries

        def entries(*args: Any) -> Any:
            found = real_entries(*args)
            read.append(len(found))
            return found

        monkeypatch.setattr(case_file, "_entries", entries)
        version = screen.file.version if screen.file else 0
        cases.note(bob, PRODUCTION_DOWN, "written elsewhere")
        assert await until(
            pilot, lambda: screen.file is not None and screen.file.version > version, 10
        )
        await settle(pilot)
        assert read == [1]  # the new note, not the 30 before it
        assert len(document.blocks) == shown + 1
        assert "written elsewhere" in document.blocks[-1].body
        assert document.scroll_offset.y == 0  # still on the first entry
        assert app.focused is document
        await pilot.press("G")  # at the end: the next entry comes into view
        await settle(pilot)
        version = screen.file.version if screen.file else 0
        cases.note(bob, PRODUCTION_DOWN, "and another")
        assert await until(
            pilot, lambda: screen.file is not None and screen.file.version > version, 10
        )
        await settle(pilot)
        assert "and another" in document.blocks[-1].body
        assert document.scroll_offset.y == document.max_scroll_y > 0


async def test_the_view_at_the_end_follows_the_newest_entry_when_the_news_line_appears(
    seeded: Seeded,
) -> None:
    # The first change by someone else adds an entry and the news line, which makes the
    # timeline a line shorter: a view on the newest entry stays on it.
    bob = with_a_long_timeline(seeded)
    app = make_app(seeded.desk)
    async with app.run_test(size=WIDE) as pilot:
        screen, document = await timeline_open(pilot)
        assert document.scroll_offset.y == document.max_scroll_y > 0
        assert screen.file is not None
        version = screen.file.version
        cases.note(bob, PRODUCTION_DOWN, "the newest")
        assert await until(pilot, lambda: "Changed by others (1 change" in screen_text(app), 10)
        await settle(pilot)
        assert screen.file.version > version
        assert document.scroll_offset.y == document.max_scroll_y
        assert "the newest" in screen_text(app)


async def test_a_change_heard_beneath_the_case_shown_repaints_no_more_than_it_changed(
    seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The queue beneath the case screen hears every change too. Nothing of it shows
    # under the case screen: were it repainted, it would repaint the whole terminal
    # above it (every cell of the screen written again over SSH, for a new note).
    from textual._compositor import Compositor

    app = make_app(seeded.desk)
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_case(pilot, PRODUCTION_DOWN)
        whole: list[int] = []
        real = Compositor.render_full_update

        def render_full_update(compositor: Compositor, *args: Any, **kw: Any) -> Any:
            whole.append(1)
            return real(compositor, *args, **kw)

        monkeypatch.setattr(Compositor, "render_full_update", render_full_update)
        bob = seeded.as_user("bob")
        version = screen.file.version if screen.file else 0
        cases.note(bob, PRODUCTION_DOWN, "first")
        cases.note(bob, PRODUCTION_DOWN, "second")
        assert await until(
            pilot, lambda: screen.file is not None and screen.file.version >= version + 2, 10
        )
        await settle(pilot)
        assert whole == []
        assert "second" in screen_text(app)
