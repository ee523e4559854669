"""The one choice list, and the keys every list in the console moves by.

`LIST_KEYS` are the movement bindings of the console's grammar: `j`/`k` and the
arrows, `g`/`G` (and home/end) for first/last, `PgUp`/`PgDn` a page. Any
scrolling list or view adds them to its BINDINGS; they call the widget's own
`cursor_up`, `cursor_down`, `first`, `last`, `page_up`, `page_down` actions
(`ChoiceList` has them; `ScrollKeys` maps them onto scrolling, and `Scroller` is a
`VerticalScroll` with it).

`ChoiceList` is an `OptionList` with that grammar and `enter` to choose (it posts
`OptionList.OptionSelected` as usual). `move(step)` moves the highlight, for a
dialog whose focus sits in a text field above the list.
"""

from __future__ import annotations

from typing import ClassVar, Protocol

from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import OptionList

LIST_KEYS: list[BindingType] = [
    Binding("k,up", "cursor_up", "up", show=False),
    Binding("j,down", "cursor_down", "down", show=False),
    Binding("g,home", "first", "first", show=False),
    Binding("G,end", "last", "last", show=False),
    Binding("pageup", "page_up", "page up", show=False),
    Binding("pagedown", "page_down", "page down", show=False),
]
"""Movement in a list: j/k and the arrows, g/G for first/last, PgUp/PgDn."""


class ChoiceList(OptionList):
    """An option list with the console's list keys; `enter` chooses."""

    BINDINGS = [*LIST_KEYS, Binding("enter", "select", "choose", show=False)]

    def move(self, step: int) -> None:
        """Move the highlight one step (from a text field that keeps the focus)."""
        if self.option_count == 0:
            return
        if step > 0:
            self.action_cursor_down()
        else:
            self.action_cursor_up()


class _Scrolls(Protocol):
    """What `ScrollKeys` needs of the widget it is mixed into (a scrolling one)."""

    def scroll_up(self) -> object: ...
    def scroll_down(self) -> object: ...
    def scroll_home(self) -> object: ...
    def scroll_end(self) -> object: ...
    def scroll_page_up(self) -> object: ...
    def scroll_page_down(self) -> object: ...


class ScrollKeys:
    """Mixin for a scrolling view (help, the handoff, an explanation): list keys scroll it."""

    BINDINGS: ClassVar[list[BindingType]] = LIST_KEYS

    def action_cursor_up(self: _Scrolls) -> None:
        self.scroll_up()

    def action_cursor_down(self: _Scrolls) -> None:
        self.scroll_down()

    def action_first(self: _Scrolls) -> None:
        self.scroll_home()

    def action_last(self: _Scrolls) -> None:
        self.scroll_end()

    def action_page_up(self: _Scrolls) -> None:
        self.scroll_page_up()

    def action_page_down(self: _Scrolls) -> None:
        self.scroll_page_down()


class Scroller(ScrollKeys, VerticalScroll):
    """A vertical scroll view moved by the list keys (help, explanations, long text)."""

    BINDINGS = LIST_KEYS
