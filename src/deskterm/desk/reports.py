"""SLA reports for a period: every figure computed from the events, so it re-runs the same.

For a period [start, end):

- first response: the cases received in the period, their first-response clock
  replayed from their events before `end` (so later events cannot change a past
  period). Met when the first response came by its due, missed when it came late
  or had not come by the due; cases still inside their target at `end`, or with
  no first-response target, are counted as neither. The response time is the
  business time from the clock's start to the response, on the calendar of the
  severity the case had then; the median and the 90th percentile (nearest rank:
  the smallest value at least 90% of the responses do not exceed) over the
  responses given before `end`.
- breaches: BREACH events in the period (one per clock and deadline, as the sweep
  records them).
- customer-timeout downgrades: CUSTOMER_TIMEOUT events in the period.
- auto-closures: STATUS events to closed in the period, by the sweep ("deskterm").

A figure is grouped by the severity, organization or engineer it belonged to at
its instant: the severity the case had then, the engineer who gave the response
or to whom the case was assigned then ("unassigned" when nobody).
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, or_, select

from deskterm.desk import deadlines
from deskterm.desk.context import SYSTEM_ACTOR, Desk
from deskterm.desk.errors import DeskError
from deskterm.desk.limits import quoted
from deskterm.instants import InstantError, in_range, to_iso
from deskterm.models import Case, Event, EventKind, Organization
from deskterm.sla import ClockState, Policy, Status
from deskterm.sla.clocks import first_response_clock

GROUPINGS = ("severity", "organization", "engineer")
UNASSIGNED = "unassigned"
TOTAL = "all"
# Cases whose events are read in one query (a bound on the size of `IN (...)`).
CHUNK = 500

_C = Case.__table__.c  # type: ignore[attr-defined]
_E = Event.__table__.c  # type: ignore[attr-defined]
_O = Organization.__table__.c  # type: ignore[attr-defined]


def parse_day(text: str, *, end: bool = False) -> datetime:
    """`2026-11-01` (a UTC day: its start, or with `end` the start of the next day) or an instant.

    Days are UTC days so that a report reads the same for every viewer, wherever they sit.
    """
    cleaned = text.strip()
    try:
        day = date.fromisoformat(cleaned)
    except ValueError:
        day = None
    try:
        instant = None if day is not None else datetime.fromisoformat(cleaned)
    except ValueError:
        instant = None
    if day is not None:
        instant = datetime.combine(day, time(0), UTC)
    if instant is None or instant.tzinfo is None:
        raise DeskError(
            f"{quoted(text)} is not a date such as 2026-11-01 (or an instant with an offset, "
            "such as 2026-11-01T08:00Z)"
        )
    try:
        instant = in_range(instant, text).astimezone(UTC)
    except InstantError as error:
        raise DeskError(str(error)) from None
    return instant + timedelta(days=1) if day is not None and end else instant


@dataclass
class Figures:
    """One row of the report: a severity, an organization, an engineer, or the total."""

    key: str
    received: int = 0
    met: int = 0
    missed: int = 0
    breaches: int = 0
    customer_timeouts: int = 0
    auto_closures: int = 0
    response_times: list[timedelta] = field(default_factory=list)

    @property
    def met_percent(self) -> float | None:
        counted = self.met + self.missed
        return None if counted == 0 else 100.0 * self.met / counted

    @property
    def median_response(self) -> timedelta | None:
        if not self.response_times:
            return None
        return timedelta(seconds=statistics.median(t.total_seconds() for t in self.response_times))

    @property
    def p90_response(self) -> timedelta | None:
        return percentile(self.response_times, 90)

    def json(self) -> dict[str, Any]:
        def seconds(value: timedelta | None) -> int | None:
            return None if value is None else round(value.total_seconds())

        met = self.met_percent
        return {
            "key": self.key,
            "received": self.received,
            "first_response_met": self.met,
            "first_response_missed": self.missed,
            "first_response_met_percent": None if met is None else round(met, 1),
            "median_first_response_seconds": seconds(self.median_response),
            "p90_first_response_seconds": seconds(self.p90_response),
            "breaches": self.breaches,
            "customer_timeout_downgrades": self.customer_timeouts,
            "auto_closures": self.auto_closures,
        }


def percentile(values: Sequence[timedelta], pct: float) -> timedelta | None:
    """Nearest rank: the smallest value that `pct`% of the values do not exceed."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(pct / 100 * len(ordered))) - 1]


@dataclass(frozen=True)
class Report:
    start: datetime
    end: datetime
    by: str
    rows: tuple[Figures, ...]  # sorted by key (severities in number order)
    total: Figures

    def json(self) -> dict[str, Any]:
        return {
            "from": to_iso(self.start),
            "to": to_iso(self.end),
            "by": self.by,
            "rows": [row.json() for row in self.rows],
            "total": self.total.json(),
        }


class _Tally:
    def __init__(self) -> None:
        self.groups: dict[str, Figures] = {}
        self.total = Figures(TOTAL)

    def __call__(self, key: str) -> Iterable[Figures]:
        if key not in self.groups:
            self.groups[key] = Figures(key)
        return (self.groups[key], self.total)


def report(desk: Desk, start: datetime, end: datetime, by: str = "severity") -> Report:
    if by not in GROUPINGS:
        raise DeskError(f"--by must be one of {', '.join(GROUPINGS)} (got {by!r})")
    if end <= start:
        raise DeskError("the period is empty: --to must come after --from")
    tally = _Tally()
    policies: dict[str, Policy] = {}  # read once per report, not once per case
    for case, organization, events in _cases_in(desk, start, end):
        if case.policy not in policies:
            policies[case.policy] = desk.policy(case.policy)
        _count_case(policies[case.policy], case, organization, events, start, end, by, tally)
    keys = sorted(tally.groups, key=lambda k: (int(k), "") if k.isdigit() else (math.inf, k))
    return Report(start, end, by, tuple(tally.groups[k] for k in keys), tally.total)


def _cases_in(desk: Desk, start: datetime, end: datetime) -> Iterable[tuple[Any, str, list[Any]]]:
    """Each case the period touches, with its organization and its events before `end`."""
    with desk.engine.connect() as connection:
        received = connection.execute(
            select(_C.id).where(_C.received_at >= start, _C.received_at < end)
        ).scalars()
        counted = connection.execute(
            select(_E.case_id)
            .where(
                or_(
                    _E.kind.in_([EventKind.BREACH.value, EventKind.CUSTOMER_TIMEOUT.value]),
                    and_(
                        _E.kind == EventKind.STATUS.value,
                        _E.new_value == Status.CLOSED.value,
                        _E.actor == SYSTEM_ACTOR,
                    ),
                ),
                _E.at >= start,
                _E.at < end,
            )
            .distinct()
        ).scalars()
        ids = sorted(set(received) | set(counted))
        names = dict(connection.execute(select(_O.id, _O.name)).all())
        for i in range(0, len(ids), CHUNK):
            chunk = ids[i : i + CHUNK]
            # Rows, not models: building a million validated models would cost minutes,
            # and the replay reads only attributes.
            cases = {
                row.id: row
                for row in connection.execute(
                    select(_C.id, _C.policy, _C.severity, _C.received_at, _C.organization_id).where(
                        _C.id.in_(chunk)
                    )
                )
            }
            events: dict[int, list[Any]] = defaultdict(list)
            for row in connection.execute(
                select(_E.case_id, _E.id, _E.at, _E.actor, _E.kind, _E.new_value)
                .where(_E.case_id.in_(chunk), _E.at < end)
                .order_by(_E.case_id, _E.id)
            ):
                events[row.case_id].append(row)
            for case_id in chunk:
                case = cases[case_id]
                yield case, names[case.organization_id], events[case_id]


class _Replay:
    """Severity and assignee of one case at any instant, from its events."""

    def __init__(self, case: Any, events: Sequence[Any]) -> None:
        opened = next((e for e in events if e.kind == EventKind.OPENED), None)
        self.initial = int(opened.new_value) if opened and opened.new_value else case.severity
        self.events = events

    def severity_before(self, index: int) -> int:
        severity = self.initial
        for event in self.events[:index]:
            if event.kind == EventKind.SEVERITY and event.new_value:
                severity = int(event.new_value)
        return severity

    def assignee_before(self, index: int) -> str:
        assignee: str | None = None
        for event in self.events[:index]:
            if event.kind == EventKind.ASSIGN:
                assignee = event.new_value or None
        return assignee or UNASSIGNED

    def index_at(self, instant: datetime) -> int:
        """Events up to and including `instant`."""
        return sum(1 for e in self.events if e.at <= instant)


def _key(by: str, replay: _Replay, organization: str, index: int, engineer: str | None) -> str:
    if by == "severity":
        return str(replay.severity_before(index))
    if by == "organization":
        return organization
    return engineer or replay.assignee_before(index)


def _count_case(
    policy: Policy,
    case: Any,
    organization: str,
    events: list[Any],
    start: datetime,
    end: datetime,
    by: str,
    tally: _Tally,
) -> None:
    replay = _Replay(case, events)
    for index, event in enumerate(events):
        if not start <= event.at < end:
            continue
        kind = event.kind
        closed_by_sweep = (
            kind == EventKind.STATUS
            and event.new_value == Status.CLOSED.value
            and event.actor == SYSTEM_ACTOR
        )
        if kind not in (EventKind.BREACH, EventKind.CUSTOMER_TIMEOUT) and not closed_by_sweep:
            continue
        # The severity a timeout lowered is the one it belonged to: before the event.
        for figures in tally(_key(by, replay, organization, index, None)):
            if kind == EventKind.BREACH:
                figures.breaches += 1
            elif kind == EventKind.CUSTOMER_TIMEOUT:
                figures.customer_timeouts += 1
            else:
                figures.auto_closures += 1

    if not start <= case.received_at < end:
        return
    history = deadlines.history_of(case, events)
    clock = first_response_clock(policy, history, end)
    instant = clock.stopped or end
    index = replay.index_at(instant)
    responder = None
    if clock.stopped is not None:
        responder = next((e.actor for e in events if e.at == clock.stopped), None)
    for figures in tally(_key(by, replay, organization, index, responder)):
        figures.received += 1
        if clock.state is ClockState.MET:
            figures.met += 1
        elif clock.state is ClockState.BREACHED:
            figures.missed += 1
        if clock.stopped is not None and clock.started is not None:
            calendar = policy.level(replay.severity_before(index)).calendar
            figures.response_times.append(calendar.open_time_between(clock.started, clock.stopped))


def report_rows_for(by: str) -> str:
    return {"severity": "Severity", "organization": "Organization", "engineer": "Engineer"}[by]
