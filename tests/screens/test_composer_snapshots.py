"""What writing on a case looks like (issue 20): the reply composer with the case in
view, the template picker, the call log and the Sev 1 wizard's new caller, at 120x40
and 80x24 in colour and at 80x24 with NO_COLOR=1 (the suite's default). The clock is
frozen and the customer's last message fixed, so a snapshot changes only with the look.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from deskterm.desk import cases
from deskterm.screens.case import CaseScreen
from deskterm.screens.case_compose import Composer
from deskterm.screens.template_picker import TemplatePicker
from tests.screens.conftest import PRODUCTION_DOWN, Seeded, make_app, settle, until
from tests.screens.test_intake import keys, open_wizard

WIDE = (120, 40)
NARROW = (80, 24)
Compare = Callable[..., bool]
Before = Callable[[Pilot[Any]], Awaitable[None]]


@pytest.fixture
def answered(seeded: Seeded) -> Seeded:
    cases.reply(seeded.desk, PRODUCTION_DOWN, "Which nodes are down?")
    cases.customer_reply(seeded.desk, PRODUCTION_DOWN, "All three: db1, db2, db3.\nSince 15:40.")
    return seeded


async def still(pilot: Pilot[Any]) -> None:
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    for box in pilot.app.screen.query(TextArea):
        box.cursor_blink = False
    await settle(pilot)


def writing(key: str, *then: str) -> Before:
    async def run_before(pilot: Pilot[Any]) -> None:
        app = pilot.app
        await settle(pilot)
        app.push_screen(CaseScreen(app.desk, PRODUCTION_DOWN))  # type: ignore[attr-defined]
        assert await until(pilot, lambda: isinstance(app.screen, CaseScreen) and app.screen.file)
        await settle(pilot)
        await pilot.press(key)
        assert await until(pilot, lambda: isinstance(app.screen, Composer), 10)
        await settle(pilot)
        if then:
            await pilot.press(*then)
            await settle(pilot)
        await still(pilot)

    return run_before


def picking(typed: str) -> Before:
    composing = writing("r")

    async def run_before(pilot: Pilot[Any]) -> None:
        await composing(pilot)
        await pilot.press("ctrl+t")
        assert await until(pilot, lambda: isinstance(pilot.app.screen, TemplatePicker), 10)
        await pilot.press(*keys(typed))
        await still(pilot)

    return run_before


CASES = {
    "reply": writing("r"),
    "reply-context": writing("r", "ctrl+o"),
    "picker": picking("inform"),
    "call": writing("c"),
}


@pytest.mark.usefixtures("colour")
@pytest.mark.parametrize("what", CASES)
def test_writing_120x40(snap_compare: Compare, answered: Seeded, what: str) -> None:
    if what == "reply-context":
        pytest.skip("side by side at 120 columns: nothing to toggle")
    assert snap_compare(make_app(answered.desk), terminal_size=WIDE, run_before=CASES[what])


@pytest.mark.usefixtures("colour")
@pytest.mark.parametrize("what", CASES)
def test_writing_80x24(snap_compare: Compare, answered: Seeded, what: str) -> None:
    assert snap_compare(make_app(answered.desk), terminal_size=NARROW, run_before=CASES[what])


@pytest.mark.parametrize("what", CASES)
def test_writing_no_color_80x24(snap_compare: Compare, answered: Seeded, what: str) -> None:
    assert snap_compare(make_app(answered.desk), terminal_size=NARROW, run_before=CASES[what])


async def new_caller(pilot: Pilot[Any]) -> None:
    await open_wizard(pilot)
    await pilot.press("end")
    await pilot.press(*keys("nora"), "enter")
    await settle(pilot)
    await pilot.press(*keys("Ac"), "enter")  # left as typed: the completion shows
    await pilot.press("shift+tab")
    await still(pilot)


@pytest.mark.usefixtures("colour")
def test_wizard_new_caller_120x40(snap_compare: Compare, seeded: Seeded) -> None:
    assert snap_compare(make_app(seeded.desk), terminal_size=WIDE, run_before=new_caller)


def test_wizard_new_caller_no_color_80x24(snap_compare: Compare, seeded: Seeded) -> None:
    assert snap_compare(make_app(seeded.desk), terminal_size=NARROW, run_before=new_caller)
