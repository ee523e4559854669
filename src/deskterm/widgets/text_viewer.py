"""A read-only viewer for log files attached to cases: a ScrollView over the Line API.

Opening a 20 MB log costs one split into lines and nothing more. A line is
sanitized (docs/architecture.md, invariant 6), its tabs expanded and its cells
measured only when it is first painted or searched, and kept in an LRU. Painting crops each line to the
window by cells, so a megabyte-long line costs the width of the screen, and a
double-width character cut by an edge becomes spaces instead of shifting the row.
Nothing is ever parsed as markup: lines become Segments.

Search is a case-insensitive plain substring, matched against what is shown (so
`␛` finds an escape). The first search folds one sanitized copy of the whole
text, in a thread when it is large; every match is then found with `str.find`,
and `n`, `N` and "match i of n" are a bisect away in the list of their lines.
"""

from __future__ import annotations

import threading
from array import array
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from operator import itemgetter

from rich.cells import cell_len, get_character_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import work
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.worker import get_current_worker

from deskterm.safe_text import safe_line, safe_text

TAB_SIZE = 8
CHUNK = 1024  # chars between the cell marks of a line that is not one cell a char
MAX_LINES = 2048  # prepared lines kept
MAX_STRIPS = 512
MAX_SPANS = 512  # lines whose matches are kept
SYNC_SEARCH_CHARS = 256 * 1024  # texts up to this size are searched at once, larger in a thread
PAN = 8  # cells a sideways key moves
TERM_SHOWN = 60  # chars of a search term repeated in a message

_JOINERS = frozenset("\u200d\ufe0f")  # zero width joiner, variation selector 16
_span_end = itemgetter(1)

Span = tuple[int, int]


def fold(text: str) -> str:
    """Lower case, one char for one char (str.lower turns `İ` into two)."""
    return text.replace("\u0130", "i").lower()


def find_all(
    corpus: str, key: str, cancelled: Callable[[], bool] | None = None
) -> array[int] | None:
    """The line of every non-overlapping occurrence of `key` in `corpus`, in order.

    A line appears once per match. None if `cancelled` said so on the way.
    """
    lines: array[int] = array("l")
    if not key:
        return lines
    step = len(key)
    line = 0
    last = 0
    found = corpus.find(key)
    while found != -1:
        line += corpus.count("\n", last, found)
        lines.append(line)
        last = found
        found = corpus.find(key, found + step)
        if cancelled is not None and len(lines) % 4096 == 0 and cancelled():
            return None
    return lines


@dataclass(slots=True)
class Line:
    """One line, prepared for painting and searching."""

    safe: str  # sanitized: what search indexes into
    shown: str  # `safe` with its tabs expanded: what is painted
    cells: int
    # Where `shown` may be cut (grapheme starts about CHUNK chars apart) and the
    # cells before each cut. None when every char is one cell.
    mark_chars: list[int] | None = None
    mark_cells: list[int] | None = None
    # The index in `safe` of each tab, and the chars added by it and those before.
    tab_at: list[int] | None = None
    tab_added: list[int] | None = None

    def shown_index(self, index: int) -> int:
        """Where char `index` of `safe` is in `shown`."""
        if self.tab_at is None or self.tab_added is None:
            return index
        before = bisect_left(self.tab_at, index)
        return index + (self.tab_added[before - 1] if before else 0)

    def cells_before(self, index: int) -> int:
        """The cells taken by `shown[:index]`."""
        if self.mark_chars is None or self.mark_cells is None:
            return index
        mark = bisect_right(self.mark_chars, index) - 1
        start = self.mark_chars[mark]
        return self.mark_cells[mark] + cell_len(self.shown[start:index])

    def window(self, x: int, width: int) -> tuple[int, int, int]:
        """(first char, end char, cells before the first) of a stretch covering cells x..x+width."""
        if self.mark_chars is None or self.mark_cells is None:
            start = min(x, len(self.shown))
            return start, min(x + width, len(self.shown)), start
        first = max(bisect_right(self.mark_cells, x) - 1, 0)
        last = min(bisect_left(self.mark_cells, x + width), len(self.mark_cells) - 1)
        return self.mark_chars[first], self.mark_chars[last], self.mark_cells[first]


def _expand_tabs(safe: str) -> tuple[str, list[int] | None, list[int] | None]:
    """Tabs as spaces to the next stop, counted in cells (a wide char takes two)."""
    if "\t" not in safe:
        return safe, None, None
    parts = safe.split("\t")
    out = [parts[0]]
    column = cell_len(parts[0])
    at = len(parts[0])
    tab_at: list[int] = []
    tab_added: list[int] = []
    added = 0
    for part in parts[1:]:
        pad = TAB_SIZE - column % TAB_SIZE
        out.append(" " * pad)
        out.append(part)
        added += pad - 1
        tab_at.append(at)
        tab_added.append(added)
        column += pad + cell_len(part)
        at += 1 + len(part)
    return "".join(out), tab_at, tab_added


def _starts_grapheme(text: str, index: int) -> bool:
    char = text[index]
    return (
        char not in _JOINERS and text[index - 1] != "\u200d" and get_character_cell_size(char) > 0
    )


def prepare(raw: str) -> Line:
    """A raw line made safe, its tabs expanded and its cells measured."""
    safe = safe_text(raw)
    shown, tab_at, tab_added = _expand_tabs(safe)
    if shown.isascii():  # printable ASCII by now: one cell a char
        return Line(safe, shown, len(shown), tab_at=tab_at, tab_added=tab_added)
    mark_chars = [0]
    mark_cells = [0]
    cells = 0
    start = 0
    size = len(shown)
    while start < size:
        end = min(start + CHUNK, size)
        # Cut only where a grapheme starts, so the pieces measure what the whole does.
        while end < size and not _starts_grapheme(shown, end):
            end += 1
        cells += cell_len(shown[start:end])
        mark_chars.append(end)
        mark_cells.append(cells)
        start = end
    return Line(safe, shown, cells, mark_chars, mark_cells, tab_at, tab_added)


def split_lines(text: str) -> tuple[str, list[str]]:
    """(the text with CRLF as LF, its lines). Only LF breaks a line.

    A bare CR, a form feed or U+0085 stays in its line, where the sanitizer shows
    it (`␍`): a CR that would overwrite a line on a terminal is the kind of thing
    a log viewer must not hide.
    """
    text = text.replace("\r\n", "\n")
    if not text:
        return text, []
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
    return text, lines


class TextViewer(ScrollView, can_focus=True):
    """Untrusted text, read-only: line numbers, sideways scrolling, search."""

    DEFAULT_CSS = """
    TextViewer {
        height: 1fr;
        background: $surface;
        scrollbar-size-vertical: 1;
    }
    TextViewer > .text-viewer--gutter { color: $text-muted; text-style: dim; }
    TextViewer > .text-viewer--match { text-style: reverse; }
    TextViewer > .text-viewer--current { color: $warning; text-style: reverse bold underline; }
    """
    COMPONENT_CLASSES = {"text-viewer--gutter", "text-viewer--match", "text-viewer--current"}
    BINDINGS = [
        Binding("j,down", "line_down", "Down", show=False),
        Binding("k,up", "line_up", "Up", show=False),
        Binding("pagedown,space", "page_down", "Page down", show=False),
        Binding("pageup,b", "page_up", "Page up", show=False),
        Binding("g,home", "top", "Top", show=False),
        Binding("G,end", "bottom", "End", show=False),
        Binding("h,left", "pan_left", "Left", show=False),
        Binding("l,right", "pan_right", "Right", show=False),
        Binding("n", "next_match", "Next"),
        Binding("N", "previous_match", "Previous"),
    ]

    class Changed(Message):
        """The top line, the search or its matches changed (a status line is out of date)."""

    class Searched(Message):
        """A search run in a thread has its matches."""

        bubble = False

        def __init__(self, generation: int, start: int, matches: array[int]) -> None:
            super().__init__()
            self.generation = generation
            self.start = start
            self.matches = matches

    def __init__(
        self,
        text: str,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._text, self._lines = split_lines(text)
        self._chars = len(self._text)
        # A guess (chars, not cells), corrected as lines are measured.
        self._widest = max(map(len, self._lines), default=0)
        self._digits = max(len(str(len(self._lines))), 3)
        self._prepared: OrderedDict[int, Line] = OrderedDict()
        self._strips: OrderedDict[tuple[int, ...], Strip] = OrderedDict()
        self._spans: OrderedDict[int, list[Span]] = OrderedDict()
        self._corpus: str | None = None
        self._corpus_lock = threading.Lock()
        # The search: its term, the folded key, the line of every match (None while
        # they are being found), which is current; `_generation` marks a new one.
        self.term = ""
        self._key: str | None = None
        self._matches: array[int] | None = None
        self._current: int | None = None
        self._generation = 0
        self._resize()

    # -- the text -----------------------------------------------------------------

    @property
    def line_count(self) -> int:
        return len(self._lines)

    @property
    def gutter_width(self) -> int:
        return self._digits + 2

    @property
    def top_line(self) -> int:
        """The index of the first line shown."""
        return self.scroll_offset.y

    def line(self, index: int) -> Line:
        """Line `index`, prepared (and kept: the LRU holds the last MAX_LINES)."""
        prepared = self._prepared.get(index)
        if prepared is not None:
            self._prepared.move_to_end(index)
            return prepared
        prepared = prepare(self._lines[index])
        self._prepared[index] = prepared
        if len(self._prepared) > MAX_LINES:
            self._prepared.popitem(last=False)
        if prepared.cells > self._widest:
            self._widest = prepared.cells
            self._resize()
        return prepared

    def _resize(self) -> None:
        self.virtual_size = Size(self.gutter_width + self._widest, len(self._lines))

    def _corpus_now(self) -> str:
        """The whole text as search sees it (built once; may run in a thread)."""
        with self._corpus_lock:
            if self._corpus is None:
                self._corpus = fold(safe_text(self._text))
                self._text = ""  # the lines hold it: no need for a second copy
            return self._corpus

    # -- moving -------------------------------------------------------------------

    @property
    def _page(self) -> int:
        return max(self.scrollable_content_region.height, 1)

    def action_line_down(self) -> None:
        self.scroll_to(y=self.scroll_offset.y + 1, animate=False)

    def action_line_up(self) -> None:
        self.scroll_to(y=self.scroll_offset.y - 1, animate=False)

    def action_page_down(self) -> None:
        self.scroll_to(y=self.scroll_offset.y + self._page, animate=False)

    def action_page_up(self) -> None:
        self.scroll_to(y=self.scroll_offset.y - self._page, animate=False)

    def action_top(self) -> None:
        self.scroll_to(y=0, animate=False)

    def action_bottom(self) -> None:
        self.scroll_to(y=self.max_scroll_y, animate=False)

    def action_pan_left(self) -> None:
        self.scroll_to(x=self.scroll_offset.x - PAN, animate=False)

    def action_pan_right(self) -> None:
        self.scroll_to(x=self.scroll_offset.x + PAN, animate=False)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if round(old_value) != round(new_value):
            self.post_message(self.Changed())

    # -- search -------------------------------------------------------------------

    @property
    def match_count(self) -> int | None:
        """How many matches the search has; None while they are being found or no search."""
        return None if self._matches is None else len(self._matches)

    @property
    def match_index(self) -> int | None:
        """The current match (0-based), if there is one."""
        return self._current

    @property
    def match_line(self) -> int | None:
        """The index of the line holding the current match."""
        if self._matches is None or self._current is None:
            return None
        return self._matches[self._current]

    @property
    def search_active(self) -> bool:
        """A term is being looked for (and highlighted)."""
        return self._key is not None

    @property
    def searching(self) -> bool:
        return self._key is not None and self._matches is None

    def search(self, term: str) -> None:
        """Find `term` (any case, as plain text) from the top line shown on."""
        self.workers.cancel_group(self, "text-viewer-search")
        self.term = term
        key = fold(safe_text(term))
        self._key = key or None
        self._matches = None
        self._current = None
        self._generation += 1
        self._spans.clear()
        self._strips.clear()
        self.refresh()
        if self._key is not None:
            start = self.scroll_offset.y
            if self._chars <= SYNC_SEARCH_CHARS:
                matches = find_all(self._corpus_now(), self._key)
                assert matches is not None
                self._found(self._generation, start, matches)
            else:
                self._search_in_thread(self._generation, self._key, start)
        self.post_message(self.Changed())

    def clear_search(self) -> None:
        """Stop highlighting; `n` or `N` take the last term up again."""
        self.workers.cancel_group(self, "text-viewer-search")
        self._key = None
        self._matches = None
        self._current = None
        self._generation += 1
        self._spans.clear()
        self._strips.clear()
        self.refresh()
        self.post_message(self.Changed())

    @work(thread=True, exclusive=True, group="text-viewer-search")
    def _search_in_thread(self, generation: int, key: str, start: int) -> None:
        worker = get_current_worker()
        corpus = self._corpus_now()
        if worker.is_cancelled:
            return
        matches = find_all(corpus, key, lambda: worker.is_cancelled)
        if matches is not None and not worker.is_cancelled:
            self.post_message(self.Searched(generation, start, matches))

    def on_text_viewer_searched(self, message: TextViewer.Searched) -> None:
        self._found(message.generation, message.start, message.matches)

    def _found(self, generation: int, start: int, matches: array[int]) -> None:
        if generation != self._generation:
            return  # a newer search, or the search was closed
        self._matches = matches
        if not matches:
            self._not_found()
        else:
            first = bisect_left(matches, start)
            if first == len(matches):
                first = 0
                self.notify("search wrapped", markup=False)
            self._go(first)
        self.post_message(self.Changed())

    def _not_found(self) -> None:
        self.notify(
            f"not found: {safe_line(self.term, limit=TERM_SHOWN)}",
            severity="warning",
            markup=False,
        )

    def action_next_match(self) -> None:
        self._step(1)

    def action_previous_match(self) -> None:
        self._step(-1)

    def _step(self, direction: int) -> None:
        if self._key is None:
            if self.term:
                self.search(self.term)
            else:
                self.notify("no search yet: press /", markup=False)
            return
        matches = self._matches
        if matches is None:
            return  # still searching: the result moves the view when it comes
        if not matches:
            self._not_found()
            return
        top = self.scroll_offset.y
        current = self._current
        if current is not None and top <= matches[current] < top + self._page:
            index = current + direction
        else:
            # The current match was scrolled away: go on from what is shown.
            index = bisect_left(matches, top) - (direction < 0)
        if not 0 <= index < len(matches):
            index %= len(matches)
            self.notify("search wrapped", markup=False)
        self._go(index)
        self.post_message(self.Changed())

    def _go(self, index: int) -> None:
        """Make match `index` current and scroll it into view."""
        assert self._matches is not None
        self._current = index
        self.refresh()
        number = self._matches[index]
        top = self.scroll_offset.y
        height = self._page
        y = top
        if not top <= number < top + height:
            y = max(number - min(3, height // 4), 0)  # a few lines of context above
        x = self.scroll_offset.x
        line = self.line(number)
        spans = self._spans_of(number, line)
        nth = index - bisect_left(self._matches, number)
        if nth < len(spans):
            start, end = spans[nth]
            left, right = line.cells_before(start), line.cells_before(end)
            width = max(self.scrollable_content_region.width - self.gutter_width, 1)
            if left < x or right > x + width:
                x = 0 if right <= width else max(left - width // 4, 0)
        self.scroll_to(x=x, y=y, animate=False)

    def _spans_of(self, index: int, line: Line) -> list[Span]:
        """The matches on line `index`, as spans of its `shown` chars."""
        if self._key is None:
            return []
        spans = self._spans.get(index)
        if spans is not None:
            self._spans.move_to_end(index)
            return spans
        key = self._key
        folded = fold(line.safe)
        step = len(key)
        spans = []
        found = folded.find(key)
        while found != -1:
            spans.append((line.shown_index(found), line.shown_index(found + step)))
            found = folded.find(key, found + step)
        self._spans[index] = spans
        if len(self._spans) > MAX_SPANS:
            self._spans.popitem(last=False)
        return spans

    def _current_on(self, index: int) -> int:
        """Which match on line `index` is current (its order on the line), or -1."""
        if self._matches is None or self._current is None:
            return -1
        if self._matches[self._current] != index:
            return -1
        return self._current - bisect_left(self._matches, index)

    def describe(self) -> str:
        """`line X of Y  match i of n`, for a status line."""
        total = len(self._lines)
        parts = [f"line {min(self.scroll_offset.y + 1, total):,} of {total:,}"]
        if self._key is not None:
            if self._matches is None:
                parts.append("searching…")
            elif not self._matches:
                parts.append("no match")
            elif self._current is not None:
                parts.append(f"match {self._current + 1:,} of {len(self._matches):,}")
        return "  ".join(parts)

    # -- painting -----------------------------------------------------------------

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()

    def render_line(self, y: int) -> Strip:
        x, top = self.scroll_offset
        index = top + y
        width = self.scrollable_content_region.width
        if index >= len(self._lines):
            return Strip.blank(width, self.rich_style)
        current = self._current_on(index)
        key = (index, x, width, self._generation, current)
        strip = self._strips.get(key)
        if strip is None:
            strip = self._paint(index, x, width, current)
            self._strips[key] = strip
            if len(self._strips) > MAX_STRIPS:
                self._strips.popitem(last=False)
        return strip

    def _paint(self, index: int, x: int, width: int, current: int) -> Strip:
        base = self.rich_style
        gutter = base + self.get_component_rich_style("text-viewer--gutter")
        line = self.line(index)
        number = Segment(f"{index + 1:>{self._digits}}│", gutter)
        content = _content(
            line,
            self._spans_of(index, line),
            current,
            x,
            max(width - self.gutter_width, 0),
            base,
            base + self.get_component_rich_style("text-viewer--match"),
            base + self.get_component_rich_style("text-viewer--current"),
        )
        return Strip.join([Strip([number, Segment(" ", base)]), content]).adjust_cell_length(
            width, base
        )


def _content(
    line: Line,
    spans: list[Span],
    current: int,
    x: int,
    width: int,
    base: Style,
    match: Style,
    current_style: Style,
) -> Strip:
    """Cells x..x+width of `line`, its matches styled."""
    start, end, before = line.window(x, width)
    if start >= end or width <= 0:
        return Strip([])
    text = line.shown
    segments: list[Segment] = []
    position = start
    nth = bisect_right(spans, start, key=_span_end)  # the first match ending past `start`
    while nth < len(spans) and spans[nth][0] < end:
        span_start, span_end = spans[nth]
        span_start, span_end = max(span_start, start), min(span_end, end)
        if span_start > position:
            segments.append(Segment(text[position:span_start], base))
        if span_end > span_start:
            style = current_style if nth == current else match
            segments.append(Segment(text[span_start:span_end], style))
        position = max(position, span_end)
        nth += 1
    if position < end:
        segments.append(Segment(text[position:end], base))
    # Cropping by cells: a wide char cut by either edge becomes a space.
    return Strip(segments).crop(x - before, x - before + width)
