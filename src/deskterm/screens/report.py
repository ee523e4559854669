"""The SLA report in the console: the `deskterm report` figures for a period, with charts."""

from __future__ import annotations

from datetime import datetime, timedelta

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Static

from deskterm.desk import reports
from deskterm.desk.context import Desk
from deskterm.desk.errors import StorageError
from deskterm.desk.reports import Report
from deskterm.live.messages import StorageFailed
from deskterm.safe_text import safe_line
from deskterm.screens.grammar import GrammarScreen
from deskterm.sla.duration import format_hours_minutes
from deskterm.widgets.bars import bar_chart
from deskterm.widgets.dialog import STYLES
from deskterm.widgets.keys_footer import KeysFooter

PERIOD = timedelta(days=7)


def _duration(value: timedelta | None) -> str:
    return "-" if value is None else format_hours_minutes(value)


def report_table(found: Report) -> Table:
    table = Table(box=None, padding=(0, 1), header_style="bold")
    table.add_column(reports.report_rows_for(found.by), no_wrap=True, max_width=24)
    for title in ("Recv", "Met", "Missed", "Met %", "Median", "P90", "Breach", "Downgr", "Auto-cl"):
        table.add_column(title, justify="right", no_wrap=True)
    for row in (*found.rows, found.total):
        met = row.met_percent
        table.add_row(
            Text(safe_line(row.key if row is not found.total else "All")),
            str(row.received),
            str(row.met),
            str(row.missed),
            "-" if met is None else f"{met:.1f}",
            _duration(row.median_response),
            _duration(row.p90_response),
            str(row.breaches),
            str(row.customer_timeouts),
            str(row.auto_closures),
            style="bold" if row is found.total else "",
        )
    return table


def clocks_table(found: Report) -> Table | None:
    """The update, resolution and next-response runs met of those counted (the clocks
    with any run in the period); None when there is none."""
    clocks = reports.counted_clocks(found)
    if not clocks:
        return None
    table = Table(box=None, padding=(0, 1), header_style="bold")
    table.add_column(reports.report_rows_for(found.by), no_wrap=True, max_width=24)
    for clock in clocks:
        table.add_column(f"{reports.CLOCK_TITLES[clock]} met", justify="right", no_wrap=True)
    for row in (*found.rows, found.total):
        table.add_row(
            Text(safe_line(row.key if row is not found.total else "All")),
            *(reports.clock_cell(row.clocks[clock]) for clock in clocks),
            style="bold" if row is found.total else "",
        )
    return table


def charts_text(found: Report, width: int) -> Text:
    rows = list(found.rows)
    labels = [safe_line(r.key, 16) for r in rows]
    text = Text(no_wrap=True, overflow="crop")
    text.append("First response met %\n", "bold")
    met = [(label, r.met_percent or 0.0) for label, r in zip(labels, rows, strict=True)]
    shown = ["-" if r.met_percent is None else f"{r.met_percent:.0f}%" for r in rows]
    text.append_text(bar_chart(met, width, value_text=shown, most=100.0))
    if not rows:
        text.append("nothing in this period")
        return text
    text.append("\n\nBreaches\n", "bold")
    breaches = [(label, float(r.breaches)) for label, r in zip(labels, rows, strict=True)]
    text.append_text(bar_chart(breaches, width, value_text=[str(r.breaches) for r in rows]))
    return text


class ReportComputed(Message, bubble=False):
    """The report worker's result, for the screen's thread."""

    def __init__(self, found: Report) -> None:
        super().__init__()
        self.found = found


class ReportScreen(GrammarScreen):
    CSS_PATH = [STYLES / "board.tcss"]
    BINDINGS = [
        Binding("g", "group", "Group by"),
        Binding("left_square_bracket", "period(-1)", "Earlier"),
        Binding("right_square_bracket", "period(1)", "Later"),
        Binding("r", "refresh", "Refresh"),
    ]

    def __init__(self, desk: Desk, end: datetime | None = None, by: str = "severity") -> None:
        super().__init__()
        self.desk = desk
        self.end = end or desk.now()
        self.by = by
        self.found: Report | None = None

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="report-body"):
            yield Static(id="report-title", markup=False)
            yield Static("computing the report ...", id="report-table")
            yield Static(id="report-clocks")
            yield Static(id="report-charts", markup=False)
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#report-body").focus()
        self.action_refresh()

    def on_resize(self) -> None:
        # The charts are drawn for the screen's width (`_show`): after a resize, draw
        # them again for the new one, or their bars wrap until the next report.
        if self.found is not None:
            self.call_after_refresh(self._draw_charts)

    def _draw_charts(self) -> None:
        if self.found is not None and self.is_attached:
            width = max(20, self.size.width - 4)
            self.query_one("#report-charts", Static).update(
                charts_text(self.found, min(width, 100))
            )

    def action_refresh(self) -> None:
        start = self.end - PERIOD
        self.query_one("#report-title", Static).update(
            f"SLA report {start:%Y-%m-%d %H:%M} to {self.end:%Y-%m-%d %H:%M} UTC, by {self.by}"
            " (computing ...)"
        )
        self._compute(start, self.end, self.by)

    def action_group(self) -> None:
        groupings = reports.GROUPINGS
        self.by = groupings[(groupings.index(self.by) + 1) % len(groupings)]
        self.action_refresh()

    def action_period(self, step: int) -> None:
        later = self.end + step * PERIOD
        self.end = min(later, self.desk.now())
        self.action_refresh()

    @work(thread=True, exclusive=True, group="report")
    def _compute(self, start: datetime, end: datetime, by: str) -> None:
        try:
            found = reports.report(self.desk, start, end, by)
        except StorageError as error:
            self.post_message(StorageFailed(str(error)))  # the app's one notice
            return
        self.post_message(ReportComputed(found))

    @on(ReportComputed)
    def _computed(self, message: ReportComputed) -> None:
        self._show(message.found)

    def _show(self, found: Report) -> None:
        if not self.is_attached:
            return  # read after the screen was closed
        self.found = found
        self.query_one("#report-title", Static).update(
            f"SLA report {found.start:%Y-%m-%d %H:%M} to {found.end:%Y-%m-%d %H:%M} UTC, "
            f"by {found.by}"
        )
        self.query_one("#report-table", Static).update(report_table(found))
        clocks = clocks_table(found)
        shown = self.query_one("#report-clocks", Static)
        shown.display = clocks is not None
        if clocks is not None:
            shown.update(clocks)
        self._draw_charts()
