"""The SLA panel: each clock of a case with its state, due instant and time left, ticking.

The clocks are replayed from the case's history when the case is loaded; the
one-second tick only moves time (`case_file.ticked`: business time left, calendar
open or closed) and repaints the lines whose text changed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from rich.segment import Segment
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

from deskterm.desk.case_file import clock_calendar, ticked
from deskterm.desk.queue import WARNING_LEFT, breached_ago, format_left, time_left
from deskterm.sla import Clock, ClockKind, ClockState, Policy, shown_clocks
from deskterm.sla.clocks import WarningLevel

MARKS = {
    ClockState.BREACHED: "✖",
    ClockState.RUNNING: " ",
    ClockState.PAUSED: "‖",
    ClockState.MET: "✓",
    ClockState.NOT_APPLICABLE: "·",
}
WARNING_MARK = "▲"
CLOSED_MARK = "☾"
STATE_WORDS = {
    ClockState.RUNNING: "running",
    ClockState.PAUSED: "paused",
    ClockState.MET: "met",
    ClockState.BREACHED: "BREACHED",
    ClockState.NOT_APPLICABLE: "n/a",
}


def clock_line(
    clock: Clock,
    when: Callable[[datetime | None], str],
    now: datetime | None = None,
    policy: Policy | None = None,
) -> tuple[str, str, str]:
    """(mark, text, component class) of one clock's line.

    The time left reads as the queue's does (desk/queue.py `time_left`): business
    days (`10bd`) from a whole business day of the clock's calendar."""
    warning = clock.state is ClockState.RUNNING and (
        clock.warning is WarningLevel.WARNING
        or (clock.left is not None and clock.left <= WARNING_LEFT)
    )
    mark = WARNING_MARK if warning else MARKS.get(clock.state, " ")
    if clock.live and clock.calendar_closed and clock.state is ClockState.RUNNING:
        mark = CLOSED_MARK
    left = format_left(clock.left) if clock.live and clock.left is not None else ""
    calendar = clock_calendar(policy, clock) if policy is not None else None
    clock_due, business_left = clock.due, clock.left
    if (
        clock.live
        and clock_due is not None
        and business_left is not None
        and calendar is not None
        and now is not None
        and now <= clock_due
    ):
        left, _ = time_left(calendar, now, clock_due, business_left)
    if clock.state is ClockState.BREACHED and clock.live:
        # How long ago, in wall-clock time: a clock breached at a close is not "-0m 00s".
        if now is not None and clock.due is not None:
            left = breached_ago(now - clock.due)
        elif clock.left is not None and clock.left >= timedelta(0):
            left = "breached"
    if clock.live:
        note = clock.closed_reason or ""
    elif clock.state is ClockState.MET and clock.stopped is not None:
        note = f"answered {when(clock.stopped)}"
    elif clock.state is ClockState.PAUSED:
        note = "waiting on the customer" if clock.kind.owed_by_support else ""
    else:
        note = ""
    due = when(clock.due) if clock.due is not None else "-"
    text = f"{clock.kind.label:<17} {STATE_WORDS[clock.state]:<9} {due:<10} {left:>9}  {note}"
    style = (
        "clocks--breached"
        if clock.state is ClockState.BREACHED
        else "clocks--warning"
        if warning
        else "clocks--quiet"
        if not clock.live
        else ""
    )
    return mark, text.rstrip(), style


class ClockPanel(Widget):
    DEFAULT_CSS = """
    ClockPanel { height: 5; background: $boost; }
    ClockPanel > .clocks--title { text-style: bold; }
    ClockPanel > .clocks--breached { color: $error; text-style: bold; }
    ClockPanel > .clocks--warning { color: $warning; text-style: bold; }
    ClockPanel > .clocks--quiet { color: $text-muted; }
    """
    COMPONENT_CLASSES = {"clocks--title", "clocks--breached", "clocks--warning", "clocks--quiet"}

    def __init__(
        self,
        when: Callable[[datetime | None], str],
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self.when = when
        self.heading = "SLA"
        self.policy: Policy | None = None
        self.clocks: dict[ClockKind, Clock] = {}
        self._lines: list[tuple[str, str, str]] = []
        self._height = 5  # the CSS height: a heading and the four clocks every policy has
        self._now: datetime | None = None  # the last tick

    def show(
        self,
        title: str,
        policy: Policy,
        clocks: dict[ClockKind, Clock],
        now: datetime | None = None,
    ) -> None:
        """New clocks (the case was loaded or changed, at `now`): repaint the lines that
        changed (a note to the case moves no clock: nothing is repainted)."""
        if now is not None:
            self._now = now
        heading, lines = self.heading, self._lines
        self.heading, self.policy, self.clocks = title, policy, clocks
        self._lines = self._render_lines(clocks)
        # A policy's optional clocks (resolution, next response) add lines.
        height = 1 + len(self._lines)
        if height != self._height:
            self._height = height
            self.styles.height = height
        if heading != title or len(lines) != len(self._lines):  # the first show, say
            self.refresh()
        else:
            self._repaint_changed(lines)

    def tick(self, now: datetime) -> None:
        """Time moved: repaint only the clocks whose line changed."""
        self._now = now
        if self.policy is None:
            return
        policy = self.policy
        moved = {kind: ticked(policy, clock, now) for kind, clock in self.clocks.items()}
        lines, self._lines = self._lines, self._render_lines(moved)
        self._repaint_changed(lines)

    def _repaint_changed(self, before: list[tuple[str, str, str]]) -> None:
        """Repaint the clock lines that differ from `before` (as many lines)."""
        for y, (old, new) in enumerate(zip(before, self._lines, strict=False), start=1):
            if old != new:
                self.refresh(Region(0, y, self.size.width, 1))

    def _render_lines(self, clocks: dict[ClockKind, Clock]) -> list[tuple[str, str, str]]:
        now = self._now
        policy = self.policy
        return [clock_line(clocks[kind], self.when, now, policy) for kind in shown_clocks(clocks)]

    def line_text(self, y: int) -> str:
        """What line `y` says (for tests and screen readers of the dump)."""
        if y == 0:
            return self.heading
        mark, text, _ = self._lines[y - 1]
        return f"{mark} {text}"

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        base = self.rich_style
        if y == 0:
            style = self.get_component_rich_style("clocks--title", partial=True)
            return (
                Strip([Segment(self.heading, style)]).crop_extend(0, width, base).apply_style(base)
            )
        if y > len(self._lines):
            return Strip.blank(width, base)
        mark, text, component = self._lines[y - 1]
        line_style = self.get_component_rich_style(component, partial=True) if component else None
        segments = [Segment(f"{mark} ", line_style), Segment(text, line_style)]
        return Strip(segments).crop_extend(0, width, base).apply_style(base)
