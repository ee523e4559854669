"""The shift handoff on screen: the same sections as `deskterm handoff`, to read before leaving."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Static

from deskterm.desk import handoff as handoffs
from deskterm.desk.context import Desk
from deskterm.desk.errors import StorageError
from deskterm.desk.handoff import Handoff
from deskterm.live.messages import StorageFailed
from deskterm.safe_text import safe_line
from deskterm.screens.grammar import GrammarScreen
from deskterm.screens.local_time import stamp
from deskterm.widgets.choice_list import Scroller
from deskterm.widgets.dialog import STYLES
from deskterm.widgets.keys_footer import KeysFooter

# `[` and `]` step the shift's length through these.
SPANS_HOURS = (4, 8, 12, 24)


def handoff_text(found: Handoff, width: int) -> Text:
    """Every section as lines of text; customer text made safe, never markup."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f"Handoff {stamp(found.since)} to {stamp(found.until)}\n", "bold")
    for section in found.sections:
        shown = len(section.items)
        more = f", {shown} shown" if shown < section.total else ""
        text.append(f"\n{section.title} ({section.total}{more})\n", "bold underline")
        if not section.items:
            text.append("  none\n")
        for item in section.items:
            line = Text(f"  #{item.number} S{item.severity} ")
            if item.assignee is None:
                line.append("UNASSIGNED", "bold reverse")
            else:
                line.append(safe_line(item.assignee, 20))
            when = stamp(item.at) if item.at else "-"
            line.append(f"  {when}  {safe_line(item.organization, 24)}: ")
            line.append(safe_line(item.subject, width))
            if item.detail:
                line.append(f"  [{safe_line(item.detail, 80)}]", "italic")
            # Each line cut at the screen's edge with an ellipsis, whatever its prefix.
            line.truncate(max(width, 20), overflow="ellipsis")
            text.append_text(line)
            text.append("\n")
    return text


class HandoffRead(Message, bubble=False):
    """The handoff worker's result, for the screen's thread."""

    def __init__(self, found: Handoff) -> None:
        super().__init__()
        self.found = found


class HandoffScreen(GrammarScreen):
    CSS_PATH = [STYLES / "board.tcss"]
    BINDINGS = [
        Binding("escape,h", "back", "Back"),
        Binding("left_square_bracket", "span(-1)", "Shorter shift"),
        Binding("right_square_bracket", "span(1)", "Longer shift"),
        Binding("r", "refresh", "Refresh"),
    ]

    def __init__(self, desk: Desk, hours: int = 8) -> None:
        super().__init__()
        self.desk = desk
        self.hours = hours
        self.found: Handoff | None = None

    def compose(self) -> ComposeResult:
        with Scroller(id="handoff-body"):
            yield Static("reading the shift ...", id="handoff", markup=False)
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#handoff-body").focus()
        self.action_refresh()

    def action_refresh(self) -> None:
        self._read(self.hours)

    def action_span(self, step: int) -> None:
        spans = SPANS_HOURS
        at = spans.index(self.hours) if self.hours in spans else 1
        self.hours = spans[max(0, min(len(spans) - 1, at + step))]
        self.action_refresh()

    @work(thread=True, exclusive=True, group="handoff")
    def _read(self, hours: int) -> None:
        from datetime import timedelta

        try:
            found = handoffs.handoff(self.desk, timedelta(hours=hours))
        except StorageError as error:
            self.post_message(StorageFailed(str(error)))  # the app's one notice
            return
        self.post_message(HandoffRead(found))

    @on(HandoffRead)
    def _handoff_read(self, message: HandoffRead) -> None:
        self._show(message.found)

    def _show(self, found: Handoff) -> None:
        if not self.is_attached:
            return  # read after the screen was closed
        self.found = found
        # The room the lines have: the screen less the body's padding and its scrollbar
        # (a stable gutter: the width is the same before and after the lines arrive).
        width = self.query_one("#handoff-body").scrollable_content_region.width
        self.query_one("#handoff", Static).update(handoff_text(found, width or self.size.width))
