"""The sweep's rules: what a case owes at an instant, applied round after round.

Shared by the two ways the sweep writes (desk/sweep.py): a case worked out from a
read outside the write lock (desk/sweep_owed.py) and a case swept under its row
lock from its stored events. Both apply the same actions, so both write the same
events and deadlines.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from deskterm.desk import deadlines
from deskterm.desk.deadlines import SweepAction
from deskterm.instants import to_iso
from deskterm.models.kinds import EventKind
from deskterm.sla import Clock, ClockKind, Policy, Status

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

    def add(self, other: SweepReport) -> None:
        self.cases += other.cases
        self.breaches += other.breaches
        self.customer_timeouts += other.customer_timeouts
        self.notices += other.notices
        self.closed += other.closed


class Sweeping(Protocol):
    """What the sweep's rules change on a case: its row and its new events (a `Change`
    in the write transaction, or desk/sweep_owed.py's worked-out case)."""

    @property
    def case(self) -> Any: ...
    @property
    def policy(self) -> Policy: ...
    @property
    def events(self) -> list[Any]: ...

    def record(
        self,
        kind: EventKind,
        *,
        field_name: str | None = None,
        old: object = None,
        new: object = None,
        text: str | None = None,
        actor: str | None = None,
    ) -> Any: ...

    def mail(self, event: Any, kind: str, text: str) -> None: ...


# (events now, clocks at `now` after them, whether anything was owed, whether the
# rounds ended with nothing more owed)
CaughtUp = tuple[list[Any], dict[ClockKind, Clock], bool, bool]


def catch_up(
    target: Sweeping,
    events: list[Any],
    now: datetime,
    report: SweepReport,
    written: Callable[[], None],
    version_of: deadlines.VersionOf | None = None,
) -> CaughtUp:
    """Apply what the case owes at `now`, round after round (a close can follow a
    notice, a breach a timeout); `written` after each round (the ORM's flush).
    `version_of`: the policy's stored versions, for clocks settled before an apply."""
    case, policy = target.case, target.policy
    clocks = deadlines.clocks_of(case, events, policy, now, version_of)
    did_something = False
    for _ in range(MAX_ROUNDS):
        due = [a for a in deadlines.plan(case, events, policy, clocks) if a.at < now]
        if not due:
            return events, clocks, did_something, True
        before = len(target.events)
        for action in due:
            apply(target, action, clocks[action.clock].explanation, report)
        did_something = True
        written()
        recorded = target.events[before:]
        events = [*events, *recorded]
        if any(event.kind in deadlines.HISTORY_KINDS for event in recorded):
            clocks = deadlines.clocks_of(
                case, events, policy, now, version_of
            )  # a timeout, a close
    return events, clocks, did_something, False


def _in_policy_time(at: datetime, policy: Policy) -> str:
    """`Mon 7 Dec 2026 17:00 EST`: the instant as the contract's office reads it."""
    local = at.astimezone(policy.timezone)
    return f"{local:%a} {local.day} {local:%b %Y %H:%M} {local.tzname()}"


def apply(change: Sweeping, action: SweepAction, explanation: str, report: SweepReport) -> None:
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
