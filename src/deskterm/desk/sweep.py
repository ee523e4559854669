"""The sweep: what time alone makes happen to cases.

It records breaches as events, lowers the severity of a case whose customer did
not answer in time (when the policy says so), sends the auto-close notice and
then closes. What is owed is derived from each case's events (deadlines.plan),
so a second run, or a run in another process at the same moment, finds the work
done: each case is swept under its row lock, and each of its changes is written with
its events.

A backlog (a desk nobody swept over a weekend: thousands of breaches) is swept in
batches: one write transaction takes cases, in case-number order, until it has held
the write lock for `BATCH_SECONDS`, then commits and leaves the lock free as long
again. Other engineers' changes and the console wait about that long for their turn,
however long the backlog. The
order is the same in every process, so two sweeps on PostgreSQL wait for each
other's row locks rather than deadlock.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from sqlmodel import col, select

from deskterm.desk import deadlines
from deskterm.desk.cases import Change, change_in, events_of, refresh
from deskterm.desk.context import SYSTEM_ACTOR, Desk
from deskterm.desk.deadlines import SweepAction
from deskterm.instants import to_iso
from deskterm.models import Case, EventKind
from deskterm.sla import ClockKind, Policy, Status
from deskterm.store.engine import reading, writing

# One case cannot owe more than a handful of actions at once (breaches of three
# clocks, a timeout, a notice); the bound only guards against a policy loop.
MAX_ROUNDS = 10
# A batch stops taking cases once its transaction is this old: with the case in hand
# and the commit, the write lock is held well under 100 ms (bench/cli_bench.py).
BATCH_SECONDS = 0.04

# Told of each batch once committed: its cases and how long its transaction held the lock.
BatchListener = Callable[[int, float], None]


@dataclass
class SweepReport:
    cases: int = 0
    breaches: int = 0
    customer_timeouts: int = 0
    notices: int = 0
    closed: int = 0

    def summary(self) -> str:
        return (
            f"swept {self.cases} case(s): {self.breaches} breach(es) recorded, "
            f"{self.customer_timeouts} customer timeout(s), {self.notices} auto-close notice(s), "
            f"{self.closed} closed"
        )


def sweep(desk: Desk, on_batch: BatchListener | None = None) -> SweepReport:
    now = desk.now()
    system = replace(desk, actor=SYSTEM_ACTOR, now=lambda: now)
    with reading(desk.engine) as session:
        numbers = list(
            session.exec(
                select(Case.number).where(col(Case.sweep_at) < now).order_by(col(Case.number))
            )
        )
    report = SweepReport()
    left = iter(numbers)
    number = next(left, None)
    while number is not None:
        started = time.perf_counter()
        swept = 0
        with writing(desk.engine) as session:
            while number is not None and (
                swept == 0 or time.perf_counter() - started < BATCH_SECONDS
            ):
                with change_in(session, system, number) as change:
                    if _sweep_case(change, now, report):
                        report.cases += 1
                swept += 1
                number = next(left, None)
        held = time.perf_counter() - started
        if on_batch is not None:
            on_batch(swept, held)
        if number is not None and desk.engine.dialect.name == "sqlite":
            # SQLite lets a waiting writer in only when its busy handler polls (every
            # few to 100 ms), not when the lock is freed: without a pause, the next
            # batch would take the lock again first, until the backlog is gone.
            time.sleep(held)
    return report


def _sweep_case(change: Change, now: datetime, report: SweepReport) -> bool:
    case, policy = change.case, change.policy
    version_of = change.desk.versions_of(case.policy)
    events = events_of(change.session, case)
    clocks = deadlines.clocks_of(case, events, policy, now, version_of)
    did_something = False
    for _ in range(MAX_ROUNDS):
        due = [a for a in deadlines.plan(case, events, policy, clocks) if a.at < now]
        if not due:
            # What the change stores on leaving: replayed after its last event, at `now`.
            change.replayed = events, clocks
            break
        written = len(change.events)
        for action in due:
            _apply(change, action, clocks[action.clock].explanation, report)
        did_something = True
        change.session.flush()
        recorded = change.events[written:]
        events = [*events, *recorded]
        if any(event.kind in deadlines.HISTORY_KINDS for event in recorded):
            clocks = deadlines.clocks_of(
                case, events, policy, now, version_of
            )  # a timeout, a close
    if not did_something:
        # A stale sweep instant (a policy file edited since, say): store the fresh one
        # so the case is not picked up again; the cached deadlines are not a change.
        refresh(change.session, case, policy, now, change.replayed, version_of)
    return did_something


def _in_policy_time(at: datetime, policy: Policy) -> str:
    """`Mon 7 Dec 2026 17:00 EST`: the instant as the contract's office reads it."""
    local = at.astimezone(policy.timezone)
    return f"{local:%a} {local.day} {local:%b %Y %H:%M} {local.tzname()}"


def _apply(change: Change, action: SweepAction, explanation: str, report: SweepReport) -> None:
    case, policy = change.case, change.policy
    if action.kind == "breach":
        change.record(
            EventKind.BREACH,
            field_name=action.clock.value,
            new=to_iso(action.due),
            text=explanation,
        )
        report.breaches += 1
    elif action.kind == "customer-timeout":
        lower = policy.lower_severity(case.severity)
        assert lower is not None  # planned only when a lower level exists
        change.record(
            EventKind.CUSTOMER_TIMEOUT,
            field_name=ClockKind.CUSTOMER_RESPONSE.value,
            new=to_iso(action.due),
            text=explanation,
        )
        change.record(
            EventKind.SEVERITY,
            field_name="severity",
            old=case.severity,
            new=lower,
            text=f"the customer did not respond in time: lowered per policy {policy.name}",
        )
        case.severity = lower
        report.customer_timeouts += 1
    elif action.kind == "notice":
        event = change.record(
            EventKind.AUTO_CLOSE_NOTICE,
            field_name="closes",
            new=to_iso(action.due),
            text=f"the customer is told the case closes automatically: {explanation}",
        )
        change.mail(
            event,
            "auto-close-notice",
            f"This case will be closed automatically on {_in_policy_time(action.due, policy)} "
            f"unless we hear from you: {explanation}.\n"
            "Reply to this message if the case is not solved for you.",
        )
        report.notices += 1
    elif action.kind == "close":
        change.record(
            EventKind.STATUS,
            field_name="status",
            old=case.status,
            new=Status.CLOSED.value,
            text=f"closed automatically: {explanation}",
        )
        case.status = Status.CLOSED.value
        report.closed += 1
