"""Outcomes of the update, resolution and next-response clocks, stored as they settle.

These clocks run more than once in a case's life (an update is owed again after
each one, a response after each customer message; a reopened case owes its
resolution again), so each run is a row of `sla_clock_outcomes`. The rule, one
for the writer and the report's replay alike: the clocks are evaluated at each
instant the case's history changes (docs/domain.md), just before it and at it;
at such an instant a run settles when

- it stops: the clock comes back met or breached with the instant it stopped
  (resolved, or the customer's message answered); or
- a run that was counting is answered (a reply or call at that instant) and the
  clock starts again from it (the update clock): met when by its due (or while
  paused), missed when after it.

A run that ends unanswered (an update no longer owed once the case is resolved)
is neither met nor missed: had it passed its due, the sweep's BREACH counts it.
A reopened case resumes the same update run (counted once, when answered) and
owes its resolution again (each resolution counted).

`record` stores the runs settled at a change's instant in that change's
transaction (rewriting that instant's rows, so that several changes at one
frozen instant leave what one would); `fill` stores every case's runs (migration
0008 and `db recount`); `walk` is the replay (the demo stores what it finds for
each of its case shapes, deskterm.desk.demo.replay).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from deskterm.desk.deadlines import history_of
from deskterm.desk.outcomes import CHUNK, CasePolicies, PolicyOf, Replay, cases_with_events
from deskterm.models.tables import table_of
from deskterm.sla import (
    CaseHistory,
    Clock,
    ClockKind,
    ClockState,
    Policy,
    RespondedToCustomer,
    SeverityChanged,
    StatusChanged,
)
from deskterm.sla.clocks import some_clocks
from deskterm.sla.duration import NoTarget

TRACKED = (ClockKind.UPDATE, ClockKind.RESOLUTION, ClockKind.NEXT_RESPONSE)
TRACKED_VALUES = tuple(kind.value for kind in TRACKED)
JUST_BEFORE = timedelta(microseconds=1)  # instants are exact to the microsecond
_COUNTING = (ClockState.RUNNING, ClockState.PAUSED, ClockState.BREACHED)
# The events whose actor answered each clock.
ANSWERS = {
    ClockKind.UPDATE: ("reply", "call"),
    ClockKind.NEXT_RESPONSE: ("reply", "call"),
    ClockKind.RESOLUTION: ("status",),
}
# Kinds of event that change a clock or who a settlement is filed under.
CLOCK_EVENT_KINDS = frozenset(
    {"opened", "status", "severity", "reply", "call", "customer-reply", "scheduled", "assign"}
)


def _target_of(policy: Policy, severity: int, kind: ClockKind) -> Any:
    level = policy.level(severity)
    if kind is ClockKind.UPDATE:
        return level.update_every
    if kind is ClockKind.RESOLUTION:
        return level.resolution
    return level.next_response


def kinds_of(policy: Policy, history: CaseHistory) -> tuple[ClockKind, ...]:
    """The clocks with a target at some level the case has had."""
    levels = {history.severity} | {
        e.severity for e in history.events if isinstance(e, SeverityChanged)
    }
    return tuple(
        kind
        for kind in TRACKED
        if any(
            not isinstance(_target_of(policy, level, kind), NoTarget)
            for level in levels
            if level in policy.severities
        )
    )


def policy_tracks(policy: Policy) -> bool:
    return any(
        not isinstance(_target_of(policy, level, kind), NoTarget)
        for level in policy.severities
        for kind in TRACKED
    )


def _settling(
    history: CaseHistory, instant: datetime, kinds: Sequence[ClockKind]
) -> tuple[ClockKind, ...]:
    """The clocks that may settle at `instant`: the update and next-response clocks only
    at a response to the customer, the resolution clock only at a change of status."""
    responded = status = False
    for event in history.events:
        if event.at == instant:
            responded = responded or isinstance(event, RespondedToCustomer)
            status = status or isinstance(event, StatusChanged)
    return tuple(kind for kind in kinds if (status if kind is ClockKind.RESOLUTION else responded))


def _counting(clock: Clock) -> bool:
    return clock.state in _COUNTING and clock.stopped is None


def settlements(
    policy: Policy,
    case: Any,
    events: Sequence[Any],
    history: CaseHistory,
    instant: datetime,
    before: dict[ClockKind, Clock],
    after: dict[ClockKind, Clock],
) -> list[dict[str, Any]]:
    """The runs that settled at `instant`, given the clocks just before it (`before`)
    and at it (`after`)."""
    rows: list[dict[str, Any]] = []
    replay: Replay | None = None
    for kind in before:
        was, now = before[kind], after[kind]
        if now.stopped is not None and now.stopped != was.stopped:
            state, settled, started, due = now.state, now.stopped, now.started, now.due
        elif kind is not ClockKind.RESOLUTION and _counting(was) and now.started != was.started:
            # (only instants with a response are looked at for this clock)
            settled, started, due = instant, was.started, was.due
            late = due is not None and instant > due
            state = ClockState.BREACHED if late else ClockState.MET
        else:
            continue
        if state not in (ClockState.MET, ClockState.BREACHED):
            continue
        if replay is None:
            replay = Replay(case, events)
        index = replay.index_at(settled)
        severity = replay.severity_before(index)
        engineer = next(
            (e.actor for e in events if e.at == settled and e.kind in ANSWERS[kind]), None
        )
        business = None
        if started is not None:
            calendar = policy.level(severity).calendar
            business = calendar.open_time_between(started, settled) // timedelta(microseconds=1)
        rows.append(
            {
                "case_id": case.id,
                "clock": kind.value,
                "settled_at": settled,
                "started_at": started,
                "due": due,
                "state": state.value,
                "policy": policy.name,
                "severity": severity,
                "engineer": engineer or replay.assignee_before(index),
                "organization_id": case.organization_id,
                "received_at": case.received_at,
                "business_us": business,
            }
        )
    return rows


def walk(
    policy: Policy,
    case: Any,
    events: Sequence[Any],
    until: datetime,
    policy_at: Callable[[datetime], Policy] | None = None,
) -> list[dict[str, Any]]:
    """Every run of the case's clocks settled by `until`, replayed from its events;
    `policy_at`: the version the case ran under at each instant (a case a version was
    applied to: each run is counted under the version in use when it settled, as
    `record` stored it), else `policy` throughout."""
    history = history_of(case, events)
    kinds = kinds_of(policy, history)
    if policy_at is not None:
        # A clock some earlier version had counts where that version ran.
        others = [policy_at(event.at) for event in history.events]
        kinds = tuple(
            kind
            for kind in TRACKED
            if kind in kinds
            or any(other is not policy and kind in kinds_of(other, history) for other in others)
        )
    if not kinds:
        return []
    rows: list[dict[str, Any]] = []
    for instant in sorted({event.at for event in history.events}):
        if instant > until:
            break
        settling = _settling(history, instant, kinds)
        if settling and instant > history.received:  # nothing runs before the receipt
            then = policy if policy_at is None else policy_at(instant)
            settling = tuple(kind for kind in settling if kind in kinds_of(then, history))
            if not settling:
                continue
            before = some_clocks(then, history, instant - JUST_BEFORE, settling)
            after = some_clocks(then, history, instant, settling)
            rows += settlements(then, case, events, history, instant, before, after)
    return rows


def record(
    session: Any,
    policy: Policy,
    case: Any,
    events: Sequence[Any],
    clocks: dict[ClockKind, Clock],
    now: datetime,
) -> None:
    """Store the runs settled at `now` in this change's transaction.

    Only a change that touches the clocks (or who a settlement is filed under) is
    looked at; its instant's rows are rewritten, so that the stored rows are those
    `walk` finds however many changes share the instant.
    """
    from deskterm.models import SlaClockOutcome

    rows = settled_at(policy, case, events, clocks, now)
    if rows is None:
        return
    table = table_of(SlaClockOutcome)
    session.execute(delete(table).where(table.c.case_id == case.id, table.c.settled_at == now))
    if rows:
        session.execute(insert(table), rows)


def settled_at(
    policy: Policy,
    case: Any,
    events: Sequence[Any],
    clocks: dict[ClockKind, Clock],
    now: datetime,
) -> list[dict[str, Any]] | None:
    """The rows `record` stores for `now` in place of that instant's; None when the
    change touches no clock (the stored rows stay). The sweep writes them a batch of
    cases at a time."""
    if not any(e.at == now and e.kind in CLOCK_EVENT_KINDS for e in events):
        return None
    history = history_of(case, events)
    settling = _settling(history, now, kinds_of(policy, history))
    if settling and now > history.received:
        before = some_clocks(policy, history, now - JUST_BEFORE, settling)
        return settlements(policy, case, events, history, now, before, clocks)
    return []


# -- a whole desk: fill, recount --------------------------------------------------------


def recounted(
    connection: Connection,
    policy_of: PolicyOf,
    now: datetime,
    progress: Callable[[int, int], None] | None = None,
) -> Iterator[tuple[list[int], list[dict[str, Any]]]]:
    """(case ids, their runs) a chunk at a time, replayed from the events: every case
    under a policy that has one of these clocks."""
    policy_of = CasePolicies.of(policy_of)
    from deskterm.models import Case

    c = table_of(Case).c
    names = list(connection.execute(select(c.policy).distinct()).scalars())
    tracked = []
    for name in names:
        # (a desk's stored versions may track a clock its file no longer has)
        if any(policy_tracks(version) for version in policy_of.all_of(name)):
            tracked.append(name)
    ids = list(
        connection.execute(select(c.id).where(c.policy.in_(tracked)).order_by(c.id)).scalars()
    )
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        cases, events = cases_with_events(connection, chunk, policy_of.versioned)
        rows: list[dict[str, Any]] = []
        for case in cases:
            policy = policy_of.of_case(case)
            if policy is not None:
                history = events[case.id]
                rows += walk(policy, case, history, now, policy_of.at(case, history, policy))
        yield chunk, rows
        if progress is not None:
            progress(min(start + CHUNK, len(ids)), len(ids))


def fill(
    connection: Connection,
    policy_of: PolicyOf,
    now: datetime,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Store every case's runs again from its events (in the caller's transaction);
    returns how many rows differed from what was stored before."""
    policy_of = CasePolicies.of(policy_of)
    from deskterm.models import SlaClockOutcome

    table = table_of(SlaClockOutcome)
    changed = 0
    for chunk, rows in recounted(connection, policy_of, now, progress):
        stored = _stored(connection, chunk)
        wanted = {_key(row): row for row in rows}
        if stored == {k: _comparable(v) for k, v in wanted.items()}:
            continue
        changed += len(set(stored.items()) ^ {(k, _comparable(v)) for k, v in wanted.items()})
        connection.execute(delete(table).where(table.c.case_id.in_(chunk)))
        if rows:
            connection.execute(insert(table), rows)
    return changed


def differences(
    connection: Connection,
    policy_of: PolicyOf,
    now: datetime,
) -> tuple[int, int | None]:
    """How many stored runs differ from a recount from the events (missing, extra or
    different), and one case where they do."""
    policy_of = CasePolicies.of(policy_of)
    different = 0
    example: int | None = None
    for chunk, rows in recounted(connection, policy_of, now):
        stored = set(_stored(connection, chunk).items())
        wanted = {(_key(row), _comparable(row)) for row in rows}
        if stored != wanted:
            odd = stored ^ wanted
            different += len({key for key, _ in odd})
            example = example or min(key[0] for key, _ in odd)
    return different, example


def _key(row: Any) -> tuple[int, str, datetime]:
    return (row["case_id"], row["clock"], row["settled_at"])


_COLUMNS = (
    "started_at",
    "due",
    "state",
    "policy",
    "severity",
    "engineer",
    "organization_id",
    "received_at",
    "business_us",
)


def _comparable(row: Any) -> tuple[Any, ...]:
    return tuple(row[c] for c in _COLUMNS)


def _stored(connection: Connection, ids: Iterable[int]) -> dict[Any, tuple[Any, ...]]:
    from deskterm.models import SlaClockOutcome

    table = table_of(SlaClockOutcome)
    found = {}
    for row in connection.execute(select(table).where(table.c.case_id.in_(list(ids)))):
        mapping = row._mapping
        found[_key(mapping)] = _comparable(mapping)
    return found
