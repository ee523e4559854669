"""`?`: the keys of the screen underneath, and the filter language."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from deskterm.desk.filters import TOKENS_HELP

KEYS_OF_THE_LIST = [
    ("j / k, arrows", "move the selection"),
    ("g / G", "first / last case"),
    ("PgUp / PgDn", "a page up / down"),
    ("enter", "open the case"),
    ("1-6", "views: all open, mine, unassigned, breaching soon, waiting, recently closed"),
    ("b / h", "the breach board / the shift handoff"),
    ("ctrl+p", "command palette (also the SLA report)"),
]


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 80%; max-width: 90; height: auto; max-height: 90%;
        border: round $accent; padding: 0 1; background: $surface;
    }
    """
    BINDINGS = [Binding("escape,question_mark,q", "app.pop_screen", "Close")]

    def __init__(self, screen: Screen[object]) -> None:
        super().__init__()
        self.under = screen

    def compose(self) -> ComposeResult:
        text = Text()
        text.append("Keys\n", style="bold")
        rows = list(KEYS_OF_THE_LIST)
        for binding in self.under.BINDINGS:
            if isinstance(binding, Binding) and binding.show:
                rows.append(
                    (
                        binding.key.replace("slash", "/")
                        .replace("question_mark", "?")
                        .replace("exclamation_mark", "!"),
                        binding.description,
                    )
                )
        for key, what in rows:
            text.append(f"  {key:<16}", style="bold")
            text.append(f"{what}\n")
        text.append("\nFilter (/)\n", style="bold")
        text.append(
            f"  free words match number, organization and subject; tokens:\n  {TOKENS_HELP}\n"
        )
        text.append("  all combine: sev:1 @unassigned due<2h\n")
        text.append("\nMarks\n", style="bold")
        text.append(
            "  ✖ breached   ▲ under an hour left   ☾ stopped: calendar closed\n"
            "  ‖ paused: waiting on the customer   · no clock running\n"
        )
        with VerticalScroll():
            yield Static(text, markup=False)
