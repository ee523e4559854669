"""A scrolling document of blocks over the Line API: a case's timeline, its intake.

Each block is a heading line (pieces of trusted text, each with a style) and a
body of untrusted text, sanitized and word-wrapped to the width here. Lines are
laid out once per width and painted on demand, so a case with 10,000 events or
a megabyte of description scrolls as smoothly as a short one: only the lines on
screen become Strips, and a Strip made is kept (`STRIPS_KEPT`), so a view that
moves by one line (a new entry at the end) paints one new line, not a screenful.
Blocks added at the end (`extend`) lay out only themselves and move only this
widget's scrollbar, not the screen's layout.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator, Sequence
from typing import NamedTuple

from rich.cells import cell_len, chop_cells, get_character_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget

from deskterm.safe_text import ELLIPSIS, safe_text

# Lines longer than this are cut at the width rather than word-wrapped: textwrap
# on a megabyte-long line costs seconds, a slice costs nothing.
WORD_WRAP_LIMIT = 4000
TAB_SIZE = 4
# Painted lines kept: a few screens' worth, whatever the document's length.
STRIPS_KEPT = 512


Pieces = tuple[tuple[str, str], ...]  # (text, component class or "") of trusted text
# Where a search matched in a line of text shown: (start, end) spans, in order.
Marker = Callable[[str], list[tuple[int, int]]]


class Block(NamedTuple):
    # The heading, or how to make it: a timeline of 10,000 events makes only the
    # headings it paints (each is a description, a local time and a sanitized line).
    head: Pieces | Callable[[], Pieces]
    body: str = ""  # untrusted: sanitized and wrapped here
    body_class: str = ""

    def pieces(self) -> Pieces:
        return self.head() if callable(self.head) else self.head


def wrap(text: str, width: int) -> list[str]:
    """Sanitized `text` as lines of at most `width` cells (words kept whole where possible)."""
    width = max(width, 1)
    clean = safe_text(text)
    if len(clean) <= width and clean.isascii() and "\n" not in clean and "\t" not in clean:
        return [clean]  # most event texts: one short line, nothing to do
    lines: list[str] = []
    for line in clean.expandtabs(TAB_SIZE).split("\n"):
        if len(line) <= width and cell_len(line) <= width:
            lines.append(line)
        elif len(line) > WORD_WRAP_LIMIT:
            lines.extend(cut(line, width))
        else:
            for part in textwrap.wrap(line, width, break_on_hyphens=False) or [""]:
                lines.extend(chop_cells(part, width) if cell_len(part) > width else [part])
    return lines


def cut(line: str, width: int) -> Iterator[str]:
    """`line` in pieces of at most `width` cells (a wide char alone may take two).

    Cells are counted only where a piece is not ASCII: a megabyte of log with one
    placeholder in it (an ESC shown as ␛) is sliced, not measured char by char
    (half a second a megabyte, for each such field of a case).
    """
    start, end = 0, len(line)
    while start < end:
        piece = line[start : start + width]
        if not piece.isascii():
            # Zero-width marks may let more chars fit than the window holds: the
            # piece is then a little shorter than it might be, never wider.
            piece = piece[: _fitting(line[start : start + width + 16], width)]
        yield piece
        start += len(piece)


def _fitting(text: str, width: int) -> int:
    """How many chars from the start of `text` fit in `width` cells (one at least)."""
    cells = 0
    for index, char in enumerate(text):
        cells += get_character_cell_size(char)
        if cells > width:
            return max(index, 1)
    return len(text)


class Document(ScrollView, can_focus=True):
    DEFAULT_CSS = """
    /* The scrollbar always there: its appearing would narrow the text and lay out
       ten thousand blocks a second time. */
    Document { height: 1fr; background: $surface; overflow-x: hidden; overflow-y: scroll; }
    Document > .document--head { text-style: bold; }
    Document > .document--quiet { color: $text-muted; }
    Document > .document--public { color: $success; text-style: bold; }
    Document > .document--customer { color: $accent; text-style: bold; }
    Document > .document--alarm { color: $error; text-style: bold reverse; }
    Document > .document--missing { color: $warning; text-style: italic; }
    /* A search's matches: reverse video reads without colour too (NO_COLOR); the
       block the search stands on, underlined besides. */
    Document > .document--match { text-style: reverse; }
    Document > .document--hit { text-style: reverse bold underline; }
    """
    COMPONENT_CLASSES = {
        "document--head",
        "document--quiet",
        "document--public",
        "document--customer",
        "document--alarm",
        "document--missing",
        "document--match",
        "document--hit",
    }
    # No scrolling animation: over SSH every frame of one is bytes, and a key should
    # show its result at once.
    BINDINGS = [
        Binding("j,down", "move(1)", "Down", show=False),
        Binding("k,up", "move(-1)", "Up", show=False),
        Binding("g,home", "top", "Top", show=False),
        Binding("G,end", "bottom", "Bottom", show=False),
        Binding("pagedown,space", "move_page(1)", "Page down", show=False),
        Binding("pageup", "move_page(-1)", "Page up", show=False),
    ]

    def __init__(
        self,
        indent: int = 4,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self.indent = indent
        self._blocks: list[Block] = []
        # Each line: (block index, None for its heading, or a body line's text).
        self._lines: list[tuple[int, str | None]] = []
        self._laid_out_for = -1
        self._height = 0  # the view's height at the last resize
        self._heads: dict[int, Pieces] = {}
        self._starts: list[int] = []  # each block's first line
        # A search's marks: which words to mark, and the block it stands on.
        self._marker: Marker | None = None
        self._current: int | None = None
        # Painted lines by (line number, width): valid until the lines, the marks or
        # the styles change (`_repaint_all`).
        self._strips: LRUCache[tuple[int, int], Strip] = LRUCache(STRIPS_KEPT)

    @property
    def blocks(self) -> Sequence[Block]:
        return self._blocks

    def set_blocks(self, blocks: Sequence[Block], *, follow_end: bool = False) -> None:
        """Show `blocks`; `follow_end` keeps the view on the newest (the last) block."""
        at_end = self.scroll_offset.y >= self.max_scroll_y
        self._blocks = list(blocks)
        self._heads.clear()
        self._strips.clear()
        self._laid_out_for = -1
        self._layout()
        if follow_end or at_end:
            self.call_after_refresh(self.action_bottom)

    def extend(self, blocks: Sequence[Block]) -> None:
        """Show `blocks` after those shown: only they are laid out (a timeline that grows
        by one entry costs one entry, whatever its length), and a view on the last block
        moves on to the newest in the same repaint."""
        if not blocks:
            return
        at_end = self.scroll_offset.y >= self.max_scroll_y
        first = len(self._blocks)
        self._blocks.extend(blocks)
        if self._laid_out_for <= 0:  # not laid out yet: the first paint lays it all out
            self._layout()
            return
        self._lay_out_blocks(first, self._laid_out_for)
        self._grow(Size(self._laid_out_for, len(self._lines)))
        if at_end:
            self.action_bottom()

    def mark(self, marker: Marker | None, current: int | None = None) -> None:
        """Mark what `marker` finds in every line (None: nothing); `current`: the block
        a search stands on, marked more strongly."""
        self._marker, self._current = marker, current
        self._repaint_all()

    def _grow(self, size: Size) -> None:
        """The document is taller (lines added at the end): its scrollbar and scroll
        range follow, and nothing else on the screen moves. Setting `virtual_size`
        would lay the whole screen out (Widget's reactive asks for it), twice the cost
        of the change being shown; the scrollbar is always there (`overflow-y:
        scroll`), so no widget's size changes and only the scrollbar needs telling,
        as ScrollView does after a layout (`_scroll_update`)."""
        self.set_reactive(Widget.virtual_size, size)
        self._scroll_update(size)
        self.refresh()

    def _repaint_all(self) -> None:
        self._strips.clear()
        self.refresh()

    def notify_style_update(self) -> None:
        # Focus, a theme or NO_COLOR restyles the lines: paint them again.
        super().notify_style_update()
        self._strips.clear()

    def show_block(self, index: int) -> None:
        """Scroll block `index`'s heading into view, a few lines below the top."""
        self._layout()
        if 0 <= index < len(self._starts):
            height = self.scrollable_content_region.height
            y = max(self._starts[index] - min(2, height // 4), 0)
            self.scroll_to(y=y, animate=False, immediate=True)

    @property
    def top_block(self) -> int:
        """The block whose line is at the top of the view."""
        number = self.scroll_offset.y
        return self._lines[number][0] if 0 <= number < len(self._lines) else 0

    def head_of(self, index: int) -> Pieces:
        pieces = self._heads.get(index)
        if pieces is None:
            pieces = self._heads[index] = self._blocks[index].pieces()
        return pieces

    def action_move(self, lines: int) -> None:
        self.scroll_to(y=self.scroll_offset.y + lines, animate=False, immediate=True)

    def action_move_page(self, pages: int) -> None:
        height = max(self.scrollable_content_region.height - 1, 1)
        self.action_move(pages * height)

    def action_top(self) -> None:
        self.scroll_to(y=0, animate=False, immediate=True)

    def action_bottom(self) -> None:
        self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True)

    def _layout(self) -> None:
        width = self.scrollable_content_region.width or self.size.width
        if width <= 0 or width == self._laid_out_for:
            return
        self._lines, self._starts = [], []
        self._lay_out_blocks(0, width)
        self._laid_out_for = width
        self.virtual_size = Size(width, len(self._lines))
        self._repaint_all()

    def _lay_out_blocks(self, first: int, width: int) -> None:
        """Lines of the blocks from `first` on, added after the lines laid out so far."""
        body_width = max(width - self.indent, 10)
        lines, starts = self._lines, self._starts
        for index in range(first, len(self._blocks)):
            block = self._blocks[index]
            starts.append(len(lines))
            lines.append((index, None))
            if block.body:
                lines.extend((index, text) for text in wrap(block.body, body_width))

    def on_resize(self) -> None:
        # A view on the last line stays there when the view gets shorter (a line
        # appears beneath it) or the text is laid out again for a new width.
        height = self.scrollable_content_region.height
        at_end = bool(self._lines) and self.scroll_offset.y >= len(self._lines) - self._height
        self._height = height
        self._layout()
        if at_end:
            self.action_bottom()

    def render_line(self, y: int) -> Strip:
        self._layout()
        width = self.scrollable_content_region.width
        number = self.scroll_offset.y + y
        if not 0 <= number < len(self._lines):  # below the end: lines may come there
            return Strip.blank(width, self.rich_style)
        key = (number, width)
        strip = self._strips.get(key)
        if strip is None:
            strip = self._strips[key] = self._paint(number, width)
        return strip

    def _paint(self, number: int, width: int) -> Strip:
        base = self.rich_style
        index, text = self._lines[number]
        block = self._blocks[index]
        if text is None:
            segments = [Segment(piece, self._style(cls)) for piece, cls in self.head_of(index)]
        else:
            segments = [Segment(" " * self.indent), Segment(text, self._style(block.body_class))]
        if self._marker is not None:
            segments = self._marked(segments, index == self._current)
        strip = Strip(segments)
        if text is None and strip.cell_length > width > 1:
            # A heading cut at the width says so: it ends with an ellipsis.
            kept = list(strip.crop(0, width - 1))
            style = kept[-1].style if kept else None
            strip = Strip([*kept, Segment(ELLIPSIS, style)])
        return strip.crop_extend(0, width, base).apply_style(base)

    def _marked(self, segments: list[Segment], current: bool) -> list[Segment]:
        """`segments` with what the search's marker finds styled as a match."""
        assert self._marker is not None
        mark = self._style("document--hit" if current else "document--match")
        marked: list[Segment] = []
        for segment in segments:
            text, style = segment.text, segment.style
            position = 0
            for start, end in self._marker(text):
                if start < position:
                    continue
                if start > position:
                    marked.append(Segment(text[position:start], style))
                marked.append(Segment(text[start:end], (style or Style()) + mark))
                position = end
            if position < len(text):
                marked.append(Segment(text[position:], style))
        return marked

    def _style(self, component: str) -> Style:
        if not component:
            return Style()
        return self.get_component_rich_style(component, partial=True)
