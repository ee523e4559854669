"""What the queue, its help and a case look like, at 120x40 and at 80x24.

The clock is frozen (DESKTERM_NOW and the desk's own clock), the viewer sits in
UTC, the desk is the same small one every time and the input cursor does not
blink, so a snapshot changes only when the picture does. Every key is pressed in
`run_before`, which then waits for the background counts: the picture is taken
once the screen has settled.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from textual import constants
from textual.pilot import Pilot
from textual.widgets import Input

from deskterm.app import DesktermApp
from tests.screens.conftest import Seeded, make_app, settle

WIDE = (120, 40)
NARROW = (80, 24)

Compare = Callable[..., bool]


def keys(*pressed: str) -> Callable[[Pilot[Any]], Awaitable[None]]:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False
        await pilot.press(*pressed)
        await settle(pilot)
        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False

    return run_before


def app_on(seeded: Seeded) -> DesktermApp:
    return make_app(seeded.desk)


@pytest.mark.usefixtures("colour")
def test_queue_120x40(snap_compare: Compare, seeded: Seeded) -> None:
    assert snap_compare(app_on(seeded), terminal_size=WIDE, run_before=keys())


@pytest.mark.usefixtures("colour")
def test_queue_80x24(snap_compare: Compare, seeded: Seeded) -> None:
    assert snap_compare(app_on(seeded), terminal_size=NARROW, run_before=keys())


@pytest.mark.usefixtures("colour")
def test_queue_filtered_120x40(snap_compare: Compare, seeded: Seeded) -> None:
    run_before = keys("slash", *"org:acme", "enter")
    assert snap_compare(app_on(seeded), terminal_size=WIDE, run_before=run_before)


@pytest.mark.usefixtures("colour")
def test_queue_search_by_relevance_80x24(snap_compare: Compare, seeded: Seeded) -> None:
    """A search's rows best match first: the header says so, the footer offers R back."""
    run_before = keys("slash", *"acme", "enter", "R")
    assert snap_compare(app_on(seeded), terminal_size=NARROW, run_before=run_before)


def test_queue_search_all_cases_no_color_80x24(snap_compare: Compare, seeded: Seeded) -> None:
    """ "All cases": open and closed together, each row's match marked without colour."""
    run_before = keys("7", "slash", *"thing", "enter")
    assert snap_compare(app_on(seeded), terminal_size=NARROW, run_before=run_before)


@pytest.mark.usefixtures("colour")
def test_queue_filter_problem_80x24(snap_compare: Compare, seeded: Seeded) -> None:
    run_before = keys("slash", *"sev:x")
    assert snap_compare(app_on(seeded), terminal_size=NARROW, run_before=run_before)


@pytest.mark.usefixtures("colour")
def test_help_120x40(snap_compare: Compare, seeded: Seeded) -> None:
    assert snap_compare(app_on(seeded), terminal_size=WIDE, run_before=keys("question_mark"))


@pytest.mark.usefixtures("colour")
def test_help_80x24(snap_compare: Compare, seeded: Seeded) -> None:
    assert snap_compare(app_on(seeded), terminal_size=NARROW, run_before=keys("question_mark"))


def test_queue_no_color_80x24(
    snap_compare: Compare, seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Breached, warning and healthy rows told apart by their marks alone.
    monkeypatch.setenv("NO_COLOR", "1")
    app = app_on(seeded)
    assert app.no_color
    assert snap_compare(app, terminal_size=NARROW, run_before=keys())


def test_queue_no_color_120x40(snap_compare: Compare, seeded: Seeded) -> None:
    # NO_COLOR (the suite's default): the breached row bold and underlined, the
    # selection in reverse video, never a dimmer grey.
    assert snap_compare(app_on(seeded), terminal_size=WIDE, run_before=keys())


def test_help_no_color_80x24(snap_compare: Compare, seeded: Seeded) -> None:
    assert snap_compare(app_on(seeded), terminal_size=NARROW, run_before=keys("question_mark"))


@pytest.mark.usefixtures("colour")
def test_queue_sixteen_colours_80x24(
    snap_compare: Compare, seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    # TERM=xterm: the breached row bold and underlined in red, the warning yellow,
    # the selection (on the breached row) reverse video. The picture is in true
    # colour (the terminal would get the nearest of its 16).
    monkeypatch.setattr(constants, "COLOR_SYSTEM", "standard")
    app = app_on(seeded)
    assert app.has_class("-sixteen-colours")
    assert snap_compare(app, terminal_size=NARROW, run_before=keys())
