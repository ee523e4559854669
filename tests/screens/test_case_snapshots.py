"""What the case screen looks like, at 120x40 and 80x24, in colour and without.

The case is Acme's Sev 1 "Production down" with a short history: a reply, a
note, a phone call, a move to waiting and an escalation. The clock is frozen,
so the countdowns are the same in every run.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from textual.pilot import Pilot

from deskterm.app import DesktermApp
from deskterm.desk import cases
from deskterm.screens.case import CaseScreen
from tests.screens.conftest import PRODUCTION_DOWN, Seeded, make_app, settle, until

WIDE = (120, 40)
NARROW = (80, 24)

Compare = Callable[..., bool]


@pytest.fixture
def worked(seeded: Seeded) -> Seeded:
    desk, number = seeded.desk, PRODUCTION_DOWN
    cases.take(desk, number)
    cases.reply(desk, number, "We are on it. I will call you within 30 minutes.")
    cases.note(desk, number, "Their admin says the cluster lost quorum after patching.")
    cases.log_call(
        desk, number, "Walked through the restart; still down.", who="Bob Admin", outcome="logs"
    )
    cases.escalate(desk, number, "needs a product support engineer for the storage layer")
    return seeded


def on_case(*pressed: str) -> Callable[[Pilot[Any]], Awaitable[None]]:
    async def run_before(pilot: Pilot[Any]) -> None:
        app = pilot.app
        await settle(pilot)
        app.push_screen(CaseScreen(app.desk, PRODUCTION_DOWN))  # type: ignore[attr-defined]
        assert await until(pilot, lambda: isinstance(app.screen, CaseScreen) and app.screen.file)
        await settle(pilot)
        if pressed:
            await pilot.press(*pressed)
            await settle(pilot)

    return run_before


def app_on(seeded: Seeded) -> DesktermApp:
    return make_app(seeded.desk)


@pytest.mark.usefixtures("colour")
def test_case_120x40(snap_compare: Compare, worked: Seeded) -> None:
    assert snap_compare(app_on(worked), terminal_size=WIDE, run_before=on_case())


@pytest.mark.usefixtures("colour")
def test_case_80x24(snap_compare: Compare, worked: Seeded) -> None:
    assert snap_compare(app_on(worked), terminal_size=NARROW, run_before=on_case())


@pytest.mark.usefixtures("colour")
def test_case_intake_80x24(snap_compare: Compare, worked: Seeded) -> None:
    assert snap_compare(app_on(worked), terminal_size=NARROW, run_before=on_case("2"))


def test_case_no_color_80x24(snap_compare: Compare, worked: Seeded) -> None:
    # Tags and marks in words and symbols: the kinds of event and the clock states
    # read the same on a monochrome terminal.
    assert snap_compare(app_on(worked), terminal_size=NARROW, run_before=on_case())


def test_case_no_color_120x40(snap_compare: Compare, worked: Seeded) -> None:
    assert snap_compare(app_on(worked), terminal_size=WIDE, run_before=on_case())


@pytest.mark.usefixtures("colour")
def test_case_help_120x40(snap_compare: Compare, worked: Seeded) -> None:
    assert snap_compare(app_on(worked), terminal_size=WIDE, run_before=on_case("question_mark"))


@pytest.mark.usefixtures("colour")
def test_case_find_80x24(snap_compare: Compare, worked: Seeded) -> None:
    """`/call`: the hits marked, the one shown more strongly, "hit i of n" beside the words."""
    run_before = on_case("slash", *"call", "enter")
    assert snap_compare(app_on(worked), terminal_size=NARROW, run_before=run_before)


def test_case_find_no_color_80x24(snap_compare: Compare, worked: Seeded) -> None:
    """Without colour the matched words are still told apart (reverse video)."""
    run_before = on_case("slash", *"call", "enter", "N")
    assert snap_compare(app_on(worked), terminal_size=NARROW, run_before=run_before)
