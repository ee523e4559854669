"""A log file attached to a case, read-only: `TextViewer` with a title, a status line and search.

The title and the text are untrusted (a customer named the file and wrote it):
both reach the terminal only through the sanitizer, never as markup.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Input, Static

from deskterm.safe_text import safe_line
from deskterm.screens.grammar import GrammarScreen
from deskterm.settings import human_size
from deskterm.widgets.dialog import STYLES
from deskterm.widgets.keys_footer import KeysFooter
from deskterm.widgets.text_viewer import TextViewer

TITLE_IN_STATUS = 40  # chars of the title repeated in the status line


def byte_size(text: str) -> int:
    if text.isascii():
        return len(text)  # no copy for the common case
    return len(text.encode("utf-8", "surrogatepass"))


class SearchField(Input):
    """The term to find. Typed, or pasted from a hostile log: shown inert too."""

    def validate_value(self, value: str) -> str:
        return safe_line(value)


class TextViewerScreen(GrammarScreen):
    CSS_PATH = [STYLES / "case.tcss"]
    BINDINGS = [
        Binding("slash", "search", "Search"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, title: str, text: str, *, size: int | None = None) -> None:
        """`size`: the file's size in bytes, if known (else measured from `text`)."""
        super().__init__()
        self.title_shown = safe_line(title, limit=500)
        self.size_bytes = byte_size(text) if size is None else size
        self._text = text

    def compose(self) -> ComposeResult:
        viewer = TextViewer(self._text, id="viewer")
        self._text = ""  # the viewer keeps what it needs
        with Horizontal(id="viewer-header"):
            yield Static(
                Text(self.title_shown, no_wrap=True, overflow="ellipsis"),
                id="viewer-title",
                markup=False,
            )
            yield Static(
                f"{human_size(self.size_bytes)} · {viewer.line_count:,} lines",
                id="viewer-size",
                markup=False,
            )
        yield viewer
        yield Static(id="viewer-status", markup=False)
        with Horizontal(id="viewer-search-bar"):
            yield Static("/", id="viewer-search-prompt", markup=False)
            yield SearchField(
                placeholder="text to find, any case; enter finds, esc closes",
                id="viewer-search",
                compact=True,
            )
        yield KeysFooter()

    @property
    def viewer(self) -> TextViewer:
        return self.query_one(TextViewer)

    @property
    def search_field(self) -> Input:
        return self.query_one("#viewer-search", Input)

    @property
    def search_open(self) -> bool:
        return bool(self.query_one("#viewer-search-bar").display)

    def on_mount(self) -> None:
        self.query_one("#viewer-search-bar").display = False
        self.viewer.focus()
        self._show_status()

    def _show_status(self) -> None:
        name = safe_line(self.title_shown, limit=TITLE_IN_STATUS)
        status = Text(f"{name}  {self.viewer.describe()}", no_wrap=True, overflow="ellipsis")
        self.query_one("#viewer-status", Static).update(status)

    @on(TextViewer.Changed)
    def _viewer_changed(self) -> None:
        self._show_status()

    def action_search(self) -> None:
        self.query_one("#viewer-search-bar").display = True
        self.search_field.focus()

    @on(Input.Submitted, "#viewer-search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        if not event.value:
            self._close_search()
            return
        self.viewer.search(event.value)
        self.viewer.focus()

    def _close_search(self) -> None:
        self.query_one("#viewer-search-bar").display = False
        self.viewer.clear_search()
        self.viewer.focus()

    def action_back(self) -> None:
        """esc: close the search if it is open or still highlighting, else the viewer."""
        if self.search_open or self.viewer.search_active:
            self._close_search()
        else:
            self.action_close()

    def action_close(self) -> None:
        self.app.pop_screen()
