"""Issue 16's grammar: help is the screen's keys, every key does what help says.

For every screen, `?` lists the keys active on it (read from the bindings, so it
cannot fall behind); each key listed is then pressed in turn and must run the
action help names, or, on a read-only console, be refused in words. The
footer keeps `? help` and `q` whatever the width and the filter line.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Input, Static

from deskterm.desk.context import Desk
from deskterm.screens.board import BoardScreen
from deskterm.screens.case import CaseScreen
from deskterm.screens.case_dialogs import WhyDialog
from deskterm.screens.grammar import GRAMMAR, keys_of
from deskterm.screens.handoff import HandoffScreen
from deskterm.screens.help import HelpScreen
from deskterm.screens.queue import QueueScreen
from deskterm.screens.report import ReportScreen
from deskterm.screens.text_viewer import TextViewerScreen
from deskterm.widgets.keys_footer import KeysFooter
from tests.screens.conftest import (
    PRODUCTION_DOWN,
    Seeded,
    make_app,
    screen_lines,
    settle,
    until,
)

NARROW = (80, 24)

SCREENS: dict[str, Callable[[Desk, bool], Screen[Any]]] = {
    "queue": lambda desk, ro: QueueScreen(desk, readonly=ro),
    "case": lambda desk, ro: CaseScreen(desk, PRODUCTION_DOWN, readonly=ro),
    "board": lambda desk, ro: BoardScreen(desk, readonly=ro),
    "handoff": lambda desk, ro: HandoffScreen(desk),
    "report": lambda desk, ro: ReportScreen(desk),
    "viewer": lambda desk, ro: TextViewerScreen("x.log", "one\ntwo\nthree\n" * 40),
}
# Keys that end the console: checked on their own (the run would end with them).
ENDS = {"app.quit", "quit"}


def record_actions(app: Any) -> list[tuple[str, object]]:
    calls: list[tuple[str, object]] = []
    original = app.run_action

    async def spy(action: Any, default_namespace: Any = None) -> bool:
        calls.append((action, default_namespace))
        return bool(await original(action, default_namespace))

    app.run_action = spy
    return calls


async def push(pilot: Pilot[Any], screen: Screen[Any]) -> Screen[Any]:
    pilot.app.push_screen(screen)
    # Loaded: a case screen's keys wait for its file (shown, not usable, before).
    assert await until(
        pilot, lambda: pilot.app.screen is screen and getattr(screen, "file", True), 10
    )
    await pilot.pause()
    return screen


def help_lines(app: Any) -> str:
    """The whole of help (it scrolls), as written."""
    return str(app.screen.query_one("#help Static", Static).render())


# Each screen's keys all in one run: the suite gives a file whole to one worker
# (tests/conftest.py), so runs of a few keys each no longer ran side by side, and
# each started the console, opened the screen and read help again.
@pytest.mark.parametrize("readonly", [False, True], ids=["desk", "readonly"])
@pytest.mark.parametrize("name", SCREENS)
async def test_every_key_in_help_does_what_help_says(
    seeded: Seeded, name: str, readonly: bool
) -> None:
    make = SCREENS[name]
    app = make_app(seeded.desk, readonly=readonly)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        base = len(app.screen_stack) if name != "queue" else 0
        screen = app.screen if name == "queue" else await push(pilot, make(seeded.desk, readonly))
        await pilot.press("question_mark")
        assert await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        await settle(pilot)
        shown = help_lines(app)
        entries = app.screen.entries  # type: ignore[attr-defined]
        for _key, what in GRAMMAR:
            assert what in shown
        for entry in entries:
            assert entry.description in shown, entry
        await pilot.press("escape")
        assert await until(pilot, lambda: app.screen is screen)
        calls = record_actions(app)
        pressed = 0
        for entry in entries:
            if entry.action in ENDS or (name == "queue" and entry.action == "to_queue"):
                continue
            if screen not in app.screen_stack:
                screen = await push(pilot, make(seeded.desk, readonly))
            while app.screen is not screen:
                app.pop_screen()
                await pilot.pause()
            if isinstance(app.focused, Input):  # the last key opened a field (/)
                app.focused.blur()
            if entry.node is not screen and entry.node is not app:
                # A widget's key (the list keys): the widget has the focus again.
                entry.node.focus()  # type: ignore[attr-defined]
            await pilot.pause()
            calls.clear()
            app.clear_notifications()
            await pilot.press(entry.key)
            await pilot.pause()
            pressed += 1
            assert any(action == entry.action for action, _ in calls), (entry, calls)
            if entry.writes:
                said = [n.message for n in app._notifications]
                assert any("read-only" in m for m in said), (entry, said)
        assert pressed >= 1
        while len(app.screen_stack) > max(base, 2):
            app.pop_screen()
            await pilot.pause()


async def test_q_goes_back_to_the_queue_and_quits_from_it(seeded: Seeded) -> None:
    app = make_app(seeded.desk)
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        await push(pilot, CaseScreen(seeded.desk, PRODUCTION_DOWN))
        await push(pilot, TextViewerScreen("x.log", "text"))
        await pilot.press("q")
        assert await until(pilot, lambda: isinstance(app.screen, QueueScreen))
        await pilot.press("q")
        assert await until(pilot, lambda: not app.is_running)


async def test_the_case_screen_keeps_question_mark_for_help_and_w_for_why(seeded: Seeded) -> None:
    app = make_app(seeded.desk)
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        screen = await push(pilot, CaseScreen(seeded.desk, PRODUCTION_DOWN))
        await pilot.press("question_mark")
        assert await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        shown = help_lines(app)
        for key in ("u", "e", "x", "y", "f", "v", "w"):
            assert any(e.keys.split(" / ")[0] == key for e in keys_of(screen)), key
        assert "Why (SLA)" in shown and "Release" in shown
        await pilot.press("escape")
        await pilot.press("w")
        assert await until(pilot, lambda: isinstance(app.screen, WhyDialog))
        await pilot.press("escape")
        assert await until(pilot, lambda: app.screen is screen)
        await pilot.press("escape")
        assert await until(pilot, lambda: isinstance(app.screen, QueueScreen))


def footer_text(app: Any) -> str:
    return str(app.screen.query_one(KeysFooter).render())


@pytest.mark.parametrize("size", [NARROW, (120, 40)])
async def test_the_footer_keeps_help_and_quit_with_a_filter(seeded: Seeded, size: Any) -> None:
    app = make_app(seeded.desk)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"sev:1", "space", *"@unassigned", "enter")
        await settle(pilot)
        text = footer_text(app)
        assert "? Help" in text and "q Quit" in text, text
        # While the filter is typed, ? and q are letters of it: esc leads out.
        await pilot.press("slash")
        await settle(pilot)
        assert "esc Clear filter" in footer_text(app)
        await pilot.press("enter")
        await settle(pilot)
        text = footer_text(app)
        assert "? Help" in text and "q Quit" in text, text


@pytest.mark.parametrize(
    ("width", "keys"),
    [
        (120, ("r Reply", "a Assign", "u Release", "e Escalate")),
        (200, ("r Reply", "u Release", "e Escalate", "x Split", "y Copy", "f Attach", "w Why")),
    ],
)
async def test_the_case_footer_shows_what_fits_and_keeps_help_and_queue(
    seeded: Seeded, width: int, keys: tuple[str, ...]
) -> None:
    app = make_app(seeded.desk)
    async with app.run_test(size=(width, 40)) as pilot:
        await settle(pilot)
        await push(pilot, CaseScreen(seeded.desk, PRODUCTION_DOWN))
        assert await until(pilot, lambda: "? Help" in footer_text(app))
        text = footer_text(app)
        for key in keys:
            assert key in text, (key, text)
        assert text.rstrip().endswith("? Help  q Queue")


async def test_a_readonly_footer_offers_no_key_that_changes_data(seeded: Seeded) -> None:
    app = make_app(seeded.desk, readonly=True, start="board")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("escape")
        assert await until(pilot, lambda: isinstance(app.screen, QueueScreen))
        await settle(pilot)
        text = footer_text(app)
        for refused in ("Take", "Sev 1", "New"):
            assert refused not in text, text
        assert "? Help" in text and "q Quit" in text
        await push(pilot, CaseScreen(seeded.desk, PRODUCTION_DOWN, readonly=True))
        assert await until(pilot, lambda: "? Help" in footer_text(app))
        text = footer_text(app)
        for refused in ("Reply", "Move", "Assign", "Take", "Attach"):
            assert refused not in text, text
        assert "Copy subject" in text


async def test_no_stylesheet_rule_hits_the_call_dialogs_who_field(seeded: Seeded) -> None:
    # `#who { width: auto }` was meant for the queue header's user name and collapsed
    # the call dialog's "who was on the call" field to three cells.
    app = make_app(seeded.desk)
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        await push(pilot, CaseScreen(seeded.desk, PRODUCTION_DOWN))
        await pilot.press("c")
        assert await until(pilot, lambda: bool(app.screen.query("#who")))
        await settle(pilot)
        assert app.screen.query_one("#who").size.width > 40


def test_the_readme_holds_the_grammar_table_help_shows() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    for key, what in GRAMMAR:
        shown = " / ".join(f"`{part.strip()}`" for part in key.split(",")[0].split(" / "))
        assert what in readme, what
        assert shown.split(" / ")[0] in readme, key


async def test_help_at_80x24_wraps_no_line_of_the_grammar(seeded: Seeded) -> None:
    # "q ... a dialog: close" once wrapped, its last word at the frame's left edge
    # where a key belongs.
    app = make_app(seeded.desk)
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        assert await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        await settle(pilot)
        lines = [line.split("│")[1] if line.count("│") >= 1 else line for line in screen_lines(app)]
        start = next(i for i, line in enumerate(lines) if line.strip() == "Everywhere")
        grammar = lines[start + 1 : start + 1 + len(GRAMMAR)]
        for (key, what), line in zip(GRAMMAR, grammar, strict=True):
            assert line.startswith(f"   {key}") and what in line, (key, line)
