"""The sweep: what time alone makes happen to cases.

It records breaches as events, lowers the severity of a case whose customer did
not answer in time (when the policy says so), sends the auto-close notice and
then closes. What is owed is derived from each case's events (deadlines.plan),
so a second run, or a run in another process at the same moment, finds the work
done: each case is swept inside its own write transaction, under its row lock.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlmodel import col, select

from deskterm.desk import deadlines
from deskterm.desk.cases import Change, changing, events_of, refresh
from deskterm.desk.context import SYSTEM_ACTOR, Desk
from deskterm.desk.deadlines import SweepAction
from deskterm.instants import to_iso
from deskterm.models import Case, EventKind
from deskterm.sla import ClockKind, Policy, Status
from deskterm.store.engine import reading

# One case cannot owe more than a handful of actions at once (breaches of three
# clocks, a timeout, a notice); the bound only guards against a policy loop.
MAX_ROUNDS = 10


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


def sweep(desk: Desk) -> SweepReport:
    now = desk.now()
    system = replace(desk, actor=SYSTEM_ACTOR, now=lambda: now)
    with reading(desk.engine) as session:
        numbers = list(
            session.exec(
                select(Case.number).where(col(Case.sweep_at) < now).order_by(col(Case.sweep_at))
            )
        )
    report = SweepReport()
    for number in numbers:
        with changing(system, number) as change:
            if _sweep_case(change, now, report):
                report.cases += 1
    return report


def _sweep_case(change: Change, now: datetime, report: SweepReport) -> bool:
    did_something = False
    for _ in range(MAX_ROUNDS):
        change.session.flush()
        case, policy = change.case, change.policy
        events = events_of(change.session, case)
        clocks = deadlines.clocks_of(case, events, policy, now)
        due = [a for a in deadlines.plan(case, events, policy, clocks) if a.at < now]
        if not due:
            break
        for action in due:
            _apply(change, action, clocks[action.clock].explanation, report)
        did_something = True
    if not did_something:
        # A stale sweep instant (a policy file edited since, say): store the fresh one
        # so the case is not picked up again; the cached deadlines are not a change.
        refresh(change.session, change.case, change.policy, now)
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
