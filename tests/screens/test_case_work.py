"""Working a case without traps (issue 20): `t` asks before taking a colleague's
case, and a reply says what became of its mail."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot

from deskterm.desk import queries
from deskterm.screens.sev1 import Confirm
from tests.screens.conftest import DOCS_TYPO, ME, PRODUCTION_DOWN, Seeded, make_app, settle, until
from tests.screens.test_case import WIDE, compose, open_case, screen_text
from tests.screens.test_queue import selected_number, start


def said(app: Any) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_t_on_the_case_screen_asks_before_taking_a_colleagues_case(seeded: Seeded) -> None:
    app = make_app(seeded.desk)
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_case(pilot, DOCS_TYPO)
        await pilot.press("t")
        assert await until(pilot, lambda: isinstance(app.screen, Confirm), 10)
        asked = f"Incident# {DOCS_TYPO} is held by bob. Take it from them?"
        assert await until(pilot, lambda: asked in screen_text(app), 10)
        await pilot.press("n")
        await settle(pilot)
        assert queries.show_case(seeded.desk, DOCS_TYPO)["assignee"] == "bob"
        await pilot.press("t")
        assert await until(pilot, lambda: isinstance(app.screen, Confirm), 10)
        await pilot.press("y")
        assert await until(pilot, lambda: screen.file.case.assignee == ME, 10)  # type: ignore[union-attr]
        assert any("taken from bob" in message for message in said(app))


async def test_t_on_an_unheld_case_takes_it_without_asking(seeded: Seeded) -> None:
    app = make_app(seeded.desk)
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_case(pilot, PRODUCTION_DOWN)
        await pilot.press("t")
        assert await until(pilot, lambda: screen.file.case.assignee == ME, 10)  # type: ignore[union-attr]


async def goto(pilot: Pilot[Any], number: int) -> None:
    for _ in range(12):
        if selected_number(pilot.app) == number:
            return
        await pilot.press("j")
        await settle(pilot)
    raise AssertionError(f"no row {number}")


async def test_t_on_the_queue_asks_before_taking_a_colleagues_case(seeded: Seeded) -> None:
    app = make_app(seeded.desk)
    async with app.run_test(size=WIDE) as pilot:
        await start(pilot)
        await goto(pilot, DOCS_TYPO)
        await pilot.press("t")
        assert await until(pilot, lambda: isinstance(app.screen, Confirm), 10)
        assert await until(pilot, lambda: "is held by bob" in screen_text(app), 10)
        await pilot.press("escape")
        await settle(pilot)
        assert queries.show_case(seeded.desk, DOCS_TYPO)["assignee"] == "bob"
        await pilot.press("t")
        assert await until(pilot, lambda: isinstance(app.screen, Confirm), 10)
        await pilot.press("y")
        assert await until(
            pilot, lambda: queries.show_case(seeded.desk, DOCS_TYPO)["assignee"] == ME, 10
        )


async def test_a_reply_says_it_was_recorded_but_not_mailed(seeded: Seeded) -> None:
    app = make_app(seeded.desk)
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_case(pilot, PRODUCTION_DOWN)
        await compose(pilot, "r", "We are on it.")
        await pilot.press("ctrl+s")
        assert await until(pilot, lambda: screen.file.version == 2, 10)  # type: ignore[union-attr]
        assert await until(
            pilot,
            lambda: "reply recorded, not mailed: no mail relay configured" in said(app),
            3,
        )
        assert "reply recorded" not in said(app)


async def test_related_cases_are_one_key_away_and_esc_comes_back(seeded: Seeded) -> None:
    from deskterm.desk import cases
    from deskterm.screens.case import CaseScreen
    from tests.screens.conftest import EXPORT_QUESTION, LOGIN_BROKEN

    child = cases.split(seeded.desk, PRODUCTION_DOWN, "Second node also down").number
    app = make_app(seeded.desk)
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_case(pilot, PRODUCTION_DOWN)
        assert await until(pilot, lambda: len(screen.related) > 0, 10)
        await pilot.press("4")
        await settle(pilot)
        text = screen_text(app)
        assert f"#{child}  split off" in text
        assert f"#{LOGIN_BROKEN}  same contact (Bob Admin)" in text
        assert f"#{EXPORT_QUESTION}  same contact (Bob Admin)" in text
        assert f"#{PRODUCTION_DOWN} " not in text.split("Related")[1]  # not itself
        await pilot.press("enter")
        assert await until(
            pilot, lambda: isinstance(app.screen, CaseScreen) and app.screen.number == child, 10
        )
        other = app.screen
        assert await until(pilot, lambda: len(other.related) > 0, 10)  # type: ignore[attr-defined]
        assert f"#{PRODUCTION_DOWN}  split from" in " ".join(
            f"#{r.number}  {r.relation}"
            for r in other.related  # type: ignore[attr-defined]
        )
        await pilot.press("escape")
        assert await until(pilot, lambda: app.screen is screen, 10)
