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
- update, resolution and next response: the runs of these clocks that settled in
  the period (deskterm.desk.clock_outcomes says when a run settles): met when
  answered by their due, missed when answered late. A run still counting at
  `end` is counted in the period it settles in.

A figure is grouped by the severity, organization or engineer it belonged to at
its instant: the severity the case had then, the engineer who gave the response
or to whom the case was assigned then ("unassigned" when nobody).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import String, and_, case, cast, func, literal, literal_column, or_, select, text
from sqlalchemy.orm import aliased

from deskterm.desk import clock_outcomes, deadlines, policy_versions
from deskterm.desk.context import SYSTEM_ACTOR, Desk
from deskterm.desk.errors import DeskError
from deskterm.desk.limits import quoted
from deskterm.desk.outcomes import FIRST_RESPONSE, UNASSIGNED, Replay
from deskterm.instants import InstantError, in_range, to_iso
from deskterm.models import (
    Case,
    Event,
    EventKind,
    Organization,
    SlaClockOutcome,
    SlaFirstResponseState,
    SlaOutcome,
)
from deskterm.models.event import COUNTED_WHERE
from deskterm.models.tables import table_of
from deskterm.sla import ClockState, Policy, Status
from deskterm.sla.clocks import first_response_clock

GROUPINGS = ("severity", "organization", "engineer")
TOTAL = "all"
# Cases whose events are read in one query (a bound on the size of `IN (...)`).
CHUNK = 500

_C = table_of(Case).c
_E = table_of(Event).c
_O = table_of(Organization).c
_S = table_of(SlaFirstResponseState).c


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
class ClockFigures:
    """Met and missed runs of one of the clocks that run more than once."""

    met: int = 0
    missed: int = 0

    @property
    def met_percent(self) -> float | None:
        counted = self.met + self.missed
        return None if counted == 0 else 100.0 * self.met / counted


CLOCKS = clock_outcomes.TRACKED_VALUES  # update, resolution, next_response
CLOCK_TITLES = {"update": "Update", "resolution": "Resolution", "next_response": "Next resp"}


def counted_clocks(found: Report) -> list[str]:
    """The clocks with a run counted in the period (the others are left out of tables)."""
    return [c for c in CLOCKS if found.total.clocks[c].met + found.total.clocks[c].missed]


def clock_cell(figures: ClockFigures) -> str:
    """`12/15 80%`: runs met of those counted, and the share; `-` when none."""
    counted = figures.met + figures.missed
    if not counted:
        return "-"
    return f"{figures.met}/{counted} {100.0 * figures.met / counted:.0f}%"


def _clock_figures() -> dict[str, ClockFigures]:
    return {clock: ClockFigures() for clock in CLOCKS}


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
    # Business time to the first response, in microseconds (exact; a period's
    # hundreds of thousands cost no timedelta each).
    response_us: list[int] = field(default_factory=list)
    clocks: dict[str, ClockFigures] = field(default_factory=_clock_figures)

    @property
    def met_percent(self) -> float | None:
        counted = self.met + self.missed
        return None if counted == 0 else 100.0 * self.met / counted

    @property
    def median_response(self) -> timedelta | None:
        """The median in seconds as `statistics.median` of `timedelta.total_seconds()`
        has it (the mean of the middle two of an even count), from the sorted values."""
        values = self._sorted_response_us()
        if not values:
            return None
        middle = len(values) // 2
        if len(values) % 2:
            return timedelta(seconds=values[middle] / 10**6)
        return timedelta(seconds=(values[middle - 1] / 10**6 + values[middle] / 10**6) / 2)

    @property
    def p90_response(self) -> timedelta | None:
        values = self._sorted_response_us()
        if not values:
            return None
        return timedelta(microseconds=values[_nearest_rank(len(values), 90)])

    def _sorted_response_us(self) -> list[int]:
        self.response_us.sort()  # in place: a second sort of sorted values is a walk
        return self.response_us

    def json(self) -> dict[str, Any]:
        def seconds(value: timedelta | None) -> int | None:
            return None if value is None else round(value.total_seconds())

        met = self.met_percent
        clocks: dict[str, Any] = {}
        for clock, figures in self.clocks.items():
            percent = figures.met_percent
            clocks[f"{clock}_met"] = figures.met
            clocks[f"{clock}_missed"] = figures.missed
            clocks[f"{clock}_met_percent"] = None if percent is None else round(percent, 1)
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
            **clocks,
        }


def percentile(values: Sequence[timedelta], pct: float) -> timedelta | None:
    """Nearest rank: the smallest value that `pct`% of the values do not exceed."""
    if not values:
        return None
    return sorted(values)[_nearest_rank(len(values), pct)]


def _nearest_rank(count: int, pct: float) -> int:
    """The index, in `count` sorted values, of the nearest-rank `pct` percentile."""
    return max(1, math.ceil(pct / 100 * count)) - 1


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
        self.order: dict[str, tuple[float, str]] = {}
        self.total = Figures(TOTAL)

    def __call__(self, key: str, order: float = math.inf) -> Iterable[Figures]:
        if key not in self.groups:
            self.groups[key] = Figures(key)
            self.order[key] = (order, key)
        return (self.groups[key], self.total)

    def report(self, start: datetime, end: datetime, by: str) -> Report:
        keys = sorted(self.groups, key=lambda k: self.order[k])
        return Report(start, end, by, tuple(self.groups[k] for k in keys), self.total)


class _Policies:
    """Each policy read once per report, not once per case."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        self.found: dict[str, Policy] = {}

    def __call__(self, name: str, version: int | None = None) -> Policy:
        """By name (a label), or the version a case ran under (a replay, issue 22)."""
        key = name if version is None else f"{name}\0{version}"
        if key not in self.found:
            self.found[key] = self.desk.policy(name, version)
        return self.found[key]

    def earlier(self, case_: Any, events: Sequence[Any]) -> list[tuple[datetime, Policy]]:
        """(when applied, the version the case ran under until then) for each version
        applied to it before the period's end: a clock that settled before one keeps
        that version's result (desk/deadlines.py `keep_settled`)."""
        return [
            (
                at,
                self.desk.policy_file(case_.policy)
                if version is None
                else self(case_.policy, version),
            )
            for at, version in deadlines.applied(events)
        ]


def _check(by: str, start: datetime, end: datetime) -> None:
    if by not in GROUPINGS:
        raise DeskError(f"--by must be one of {', '.join(GROUPINGS)} (got {by!r})")
    if end <= start:
        raise DeskError("the period is empty: --to must come after --from")


def report(desk: Desk, start: datetime, end: datetime, by: str = "severity") -> Report:
    """The period's figures from stored outcomes and grouped queries over its events.

    First responses answered by the period's end are read from `sla_outcomes`. A
    case received in the period and not answered by then that nothing has touched
    since has the clock stored on the case. Only the rest (answered later, or
    changed since) are replayed. A period ending in the future is seen as it
    stands now.

    Each grouped query reads the period's rows from an index that holds what it
    counts (migration 0013_report_indexes; tests/desk/test_report_plan.py), so the
    cost follows the period's cases and events, plus the replay of those touched
    between the period's end and now; not the size of the desk.
    """
    _check(by, start, end)
    at = min(end, desk.now())
    tally = _Tally()
    policy_of = _Policies(desk)
    with desk.engine.connect() as connection:
        names: dict[int, str] = dict(connection.execute(select(_O.id, _O.name)).all())
        outcomes = _count_answered(connection, start, end, at, by, names, policy_of, tally)
        replay = _count_unanswered(
            connection, start, end, at, by, names, policy_of, tally, outcomes
        )
        replay = _count_stored_states(connection, replay, end, at, by, names, policy_of, tally)
        for case_, organization, events in _cases_with_events(connection, replay, end, names):
            policy = policy_of(case_.policy, case_.policy_version)
            earlier = policy_of.earlier(case_, events)
            _count_first_response(policy, case_, organization, events, at, [(by, tally)], earlier)
        _count_events(connection, start, end, by, names, policy_of, tally)
        _count_clock_runs(connection, start, end, at, by, names, policy_of, tally)
    return tally.report(start, end, by)


_OC = table_of(SlaOutcome).c
# What moves a first-response clock, or the severity and assignee a figure is filed under.
_CLOCK_EVENTS = tuple(
    kind.value
    for kind in (
        EventKind.OPENED,
        EventKind.STATUS,
        EventKind.SEVERITY,
        EventKind.REPLY,
        EventKind.CALL,
        EventKind.CUSTOMER_REPLY,
        EventKind.POLICY,  # a new policy version moved the stored clock
        EventKind.SCHEDULED,
        EventKind.ASSIGN,
    )
)
_UNANSWERED_STATES = ("running", "paused", "not-applicable")


def _grouped_by(by: str, columns: Any, engineer: Any) -> tuple[Any, ...]:
    """The columns a report's rows group on, in a table that names the policy, severity
    and organization alike (`engineer`: whose the case was, as that table records it)."""
    return {
        "severity": (columns.policy, columns.severity),
        "organization": (columns.organization_id,),
        "engineer": (engineer,),
    }[by]


def _answered(end: datetime, at: datetime) -> tuple[Any, ...]:
    """Answered before `end` and by `at` (`at` is `end`, or now when that is earlier)."""
    return (_OC.answered_at < end,) if at >= end else (_OC.answered_at <= at,)


@dataclass(frozen=True)
class _Outcomes:
    """What the period's stored first responses say beyond the figures they add."""

    stored: int  # how many the period has
    later: list[int]  # the cases of those settled after `at` (or `end`): to be looked at


def _count_answered(
    connection: Any,
    start: datetime,
    end: datetime,
    at: datetime,
    by: str,
    names: dict[int, str],
    policy_of: _Policies,
    tally: _Tally,
) -> _Outcomes:
    """The first responses settled by `at`, their times, and the period's others: one
    GROUP BY over the outcomes' period index (ix_sla_outcomes_period) alone.

    The period's rows are read once (at a million cases, some 600,000 for a month,
    each read costing as much as the counting): its times travel as one text per
    group, not a row each, and so do the cases of the outcomes settled after `at`
    (a group of their own: `settled` is 0)."""
    settled = and_(*_answered(end, at))
    each = (
        select(
            *(
                column.label(f"group_{i}")
                for i, column in enumerate(_grouped_by(by, _OC, _OC.engineer))
            ),
            _OC.state,
            settled.label("settled"),
            case((settled, _OC.business_us), else_=_OC.case_id).label("listed"),
        )
        .where(_OC.received_at >= start, _OC.received_at < end, _OC.clock == FIRST_RESPONSE)
        .subquery()
    )
    # (Grouped outside: SQLite then computes `settled` once a row, not for each use.)
    columns = [c for c in each.c if c.name != "listed"]
    found = connection.execute(
        select(
            *columns,
            func.count().label("rows"),
            func.aggregate_strings(cast(each.c.listed, String), ",").label("listed"),
        ).group_by(*columns)
    )
    stored = 0
    later: list[int] = []
    for row in found:
        stored += row.rows
        values = [] if row.listed is None else list(map(int, row.listed.split(",")))
        if not row.settled:
            later += values
            continue
        values.sort()  # the total's values are then sorted runs, merged at once
        key, order = _group_key(by, row, names, policy_of)
        for figures in tally(key, order):
            figures.received += row.rows
            if row.state == ClockState.MET.value:
                figures.met += row.rows
            elif row.state == ClockState.BREACHED.value:
                figures.missed += row.rows
            figures.response_us += values
    return _Outcomes(stored, later)


def _count_unanswered(
    connection: Any,
    start: datetime,
    end: datetime,
    at: datetime,
    by: str,
    names: dict[int, str],
    policy_of: _Policies,
    tally: _Tally,
    outcomes: _Outcomes,
) -> list[int]:
    """Count the cases received in the period, not answered by `at`, that nothing has
    touched since: their clock then is the one stored on the case (running: missed
    once past its due), under the severity and assignee they still have. Returns the
    other unanswered cases, to be replayed.

    Only the period's cases whose first response is still open (running, paused or
    without a target) are looked at one by one, from their index
    (ix_cases_first_response); those answered, the most, are counted on the indexes
    of cases and outcomes by receipt without visiting them. An answered case has its outcome
    stored, with the case's receipt (deskterm.desk.outcomes): when the counts say
    some have none (a policy file gone when they were filled), those are found
    case by case as before.
    """
    received = (_C.received_at >= start, _C.received_at < end)
    open_now = _C.first_response_state.in_(_UNANSWERED_STATES)
    # Changed since what the replay reads (the events before `end`) in a way that moved
    # its stored first-response columns: a row of sla_first_response_states from `end`
    # on, found by its key (desk/first_response_states.py; a period that ends in the
    # future has none). Or opened after `end`, though received before: the replay reads
    # none of its events. Either is counted case by case (`_count_stored_states`).
    # In the order of their ids, so that the lookups below walk the keys of outcomes
    # and stored states in order: in the index's order (by receipt) each was a page of
    # its own, half the report's time at a million cases.
    cases = (
        select(
            _C.id,
            _C.policy,
            _C.severity,
            _C.organization_id,
            _C.assignee,
            _C.created_at,
            _C.first_response_state,
            _C.first_response_due,
        )
        .where(*received, open_now)
        .order_by(_C.id)
        .subquery()
    )
    c = cases.c
    touched = or_(
        c.created_at >= end,
        select(_S.case_id).where(_S.case_id == c.id, _S.until >= end).exists(),
    )
    # The case's stored outcome, if any, read once (each use of a subquery of its
    # answer was a lookup of its own: seven a case): 2 when settled by `at`, 1 when
    # later, NULL when none.
    outcome = (
        select(case((and_(*_answered(end, at)), 2), else_=1))
        .where(_OC.case_id == c.id, _OC.clock == FIRST_RESPONSE)
        .scalar_subquery()
    )
    missed = and_(
        c.first_response_state == "running",
        c.first_response_due.is_not(None),
        c.first_response_due < at,
    )
    each = select(
        *(column.label(f"group_{i}") for i, column in enumerate(_grouped_by(by, c, c.assignee))),
        outcome.label("outcome"),
        # A case touched since is replayed (unless settled): its id keeps it a group
        # of its own.
        case((touched, c.id), else_=None).label("replayed"),
        case((missed, 1), else_=0).label("missed"),
    ).subquery()
    # Grouped by the database: at a million cases the period's open ones are tens
    # of thousands, the groups a few dozen.
    columns = list(each.c)
    replay: list[int] = []
    open_cases = outcomes_of_open = 0
    for row in connection.execute(select(*columns, func.count()).group_by(*columns)):
        count = row[-1]
        open_cases += count
        outcomes_of_open += 0 if row.outcome is None else count
        if row.outcome == 2:  # counted from its outcome
            continue
        if row.replayed is not None:
            replay.append(row.replayed)
            continue
        key, order = _group_key(by, row, names, policy_of)
        for figures in tally(key, order):
            figures.received += count
            figures.missed += count if row.missed else 0
    later = _answered_later(
        connection, start, end, at, open_cases, outcomes_of_open, open_now, outcomes
    )
    return sorted(replay + later)


def _answered_later(
    connection: Any,
    start: datetime,
    end: datetime,
    at: datetime,
    open_cases: int,
    outcomes_of_open: int,
    open_now: Any,
    outcomes: _Outcomes,
) -> list[int]:
    """The period's cases whose first response is settled now but was not by `at`
    (answered later, or with no stored outcome): to be replayed. `open_cases`: the
    period's cases not answered now, `outcomes_of_open`: those with an outcome;
    `outcomes`: the period's, as `_count_answered` read them."""
    received = (_C.received_at >= start, _C.received_at < end)
    cases = connection.execute(
        select(func.count()).select_from(table_of(Case)).where(*received)
    ).scalar_one()
    if cases - open_cases != outcomes.stored - outcomes_of_open:
        # Some answered case has no stored outcome: look at each.
        settled = (
            select(_OC.case_id)
            .where(_OC.case_id == _C.id, _OC.clock == FIRST_RESPONSE, *_answered(end, at))
            .exists()
        )
        return list(
            connection.execute(select(_C.id).where(*received, ~open_now, ~settled)).scalars()
        )
    later = sorted(outcomes.later)
    # Those whose case is answered now (the others were looked at as open): a few,
    # each read by its key (with the period in the query, SQLite would rather walk
    # the period's cases once per chunk).
    # (Tested in the columns, not the WHERE, for that reason; and by the database: a
    # column of instants read back costs a conversion each.)
    wanted = case((and_(*received, ~open_now), 1), else_=0).label("wanted")
    found: list[int] = []
    for i in range(0, len(later), CHUNK):
        rows = connection.execute(select(_C.id, wanted).where(_ids(_C.id, later[i : i + CHUNK])))
        found += [case_id for case_id, is_wanted in rows if is_wanted]
    return found


def _ids(column: Any, ids: Sequence[int]) -> Any:
    """`column IN (ids)` with the ids written into the statement: case ids, integers
    read from the desk; as parameters SQLAlchemy spent some 4 microseconds on each, at
    a million cases tens of thousands a report."""
    assert ids, "an empty IN list is no SQL"
    return column.op("IN")(literal_column(f"({', '.join(str(int(i)) for i in ids)})"))


def _count_stored_states(
    connection: Any,
    ids: Sequence[int],
    end: datetime,
    at: datetime,
    by: str,
    names: dict[int, str],
    policy_of: _Policies,
    tally: _Tally,
) -> list[int]:
    """Count the period's cases changed since `at` whose first response was not settled
    then from the stored columns they had at `at`: each case's row of
    sla_first_response_states (desk/first_response_states.py) with the smallest `until`
    from `end` on (the replay reads the events before `end`; a period ending in the
    future has no such rows: nothing changed after now), counted as `_count_unanswered`
    counts a case untouched since; with no such row, from the columns it has now. Returns those answered now
    with no such row (none stored for the answer: a desk filled without a policy file
    they need), to be replayed."""
    # Instants compared by the database (each read back would cost a conversion).
    opened_later = case((_C.created_at >= end, 1), else_=0).label("opened_later")

    def missed(state: Any, due: Any) -> Any:
        return case((and_(state == "running", due.is_not(None), due < at), 1), else_=0).label(
            "missed"
        )

    left: list[int] = []
    for i in range(0, len(ids), CHUNK):
        chunk = ids[i : i + CHUNK]
        first: dict[int, Any] = {}
        for row in connection.execute(
            select(
                _S.case_id,
                _C.policy,
                _S.severity,
                _C.organization_id,
                _S.assignee,
                missed(_S.state, _S.due),
                opened_later,
            )
            .join(table_of(Case), _C.id == _S.case_id)
            .where(_ids(_S.case_id, chunk), _S.until >= end)
            .order_by(_S.case_id, _S.until)
        ):
            first.setdefault(row.case_id, row)
        unchanged = [case_id for case_id in chunk if case_id not in first]
        if unchanged:
            # No row from `end` on: no change since altered the stored columns (a
            # customer's message, a note), so those the case has now held then too;
            # unless it is answered now (with no row for that change): replayed.
            for row in connection.execute(
                select(
                    _C.id.label("case_id"),
                    _C.policy,
                    _C.severity,
                    _C.organization_id,
                    _C.assignee,
                    missed(_C.first_response_state, _C.first_response_due),
                    opened_later,
                ).where(_ids(_C.id, unchanged), _C.first_response_state.in_(_UNANSWERED_STATES))
            ):
                first[row.case_id] = row
        for case_id in chunk:
            row = first.get(case_id)
            if row is None or row.opened_later:
                # (Opened after `end`, though received before: the replay reads no
                # event of it, not even its opening, and files it under the severity
                # it has now.)
                left.append(case_id)
                continue
            group = {
                "severity": (row.policy, row.severity),
                "organization": (row.organization_id,),
                "engineer": (row.assignee,),
            }[by]
            key, order = _group_key(by, group, names, policy_of)
            for figures in tally(key, order):
                figures.received += 1
                figures.missed += row.missed
    return left


_CC = table_of(SlaClockOutcome).c


def _count_clock_runs(
    connection: Any,
    start: datetime,
    end: datetime,
    at: datetime,
    by: str,
    names: dict[int, str],
    policy_of: _Policies,
    tally: _Tally,
) -> None:
    """The update, resolution and next-response runs settled in the period: one GROUP BY."""
    group = _grouped_by(by, _CC, _CC.engineer)
    period = (_CC.settled_at >= start, _CC.settled_at < end, _CC.settled_at <= at)
    for row in connection.execute(
        select(*group, _CC.clock, _CC.state, func.count())
        .where(*period)
        .group_by(*group, _CC.clock, _CC.state)
    ):
        key, order = _group_key(by, row, names, policy_of)
        for figures in tally(key, order):
            _add_run(figures, row.clock, row.state, row[-1])


def _add_run(figures: Figures, clock: str, state: str, count: int) -> None:
    if state == ClockState.MET.value:
        figures.clocks[clock].met += count
    elif state == ClockState.BREACHED.value:
        figures.clocks[clock].missed += count


def _group_key(by: str, row: Any, names: dict[int, str], policy_of: _Policies) -> tuple[str, float]:
    if by == "severity":
        return severity_key(policy_of(row[0]), int(row[1]))
    if by == "organization":
        return names[row[0]], math.inf
    return row[0] or UNASSIGNED, math.inf


def severity_key(policy: Policy, severity: int) -> tuple[str, float]:
    """A level's row is its label in its policy: "Sev 1" and "P1" are separate rows."""
    return policy.label(severity), severity


def _counted_events(start: datetime, end: datetime) -> tuple[Any, ...]:
    """The events the report counts in [start, end): breaches, customer timeouts and
    the sweep's auto-closures (read by the stored report and the replay alike)."""
    # Written as the partial index's own WHERE, so that SQLite reads them from it
    # (ix_events_counted); it names these kinds, Status.CLOSED and SYSTEM_ACTOR.
    return (text(f"({COUNTED_WHERE})"), _E.at >= start, _E.at < end)


def _count_events(
    connection: Any,
    start: datetime,
    end: datetime,
    by: str,
    names: dict[int, str],
    policy_of: _Policies,
    tally: _Tally,
) -> None:
    """Breaches, customer timeouts and auto-closures in the period, grouped by what held
    just before each: the case's severity, organization or assignee then (its events
    before it, found through the index on events by case)."""
    earlier = aliased(table_of(Event))
    kind = case((_E.kind == EventKind.STATUS.value, literal("auto-close")), else_=_E.kind).label(
        "counted"
    )
    if by == "severity":
        opened = aliased(table_of(Event))
        changed = (
            select(earlier.c.new_value)
            .where(
                earlier.c.case_id == _E.case_id,
                earlier.c.kind == EventKind.SEVERITY.value,
                earlier.c.id < _E.id,
                earlier.c.new_value.is_not(None),
                earlier.c.new_value != "",
            )
            .order_by(earlier.c.id.desc())
            .limit(1)
            .scalar_subquery()
        )
        initial = (
            select(opened.c.new_value)
            .where(opened.c.case_id == _E.case_id, opened.c.kind == EventKind.OPENED.value)
            .order_by(opened.c.id)
            .limit(1)
            .scalar_subquery()
        )
        group: tuple[Any, ...] = (
            _C.policy,
            func.coalesce(changed, func.nullif(initial, ""), cast(_C.severity, String)).label(
                "key"
            ),
        )
    elif by == "organization":
        group = (_C.organization_id.label("key"),)
    else:
        assigned = (
            select(earlier.c.new_value)
            .where(
                earlier.c.case_id == _E.case_id,
                earlier.c.kind == EventKind.ASSIGN.value,
                earlier.c.id < _E.id,
            )
            .order_by(earlier.c.id.desc())
            .limit(1)
            .scalar_subquery()
        )
        group = (assigned.label("key"),)
    counted = (
        select(*group, kind)
        .select_from(table_of(Event).join(table_of(Case), _C.id == _E.case_id))
        .where(*_counted_events(start, end))
        .subquery()
    )
    columns = [counted.c[column.name] for column in group]
    rows = connection.execute(
        select(*columns, counted.c.counted, func.count()).group_by(*columns, counted.c.counted)
    )
    for row in rows:
        if by == "severity":
            key, order = severity_key(policy_of(row[0]), int(row[1]))
        elif by == "organization":
            key, order = names[row[0]], math.inf
        else:
            key, order = row[0] or UNASSIGNED, math.inf
        for figures in tally(key, order):
            if row.counted == EventKind.BREACH.value:
                figures.breaches += row[-1]
            elif row.counted == EventKind.CUSTOMER_TIMEOUT.value:
                figures.customer_timeouts += row[-1]
            else:
                figures.auto_closures += row[-1]


# -- the replay: every figure from the events, case by case --------------------------


def replayed_report(desk: Desk, start: datetime, end: datetime, by: str = "severity") -> Report:
    """The same report replayed from every case's events (what the stored outcomes must
    equal: tests/desk/test_report_outcomes.py compares the two)."""
    return replayed_reports(desk, start, end, (by,))[by]


def replayed_reports(
    desk: Desk, start: datetime, end: datetime, groupings: Sequence[str]
) -> dict[str, Report]:
    """`replayed_report` for each of `groupings`, from one replay of each case (the
    clocks are the same whatever the figures are grouped by)."""
    for by in groupings:
        _check(by, start, end)
    at = min(end, desk.now())
    tallies = [(by, _Tally()) for by in groupings]
    policy_of = _Policies(desk)
    with desk.engine.connect() as connection:
        names: dict[int, str] = dict(connection.execute(select(_O.id, _O.name)).all())
        for case_, organization, events in _cases_in(connection, start, end, names):
            policy = policy_of(case_.policy, case_.policy_version)
            earlier = policy_of.earlier(case_, events)
            _count_case_events(policy, case_, organization, events, start, end, tallies)
            if start <= case_.received_at < end:
                _count_first_response(policy, case_, organization, events, at, tallies, earlier)
            _count_runs(policy, case_, organization, events, start, end, at, tallies, earlier)
    return {by: tally.report(start, end, by) for by, tally in tallies}


def _count_runs(
    policy: Policy,
    case_: Any,
    organization: str,
    events: list[Any],
    start: datetime,
    end: datetime,
    at: datetime,
    tallies: Sequence[tuple[str, _Tally]],
    earlier: Sequence[tuple[datetime, Policy]] = (),
) -> None:
    """The case's update, resolution and next-response runs that settled in the period,
    each under the version in use when it settled (`earlier`: the versions applied)."""
    policy_at = None
    if earlier:

        def policy_at(instant: datetime) -> Policy:
            return next((version for applied, version in earlier if applied >= instant), policy)

    for run in clock_outcomes.walk(policy, case_, events, at, policy_at):
        if not start <= run["settled_at"] < end:
            continue
        for by, tally in tallies:
            if by == "severity":
                key = severity_key(policy, run["severity"])
            elif by == "organization":
                key = organization, math.inf
            else:
                key = run["engineer"], math.inf
            for figures in tally(*key):
                _add_run(figures, run["clock"], run["state"], 1)


def _cases_in(
    connection: Any, start: datetime, end: datetime, names: dict[int, str]
) -> Iterable[tuple[Any, str, list[Any]]]:
    """Each case the period touches, with its organization and its events before `end`."""
    received = connection.execute(
        select(_C.id).where(_C.received_at >= start, _C.received_at < end)
    ).scalars()
    counted = connection.execute(
        select(_E.case_id).where(*_counted_events(start, end)).distinct()
    ).scalars()
    # A run of the update, resolution or next-response clock settles at an event.
    changed = connection.execute(
        select(_E.case_id).where(_E.kind.in_(_CLOCK_EVENTS), _E.at >= start, _E.at < end).distinct()
    ).scalars()
    ids = sorted(set(received) | set(counted) | set(changed))
    return _cases_with_events(connection, ids, end, names)


def _cases_with_events(
    connection: Any, ids: Sequence[int], end: datetime, names: dict[int, str]
) -> Iterable[tuple[Any, str, list[Any]]]:
    for i in range(0, len(ids), CHUNK):
        chunk = ids[i : i + CHUNK]
        # Rows, not models: building a million validated models would cost minutes,
        # and the replay reads only attributes.
        # Each case under the policy version it ran under at the period's end.
        ran_under = policy_versions.versions_at(connection, chunk, end)
        cases = {
            row.id: SimpleNamespace(
                **{**row._mapping, "policy_version": ran_under.get(row.id, row.policy_version)}
            )
            for row in connection.execute(
                select(
                    _C.id,
                    _C.policy,
                    _C.policy_version,
                    _C.severity,
                    _C.received_at,
                    _C.organization_id,
                ).where(_C.id.in_(chunk))
            )
        }
        events: dict[int, list[Any]] = defaultdict(list)
        for row in connection.execute(
            select(_E.case_id, _E.id, _E.at, _E.actor, _E.kind, _E.old_value, _E.new_value)
            .where(_E.case_id.in_(chunk), _E.at < end)
            .order_by(_E.case_id, _E.id)
        ):
            events[row.case_id].append(row)
        for case_id in chunk:
            found = cases[case_id]
            yield found, names[found.organization_id], events[case_id]


def _key(
    by: str, policy: Policy, replay: Replay, organization: str, index: int, engineer: str | None
) -> tuple[str, float]:
    if by == "severity":
        return severity_key(policy, replay.severity_before(index))
    if by == "organization":
        return organization, math.inf
    return engineer or replay.assignee_before(index), math.inf


def _count_case_events(
    policy: Policy,
    case_: Any,
    organization: str,
    events: list[Any],
    start: datetime,
    end: datetime,
    tallies: Sequence[tuple[str, _Tally]],
) -> None:
    replay = Replay(case_, events)
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
        for by, tally in tallies:
            for figures in tally(*_key(by, policy, replay, organization, index, None)):
                if kind == EventKind.BREACH:
                    figures.breaches += 1
                elif kind == EventKind.CUSTOMER_TIMEOUT:
                    figures.customer_timeouts += 1
                else:
                    figures.auto_closures += 1


def _count_first_response(
    policy: Policy,
    case_: Any,
    organization: str,
    events: list[Any],
    at: datetime,
    tallies: Sequence[tuple[str, _Tally]],
    earlier: Sequence[tuple[datetime, Policy]] = (),
) -> None:
    """A case received in the period: its first-response clock as it stood at `at`,
    under the version it settled under when a version was applied since (`earlier`)."""
    replay = Replay(case_, events)
    history = deadlines.history_of(case_, events)
    clock = first_response_clock(policy, history, at)
    if clock.stopped is not None:
        for applied, version in earlier:
            before = first_response_clock(version, history, at)
            if before.stopped is not None and before.stopped <= applied:
                policy, clock = version, before
                break
    instant = clock.stopped or at
    index = replay.index_at(instant)
    responder = None
    if clock.stopped is not None:
        responder = next((e.actor for e in events if e.at == clock.stopped), None)
    taken_us = None
    if clock.stopped is not None and clock.started is not None:
        calendar = policy.level(replay.severity_before(index)).calendar
        taken = calendar.open_time_between(clock.started, clock.stopped)
        taken_us = taken // timedelta(microseconds=1)
    for by, tally in tallies:
        for figures in tally(*_key(by, policy, replay, organization, index, responder)):
            figures.received += 1
            if clock.state is ClockState.MET:
                figures.met += 1
            elif clock.state is ClockState.BREACHED:
                figures.missed += 1
            if taken_us is not None:
                figures.response_us.append(taken_us)


def report_rows_for(by: str) -> str:
    return {"severity": "Severity", "organization": "Organization", "engineer": "Engineer"}[by]
