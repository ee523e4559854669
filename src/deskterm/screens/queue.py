"""The queue: every open case, soonest deadline first, with live countdowns.

Where the on-call engineer lives all night. Rows come from `desk.queue` a page at
a time; counts run in thread workers; a change committed anywhere (another
terminal, the CLI, another user) is picked up within a second and the selection
stays on the same case. The console's monitor says which cases changed
(`DeskChanged`): the rows shown are read again only when one of them is among
them or now sorts among them; otherwise only the counts are asked again.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input, Static, Tab, Tabs

from deskterm.desk import search
from deskterm.desk.context import Desk
from deskterm.desk.errors import DeskError, StorageError, is_connection_lost
from deskterm.desk.filters import TOKENS_HELP, parse_filter
from deskterm.desk.queue import (
    VIEWS,
    Countdown,
    Counts,
    Queue,
    QueueQuery,
    QueueRow,
    countdown,
    sort_key,
)
from deskterm.live.messages import DeskChanged, StorageFailed
from deskterm.safe_text import safe_line
from deskterm.screens.grammar import GrammarScreen
from deskterm.screens.local_time import short, stamp
from deskterm.widgets.dialog import STYLES
from deskterm.widgets.keys_footer import KeysFooter
from deskterm.widgets.queue_table import (
    COLUMNS,
    PAGE,
    ColumnHeader,
    QueueTable,
    RowSource,
    layout,
)

# While a filter is being typed, the count of matching rows (a scan when it matches
# text) waits for a pause in typing: one count per pause, not one per key.
COUNT_AFTER_TYPING_SECONDS = 0.3
# How far down the queue the selection follows a case that moved (a bounded count:
# `_locate`); beyond, the cursor keeps its place.
FOLLOW_WITHIN = 5_000
# The hidden columns are named as their headers read.
TITLES = {column.key: column.title for column in COLUMNS}


# -- what the workers post back (on the screen's thread) ------------------------------


class RowsCounted(Message, bubble=False):
    def __init__(self, query: QueueQuery, total: int) -> None:
        super().__init__()
        self.query, self.total = query, total


class DeskCounted(Message, bubble=False):
    """The desk's counts (None: the count failed) and when they next change by time."""

    def __init__(self, counts: Counts | None, change_at: datetime | None) -> None:
        super().__init__()
        self.counts, self.change_at = counts, change_at


class ChangedRowsRead(Message, bubble=False):
    """Rows of changed cases that match `query`."""

    def __init__(self, query: QueueQuery, rows: list[QueueRow]) -> None:
        super().__init__()
        self.query, self.rows = query, rows


class Located(Message, bubble=False):
    def __init__(self, query: QueueQuery, position: int) -> None:
        super().__init__()
        self.query, self.position = query, position


class FirstPageRead(Message, bubble=False):
    def __init__(
        self, query: QueueQuery, rows: list[QueueRow], found: dict[int, tuple[str, str]]
    ) -> None:
        super().__init__()
        self.query, self.rows, self.found = query, rows, found


class Taken(Message, bubble=False):
    def __init__(self, number: int) -> None:
        super().__init__()
        self.number = number


class TakeRefused(Message, bubble=False):
    def __init__(self, problem: str) -> None:
        super().__init__()
        self.problem = problem


class QueueSource(RowSource):
    """The table's window on the desk's queue, for the current view and filter."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        self.queue = Queue(desk)
        self.query = QueueQuery(me=desk.actor)
        self.counted: int | None = None
        # First and last row of each page fetched, for keyset paging from a neighbour.
        self.bounds: dict[int, tuple[QueueRow, QueueRow]] = {}
        # Case number -> (where, snippet) of the search's match, for the rows fetched.
        self.matched: dict[int, tuple[str, str]] = {}

    def forget(self, count_too: bool = True) -> None:
        """Drop what was fetched; keep the count as a good guess while recounting."""
        if count_too:
            self.counted = None
        self.bounds.clear()

    def page(self, start: int, limit: int) -> list[QueueRow]:
        try:
            rows = self._fetch(start, limit)
        except Exception as error:
            # Fetched while painting: a lost server leaves the page empty for now
            # (the watcher says "reconnecting", and reloads the table once back).
            if not is_connection_lost(error):
                raise
            return []
        terms = self.query.filter.terms
        if rows and terms:
            # Where each row matched, for the rows fetched only (a page, never all).
            found = search.places_of_numbers(self.desk, [row.number for row in rows], terms)
            self.matched.update(found)
        if rows:
            self.bounds[start] = (rows[0], rows[-1])
        if len(rows) < limit and (rows or start == 0):
            # The end is in sight: exact without counting. Not from an empty page past
            # the first (`QueueTable.find_near` reads past the end): the end is before it.
            self.counted = start + len(rows)
        return rows

    def _fetch(self, start: int, limit: int) -> list[QueueRow]:
        now, query = self.desk.now(), self.query
        if query.by_relevance:  # no index holds this order: pages by offset
            return self.queue.rows(query, now, start, limit)
        if start - limit in self.bounds:  # paging down: seek past the page above
            return self.queue.rows_after(query, now, self.bounds[start - limit][1], limit)
        if start + limit in self.bounds and start >= 0:  # paging up from below
            rows = self.queue.rows_before(query, now, self.bounds[start + limit][0], limit)
            if len(rows) == limit:
                return rows
        total = self.counted
        # Deep: count from the end instead. Only a page that starts before the count
        # ends: the count may be older than the rows (kept while they are read again,
        # `forget`), and a page past it (`QueueTable.find_near` reads one) would ask
        # for a negative number of rows, which PostgreSQL refuses and SQLite reads as
        # "all of them" (tests/screens/test_queue_past_the_end.py).
        if total is not None and total // 2 < start < total:
            from_end = max(total - start - limit, 0)
            return self.queue.rows_from_end(query, now, from_end, min(limit, total - start))
        return self.queue.rows(query, now, start, limit)

    def total(self) -> int | None:
        return self.counted

    def label(self, row: QueueRow) -> str:
        return self.desk.policy(row.policy, row.policy_version).label(row.severity)

    def countdown(self, row: QueueRow, now: datetime) -> Countdown:
        return countdown(row, self.desk.policy(row.policy, row.policy_version), now)

    def due_text(self, row: QueueRow) -> str:
        return short(row.next_due, self.desk.now(), year=False)  # the viewer's own zone

    def far_text(self, countdown: Countdown) -> str:
        return stamp(countdown.due) if countdown.due is not None else countdown.left

    def subject_text(self, row: QueueRow) -> str:
        found = self.matched.get(row.number) if self.query.filter.terms else None
        if found is None:
            return row.subject
        where, snippet = found
        if where == "subject":
            return snippet
        # Where it matched first: a narrow subject column shows that much.
        return f"{where}: {snippet} · {row.subject}"


def _timeless(query: QueueQuery) -> bool:
    """Whether `query`'s rows change only when the desk does (not as time passes)."""
    flt = query.filter
    return query.view not in ("soon", "closed") and not flt.breached and flt.due_within is None


class QueueScreen(GrammarScreen):
    CSS_PATH = [STYLES / "queue.tcss"]
    # In order of importance: the footer shows as many as fit (and always ? and q).
    BINDINGS = [
        Binding("slash", "filter", "Filter"),
        Binding("escape", "clear_filter", "Clear filter"),
        # One key, two ways: the footer names the order it would switch to, and
        # shows it only while a search is active (only a search has a relevance).
        Binding("R", "order(True)", "By relevance"),
        Binding("R", "order(False)", "By deadline"),
        Binding("t", "take", "Take"),
        Binding("exclamation_mark", "app.sev1_call", "Sev 1"),
        Binding("n", "app.new_case", "New"),
        Binding("b", "board", "Board"),
        Binding("h", "handoff", "Handoff"),
        Binding("r", "refresh", "Refresh"),
        Binding("q", "to_queue", "Quit"),
        *(
            Binding(str(n), f"view('{view.key}')", view.title, show=False)
            for n, view in enumerate(VIEWS, 1)
        ),
    ]

    WRITES = frozenset({"take", "sev1_call", "new_case"})

    def __init__(self, desk: Desk, *, readonly: bool = False, bell: bool = False) -> None:
        super().__init__()
        self.desk = desk
        self.readonly = readonly
        self.bell = bell
        self.source = QueueSource(desk)
        self.counts: Counts | None = None
        self._desk_counting = False  # a count of the desk is running
        self._desk_count_again = False  # and the desk changed since it began
        # The next count of the desk counts its deadlines too: one may have moved since
        # the last (else only holders did: `Queue.counts_holders_moved`).
        self._deadlines_moved = False
        # Changes heard while another screen was on top: applied when this one shows.
        self._pending: DeskChanged | None = None
        # When the desk's counts next change by time alone (a deadline passes, or
        # comes within the hour): the tick recounts then, with the rows.
        self._counts_change_at: datetime | None = None
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
        self.query_one("#filter", Input).display = False
        self.query_one("#problems", Static).display = False
        self.query_one("#who", Static).update(safe_line(self.desk.actor))
        self.table.focus()
        # Counting waits for the first rows to be painted: its threads would compete
        # with the first paint for the interpreter.
        self.call_after_refresh(self._recount)
        # The countdowns tick from the app's one clock (`tick`, screens/ticking.py);
        # changes come from the app's monitor (`DeskChanged`).
        self._intervals: list[Timer] = []

    def tick(self) -> None:
        """The app's one clock: countdowns move, and the counts when one crosses a line."""
        self.table.tick()
        due = self._counts_change_at
        if due is not None and self.desk.now() >= due:
            self._counts_change_at = None
            self._count_desk()

    def on_screen_suspend(self) -> None:
        # Under the case screen nothing here is seen: no reloading.
        for timer in getattr(self, "_intervals", ()):
            timer.pause()

    def on_screen_resume(self) -> None:
        for timer in getattr(self, "_intervals", ()):
            timer.resume()
        self.tick()
        pending, self._pending = self._pending, None
        if pending is not None:  # what changed meanwhile (the case just worked on) shows now
            self._apply(pending)

    # -- counting in the background ------------------------------------------

    # Workers post their results as typed messages (below). A query cannot be stopped
    # halfway, so its answer may come after the console has begun to quit and the
    # table is gone: then nobody waits for it.

    @on(RowsCounted)
    def _rows_counted_arrived(self, message: RowsCounted) -> None:
        if self.table.is_attached:
            self._rows_counted(message.query, message.total)

    @on(DeskCounted)
    def _desk_counted_arrived(self, message: DeskCounted) -> None:
        if self.table.is_attached:
            self._desk_counted(message.counts, message.change_at)

    @on(ChangedRowsRead)
    def _changed_rows_arrived(self, message: ChangedRowsRead) -> None:
        if self.table.is_attached:
            self._place_changed(message.query, message.rows)

    @on(Located)
    def _located_arrived(self, message: Located) -> None:
        if self.table.is_attached:
            self._located(message.query, message.position)

    @on(FirstPageRead)
    def _first_page_arrived(self, message: FirstPageRead) -> None:
        if self.table.is_attached:
            self._first_page_fetched(message.query, message.rows, message.found)

    def _recount(self) -> None:
        self._count_rows_unless_desk(self.source.query)
        self._count_desk()

    def _count_rows_unless_desk(self, query: QueueQuery) -> None:
        # The whole open queue is counted with the desk's counts ("open"): not twice.
        if query != self._whole_queue:
            self._count_rows(query)

    @property
    def _whole_queue(self) -> QueueQuery:
        return QueueQuery(me=self.desk.actor)

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
            self.post_message(RowsCounted(query, total))

    def _rows_counted(self, query: QueueQuery, total: int) -> None:
        if _timeless(query):
            self._counted[query] = total
        if query == self.source.query:
            self.source.counted = total
            self.table.total_changed()
            self._update_summary()

    def _count_desk(self, *, deadlines_too: bool = True) -> None:
        """Count the desk again; changes heard while it counts make one count more.

        A count of a big desk takes longer than changes take to come: counts
        started per change would run side by side, each a core's worth.
        `deadlines_too=False`: only holders moved since the last count.
        """
        self._deadlines_moved = self._deadlines_moved or deadlines_too
        if self._desk_counting:
            self._desk_count_again = True
            return
        self._desk_counting, self._desk_count_again = True, False
        known = None if self._deadlines_moved else self.counts
        self._deadlines_moved = False
        self._count_desk_now(known, self._counts_change_at)

    @work(thread=True, group="count-desk")
    def _count_desk_now(self, known: Counts | None, known_change_at: datetime | None) -> None:
        counts = None
        change_at = None
        try:
            if known is not None:
                # Cases assigned or escalated: no deadline moved, nor when one next counts.
                counts, change_at = self.source.queue.counts_holders_moved(known), known_change_at
            else:
                now = self.desk.now()
                counts = self.source.queue.counts(now)
                change_at = self.source.queue.next_count_change(now)
        except StorageError as error:
            self.post_message(StorageFailed(str(error)))  # the app's one notice
        finally:
            self.post_message(DeskCounted(counts, change_at))

    def _desk_counted(self, counts: Counts | None, change_at: datetime | None = None) -> None:
        self._desk_counting = False
        if counts is not None:
            self._show_counts(counts, change_at)
        if self._desk_count_again:
            # After the counts just read are kept: a count of holders only starts from them.
            self._count_desk(deadlines_too=False)  # a moved deadline set the flag itself

    def _show_counts(self, counts: Counts, change_at: datetime | None) -> None:
        if self.source.query == self._whole_queue:
            self._rows_counted(self.source.query, counts.open)
        before, self.counts = self.counts, counts
        self._counts_change_at = change_at
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
        if self.source.query.filter.terms:
            # Which order a search's rows are in (R switches). Narrow: on the counts'
            # line, which has room where the notes' has none; wide: after "showing N",
            # where it reads as a sentence and the one line holds it.
            order = "by relevance" if self.source.query.relevance else "by deadline"
            if narrow or not notes:
                parts.append(order)
            else:
                notes[0] += " " + order
        typed = self.query_one("#filter", Input)
        if typed.value and not typed.display:
            notes.append("filter: " + safe_line(typed.value, 40))
        if hidden:
            notes.append("hidden columns: " + ", ".join(TITLES[key] for key in hidden))
        if self.counts is not None and self.counts.policy_files_differ:
            # An edited policy changes nothing until applied: say so where everyone looks.
            names = ", ".join(self.counts.policy_files_differ)
            notes.append(f"policy file differs from the version in use: {safe_line(names, 40)}")
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

    @on(DeskChanged)
    def _desk_changed(self, message: DeskChanged) -> None:
        if self.app.screen is not self:  # under another screen
            self._pending = message if self._pending is None else self._pending.merged(message)
            return
        self._apply(message)

    def _apply(self, change: DeskChanged) -> None:
        if change.everything:
            # Not told by events (a directory change, an import): searches found again.
            self.source.queue.matches.forget()
            self.reload_data()
            return
        numbers = set(change.numbers)
        if not numbers:
            return  # the outbox only: nothing the queue shows
        held = self.table.loaded_from_top()
        if held is None or any(row.number in numbers for row in held):
            if change.figures_unchanged:
                self.reload_rows()  # a note on a row shown: its mark, not the counts
            else:
                self.reload_data(deadlines_too=not change.deadlines_unchanged)
            return
        # None of them is shown: read them (by number) to see whether one now sorts
        # among the rows shown; the counts are asked again unless only notes and the
        # like were written (they move no count: a recount would read the same).
        if not change.figures_unchanged:
            self._recount_changed(deadlines_too=not change.deadlines_unchanged)
        self._changed_rows(self.source.query, frozenset(numbers))

    @work(thread=True, exclusive=True, group="changed-rows")
    def _changed_rows(self, query: QueueQuery, numbers: frozenset[int]) -> None:
        rows = self.source.queue.rows_numbered(query, self.desk.now(), numbers)
        if rows:
            self.post_message(ChangedRowsRead(query, rows))

    def _place_changed(self, query: QueueQuery, rows: list[QueueRow]) -> None:
        """Rows of changed cases that match the query: reload if one lands in view."""
        if query != self.source.query:
            return  # the view or filter changed since: it was read afresh
        held = self.table.loaded_from_top()
        if held is None or not held or query.by_relevance:
            # (By relevance: no sort key here says where a row now stands.)
            self.reload_rows()
            return
        total = self.source.total()
        end_in_sight = len(held) % PAGE != 0 or (total is not None and total <= len(held))
        last = sort_key(query, held[-1])
        if end_in_sight or any(sort_key(query, row) <= last for row in rows):
            self.reload_rows()

    def reload_data(self, *, deadlines_too: bool = True) -> None:
        """Someone changed the desk: reload what is shown, keeping the selected case;
        `deadlines_too=False`: only holders moved (the deadline counts stand)."""
        self.reload_rows()
        self._recount_changed(deadlines_too=deadlines_too)

    def _recount_changed(self, *, deadlines_too: bool = True) -> None:
        # Every count may have changed; the old ones stand until the new arrive.
        self._counted.clear()
        self._count_rows_unless_desk(self.source.query)
        self._count_desk(deadlines_too=deadlines_too)

    def reload_rows(self) -> None:
        """Read the rows shown again, keeping the selected case."""
        selected, cursor = self.table.selected, self.table.cursor
        # The old count stands until the new one arrives: no scrollbar flicker per change.
        self.source.forget(count_too=False)
        self.table.reload(keep=cursor)
        if selected is not None and self.table.selected != selected:
            # Most changes leave the selected case where it was, or near: look there
            # first; only a case that moved far needs the database to place it.
            found = self.table.find_near(selected.number, cursor)
            if found is not None:
                self.table.cursor = found
            else:
                self._locate(self.source.query, selected.number)

    @work(thread=True, exclusive=True, group="locate")
    def _locate(self, query: QueueQuery, number: int) -> None:
        # Followed only as far as FOLLOW_WITHIN rows: a case replied to elsewhere on a
        # big desk drops tens of thousands of rows, and counting them (hundreds of ms
        # at a million cases, every such change) costs more than following is worth;
        # the cursor then stays where it was, on the case that took the place.
        position = self.source.queue.position(query, self.desk.now(), number, within=FOLLOW_WITHIN)
        if position is not None:
            self.post_message(Located(query, position))

    def _located(self, query: QueueQuery, position: int) -> None:
        if query == self.source.query:
            self.table.cursor = position

    # -- views and filter ------------------------------------------------------

    def _set_query(self, query: QueueQuery, typing: bool = False) -> None:
        """Show `query`'s rows; the desk's own counts do not depend on it."""
        if query.filter.terms != self.source.query.filter.terms:
            self.source.matched.clear()
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
        found = {}
        if rows and query.filter.terms:
            numbers = [row.number for row in rows]
            found = search.places_of_numbers(self.desk, numbers, query.filter.terms)
        self.post_message(FirstPageRead(query, rows, found))

    def _first_page_fetched(
        self, query: QueueQuery, rows: list[QueueRow], found: dict[int, tuple[str, str]]
    ) -> None:
        if query != self.source.query:
            return  # typed on since
        self.source.matched.update(found)
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
            self._set_query(replace(self.source.query, view=view))

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
        if action == "order":
            query = self.source.query
            return bool(query.filter.terms) and parameters[0] != query.relevance
        return True

    def action_order(self, relevance: bool) -> None:
        """The search's rows best match first, or back to the deadline's order."""
        query = self.source.query
        if not query.filter.terms:
            return
        self._set_query(replace(query, relevance=relevance))
        self.refresh_bindings()
        self._update_summary()

    def action_filter(self) -> None:
        self._show_filter(True)
        self.query_one("#filter", Input).focus()

    @on(Input.Changed, "#filter")
    def _filter_typed(self, event: Input.Changed) -> None:
        parsed = parse_filter(event.value, self.desk.actor, self.desk.severity_levels())
        self._show_problems(safe_line("; ".join(parsed.problems)))
        searched = bool(self.source.query.filter.terms)
        self._set_query(replace(self.source.query, filter=parsed), typing=bool(event.value))
        if bool(parsed.terms) != searched:
            self.refresh_bindings()  # R (the order) is offered only with a search

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

    def help_sections(self) -> list[tuple[str, str]]:
        """What help adds to the keys: the filter language and the marks of a row."""
        return [
            (
                "Filter (/)",
                '  free words search everything on the case: saml "clock skew" -resolved\n'
                "  auth* subject:login from:bob contact:hannah; tokens:\n"
                f"  {TOKENS_HELP}\n  all combine: sev:1 @unassigned due<2h\n"
                "  R: a search's rows by relevance or by deadline; 7: all cases, closed too",
            ),
            (
                "Marks",
                "  ✖ breached   ▲ under an hour left   ☾ stopped: calendar closed\n"
                "  ‖ paused: waiting on the customer   · no clock running",
            ),
        ]

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
                f"Incident# {row.number} is held by {safe_line(holder, 60)}. Take it from them?"
            ),
            answered,
        )

    @work(thread=True, group="write")
    def _take(self, row: QueueRow, from_holder: bool = False) -> None:
        from deskterm.desk import cases  # the ORM on the first write, not at start-up

        try:
            cases.take(self.desk, row.number, expected_version=row.version, from_holder=from_holder)
        except DeskError as error:
            self.post_message(TakeRefused(str(error)))
            return
        self.post_message(Taken(row.number))

    @on(TakeRefused)
    def _take_refused(self, message: TakeRefused) -> None:
        self.notify(safe_line(message.problem), severity="error", timeout=8, markup=False)

    @on(Taken)
    def _taken(self, message: Taken) -> None:
        self.notify(f"Incident# {message.number} is yours")
        if self.table.is_attached:
            self.reload_data()
