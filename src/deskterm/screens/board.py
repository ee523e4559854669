"""The breach board: the whole desk at a glance, for a shift lead or a wall screen.

The next cases to breach with a large countdown, the desk's counts, the load per
engineer and the deadlines of the next eight hours. Live like the queue: a change
committed anywhere shows within a second (the console's `DeskChanged`), and time alone
moves the counts (a refresh every half minute). Widgets are made once and
updated in place, so a board left running for days keeps its memory flat.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Digits, Static

from deskterm.desk import board
from deskterm.desk.board import Board, BoardCounts, EngineerLoad, Forecast
from deskterm.desk.context import Desk
from deskterm.desk.errors import StorageError
from deskterm.desk.queue import Countdown, QueueRow, countdown
from deskterm.live.messages import DeskChanged, StorageFailed
from deskterm.safe_text import safe_line
from deskterm.screens.grammar import GrammarScreen
from deskterm.screens.local_time import stamp
from deskterm.widgets.bars import bar_chart
from deskterm.widgets.dialog import STYLES
from deskterm.widgets.keys_footer import KeysFooter

# Time alone changes what is breached and what falls due within the hour; the
# countdowns tick on their own, so the counts may lag time by up to a minute.
REFRESH_SECONDS = 60
# A busy desk changes many times a second: its changes are read at most this often
# (a reload counts the whole desk, a quarter of a second at 100,000 cases).
RELOAD_AT_MOST_EVERY = 1.0


def digits_left(left: timedelta | None) -> str:
    """Business time left as the large digits show it: `0:29:59`, `-1:05:00`."""
    if left is None:
        return "--:--"
    sign = "-" if left < timedelta(0) else ""
    seconds = min(int(abs(left).total_seconds()), 99 * 3600 + 59 * 60 + 59)
    hours, rest = divmod(seconds, 3600)
    return f"{sign}{hours}:{rest // 60:02d}:{rest % 60:02d}"


def severity_name(severity: int) -> str:
    return f"Sev {severity}"


def counts_text(counts: BoardCounts, narrow: bool) -> Text:
    """The desk's counts on one line (two when narrow); alarms stand out without colour."""
    text = Text()
    by_severity = "  ".join(f"S{s}:{n}" for s, n in counts.open_by_severity) or "none"
    text.append(f"open {counts.open}  ({by_severity})")
    text.append("\n" if narrow else "  |  ")
    alarm = "bold reverse"
    text.append(f"breached {counts.breached}", alarm if counts.breached else "")
    text.append(f"  <1h {counts.within_1h}  <4h {counts.within_4h}")
    text.append(f"  waiting {counts.waiting}  ")
    text.append(
        f"unassigned Sev 1 {counts.unassigned_sev1}", alarm if counts.unassigned_sev1 else ""
    )
    return text


def load_text(load: tuple[EngineerLoad, ...], now: datetime, width: int) -> Text:
    """Engineers, the busiest first: open cases, Sev 1s held, past due, their next deadline."""
    name_width = max(8, min(20, width - 25))
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f"{'engineer':<{name_width}} {'open':>5} {'S1':>3} {'late':>4}  next\n", "bold")
    if not load:
        text.append("nobody holds an open case")
    for i, engineer in enumerate(load):
        # Within a day (board.NEXT_DUE_WITHIN): the time alone says it.
        due = "-" if engineer.next_due is None else engineer.next_due.astimezone().strftime("%H:%M")
        name = safe_line(engineer.engineer, name_width)
        text.append(f"{name:<{name_width}} {engineer.open:>5} {engineer.sev1:>3} ")
        text.append(f"{engineer.breached:>4}", "bold reverse" if engineer.breached else "")
        text.append(f"  {due}")
        if i < len(load) - 1:
            text.append("\n")
    return text


def forecast_text(forecast: Forecast, width: int) -> Text:
    """One bar per hour from now: the crunch coming, in block characters."""
    labels = [
        (forecast.start + timedelta(hours=hour)).astimezone().strftime("%H:%M")
        for hour in range(len(forecast.per_hour))
    ]
    return bar_chart(list(zip(labels, forecast.per_hour, strict=True)), width)


class BreachCard(Horizontal):
    """One case about to breach: its countdown in large digits, then who and what."""

    def __init__(self) -> None:
        super().__init__()
        self.row: QueueRow | None = None
        self._shown = ""
        self._card = Text()

    def compose(self) -> ComposeResult:
        yield Digits("")
        yield Static(classes="card-label", markup=False)

    def show(self, row: QueueRow | None, label: str, when: Countdown | None) -> None:
        self.row = row
        self.display = row is not None
        if row is None or when is None:
            return
        card = Text()
        card.append(f"#{row.number} {label}", "bold")
        card.append(f"  {safe_line(row.organization, 60)}\n")
        if row.assignee is None:
            card.append("UNASSIGNED", "bold reverse")
        else:
            card.append(safe_line(row.assignee, 30))
        clock = row.next_clock.value.replace("_", " ").replace("-", " ") if row.next_clock else ""
        card.append(f"  {clock}{'  ' + when.note if when.note else ''}\n")
        if when.far and when.due is not None:
            # The large digits count business hours; a day or more of them, or a night
            # between, say when that is (in the viewer's zone, as the queue does). It
            # leads the last line, so the subject is what a narrow card cuts: 20 cells
            # fit the card at 80 columns.
            card.append(f"due {stamp(when.due)}  ", "bold")
        card.append(safe_line(row.subject, 80))
        if card != self._card:  # the same case as shown: its countdown only
            self._card = card
            # Three lines of a set width (board.tcss): no new layout of the screen.
            self.query_one(".card-label", Static).update(card, layout=False)
        self.tick(when)

    def tick(self, when: Countdown) -> None:
        value = digits_left(when.left_time)
        if value != self._shown:  # an unchanged countdown costs no repaint
            self._shown = value
            self.query_one(Digits).update(value)
        self.set_class(when.state == "breached", "-breached")
        self.set_class(when.state == "warning", "-warning")


class BoardRead(Message, bubble=False):
    """The board worker's result, for the screen's thread."""

    def __init__(self, data: Board) -> None:
        super().__init__()
        self.data = data


class BoardScreen(GrammarScreen):
    CSS_PATH = [STYLES / "board.tcss"]
    BINDINGS = [
        Binding("escape,b", "back", "Back"),
        Binding("h", "handoff", "Handoff"),
        Binding("s", "report", "SLA report"),
        Binding("r", "refresh", "Refresh"),
        *(
            Binding(str(n), f"open_card({n - 1})", f"Open case {n}", show=False)
            for n in range(1, board.NEXT_CASES + 1)
        ),
    ]

    def __init__(self, desk: Desk, *, readonly: bool = False) -> None:
        super().__init__()
        self.desk = desk
        self.readonly = readonly
        self._pending = False  # a change heard while another screen was on top
        self.data: Board | None = None
        self._last_load = 0.0
        self._load_pending = False
        # The next read is of the whole board: a deadline or a status may have moved
        # since the last (else only holders did: `board.holders_moved`).
        self._read_all = False
        self._texts: dict[str, Text] = {}  # what each part of the board shows

    def compose(self) -> ComposeResult:
        yield Static("loading the board ...", id="board-counts")
        with Horizontal(id="board-body"):
            with Vertical(id="board-next"):
                yield Static("Next to breach", classes="board-title")
                for _ in range(board.NEXT_CASES):
                    yield BreachCard()
            with Vertical(id="board-side"):
                yield Static("Load per engineer", classes="board-title")
                yield Static(id="board-load")
                yield Static("Deadlines due, next 8 hours", classes="board-title")
                yield Static(id="board-forecast")
        yield KeysFooter()

    def on_mount(self) -> None:
        for card in self.query(BreachCard):
            card.display = False
        self.load()
        # The countdowns tick from the app's one clock (screens/ticking.py).
        self._intervals = [
            self.set_interval(REFRESH_SECONDS, self.refresh_time),
        ]

    def on_screen_suspend(self) -> None:
        for timer in self._intervals:
            timer.pause()

    def on_screen_resume(self) -> None:
        for timer in self._intervals:
            timer.resume()
        if self._pending:
            self._pending = False
            self.load()

    def on_resize(self) -> None:
        # The load table and the forecast are laid out for the side column's width
        # (`show`): after a resize, lay them out again once the column has its new
        # width, or they wrap until the next read (up to a minute).
        if self.data is not None:
            self.call_after_refresh(self._lay_out_again)

    def _lay_out_again(self) -> None:
        if self.data is not None:
            self.show(self.data)

    # -- reading ------------------------------------------------------------------

    def refresh_time(self) -> None:
        """Time has passed: what is breached and due moves; what stands is kept."""
        if self._load_pending or self.data is None:
            return
        self._read(self.data.standing)

    def load(self, *, deadlines_too: bool = True) -> None:
        """Read the board again now, or as soon as the last read is a second old;
        `deadlines_too=False`: only holders moved since the last read."""
        self._read_all = self._read_all or deadlines_too
        wait = self._last_load + RELOAD_AT_MOST_EVERY - time.monotonic()
        if wait > 0:
            if not self._load_pending:
                self._load_pending = True
                self.set_timer(wait, self._load_now)
            return
        self._load_now()

    def _load_now(self) -> None:
        self._load_pending = False
        self._last_load = time.monotonic()
        read_all, self._read_all = self._read_all, False
        if read_all or self.data is None:
            self._read()
        else:
            self._read_holders(self.data)

    @work(thread=True, exclusive=True, group="board")
    def _read(self, known: board.Standing | None = None) -> None:
        try:
            data = board.board(self.desk, known=known)
        except StorageError as error:
            self.post_message(StorageFailed(str(error)))  # shown as it was; read on the next change
            return
        self.post_message(BoardRead(data))

    @work(thread=True, exclusive=True, group="board")
    def _read_holders(self, previous: Board) -> None:
        try:
            data = board.holders_moved(self.desk, previous)
        except StorageError as error:
            self.post_message(StorageFailed(str(error)))  # shown as it was; read on the next change
            return
        self.post_message(BoardRead(data))

    @on(BoardRead)
    def _board_read(self, message: BoardRead) -> None:
        self.show(message.data)

    @on(DeskChanged)
    def _desk_changed(self, change: DeskChanged) -> None:
        if not change.everything and not change.cases:
            return  # the outbox only: nothing the board shows
        if change.figures_unchanged:
            return  # notes and the like: no count, deadline or holder moved
        # Every figure of the board is of the whole desk: any case may move them. A case
        # assigned or escalated moves no deadline: the deadline counts are not read again.
        if self.app.screen is self:
            self.load(deadlines_too=not change.deadlines_unchanged)
        else:
            self._pending = True

    def show(self, data: Board) -> None:
        if not self.is_attached:
            return  # read after the screen was closed
        self.data = data
        narrow = self.size.width < 120
        side = self.query_one("#board-side").content_size.width or self.size.width // 2
        # A part whose text is as shown is left alone: a change elsewhere usually moves
        # one figure, and repainting the whole board would cost more than reading it.
        self._update("#board-counts", counts_text(data.counts, narrow))
        self._update("#board-load", load_text(data.load, data.at, side))
        self._update("#board-forecast", forecast_text(data.forecast, side))
        now = self.desk.now()
        cards = list(self.query(BreachCard))
        for i, card in enumerate(cards):
            row = data.next_cases[i] if i < len(data.next_cases) else None
            if row is None:
                card.show(None, "", None)
                continue
            policy = self.desk.policy(row.policy, row.policy_version)
            card.show(row, policy.label(row.severity), countdown(row, policy, now))

    def _update(self, selector: str, text: Text) -> None:
        before = self._texts.get(selector)
        if before != text:
            self._texts[selector] = text
            # A part whose size its text does not set (board.tcss: the load fills its
            # column; the forecast is a line an hour, unwrapped) is repainted without a
            # new layout of the whole screen, the most of a change's cost on the board.
            same_size = selector == "#board-load" or (
                selector == "#board-forecast"
                and before is not None
                and before.plain.count("\n") == text.plain.count("\n")
            )
            self.query_one(selector, Static).update(text, layout=not same_size)

    def tick(self) -> None:
        now = self.desk.now()
        for card in self.query(BreachCard):
            if card.row is not None:
                card.tick(
                    countdown(
                        card.row, self.desk.policy(card.row.policy, card.row.policy_version), now
                    )
                )

    # -- keys ---------------------------------------------------------------------

    def action_back(self) -> None:
        self.app.pop_screen()  # the queue is always beneath

    def action_refresh(self) -> None:
        self.load()

    def action_handoff(self) -> None:
        from deskterm.screens.handoff import HandoffScreen

        self.app.push_screen(HandoffScreen(self.desk))

    def action_report(self) -> None:
        from deskterm.screens.report import ReportScreen

        self.app.push_screen(ReportScreen(self.desk))

    def action_open_card(self, index: int) -> None:
        cards = list(self.query(BreachCard))
        row = cards[index].row if index < len(cards) else None
        if row is None:
            return
        from deskterm.screens.case import CaseScreen

        self.app.push_screen(CaseScreen(self.desk, row.number, readonly=self.readonly))
