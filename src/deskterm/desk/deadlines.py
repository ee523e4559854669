"""Keeps a case's stored deadlines in step with its history, and plans the sweep.

After every change the case's clocks are replayed from its events by the SLA
engine; their states and dues are stored on the case (the queue sorts by them
without replaying anything). The same replay says what the sweep owes the case
next, and when: it is derived from the events, so running the sweep twice finds
nothing left to do the second time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from deskterm.desk.policy_versions import version_named
from deskterm.instants import parse_instant, to_iso
from deskterm.models.columns import END_OF_TIME
from deskterm.models.kinds import EventKind
from deskterm.sla import (
    CaseHistory,
    Clock,
    ClockKind,
    ClockState,
    CustomerReplied,
    Policy,
    RespondedToCustomer,
    ScheduledFor,
    SeverityChanged,
    Status,
    StatusChanged,
    compute_clocks,
    next_due,
)
from deskterm.sla.calendar import BusinessCalendar
from deskterm.sla.duration import BusinessDays, Elapsed, Target
from deskterm.sla.history import HistoryEvent

if TYPE_CHECKING:  # a replay reads rows as well as models (`deskterm case show`)
    from deskterm.models import Case

RESPONSE_KINDS = frozenset({EventKind.REPLY, EventKind.CALL})
# The events `history_of` reads: an event of another kind (a breach, a note, a notice)
# leaves the clocks as they were, and the sweep does not replay them again after it.
HISTORY_KINDS = frozenset(
    {
        EventKind.OPENED,
        EventKind.STATUS,
        EventKind.SEVERITY,
        *RESPONSE_KINDS,
        EventKind.CUSTOMER_REPLY,
        EventKind.SCHEDULED,
    }
)
# Clocks whose breach the sweep records as an event (auto-close is not a promise).
BREACH_CLOCKS = (
    ClockKind.FIRST_RESPONSE,
    ClockKind.CUSTOMER_RESPONSE,
    ClockKind.UPDATE,
    ClockKind.RESOLUTION,
    ClockKind.NEXT_RESPONSE,
)


class Happened(Protocol):
    """What the replay reads of an event: a stored `Event`, or the case screen's
    lighter `Entry` (deskterm.desk.case_file), which has the same names."""

    @property
    def at(self) -> datetime: ...
    @property
    def kind(self) -> str: ...
    @property
    def field(self) -> str | None: ...
    @property
    def old_value(self) -> str | None: ...
    @property
    def new_value(self) -> str | None: ...


def history_of(case: Case, events: Sequence[Happened]) -> CaseHistory:
    opened = next((e for e in events if e.kind == EventKind.OPENED), None)
    initial = int(opened.new_value) if opened and opened.new_value else case.severity
    story: list[HistoryEvent] = []
    for event in events:
        kind = event.kind
        if kind == EventKind.STATUS and event.new_value:
            story.append(StatusChanged(event.at, Status(event.new_value)))
        elif kind == EventKind.SEVERITY and event.new_value:
            story.append(SeverityChanged(event.at, int(event.new_value)))
        elif kind in RESPONSE_KINDS:
            story.append(RespondedToCustomer(event.at))
        elif kind == EventKind.CUSTOMER_REPLY:
            story.append(CustomerReplied(event.at))
        elif kind == EventKind.SCHEDULED and event.new_value:
            story.append(ScheduledFor(event.at, parse_instant(event.new_value)))
    return CaseHistory(received=case.received_at, severity=initial, events=tuple(story))


# A case's earlier policy version by number (None: the policy file, from before
# versions were stored): what a clock settled under before a version was applied.
VersionOf = Callable[[int | None], Policy]


def clocks_of(
    case: Case,
    events: Sequence[Happened],
    policy: Policy,
    now: datetime,
    version_of: VersionOf | None = None,
) -> dict[ClockKind, Clock]:
    """The case's clocks at `now` under `policy`, the version it runs under; with
    `version_of`, a clock that had stopped before a version was applied keeps the
    result of the version it stopped under (`keep_settled`)."""
    history = history_of(case, events)
    clocks = compute_clocks(policy, history, now)
    if version_of is None:
        return clocks
    earlier = applied(events)
    if not earlier:
        return clocks
    return keep_settled(clocks, history, now, [(at, version_of(v)) for at, v in earlier])


def applied(events: Sequence[Happened]) -> list[tuple[datetime, int | None]]:
    """(when, the version the case ran under until then) for each version applied to the
    case (its POLICY events, desk/policy_apply.py), oldest first."""
    return [
        (event.at, version_named(event.old_value))
        for event in events
        if event.kind == EventKind.POLICY
    ]


def keep_settled(
    clocks: dict[ClockKind, Clock],
    history: CaseHistory,
    now: datetime,
    earlier: Sequence[tuple[datetime, Policy]],
) -> dict[ClockKind, Clock]:
    """A clock settled (met, or answered late) before a version was applied keeps the
    result and due of the version it ran under then; the running, paused and
    not-applicable ones follow the version in use (`clocks`). `earlier`: (when applied,
    the version in use until then), oldest first. What stops a clock (a response, a
    resolution) is in the events, not the policy, so each version sees the same stop."""
    kept = dict(clocks)
    undecided = set(clocks)
    for at, version in earlier:
        under = compute_clocks(version, history, now)
        for kind in sorted(undecided):
            clock = under[kind]
            if clock.stopped is not None and clock.stopped <= at:
                kept[kind] = clock
                undecided.discard(kind)
        if not undecided:
            break
    return kept


@dataclass(frozen=True)
class SweepAction:
    at: datetime
    kind: str  # "breach" | "customer-timeout" | "notice" | "close"
    clock: ClockKind
    due: datetime


def plan(
    case: Case, events: Sequence[Happened], policy: Policy, clocks: dict[ClockKind, Clock]
) -> list[SweepAction]:
    """What the sweep owes this case, each at the instant it becomes due."""
    actions: list[SweepAction] = []
    recorded = {(e.field, e.new_value) for e in events if e.kind == EventKind.BREACH}
    for kind in BREACH_CLOCKS:
        clock = clocks[kind]
        if clock.live and clock.due is not None and (kind.value, to_iso(clock.due)) not in recorded:
            actions.append(SweepAction(clock.due, "breach", kind, clock.due))

    status = Status(case.status)
    since_status = _since_last_status_change(events)
    customer = clocks[ClockKind.CUSTOMER_RESPONSE]
    timed_out = any(e.kind == EventKind.CUSTOMER_TIMEOUT for e in since_status)
    if (
        policy.rules.customer_timeout == "lower-severity"
        and status is Status.WAITING
        and customer.live
        and customer.due is not None
        and not timed_out
        and policy.lower_severity(case.severity) is not None
    ):
        actions.append(SweepAction(customer.due, "customer-timeout", customer.kind, customer.due))

    auto_close = clocks[ClockKind.AUTO_CLOSE]
    rule = policy.auto_close
    if auto_close.state in (ClockState.RUNNING, ClockState.BREACHED) and auto_close.due and rule:
        notices = [e for e in since_status if e.kind == EventKind.AUTO_CLOSE_NOTICE]
        if auto_close.notice_due is None:
            actions.append(SweepAction(auto_close.due, "close", auto_close.kind, auto_close.due))
        elif not notices:
            actions.append(
                SweepAction(auto_close.notice_due, "notice", auto_close.kind, auto_close.due)
            )
        else:
            # The customer always gets the full notice period, even when the sweep
            # sent the notice late (the console was not running, say).
            earliest = due_after(rule.calendar, notices[0].at, rule.notice_before)
            close_at = max(auto_close.due, earliest)
            actions.append(SweepAction(close_at, "close", auto_close.kind, auto_close.due))
    return sorted(actions, key=lambda action: action.at)


def due_after(calendar: BusinessCalendar, start: datetime, target: Target) -> datetime:
    """`start` plus an m/h or bd target on the calendar (the auto-close units)."""
    if isinstance(target, BusinessDays):
        return calendar.add_business_days(start, target.days)
    if isinstance(target, Elapsed):
        return calendar.due(start, target.amount)
    return start


def _since_last_status_change(events: Sequence[Happened]) -> list[Happened]:
    for index in range(len(events) - 1, -1, -1):
        if events[index].kind == EventKind.STATUS:
            return list(events[index + 1 :])
    return list(events)


def store_clocks(
    case: Case, clocks: dict[ClockKind, Clock], actions: Sequence[SweepAction]
) -> None:
    """Write the replayed clocks onto the case row."""
    case.first_response_state, case.first_response_due = _state(clocks[ClockKind.FIRST_RESPONSE])
    case.customer_response_state, case.customer_response_due = _state(
        clocks[ClockKind.CUSTOMER_RESPONSE]
    )
    case.update_state, case.update_due = _state(clocks[ClockKind.UPDATE])
    case.auto_close_state, case.auto_close_due = _state(clocks[ClockKind.AUTO_CLOSE])
    case.resolution_state, case.resolution_due = _state(clocks[ClockKind.RESOLUTION])
    case.next_response_state, case.next_response_due = _state(clocks[ClockKind.NEXT_RESPONSE])
    case.next_due = next_due(clocks)
    case.queue_due = case.next_due or END_OF_TIME
    promises = [
        due
        for state, due in (
            (case.first_response_state, case.first_response_due),
            (case.update_state, case.update_due),
            (case.resolution_state, case.resolution_due),
            (case.next_response_state, case.next_response_due),
        )
        if state == ClockState.RUNNING.value and due is not None
    ]
    case.promise_due = min(promises) if promises else None
    case.sweep_at = actions[0].at if actions else None


def _state(clock: Clock) -> tuple[str, datetime | None]:
    # Stored as it stands; "breached" is derived again at read time from the due.
    state = ClockState.RUNNING if clock.state is ClockState.BREACHED and clock.live else clock.state
    return state.value, clock.due
