"""`?`: the grammar, and the keys of what is on screen, read from its bindings.

Nothing here is written by hand per screen: the keys listed are the bindings
active on the screen underneath (its focused widget's, its own, the app's), so
help cannot fall behind the keys. A screen may add a section of its own
(`help_sections()`: the queue's filter language and row marks).
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from deskterm.screens.grammar import GRAMMAR, KeyHelp, keys_of
from deskterm.widgets.choice_list import Scroller
from deskterm.widgets.dialog import STYLES

KEY_WIDTH = 18


def help_text(under: Screen[Any], entries: list[KeyHelp]) -> Text:
    text = Text()
    text.append("Everywhere\n", style="bold")
    for key, what in GRAMMAR:
        text.append(f"  {key:<{KEY_WIDTH}}", style="bold")
        text.append(f"{what}\n")
    text.append("\nOn this screen\n", style="bold")
    for entry in entries:
        text.append(f"  {entry.keys:<{KEY_WIDTH}}", style="bold")
        text.append(entry.description)
        if entry.writes:
            text.append("  (refused: read-only console)", style="italic")
        text.append("\n")
    sections = getattr(under, "help_sections", None)
    if sections is not None:
        for title, body in sections():
            text.append(f"\n{title}\n", style="bold")
            text.append(body.rstrip("\n") + "\n")
    return text


class HelpScreen(ModalScreen[None]):
    CSS_PATH = [STYLES / "dialogs.tcss"]
    BINDINGS = [Binding("escape,question_mark,q", "close", "close")]

    def __init__(self, screen: Screen[Any]) -> None:
        super().__init__()
        self.under = screen
        # Read now: the focused widget's keys are those of the moment `?` was pressed.
        self.entries = keys_of(screen)

    def compose(self) -> ComposeResult:
        with Scroller(id="help"):
            yield Static(help_text(self.under, self.entries), markup=False)

    def on_mount(self) -> None:
        self.query_one(Scroller).focus()

    def action_close(self) -> None:
        self.dismiss()
