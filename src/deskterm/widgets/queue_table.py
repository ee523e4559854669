"""The queue table: a ScrollView over the Line API, fed a page at a time.

Like toolong, it never holds the whole list: `render_line` asks a `RowSource` for
the page holding the line, pages are cached, and each painted line is kept as a
Strip keyed by what it shows. The one-second tick recomputes the countdowns of
the visible rows (business time, no query) and refreshes only the lines whose
text changed: over SSH, an idle queue costs a few bytes a second.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import cast

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget

from deskterm.desk.queue import Countdown, QueueRow
from deskterm.safe_text import safe_line
from deskterm.sla import Status

PAGE = 100
MAX_PAGES = 40
MAX_STRIPS = 400

# The queue column's short form of each status (the command line accepts it too).
STATUS_SHORT = {status.value: status.short for status in Status}
# Marks readable without colour (NO_COLOR, monochrome terminals).
MARKS = {"breached": "✖", "warning": "▲", "ok": " ", "paused": "‖", "none": "·"}
CALENDAR_CLOSED_MARK = "☾"  # the clock stands still: out of hours, weekend, holiday


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    width: int  # 0: takes the room left


# The countdown leads: the queue is sorted by it, and a tick that changes only the
# countdown then costs the terminal the start of each line, not the whole of it.
# The time left cell holds a countdown while the calendar stays open until the
# deadline, else the due day and time in the viewer's zone (`Mon 14 Dec 09:00`, 16
# cells): titled `due`, it reads true for both ("due 7h 47m", "due Mon 14 Dec").
# The `when` column (wide terminals) then counts the business days (`10bd`,
# `today`) instead of repeating the date, else gives the deadline's day and time.
COLUMNS = (
    Column("mark", "", 1),
    Column("left", "due", 16),
    Column("severity", "sev", 5),
    Column("number", "case", 7),
    Column("organization", "organization", 18),
    Column("subject", "subject", 0),
    Column("status", "status", 9),
    Column("assignee", "assignee", 9),
    Column("due", "when", 9),
    Column("note", "note", 20),
)
# Narrow terminals drop columns in this order (the header says which are hidden):
# time left, severity, case, subject and who owns it stay at 80 columns; the
# assignee goes only on a terminal narrower still. Wider ones give the subject the room.
HIDE_ORDER = ("note", "due", "status", "organization", "assignee")
SUBJECT_MIN = 26
GAP = 1


@lru_cache(maxsize=16)
def layout(width: int) -> tuple[tuple[Column, ...], tuple[str, ...]]:
    """The columns that fit in `width`, and the keys of those hidden.

    Asked for every painted line: computed once per width.
    """
    hidden: list[str] = []
    for key in (None, *HIDE_ORDER):
        if key is not None:
            hidden.append(key)
        shown = tuple(c for c in COLUMNS if c.key not in hidden)
        fixed = sum(c.width for c in shown) + GAP * (len(shown) - 1)
        if width - fixed >= SUBJECT_MIN:
            break
    return shown, tuple(hidden)


class RowSource:
    """What the table reads rows through (the screen's window on `desk.queue`)."""

    def page(self, start: int, limit: int) -> list[QueueRow]:
        raise NotImplementedError

    def total(self) -> int | None:
        """The number of rows, None while it is being counted."""
        raise NotImplementedError

    def label(self, row: QueueRow) -> str:
        raise NotImplementedError

    def countdown(self, row: QueueRow, now: datetime) -> Countdown:
        raise NotImplementedError

    def due_text(self, row: QueueRow) -> str:
        raise NotImplementedError

    def far_text(self, countdown: Countdown) -> str:
        """The time left cell of a row a business day or more from its deadline: the
        due day and time as the viewer reads them."""
        return countdown.left

    def subject_text(self, row: QueueRow) -> str:
        """The subject cell: the subject, or where a search matched the row and why."""
        return row.subject


class QueueTable(ScrollView, can_focus=True):
    COMPONENT_CLASSES = {
        "queue--header",
        "queue--cursor",
        "queue--breached",
        "queue--warning",
        "queue--quiet",
    }
    BINDINGS = [
        Binding("j,down", "cursor_down", "Down", show=False),
        Binding("k,up", "cursor_up", "Up", show=False),
        Binding("g,home", "first", "First", show=False),
        Binding("G,end", "last", "Last", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("enter", "open", "Open"),
    ]

    cursor: reactive[int] = reactive(0, always_update=True)

    class Resized(Message):
        """The table's width changed: the columns shown may have too."""

    class Opened(Message):
        def __init__(self, row: QueueRow) -> None:
            super().__init__()
            self.row = row

    def __init__(
        self,
        source: RowSource,
        now: Callable[[], datetime],
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.source = source
        self.now = now
        self._pages: OrderedDict[int, list[QueueRow]] = OrderedDict()
        self._strips: OrderedDict[tuple[object, ...], Strip] = OrderedDict()
        self._tails: OrderedDict[tuple[object, ...], str] = (
            OrderedDict()
        )  # a line after its countdown
        self._painted: dict[int, tuple[object, ...]] = {}  # virtual y -> key of its strip
        self._rows_known = 0
        self._laid_out_width = 0  # the content width the last painted lines were laid out in

    # -- data ---------------------------------------------------------------

    def reload(self, keep: int | None = None, first_page: list[QueueRow] | None = None) -> None:
        """Forget every cached row (the data changed) and repaint what is visible.

        `keep` is the position the selected case has now, if the caller knows it;
        `first_page`, rows already fetched (in a worker) for the top of the list.
        """
        self._pages.clear()
        self._painted.clear()
        self._rows_known = 0
        if first_page is not None:
            self._pages[0] = first_page
            self._rows_known = len(first_page)
        self._resize()
        if keep is not None:
            self.cursor = keep
        else:
            self.cursor = min(self.cursor, max(self.row_count - 1, 0))
        self.refresh()

    def total_changed(self) -> None:
        """The source counted its rows: resize the scrollable area, keep the cache.

        A count that changes nothing visible (the usual case) repaints nothing.
        """
        before = self.virtual_size.height
        self._resize()
        if self.cursor >= self.row_count:
            self.cursor = self.cursor  # re-validated against the new count
        if self.virtual_size.height != before:
            self.refresh()

    def find_near(self, number: int, index: int) -> int | None:
        """Where case `number` is within a page of `index`, if it is (no count needed)."""
        for candidate in sorted(
            range(max(index - PAGE, 0), index + PAGE), key=lambda i: abs(i - index)
        ):
            row = self.row_at(candidate)
            if row is not None and row.number == number:
                return candidate
        return None

    def loaded_from_top(self) -> list[QueueRow] | None:
        """The rows held, in order, when they run unbroken from the first row; None
        when pages are missing in between (scrolled far down). Whether the end of
        the list is among them: `len(...) < ` a whole number of pages, or the count.
        """
        if not self._pages or sorted(self._pages) != list(range(len(self._pages))):
            return None
        rows: list[QueueRow] = []
        for number in range(len(self._pages)):
            rows.extend(self._pages[number])
        return rows

    @property
    def row_count(self) -> int:
        total = self.source.total()
        if total is not None:
            return total
        # Not counted yet: what is known, plus a page so scrolling goes on.
        return self._rows_known + (PAGE if self._rows_known % PAGE == 0 else 0)

    def row_at(self, index: int) -> QueueRow | None:
        if index < 0:
            return None
        page_number = index // PAGE
        page = self._pages.get(page_number)
        if page is None:
            page = self.source.page(page_number * PAGE, PAGE)
            self._pages[page_number] = page
            if len(self._pages) > MAX_PAGES:
                self._pages.popitem(last=False)
            known = page_number * PAGE + len(page)
            self._rows_known = max(self._rows_known, known)
            if self.virtual_size.height != self.row_count:
                self._resize()
        else:
            self._pages.move_to_end(page_number)
        offset = index % PAGE
        return page[offset] if offset < len(page) else None

    @property
    def selected(self) -> QueueRow | None:
        return self.row_at(self.cursor)

    def _resize(self) -> None:
        self.virtual_size = Size(self.size.width, self.row_count)

    def on_resize(self) -> None:
        self._painted.clear()
        self._resize()
        self.post_message(self.Resized())

    # -- movement -----------------------------------------------------------

    def validate_cursor(self, value: int) -> int:
        return max(0, min(value, max(self.row_count - 1, 0)))

    def watch_cursor(self, old: int, new: int) -> None:
        self.refresh_line(old)
        self.refresh_line(new)
        self.scroll_to_region_of(new)

    def scroll_to_region_of(self, index: int) -> None:
        height = self.scrollable_content_region.height
        top = round(self.scroll_y)
        if index < top:
            self.scroll_to(y=index, animate=False, immediate=True)
        elif index >= top + height:
            self.scroll_to(y=index - height + 1, animate=False, immediate=True)

    def action_cursor_down(self) -> None:
        self.cursor += 1

    def action_cursor_up(self) -> None:
        self.cursor -= 1

    def action_first(self) -> None:
        self.cursor = 0

    def action_last(self) -> None:
        self.cursor = self.row_count - 1

    def action_page_down(self) -> None:
        self.cursor += max(self.scrollable_content_region.height - 1, 1)

    def action_page_up(self) -> None:
        self.cursor -= max(self.scrollable_content_region.height - 1, 1)

    def action_open(self) -> None:
        row = self.selected
        if row is not None:
            self.post_message(self.Opened(row))

    # -- painting -----------------------------------------------------------

    def tick(self) -> None:
        """Repaint what changed on the visible lines since they were painted.

        Mostly that is the time left and nothing else: then only that cell is
        refreshed, so the terminal gets a dozen bytes for the row, not all of it.
        """
        top = round(self.scroll_y)
        now = self.now()
        region = self.scrollable_content_region
        left_cell = _cell_region("left", region.width)
        rows = self.row_count
        for index in range(top, min(top + region.height, rows)):
            painted = self._painted.get(index)
            if painted is None:
                # Not painted since the table was last laid out (a header that grew a
                # line resizes it): paint it now, or its countdown would stand still.
                self.refresh_line(index)
                continue
            row = self.row_at(index)
            if row is None:
                continue
            key, countdown = self._line_key(row, index, now, region.width)
            if key == painted:
                continue
            shown, was = cast(tuple[object, ...], key[1]), cast(tuple[object, ...], painted[1])
            # A far row's business days show in the due column too: the whole line.
            only_time_moved = (
                not countdown.far
                and key[0] == painted[0]
                and key[2:] == painted[2:]
                and shown[0] == was[0]
                and shown[2:] == was[2:]
            )
            if only_time_moved and left_cell is not None:
                x, width = left_cell[0], min(left_cell[1], COUNTDOWN_CELLS)
                self.refresh(Region(x, index - top, width, 1))
            else:
                self.refresh_line(index)

    @property
    def content_width(self) -> int:
        """The width rows are laid out in: the table's, less its scrollbar."""
        return self.scrollable_content_region.width

    def _line_key(
        self, row: QueueRow, index: int, now: datetime, width: int
    ) -> tuple[tuple[object, ...], Countdown]:
        """What line `index` shows (its strip's cache key), and the countdown in it."""
        countdown = self.source.countdown(row, now)
        selected = index == self.cursor
        # What the line shows, not the exact time left: that changes every second.
        shown = (countdown.state, countdown.left, countdown.note, countdown.calendar_closed)
        # The subject too: a search's snippet comes after the row (the same row, under
        # another search or order, shows another).
        subject = self.source.subject_text(row)
        key = (row, (*shown, countdown.waiting, countdown.far), selected, width, subject)
        return key, countdown

    def render_line(self, y: int) -> Strip:
        index = round(self.scroll_y) + y
        width = self.content_width
        if width != self._laid_out_width:
            # The vertical scrollbar came or went (the row count became known) without
            # the table changing size: the column header must follow the new layout.
            self._laid_out_width = width
            self.post_message(self.Resized())
        row = self.row_at(index) if index < self.row_count else None
        if row is None:
            self._painted.pop(index, None)
            return Strip.blank(width, self.rich_style)
        now = self.now()
        key, countdown = self._line_key(row, index, now, width)
        self._painted[index] = key
        strip = self._strips.get(key)
        if strip is None:
            strip = self._render_row(row, countdown, index == self.cursor, width)
            self._strips[key] = strip
            if len(self._strips) > MAX_STRIPS:
                self._strips.popitem(last=False)
        return strip

    def _render_row(self, row: QueueRow, countdown: Countdown, selected: bool, width: int) -> Strip:
        base = self.rich_style
        if countdown.state == "breached":
            base += self.get_component_rich_style("queue--breached")
        elif countdown.state == "warning":
            base += self.get_component_rich_style("queue--warning")
        elif countdown.state in ("paused", "none"):
            base += self.get_component_rich_style("queue--quiet")
        if selected:
            # The cursor's own colours: legible on any row (the mark still says breached).
            base += self.get_component_rich_style("queue--cursor")
        cells = _cell_widths(width)
        split = _head_size(width)
        left = self.source.far_text(countdown) if countdown.far else countdown.left
        head = _cell_text(cells[:split], {"mark": _mark(countdown), "left": left})
        # The rest of the line stays as it was while only the time left moves: built
        # once, not every second (a fresh strip per tick for every ticking row).
        note = _note(row, countdown)
        subject = self.source.subject_text(row)
        due = countdown.left if countdown.far else self.source.due_text(row)
        tail_key = (row, note, width, subject, due)
        tail = self._tails.get(tail_key)
        if tail is None:
            values = {
                "severity": self.source.label(row),
                "number": str(row.number),
                "organization": row.organization,
                "subject": subject,
                "status": STATUS_SHORT.get(row.status, row.status),
                "assignee": row.assignee or "-",
                "due": due,
                "note": note,
            }
            tail = _cell_text(cells[split:], values)
            self._tails[tail_key] = tail
            if len(self._tails) > MAX_STRIPS:
                self._tails.popitem(last=False)
        else:
            self._tails.move_to_end(tail_key)
        if split == len(cells):
            return Strip([Segment(head, base)]).adjust_cell_length(width, base)
        # The first segment ends with the countdown's nine cells: a tick sends those,
        # not the rest of a cell that is blank unless it holds a due day and time.
        ticking, rest = _split_cells(head, len(MARKS["ok"]) + GAP + COUNTDOWN_CELLS)
        segments = [Segment(ticking, base), Segment(rest + " " * GAP + tail, base)]
        return Strip(segments).adjust_cell_length(width, base)


def _split_cells(text: str, cells: int) -> tuple[str, str]:
    """`text` cut after `cells` cells (where a character of two cells makes that
    impossible, after the whole of it)."""
    before = text[:cells]
    if cell_len(before) != cells:
        return text, ""
    return before, text[cells:]


def _note(row: QueueRow, countdown: Countdown) -> str:
    """What the mark does not say: why the calendar stands still (the mark says only
    that it does), else which clock falls due next; empty when waiting on the customer
    (the mark and the status say it)."""
    if countdown.calendar_closed:
        return countdown.note
    if countdown.waiting or row.next_clock is None:
        return ""
    return row.next_clock.label


def _mark(countdown: Countdown) -> str:
    """Breached first; then why no clock of support's is running; then urgency."""
    if countdown.state == "breached":
        return MARKS["breached"]
    if countdown.calendar_closed and countdown.state in ("ok", "warning"):
        return CALENDAR_CLOSED_MARK
    if countdown.waiting:
        return MARKS["paused"]
    return MARKS[countdown.state]


def _cell_region(key: str, width: int) -> tuple[int, int] | None:
    """Where column `key` sits on a line of `width` (x, cell width), if it is shown."""
    x = 0
    for column, cell_width in _cell_widths(width):
        if column.key == key:
            return x, cell_width
        x += cell_width + GAP
    return None


@lru_cache(maxsize=16)
def _cell_widths(width: int) -> tuple[tuple[Column, int], ...]:
    """Each shown column with its width on a line of `width` (the subject takes the rest)."""
    columns, _ = layout(width)
    fixed = sum(c.width for c in columns) + GAP * (len(columns) - 1)
    subject_width = max(width - fixed, SUBJECT_MIN)
    return tuple((column, column.width or subject_width) for column in columns)


def _head_size(width: int) -> int:
    """How many leading columns make the line's first segment: the mark and the countdown.

    Textual writes a partly refreshed line segment by segment up to the refreshed
    cell, so a tick that changes only the countdown sends only this first segment.
    """
    cells = _cell_widths(width)
    return 2 if len(cells) > 2 and cells[1][0].key == "left" else len(cells)


def _cell_text(cells: Sequence[tuple[Column, int]], values: dict[str, str]) -> str:
    gap = " " * GAP
    # Everything shown went through the sanitizer: no control reaches the terminal.
    return gap.join(
        _fit_left(safe_line(values[column.key], limit=width), width)
        if column.key == "left"
        else _fit(safe_line(values[column.key], limit=width), width)
        for column, width in cells
    )


# Countdowns stand right-aligned in the cell's first nine cells, where they stood
# before the cell grew to hold a due day and time: the digits line up, and they stay
# beside the mark (a dialog drawn over the queue leaves them in sight).
COUNTDOWN_CELLS = 9


def _fit_left(text: str, width: int) -> str:
    if cell_len(text) <= COUNTDOWN_CELLS:
        return _fit(_fit(text, COUNTDOWN_CELLS, right=True), width)
    return _fit(text, width, right=True)


def _cells(values: dict[str, str], style: Style, width: int) -> Strip:
    cells = _cell_widths(width)
    split = _head_size(width)
    head, tail = cells[:split], cells[split:]
    segments = [Segment(_cell_text(head, values) + (" " * GAP if tail else ""), style)]
    if tail:
        segments.append(Segment(_cell_text(tail, values), style))
    return Strip(segments).adjust_cell_length(width, style)


def _fit(text: str, width: int, right: bool = False) -> str:
    if cell_len(text) > width:
        return set_cell_size(text, width)
    padding = " " * (width - cell_len(text))
    return padding + text if right else text + padding


class ColumnHeader(Widget):
    """The column titles above the table, laid out by the same rule as its rows."""

    def __init__(self, table: QueueTable) -> None:
        super().__init__()
        self.table = table

    def render_line(self, y: int) -> Strip:
        width = self.table.content_width or self.size.width
        titles = {column.key: column.title for column in COLUMNS}
        return _cells(titles, self.rich_style, width).extend_cell_length(
            self.size.width, self.rich_style
        )
