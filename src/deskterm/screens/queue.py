"""The queue: every open case, soonest deadline first, with live countdowns.

Where the on-call engineer lives all night. Rows come from `desk.queue` a page at
a time; counts run in thread workers; a change committed anywhere (another
terminal, the CLI, another user) is picked up within a second and the selection
stays on the same case.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Input, Static, Tab, Tabs

from deskterm.desk.context import Desk
from deskterm.desk.errors import DeskError
from deskterm.desk.filters import TOKENS_HELP, parse_filter
from deskterm.desk.queue import VIEWS, Countdown, Counts, Queue, QueueQuery, QueueRow, countdown
from deskterm.safe_text import safe_line
from deskterm.screens.connection import show_connection
from deskterm.screens.help import HelpScreen
from deskterm.screens.local_time import short
from deskterm.store.changes import ChangeWatcher
from deskterm.widgets.keys_footer import KeysFooter
from deskterm.widgets.queue_table import PAGE, ColumnHeader, QueueTable, RowSource, layout

# How often the console asks whether anyone changed the desk.
CHANGE_POLL_SECONDS = 0.5
# While a filter is being typed, the count of matching rows (a scan when it matches
# text) waits for a pause in typing: one count per pause, not one per key.
COUNT_AFTER_TYPING_SECONDS = 0.3


class QueueSource(RowSource):
    """The table's window on the desk's queue, for the current view and filter."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        self.queue = Queue(desk)
        self.query = QueueQuery(me=desk.actor)
        self.counted: int | None = None
        # First and last row of each page fetched, for keyset paging from a neighbour.
        self.bounds: dict[int, tuple[QueueRow, QueueRow]] = {}

    def forget(self, count_too: bool = True) -> None:
        """Drop what was fetched; keep the count as a good guess while recounting."""
        if count_too:
            self.counted = None
        self.bounds.clear()

    def page(self, start: int, limit: int) -> list[QueueRow]:
        rows = self._fetch(start, limit)
        if rows:
            self.bounds[start] = (rows[0], rows[-1])
        if len(rows) < limit:
            self.counted = start + len(rows)  # the end is in sight: exact without counting
        return rows

    def _fetch(self, start: int, limit: int) -> list[QueueRow]:
        now, query = self.desk.now(), self.query
        if start - limit in self.bounds:  # paging down: seek past the page above
            return self.queue.rows_after(query, now, self.bounds[start - limit][1], limit)
        if start + limit in self.bounds and start >= 0:  # paging up from below
            rows = self.queue.rows_before(query, now, self.bounds[start + limit][0], limit)
            if len(rows) == limit:
                return rows
        total = self.counted
        if total is not None and start > total // 2:  # deep: count from the end instead
            from_end = max(total - start - limit, 0)
            return self.queue.rows_from_end(query, now, from_end, min(limit, total - start))
        return self.queue.rows(query, now, start, limit)

    def total(self) -> int | None:
        return self.counted

    def label(self, row: QueueRow) -> str:
        return self.desk.policy(row.policy).label(row.severity)

    def countdown(self, row: QueueRow, now: datetime) -> Countdown:
        return countdown(row, self.desk.policy(row.policy), now)

    def due_text(self, row: QueueRow) -> str:
        return short(row.next_due, self.desk.now(), year=False)  # the viewer's own zone


def _timeless(query: QueueQuery) -> bool:
    """Whether `query`'s rows change only when the desk does (not as time passes)."""
    flt = query.filter
    return query.view not in ("soon", "closed") and not flt.breached and flt.due_within is None


class QueueScreen(Screen[None]):
    BINDINGS = [
        Binding("slash", "filter", "Filter"),
        Binding("escape", "clear_filter", "Clear filter"),
        Binding("t", "take", "Take"),
        Binding("exclamation_mark", "app.sev1_call", "Sev 1"),
        Binding("n", "app.new_case", "New"),
        Binding("r", "refresh", "Refresh"),
        # Out of the footer (it is full at 80 columns); in the help and the palette.
        Binding("b", "board", "Board", show=False),
        Binding("h", "handoff", "Handoff", show=False),
        Binding("question_mark", "help", "Help"),
        Binding("q", "app.quit", "Quit"),
        *(
            Binding(str(n), f"view('{view.key}')", view.title, show=False)
            for n, view in enumerate(VIEWS, 1)
        ),
    ]

    def __init__(self, desk: Desk, *, readonly: bool = False, bell: bool = False) -> None:
        super().__init__()
        self.desk = desk
        self.readonly = readonly
        self.bell = bell
        self.source = QueueSource(desk)
        self.watcher = ChangeWatcher(desk.engine)
        self.counts: Counts | None = None
        self._count_timer: Timer | None = None
        self._summary_text = ""
        # Rows per query counted since the desk last changed: going back to a view or
        # clearing a filter needs no recount (a scan of the whole queue at 1M cases).
        self._counted: dict[QueueQuery, int] = {}
        self._table = QueueTable(self.source, self.desk.now, id="queue")

    def compose(self) -> ComposeResult:
        # markup=False throughout: user names and typed filters are not markup.
        with Horizontal(id="summary-bar"):
            yield Static(id="summary", markup=False)
            yield Static(id="who", markup=False)
        # The filter takes the tabs' line while it is typed: the rows below stay where
        # they are, and the terminal repaints one line, not the whole table.
        with Horizontal(id="view-bar"):
            yield Tabs(*(Tab(view.title, id=view.key) for view in VIEWS), id="views")
            yield Static("filter:", id="filter-label")
            yield Input(placeholder=f"words, {TOKENS_HELP}", id="filter")
        yield Static(id="problems", markup=False)
        yield ColumnHeader(self._table)
        yield self._table
        yield KeysFooter()

    @property
    def table(self) -> QueueTable:
        return self._table

    def on_mount(self) -> None:
        # The starting point for live changes, taken before any row is read: a commit
        # made while the first rows load is then seen as a change.
        self.watcher.changed()
        self.query_one("#filter", Input).display = False
        self.query_one("#problems", Static).display = False
        self.query_one("#who", Static).update(safe_line(self.desk.actor))
        self.table.focus()
        # Counting waits for the first rows to be painted: its threads would compete
        # with the first paint for the interpreter.
        self.call_after_refresh(self._recount)
        self._intervals = [
            self.set_interval(1, self.table.tick),
            self.set_interval(CHANGE_POLL_SECONDS, self._watch_changes),
        ]

    def on_screen_suspend(self) -> None:
        # Under the case screen nothing here is seen: no ticking, no polling.
        for timer in getattr(self, "_intervals", ()):
            timer.pause()

    def on_screen_resume(self) -> None:
        for timer in getattr(self, "_intervals", ()):
            timer.resume()
        self.table.tick()
        self._watch_changes()  # what changed meanwhile (the case just worked on) shows now

    def on_unmount(self) -> None:
        self.watcher.close()

    # -- counting in the background ------------------------------------------

    def _deliver(self, callback: Callable[..., None], *args: object) -> None:
        """Hand a worker's result to the screen, from the worker's thread.

        A query cannot be stopped halfway, so its answer may come after the console
        has begun to quit and the table is gone: then nobody waits for it.
        """

        def arrive() -> None:
            if self.table.is_attached:
                callback(*args)

        self.app.call_from_thread(arrive)

    def _recount(self) -> None:
        self._count_rows(self.source.query)
        self._count_desk()

    def _count_rows_soon(self) -> None:
        """Count the rows of the current query once typing pauses."""
        if self._count_timer is not None:
            self._count_timer.stop()
        self._count_timer = self.set_timer(
            COUNT_AFTER_TYPING_SECONDS, lambda: self._count_rows(self.source.query)
        )

    @work(thread=True, exclusive=True, group="count-rows")
    def _count_rows(self, query: QueueQuery) -> None:
        # Typed on, or cleared, meanwhile: the count stops and nobody waits for it.
        total = self.source.queue.count(
            query, self.desk.now(), stale=lambda: query != self.source.query
        )
        if total is not None:
            self._deliver(self._rows_counted, query, total)

    def _rows_counted(self, query: QueueQuery, total: int) -> None:
        if _timeless(query):
            self._counted[query] = total
        if query == self.source.query:
            self.source.counted = total
            self.table.total_changed()
            self._update_summary()

    @work(thread=True, exclusive=True, group="count-desk")
    def _count_desk(self) -> None:
        counts = self.source.queue.counts(self.desk.now())
        self._deliver(self._desk_counted, counts)

    def _desk_counted(self, counts: Counts) -> None:
        before, self.counts = self.counts, counts
        if (
            self.bell
            and before is not None
            and (
                counts.breached > before.breached or counts.unassigned_sev1 > before.unassigned_sev1
            )
        ):
            self.app.bell()
        self._update_summary()

    def _update_summary(self) -> None:
        if not self.is_attached:
            return  # a count that arrived after the screen was closed
        width = self.table.content_width or self.size.width
        _, hidden = layout(width)
        narrow = width < 100
        parts = []
        if self.counts is not None:
            c = self.counts
            if narrow:
                parts.append(
                    f"open {c.open} breached {c.breached} <1h {c.due_soon} "
                    f"unassigned S1 {c.unassigned_sev1}"
                )
            else:
                parts.append(
                    f"open {c.open}  breached {c.breached}  due <1h {c.due_soon}  "
                    f"unassigned Sev 1 {c.unassigned_sev1}"
                )
        shown = self.source.total()
        if shown is not None and self.source.query != QueueQuery(me=self.desk.actor):
            parts.append(f"showing {shown}")
        notes = []
        if shown is not None and parts and parts[-1].startswith("showing"):
            notes.append(parts.pop())
        typed = self.query_one("#filter", Input)
        if typed.value and not typed.display:
            notes.append("filter: " + safe_line(typed.value, 40))
        if hidden:
            notes.append("hidden columns: " + ", ".join(hidden))
        # Narrow terminals get a second line rather than a cut one.
        lines = [" | ".join(parts)] + ([" | ".join(notes)] if notes else [])
        text = ("\n" if narrow else "  |  ").join(lines)
        if text != self._summary_text:  # an unchanged header costs no repaint
            self._summary_text = text
            self.query_one("#summary", Static).update(text)

    @on(QueueTable.Resized)
    def _table_resized(self) -> None:
        self._update_summary()
        self.query_one(ColumnHeader).refresh()

    # -- live ---------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="changes")
    def _watch_changes(self) -> None:
        changed = self.watcher.changed()
        self.app.call_from_thread(show_connection, self.app, self.watcher.problem)
        if changed:
            self._deliver(self.reload_data)

    def reload_data(self) -> None:
        """Someone changed the desk: reload what is shown, keeping the selected case."""
        selected, cursor = self.table.selected, self.table.cursor
        # The old count stands until the new one arrives: no scrollbar flicker per change.
        self.source.forget(count_too=False)
        self._counted.clear()
        self.table.reload(keep=cursor)
        if selected is not None and self.table.selected != selected:
            # Most changes leave the selected case where it was, or near: look there
            # first; only a case that moved far needs the database to place it.
            found = self.table.find_near(selected.number, cursor)
            if found is not None:
                self.table.cursor = found
            else:
                self._locate(self.source.query, selected.number)
        self._count_rows(self.source.query)
        self._count_desk()

    @work(thread=True, exclusive=True, group="locate")
    def _locate(self, query: QueueQuery, number: int) -> None:
        position = self.source.queue.position(query, self.desk.now(), number)
        if position is not None:
            self._deliver(self._located, query, position)

    def _located(self, query: QueueQuery, position: int) -> None:
        if query == self.source.query:
            self.table.cursor = position

    # -- views and filter ------------------------------------------------------

    def _set_query(self, query: QueueQuery, typing: bool = False) -> None:
        """Show `query`'s rows; the desk's own counts do not depend on it."""
        self.source.query = query
        self.source.forget()
        if query.filter.words or query.filter.organization:
            # Matching text may scan many rows: fetch in the background, typing goes on
            # and the rows shown stay until the new ones arrive (no flicker per key).
            self._first_page(query)
        else:
            self.table.reload(keep=0)
        known = self._counted.get(query)
        if known is not None:
            self._rows_counted(query, known)
        elif typing:
            self._count_rows_soon()
        else:
            self._count_rows(query)

    @work(thread=True, exclusive=True, group="first-page")
    def _first_page(self, query: QueueQuery) -> None:
        rows = self.source.queue.rows(query, self.desk.now(), 0, PAGE)
        self._deliver(self._first_page_fetched, query, rows)

    def _first_page_fetched(self, query: QueueQuery, rows: list[QueueRow]) -> None:
        if query != self.source.query:
            return  # typed on since
        if rows:
            self.source.bounds[0] = (rows[0], rows[-1])
        if len(rows) < PAGE:
            self.source.counted = len(rows)
        self.table.reload(keep=0, first_page=rows)
        self._update_summary()

    @on(Tabs.TabActivated, "#views")
    def _view_chosen(self, event: Tabs.TabActivated) -> None:
        view = event.tab.id or "all"
        if view != self.source.query.view:
            self._set_query(QueueQuery(view, self.source.query.filter, self.desk.actor))

    def action_view(self, key: str) -> None:
        self.query_one("#views", Tabs).active = key

    def _show_filter(self, typing: bool) -> None:
        self.query_one("#views", Tabs).display = not typing
        self.query_one("#filter", Input).display = typing
        self.query_one("#filter-label", Static).display = typing
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "clear_filter":  # in the footer only while there is a filter
            field = self.query_one("#filter", Input)
            return field.display or bool(field.value)
        return True

    def action_filter(self) -> None:
        self._show_filter(True)
        self.query_one("#filter", Input).focus()

    @on(Input.Changed, "#filter")
    def _filter_typed(self, event: Input.Changed) -> None:
        parsed = parse_filter(event.value, self.desk.actor, self.desk.severity_levels())
        self._show_problems(safe_line("; ".join(parsed.problems)))
        self._set_query(
            QueueQuery(self.source.query.view, parsed, self.desk.actor), typing=bool(event.value)
        )

    def _show_problems(self, text: str) -> None:
        """The filter's problems under it; unchanged ones cost no new layout per key."""
        problems = self.query_one("#problems", Static)
        if text != str(problems.content) or bool(text) != problems.display:
            problems.display = bool(text)
            problems.update(text)

    @on(Input.Submitted, "#filter")
    def _filter_done(self) -> None:
        # Back to the rows and the tabs; the header names the filter still applied.
        self._show_filter(False)
        self.table.focus()
        self._update_summary()

    def action_clear_filter(self) -> None:
        field = self.query_one("#filter", Input)
        if field.value:
            field.value = ""  # Input.Changed resets the query
        self._show_filter(False)
        self._show_problems("")
        self.table.focus()

    # -- acting -------------------------------------------------------------------

    def action_refresh(self) -> None:
        self.reload_data()

    def action_board(self) -> None:
        # Imported when first needed, like the case screen.
        from deskterm.screens.board import BoardScreen

        self.app.push_screen(BoardScreen(self.desk, readonly=self.readonly))

    def action_handoff(self) -> None:
        from deskterm.screens.handoff import HandoffScreen

        self.app.push_screen(HandoffScreen(self.desk))

    def action_report(self) -> None:
        from deskterm.screens.report import ReportScreen

        self.app.push_screen(ReportScreen(self.desk))

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(self))

    @on(QueueTable.Opened)
    def _open(self, event: QueueTable.Opened) -> None:
        # Imported when first needed: the case screen and its dialogs are a twentieth
        # of a second of start-up the queue does not need.
        from deskterm.screens.case import CaseScreen

        self.app.push_screen(CaseScreen(self.desk, event.row.number, readonly=self.readonly))

    def action_take(self) -> None:
        row = self.table.selected
        if row is None:
            return
        if self.readonly:
            self.notify("read-only console: nothing can be changed here", severity="warning")
            return
        if row.assignee and row.assignee != self.desk.actor:
            self._ask_to_take(row, row.assignee)
            return
        self._take(row)

    def _ask_to_take(self, row: QueueRow, holder: str) -> None:
        """A colleague's case is taken only once the engineer says so, naming the holder."""
        from deskterm.screens.sev1 import Confirm

        def answered(yes: bool | None) -> None:
            if yes:
                self._take(row, from_holder=True)

        self.app.push_screen(
            Confirm(
                f"Incident# {row.number} is held by {safe_line(holder, 60)}. "
                "Take it from them?"
            ),
            answered,
        )

    @work(thread=True, group="write")
    def _take(self, row: QueueRow, from_holder: bool = False) -> None:
        from deskterm.desk import cases  # the ORM on the first write, not at start-up

        try:
            cases.take(
                self.desk, row.number, expected_version=row.version, from_holder=from_holder
            )
        except DeskError as error:
            self.app.call_from_thread(
                self.notify, safe_line(str(error)), severity="error", timeout=8, markup=False
            )
            return
        self.app.call_from_thread(self.notify, f"Incident# {row.number} is yours")
        self._deliver(self.reload_data)
