"""What each step of the Severity 1 wizard and the new-case form look like at 80x24
(NO_COLOR=1, the suite's default), and the first step and the form in colour at
80x24 and 120x40.

The clock is frozen, so the call timer reads 00:00 (or the minutes the test
advanced it) in every run.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from tests.screens.conftest import Seeded, make_app, settle, until
from tests.screens.test_intake import (
    add_expired,
    keys,
    open_form,
    open_wizard,
    walk,
)

NARROW = (80, 24)
WIDE = (120, 40)

Compare = Callable[..., bool]


async def steady(pilot: Pilot[Any]) -> None:
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    tick = getattr(pilot.app.screen, "_tick", None)
    if tick is not None:
        tick()  # the call timer as the frozen clock has it now, not at the last second's tick
    await settle(pilot)


def at_step(step: int, seeded: Seeded) -> Callable[[Pilot[Any]], Awaitable[None]]:
    async def run_before(pilot: Pilot[Any]) -> None:
        await open_wizard(pilot)
        seeded.clock.advance(minutes=step, seconds=7)  # the timer shows the call's length
        await walk(pilot, *range(1, step))
        await steady(pilot)

    return run_before


@pytest.mark.parametrize("step", range(1, 9))
def test_sev1_step_80x24(snap_compare: Compare, seeded: Seeded, step: int) -> None:
    assert snap_compare(
        make_app(seeded.desk), terminal_size=NARROW, run_before=at_step(step, seeded)
    )


def test_sev1_expired_contract_80x24(snap_compare: Compare, seeded: Seeded) -> None:
    add_expired(seeded.desk)

    async def run_before(pilot: Pilot[Any]) -> None:
        await open_wizard(pilot)
        await pilot.press(*keys("gina"), "enter")
        await settle(pilot)
        await pilot.press("enter")  # no override: the wizard says why it stops
        await steady(pilot)

    assert snap_compare(make_app(seeded.desk), terminal_size=NARROW, run_before=run_before)


def test_sev1_new_contact_80x24(snap_compare: Compare, seeded: Seeded) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await open_wizard(pilot)
        await pilot.press(*keys("carol"), "enter")  # no match: "+ add a new contact"
        await steady(pilot)

    assert snap_compare(make_app(seeded.desk), terminal_size=NARROW, run_before=run_before)


def test_sev1_resume_offer_80x24(snap_compare: Compare, seeded: Seeded) -> None:
    async def leave_a_call(pilot: Pilot[Any]) -> None:
        await open_wizard(pilot)
        await walk(pilot, 1, 2, 3)

    async def run_before(pilot: Pilot[Any]) -> None:
        from deskterm.screens.sev1 import ResumeCall

        assert await until(pilot, lambda: isinstance(pilot.app.screen, ResumeCall))
        await steady(pilot)

    async def first_run() -> None:
        app = make_app(seeded.desk)
        async with app.run_test(size=NARROW) as pilot:
            await leave_a_call(pilot)

    import asyncio

    asyncio.run(first_run())
    assert snap_compare(make_app(seeded.desk), terminal_size=NARROW, run_before=run_before)


def test_new_case_form_80x24(snap_compare: Compare, seeded: Seeded) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await open_form(pilot)
        await pilot.press(*keys("Acme"), "enter", *keys("Bob Admin"), "enter")
        await steady(pilot)

    assert snap_compare(make_app(seeded.desk), terminal_size=NARROW, run_before=run_before)


def test_new_case_form_errors_80x24(snap_compare: Compare, seeded: Seeded) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await open_form(pilot)
        await pilot.press(*keys("Acne"), "enter")
        await steady(pilot)

    assert snap_compare(make_app(seeded.desk), terminal_size=NARROW, run_before=run_before)


@pytest.mark.usefixtures("colour")
@pytest.mark.parametrize("size", [NARROW, WIDE], ids=["80x24", "120x40"])
def test_sev1_first_step_in_colour(
    snap_compare: Compare, seeded: Seeded, size: tuple[int, int]
) -> None:
    app = make_app(seeded.desk)
    assert snap_compare(app, terminal_size=size, run_before=at_step(1, seeded))


@pytest.mark.usefixtures("colour")
@pytest.mark.parametrize("size", [NARROW, WIDE], ids=["80x24", "120x40"])
def test_new_case_form_in_colour(
    snap_compare: Compare, seeded: Seeded, size: tuple[int, int]
) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await open_form(pilot)
        await pilot.press(*keys("Acme"), "enter", *keys("Bob Admin"), "enter")
        await steady(pilot)

    assert snap_compare(make_app(seeded.desk), terminal_size=size, run_before=run_before)
