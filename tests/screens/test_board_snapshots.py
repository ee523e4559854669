"""What the breach board, the handoff and the SLA report look like: 80x24, 120x40, 160x48.

The seeded desk, the clock frozen at Monday 16:00 UTC and the viewer in UTC, so a
snapshot changes only when the picture does.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from textual.pilot import Pilot

from deskterm.screens.board import BoardScreen
from tests.screens.conftest import Seeded, make_app, settle, until

NARROW = (80, 24)
WIDE = (120, 40)
WALL = (160, 48)

Compare = Callable[..., bool]


def board_then(*pressed: str) -> Callable[[Pilot[Any]], Awaitable[None]]:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, BoardScreen)
        assert await until(pilot, lambda: screen.data is not None)
        await settle(pilot)
        if pressed:
            await pilot.press(*pressed)
            await until(pilot, lambda: getattr(pilot.app.screen, "found", None) is not None)
            await settle(pilot)

    return run_before


@pytest.mark.usefixtures("colour")
@pytest.mark.parametrize("size", [NARROW, WIDE, WALL], ids=["80x24", "120x40", "160x48"])
def test_board(snap_compare: Compare, seeded: Seeded, size: tuple[int, int]) -> None:
    app = make_app(seeded.desk, start="board", readonly=True)
    assert snap_compare(app, terminal_size=size, run_before=board_then())


@pytest.mark.parametrize("size", [NARROW, WIDE, WALL], ids=["80x24", "120x40", "160x48"])
def test_board_no_color(snap_compare: Compare, seeded: Seeded, size: tuple[int, int]) -> None:
    # The suite runs with NO_COLOR=1: alarms must read without colour (reverse, bold).
    app = make_app(seeded.desk, start="board", readonly=True)
    assert snap_compare(app, terminal_size=size, run_before=board_then())


@pytest.mark.usefixtures("colour")
@pytest.mark.parametrize("size", [NARROW, WIDE, WALL], ids=["80x24", "120x40", "160x48"])
def test_handoff(snap_compare: Compare, seeded: Seeded, size: tuple[int, int]) -> None:
    app = make_app(seeded.desk, start="board")
    assert snap_compare(app, terminal_size=size, run_before=board_then("h"))


@pytest.mark.usefixtures("colour")
@pytest.mark.parametrize("size", [NARROW, WIDE, WALL], ids=["80x24", "120x40", "160x48"])
def test_report(snap_compare: Compare, seeded: Seeded, size: tuple[int, int]) -> None:
    app = make_app(seeded.desk, start="board")
    assert snap_compare(app, terminal_size=size, run_before=board_then("s"))


@pytest.mark.parametrize("screen", ["h", "s"], ids=["handoff", "report"])
def test_handoff_and_report_no_color_80x24(
    snap_compare: Compare, seeded: Seeded, screen: str
) -> None:
    app = make_app(seeded.desk, start="board")
    assert snap_compare(app, terminal_size=NARROW, run_before=board_then(screen))
