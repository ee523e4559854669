"""The breach board and the handoff, read against the small seeded desk at Monday 16:00 UTC.

The seeded desk (tests/screens/conftest.py): Production down (Acme Sev 1, 30m left,
due 16:30), Login broken (Acme Sev 1, breached at 15:30), Slow reports (Initech P3,
24x7, due 19:00), Question about export (Acme Sev 3, waiting on the customer),
Disk full (Umbrella Sev 2, alice's, due Tue 00:00 UTC), Typo in docs (Umbrella Sev 3,
bob's, due Wed 00:00 UTC), Old thing (Initech P4, closed). Nobody holds a Sev 1.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from textual.pilot import Pilot
from textual.widgets import Digits, Static

from deskterm.desk import board, cases, handoff
from deskterm.desk.sweep import sweep
from deskterm.models import Case, Event
from deskterm.screens.board import BoardScreen, BreachCard, digits_left
from deskterm.screens.case import CaseScreen
from deskterm.screens.handoff import HandoffScreen
from deskterm.screens.queue import QueueScreen
from deskterm.screens.report import ReportScreen
from tests.screens.conftest import (
    DISK_FULL,
    DOCS_TYPO,
    EXPORT_QUESTION,
    LOGIN_BROKEN,
    ME,
    NOW,
    OLD_THING,
    PRODUCTION_DOWN,
    SLOW_REPORTS,
    Seeded,
    make_app,
    open_case,
    screen_lines,
    settle,
    until,
)

WIDE = (160, 48)
# Generous: waited on as a condition (a loaded machine is slow, not wrong).
LIVE_SECONDS = 10.0


# -- the numbers ------------------------------------------------------------------------------


def test_board_counts_load_and_forecast(seeded: Seeded) -> None:
    found = board.board(seeded.desk)
    counts = found.counts
    assert counts.open_by_severity == ((1, 2), (2, 1), (3, 3))
    assert counts.open == 6
    assert counts.breached == 1  # Login broken
    assert counts.within_1h == 1  # Production down, 16:30
    assert counts.within_4h == 2  # and Slow reports, 19:00
    assert counts.waiting == 1
    assert counts.unassigned_sev1 == 2
    # Support's deadlines ahead only: not the breached case, not the customer's clock.
    assert [row.number for row in found.next_cases] == [
        PRODUCTION_DOWN,
        SLOW_REPORTS,
        DISK_FULL,
        DOCS_TYPO,
    ]
    alice, bob = found.load
    assert (alice.engineer, alice.open, alice.sev1, alice.breached) == (ME, 1, 0, 0)
    # Disk full runs out at Monday's close in Denver, so it is due at Tuesday's opening
    # (16:00 UTC, the close rule of sla/calendar.py): a whole day away, beyond the board's.
    assert alice.next_due is None
    assert (bob.engineer, bob.open, bob.next_due) == ("bob", 1, None)  # due beyond a day
    # 16:30 in the first hour, 19:00 in the fourth; Tue 00:00 just past the eighth.
    assert found.forecast.per_hour == (1, 0, 0, 1, 0, 0, 0, 0)


def test_board_follows_the_clock_and_the_desk(seeded: Seeded) -> None:
    seeded.clock.advance(minutes=31)  # Production down breaches too
    cases.take(seeded.desk, PRODUCTION_DOWN)
    found = board.board(seeded.desk)
    assert found.counts.breached == 2
    assert found.counts.unassigned_sev1 == 1
    assert found.next_cases[0].number == SLOW_REPORTS
    assert found.load[0].engineer == ME
    assert (found.load[0].open, found.load[0].sev1, found.load[0].breached) == (2, 1, 1)


def test_a_case_assigned_or_escalated_reads_the_same_board_without_its_deadline_counts(
    seeded: Seeded,
) -> None:
    """What the board reads after a change that moves only holders (the live path of an
    assignment made elsewhere) is what a whole read says: no figure goes stale."""
    before = board.board(seeded.desk)
    cases.take(seeded.desk, PRODUCTION_DOWN)  # a Sev 1 nobody held: unassigned Sev 1 moves
    cases.assign(seeded.desk, LOGIN_BROKEN, "bob")  # the breached case: late per engineer
    cases.escalate(seeded.desk, SLOW_REPORTS, "Needs engineering")
    assert board.holders_moved(seeded.desk, before) == board.board(seeded.desk)


def test_the_queue_header_counts_after_an_assignment_are_those_of_a_whole_count(
    seeded: Seeded,
) -> None:
    from deskterm.desk.queue import Queue

    queue = Queue(seeded.desk)
    before = queue.counts(seeded.desk.now())
    cases.take(seeded.desk, PRODUCTION_DOWN)
    cases.assign(seeded.desk, LOGIN_BROKEN, "bob")
    assert queue.counts_holders_moved(before) == queue.counts(seeded.desk.now())
    assert queue.counts_holders_moved(before).unassigned_sev1 == 0  # both Sev 1 now held


def test_only_holders_notes_and_the_like_leave_the_deadlines_as_they_were() -> None:
    from deskterm.live.messages import DeskChanged

    assert DeskChanged({40100: 3}, kinds=frozenset({"assign"})).deadlines_unchanged
    assert DeskChanged({40100: 3}, kinds=frozenset({"escalate", "note"})).deadlines_unchanged
    assert not DeskChanged({40100: 3}, kinds=frozenset({"assign"})).figures_unchanged
    for moving in ("status", "severity", "reply", "customer-reply", "scheduled", "policy"):
        assert not DeskChanged({40100: 3}, kinds=frozenset({"assign", moving})).deadlines_unchanged
    assert not DeskChanged({40100: 3}).deadlines_unchanged  # kinds not told
    assert not DeskChanged(everything=True, kinds=frozenset({"assign"})).deadlines_unchanged


def test_handoff_sections(seeded: Seeded) -> None:
    sweep(seeded.desk)  # records the breach of Login broken
    cases.escalate(seeded.desk, DISK_FULL, "needs the product team")
    found = handoff.handoff(seeded.desk, timedelta(hours=8))
    assert found.since == NOW - timedelta(hours=8) and found.until == NOW

    def numbers(key: str) -> list[int]:
        return [item.number for item in found.section(key).items]

    assert found.section("came_in").total == 7
    assert numbers("came_in")[:2] == [LOGIN_BROKEN, SLOW_REPORTS]  # an hour ago, first
    assert numbers("breached") == [LOGIN_BROKEN]
    assert found.section("breached").items[0].detail == "first response"
    assert numbers("resolved") == [OLD_THING]
    assert found.section("resolved").items[0].detail == f"closed by {ME}"
    # The next 8 hours, to 24:00 UTC: Disk full (Tue 00:00) is just beyond.
    assert numbers("falls_due") == [PRODUCTION_DOWN, SLOW_REPORTS]
    assert numbers("sev1") == [LOGIN_BROKEN, PRODUCTION_DOWN]
    assert "breach" in found.section("sev1").items[0].detail  # its last update
    assert numbers("escalations") == [DISK_FULL]
    assert found.section("escalations").items[0].detail == (
        "product-support-engineer: needs the product team"
    )
    text = handoff.markdown(found)
    assert "## Breached (1)" in text and "## Came in (7)" in text
    assert "| 40101 | 1 | Acme | Login broken | UNASSIGNED |" in text
    assert found.json()["sections"]["falls_due"]["total"] == 2


def test_a_case_resolved_then_closed_is_handed_over_once(seeded: Seeded) -> None:
    cases.move(seeded.desk, DOCS_TYPO, "resolved-pending-confirmation")
    seeded.clock.advance(minutes=5)
    cases.move(seeded.desk, DOCS_TYPO, "closed")
    resolved = handoff.handoff(seeded.desk).section("resolved")
    assert resolved.total == 2
    assert [(i.number, i.detail) for i in resolved.items] == [
        (OLD_THING, f"closed by {ME}"),
        (DOCS_TYPO, f"closed by {ME}"),
    ]


def test_handoff_markdown_keeps_table_cells_whole(seeded: Seeded) -> None:
    open_case(seeded.desk, "Acme", 2, "pipes | in | subject\nand a newline")
    text = handoff.markdown(handoff.handoff(seeded.desk))
    line = next(line for line in text.splitlines() if "pipes" in line)
    assert "pipes \\| in \\| subject" in line and line.count(" | ") == 6


def test_large_digits_text() -> None:
    assert digits_left(timedelta(minutes=29, seconds=59)) == "0:29:59"
    assert digits_left(timedelta(hours=-1, minutes=-5)) == "-1:05:00"
    assert digits_left(timedelta(days=9)) == "99:59:59"
    assert digits_left(None) == "--:--"


# -- on screen --------------------------------------------------------------------------------


async def open_board(pilot: Pilot[Any]) -> BoardScreen:
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, BoardScreen)
    assert await until(pilot, lambda: screen.data is not None)
    await settle(pilot)
    return screen


def cards(app: Any) -> list[BreachCard]:
    return [card for card in app.screen.query(BreachCard) if card.row is not None]


async def test_b_opens_the_board_and_esc_goes_back(seeded: Seeded) -> None:
    app = make_app(seeded.desk)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await pilot.press("b")
        await open_board(pilot)
        first = cards(app)[0]
        assert first.row is not None and first.row.number == PRODUCTION_DOWN
        assert first.query_one(Digits).value == "0:30:00"
        assert first.has_class("-warning")
        text = "\n".join(screen_lines(app))
        assert "UNASSIGNED" in text and "breached 1" in text and "unassigned Sev 1 2" in text
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)


async def test_a_card_a_business_day_or_more_away_names_its_due_day_and_time(
    seeded: Seeded,
) -> None:
    # Disk full: eight business hours, a whole Denver business day, due Tuesday 16:00
    # UTC (the viewer's zone here). Its large digits count business hours; the card
    # says when that is, as the queue does (issue 16, item 9).
    app = make_app(seeded.desk, start="board")
    async with app.run_test(size=WIDE) as pilot:
        await open_board(pilot)
        card = next(card for card in cards(app) if card.row and card.row.number == DISK_FULL)
        label = str(card.query_one(".card-label", Static).render())
        assert "due Tue 24 Nov 16:00" in label, label
        near = cards(app)[0]
        assert "due" not in str(near.query_one(".card-label", Static).render())


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
async def test_a_far_cards_due_day_and_time_is_never_cut(
    seeded: Seeded, size: tuple[int, int]
) -> None:
    # Unassigned, the card's second line is long ("UNASSIGNED  first response"):
    # the due day and time must still show whole at 120 columns, and at 80 (the
    # subject is what a narrow card gives up). It was cut: `due Tue 24 …` (issue 16).
    cases.assign(seeded.desk, DISK_FULL, None)
    app = make_app(seeded.desk, start="board")
    async with app.run_test(size=size) as pilot:
        await open_board(pilot)
        card = next(card for card in cards(app) if card.row and card.row.number == DISK_FULL)
        lines = screen_lines(app)[card.region.y : card.region.y + card.region.height]
        assert any("due Tue 24 Nov 16:00 " in line for line in lines), lines
        assert "UNASSIGNED" in lines[1], lines


async def test_after_a_resize_the_load_table_fits_the_new_width(seeded: Seeded) -> None:
    # From 120 to 80 columns: the side column's table was laid out for the old width
    # and wrapped (`S1` on one line, `late  next` on the next) until the next read.
    app = make_app(seeded.desk, start="board")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_board(pilot)

        def fits() -> bool:
            return any("S1 late  next" in line for line in screen_lines(app))

        assert fits()
        await pilot.resize_terminal(80, 24)
        assert await until(pilot, fits), "\n".join(screen_lines(app))
        await pilot.resize_terminal(120, 40)
        assert await until(pilot, fits), "\n".join(screen_lines(app))


async def test_the_countdowns_tick_and_a_change_shows_within_a_second(seeded: Seeded) -> None:
    app = make_app(seeded.desk, start="board")
    async with app.run_test(size=WIDE) as pilot:
        await open_board(pilot)
        seeded.clock.advance(minutes=10, seconds=20)
        digits = cards(app)[0].query_one(Digits)
        assert await until(pilot, lambda: digits.value == "0:19:40")
        # Another user takes the soonest case: its card names them.
        cases.take(seeded.as_user("bob"), PRODUCTION_DOWN)
        assert await until(
            pilot,
            lambda: "bob" in str(cards(app)[0].query_one(".card-label", Static).render()),
            LIVE_SECONDS,
        )


async def test_h_and_s_open_the_handoff_and_the_report(seeded: Seeded) -> None:
    app = make_app(seeded.desk, start="board")
    async with app.run_test(size=WIDE) as pilot:
        await open_board(pilot)
        await pilot.press("h")

        def painted() -> str:
            return "\n".join(screen_lines(app))

        # Found, then painted: wait for the paint, which comes a message later.
        assert await until(
            pilot,
            lambda: (
                isinstance(app.screen, HandoffScreen)
                and bool(app.screen.found)
                and "Came in (7)" in painted()
            ),
        )
        text = painted()
        assert "Came in (7)" in text and "Falls due next shift (2)" in text
        await pilot.press("escape", "s")
        assert await until(
            pilot,
            lambda: (
                isinstance(app.screen, ReportScreen)
                and bool(app.screen.found)
                and "First response met %" in painted()
            ),
        )
        text = painted()
        assert "First response met %" in text and "All" in text
        # Received, met and missed beside the met %.
        assert all(title in text for title in ("Recv", "Met", "Missed", "Met %")), text


async def test_after_a_resize_the_reports_charts_fit_the_new_width(seeded: Seeded) -> None:
    # From 120 to 80 columns: the bars were drawn for 120 and wrapped, a percentage
    # alone on the next line, until the report was computed again.
    app = make_app(seeded.desk, start="board")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_board(pilot)
        await pilot.press("s")
        assert await until(pilot, lambda: isinstance(app.screen, ReportScreen) and app.screen.found)

        def fits() -> bool:
            lines = screen_lines(app)
            chart = next(i for i, line in enumerate(lines) if "First response met %" in line)
            return not any(re.fullmatch(r"\s*[\d.]+%\s*", line) for line in lines[chart:])

        await settle(pilot)
        assert fits(), "\n".join(screen_lines(app))
        await pilot.resize_terminal(80, 24)
        assert await until(pilot, fits), "\n".join(screen_lines(app))


def desk_state(seeded: Seeded) -> tuple[int, int]:
    with seeded.desk.engine.connect() as connection:
        events = connection.execute(select(func.count()).select_from(Event)).scalar_one()
        versions = connection.execute(select(func.sum(Case.version))).scalar_one()
    return events, versions


READONLY_SCREENS = {
    "board": lambda desk: BoardScreen(desk, readonly=True),
    "queue": lambda desk: QueueScreen(desk, readonly=True),
    "case": lambda desk: CaseScreen(desk, PRODUCTION_DOWN, readonly=True),
    "handoff": lambda desk: HandoffScreen(desk),
    "report": lambda desk: ReportScreen(desk),
}


@pytest.mark.parametrize("name", READONLY_SCREENS)
async def test_readonly_refuses_every_data_changing_key(seeded: Seeded, name: str) -> None:
    """`deskterm board --readonly`: every key of every screen pressed, the desk unchanged."""
    before = desk_state(seeded)
    make = READONLY_SCREENS[name]
    app = make_app(seeded.desk, readonly=True, start="board")
    async with app.run_test(size=WIDE) as pilot:
        await open_board(pilot)
        base = len(app.screen_stack)
        screen = make(seeded.desk)
        app.push_screen(screen)
        await settle(pilot)
        pressed = 0
        said: set[str] = set()
        for binding in list(screen.BINDINGS):
            if binding.action.startswith("app.quit"):
                continue
            for key in binding.key.split(","):
                if screen not in app.screen_stack:  # the key closed it: a fresh one
                    screen = make(seeded.desk)
                    app.push_screen(screen)
                    await settle(pilot)
                while app.screen is not screen:  # the key opened another: back
                    app.pop_screen()
                await pilot.pause()
                await pilot.press(key)
                await pilot.pause()
                pressed += 1
                said.update(n.message for n in app._notifications)
        await settle(pilot)
        while len(app.screen_stack) > base:
            app.pop_screen()
        await settle(pilot)
        assert pressed >= 4
        if name in ("queue", "case"):  # the screens with keys that would change data
            assert any("read-only" in message for message in said)
    assert desk_state(seeded) == before


async def test_board_without_open_cases_says_so(seeded: Seeded) -> None:
    for number in (PRODUCTION_DOWN, LOGIN_BROKEN, SLOW_REPORTS, EXPORT_QUESTION, DISK_FULL):
        cases.move(seeded.desk, number, "closed")
    cases.move(seeded.desk, DOCS_TYPO, "closed")
    app = make_app(seeded.desk, start="board")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_board(pilot)
        assert cards(app) == []
        assert "nobody holds an open case" in "\n".join(screen_lines(app))


async def test_the_palette_offers_the_board_the_handoff_and_the_report(seeded: Seeded) -> None:
    app = make_app(seeded.desk)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert {"Breach board", "Handoff", "SLA report"} <= set(titles)
        board_command = next(
            c for c in app.get_system_commands(app.screen) if c.title == "Breach board"
        )
        board_command.callback()
        await open_board(pilot)
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert "Board: Handoff" in titles and "Board: SLA report" in titles
