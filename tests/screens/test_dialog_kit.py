"""The dialog and form kit (widgets/dialog.py, fields.py, choice_list.py) on a tiny app.

What every dialog relies on: the frame closes once and `esc` cancels; the choice
list moves by the console's list keys and chooses with enter; typed, pasted and
prefilled control characters become visible placeholders with the cursor after
them; a field's error line shows and goes when the user types.
"""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import App, ComposeResult
from textual.widgets import OptionList, Static

from deskterm.widgets.choice_list import ChoiceList, Scroller
from deskterm.widgets.dialog import Dialog, hint, plain
from deskterm.widgets.fields import Field, TextBox, TextField, shown_names
from tests.screens.conftest import paste, screen_lines, settle, until

NARROW = (80, 24)
CHOICES = [f"choice {n}" for n in range(30)]


class Pick(Dialog[str]):
    """A choice list over a text field and a field with its error line."""

    def compose(self) -> ComposeResult:
        with self.frame():
            yield Static(plain("Pick one"), classes="title")
            yield ChoiceList(*CHOICES, id="choices")
            yield Field("why", "why (required)")
            yield TextBox("", id="box")
            yield self.error_line()
            yield Static(hint(("enter", "choose"), ("esc", "cancel")), classes="hint")

    def on_mount(self) -> None:
        choices = self.query_one(ChoiceList)
        choices.styles.max_height = 8
        choices.highlighted = 0
        choices.focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.close(CHOICES[event.option_index])


class Host(App[None]):
    def __init__(self, dialog: Dialog[Any]) -> None:
        super().__init__()
        self.dialog = dialog
        self.results: list[Any] = []
        self.animation_level = "none"

    def on_mount(self) -> None:
        self.push_screen(self.dialog, self.results.append)


async def test_the_choice_list_moves_by_the_list_keys_and_enter_chooses() -> None:
    app = Host(Pick())
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        choices = app.screen.query_one(ChoiceList)
        steps = [("j", 1), ("down", 2), ("k", 1), ("up", 0), ("G", 29), ("g", 0), ("end", 29)]
        for key, expected in steps:
            await pilot.press(key)
            assert choices.highlighted == expected, key
        await pilot.press("home", "pagedown")
        assert choices.highlighted is not None and choices.highlighted > 1
        await pilot.press("pageup", "j", "j", "enter")
        assert await until(pilot, lambda: bool(app.results))
        assert app.results == ["choice 2"]


async def test_the_frame_closes_once_and_esc_cancels() -> None:
    dialog = Pick()
    app = Host(dialog)
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        await pilot.press("escape")
        assert await until(pilot, lambda: bool(app.results))
        dialog.close("again")  # a second key before the screen is gone
        await settle(pilot)
        assert app.results == [None]


async def test_typed_pasted_and_prefilled_control_characters_are_inert() -> None:
    app = Host(Pick())
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        field = app.screen.query_one("#why", TextField)
        field.focus()
        await pilot.press("a", "b", "left")
        await paste(pilot, "\x1b[2J\x9b")
        # Shown, not acted on; the cursor after what was inserted, before "b".
        assert field.value == "a␛[2J⟨9B⟩b"
        assert field.cursor_position == len("a␛[2J⟨9B⟩")
        field.value = "set\x07by code"
        assert field.value == "set␇by code"
        assert TextField(value="\x1bx").value == "␛x"
        box = app.screen.query_one(TextBox)
        box.focus()
        await pilot.press("x")
        await paste(pilot, "one\x1b]0;title\x07\ntwo")
        assert box.text == "xone␛]0;title␇\ntwo"
        box.load_text("\x9bnew")
        assert box.text == "⟨9B⟩new"
        for line in screen_lines(app):
            assert "\x1b" not in line and "\x9b" not in line


async def test_a_field_shows_its_error_and_typing_clears_it() -> None:
    app = Host(Pick())
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        field = Field.of(app.screen, "why")
        field.show_error("a reason is required")
        await settle(pilot)
        assert any("! a reason is required" in line for line in screen_lines(app))
        field.input.focus()
        await pilot.press("x")
        await settle(pilot)
        assert not any("a reason is required" in line for line in screen_lines(app))
        assert field.value == "x"


async def test_a_scroller_moves_by_the_list_keys() -> None:
    class Long(Dialog[None]):
        def compose(self) -> ComposeResult:
            with self.frame(), Scroller(id="long"):
                yield Static("\n".join(f"line {n}" for n in range(100)))

        def on_mount(self) -> None:
            self.query_one(Scroller).styles.max_height = 10
            self.query_one(Scroller).focus()

    app = Host(Long())
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        view = app.screen.query_one(Scroller)
        await pilot.press("j", "j")
        assert await until(pilot, lambda: view.scroll_y == 2)
        await pilot.press("G")
        assert await until(pilot, lambda: view.scroll_y == view.max_scroll_y > 0)
        await pilot.press("g")
        assert await until(pilot, lambda: view.scroll_y == 0)


def test_shown_names_look_up_the_stored_name() -> None:
    assert shown_names(["a\x1bb", "plain"]) == {"a␛b": "a\x1bb", "plain": "plain"}
