"""The read side: cases as the command line's JSON and the screens see them.

Lists read the deadlines stored on each case (no replay, no per-row query);
`show` and `why` replay the case's history for exact, explained clocks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from deskterm.desk import deadlines, limits
from deskterm.desk.cases import events_of
from deskterm.desk.context import Desk
from deskterm.desk.describe import describe
from deskterm.desk.errors import DeskError, NotFound
from deskterm.desk.workflow import parse_status
from deskterm.instants import to_iso
from deskterm.models import (
    INTAKE_FIELDS,
    Attachment,
    Case,
    Contact,
    Event,
    EventKind,
    Organization,
)
from deskterm.sla import Clock, ClockKind, ClockState, Policy, Status, shown_clocks
from deskterm.sla.clocks import OPTIONAL_CLOCKS
from deskterm.store.engine import reading

CLOCK_COLUMNS = {
    ClockKind.FIRST_RESPONSE: ("first_response_state", "first_response_due"),
    ClockKind.CUSTOMER_RESPONSE: ("customer_response_state", "customer_response_due"),
    ClockKind.UPDATE: ("update_state", "update_due"),
    ClockKind.AUTO_CLOSE: ("auto_close_state", "auto_close_due"),
    ClockKind.RESOLUTION: ("resolution_state", "resolution_due"),
    ClockKind.NEXT_RESPONSE: ("next_response_state", "next_response_due"),
}
UNASSIGNED = "none"
SEVERITY_DIGITS = 6  # a level is a small number; more digits are a typo, not a level


def stored_state(case: Case, kind: ClockKind, now: datetime) -> tuple[str, datetime | None]:
    """A clock's state now, from what was stored: time alone turns running into breached."""
    state_column, due_column = CLOCK_COLUMNS[kind]
    state, due = getattr(case, state_column), getattr(case, due_column)
    if state == ClockState.RUNNING.value and due is not None and now > due:
        state = ClockState.BREACHED.value
    return state, due


def _breached_condition(now: datetime) -> Any:
    """Support's own promises past due: a live first-response or update clock."""
    return or_(
        and_(col(Case.first_response_state) == "running", col(Case.first_response_due) < now),
        and_(col(Case.update_state) == "running", col(Case.update_due) < now),
        and_(col(Case.resolution_state) == "running", col(Case.resolution_due) < now),
        and_(col(Case.next_response_state) == "running", col(Case.next_response_due) < now),
    )


def list_cases(
    desk: Desk,
    *,
    status: str | None = None,
    severity: int | None = None,
    assignee: str | None = None,
    breached: bool = False,
    limit: int | None = None,
    open_only: bool = False,
) -> list[dict[str, Any]]:
    """Cases sorted by next deadline, soonest first, cases without one last.

    `open_only`: the cases the console's "All open" view lists (not closed)."""
    now = desk.now()
    parent = aliased(Case)
    query = (
        select(Case, Organization.name, parent.number)
        .join(Organization, col(Organization.id) == col(Case.organization_id))
        .outerjoin(parent, col(parent.id) == col(Case.split_from_id))
    )
    if status is not None:
        query = query.where(col(Case.status) == parse_status(status).value)
    elif open_only:
        query = query.where(col(Case.status) != Status.CLOSED.value)
    if severity is not None:
        check_severity(desk, severity)
        query = query.where(col(Case.severity) == severity)
    if assignee is not None:
        limits.name(assignee, "the assignee")
        query = query.where(
            col(Case.assignee).is_(None)
            if assignee == UNASSIGNED
            else col(Case.assignee) == assignee
        )
    if breached:
        query = query.where(_breached_condition(now))
    query = query.order_by(col(Case.next_due).is_(None), col(Case.next_due), col(Case.number))
    if limit is not None:
        query = query.limit(limit)
    with reading(desk.engine) as session:
        rows = session.exec(query).all()
    return [
        summary(desk, case, org_name, parent_number, now) for case, org_name, parent_number in rows
    ]


def summary(
    desk: Desk, case: Case, organization: str, split_from: int | None, now: datetime
) -> dict[str, Any]:
    policy = desk.case_policy(case)
    clocks = {}
    for kind in ClockKind:
        state, due = stored_state(case, kind, now)
        if kind in OPTIONAL_CLOCKS and state == ClockState.NOT_APPLICABLE:
            continue  # a clock the case's policy does not have (the JSON shape stays)
        clocks[kind.value] = {"state": state, "due": to_iso(due)}
    return {
        "number": case.number,
        "subject": case.subject,
        "organization": organization,
        "severity": case.severity,
        "severity_label": policy.label(case.severity),
        "status": case.status,
        "assignee": case.assignee,
        "escalation": case.escalation,
        "policy": case.policy,
        "policy_version": case.policy_version,
        "version": case.version,
        "received": to_iso(case.received_at),
        "next_due": to_iso(case.next_due),
        "split_from": split_from,
        "clocks": clocks,
    }


def _load(session: Session, number: int) -> Case:
    case = session.exec(select(Case).where(Case.number == number)).first()
    if case is None:
        raise NotFound(f"no case {number} (case numbers start at 40100; see deskterm case list)")
    return case


def clock_json(clock: Clock) -> dict[str, Any]:
    return {
        "state": clock.state.value,
        "due": to_iso(clock.due),
        "started": to_iso(clock.started),
        "stopped": to_iso(clock.stopped),
        "left_seconds": None if clock.left is None else int(clock.left.total_seconds()),
        "calendar": clock.calendar,
        "calendar_closed": clock.calendar_closed,
        "closed_reason": clock.closed_reason,
        "warning": clock.warning.value,
        "notice_due": to_iso(clock.notice_due),
        "explanation": clock.explanation,
    }


def event_json(event: Event) -> dict[str, Any]:
    return {
        "kind": event.kind,
        "actor": event.actor,
        "at": to_iso(event.at),
        "version": event.version,
        "field": event.field,
        "old": event.old_value,
        "new": event.new_value,
        "text": event.text,
        "description": describe(event),
    }


def show_case(desk: Desk, number: int) -> dict[str, Any]:
    """Everything about one case, with its clocks replayed exactly from its events."""
    now = desk.now()
    with reading(desk.engine) as session:
        case = _load(session, number)
        org = session.get(Organization, case.organization_id)
        contact = session.get(Contact, case.contact_id) if case.contact_id else None
        parent = session.get(Case, case.split_from_id) if case.split_from_id else None
        events = events_of(session, case)
        attachments = list(session.exec(select(Attachment).where(Attachment.case_id == case.id)))
    assert org is not None
    policy = desk.case_policy(case)
    detail = summary(desk, case, org.name, parent.number if parent else None, now)
    clocks = deadlines.clocks_of(case, events, policy, now)
    detail["clocks"] = {kind.value: clock_json(clocks[kind]) for kind in shown_clocks(clocks)}
    level = policy.severities.get(case.severity)
    detail.update(
        {
            "severity_name": level.name if level else "",
            "description": case.description,
            "contact": None
            if contact is None
            else {
                "name": contact.name,
                "email": contact.email,
                "phone": contact.phone,
                "administrator": contact.is_admin,
                "mail_bounce": contact.mail_bounce,
            },
            "contract_until": org.contract_until.isoformat() if org.contract_until else None,
            "contract_current": org.contract_current(now.date()),
            "scheduled_for": to_iso(case.scheduled_for),
            "intake": {name: getattr(case, name) for name in INTAKE_FIELDS},
            "events": [event_json(event) for event in events],
            "attachments": [
                {
                    "name": a.name,
                    "size": a.size,
                    "sha256": a.sha256,
                    "added_by": a.added_by,
                    "added_at": to_iso(a.added_at),
                }
                for a in attachments
            ],
        }
    )
    return detail


def explain_case(desk: Desk, number: int) -> tuple[Case, Policy, dict[ClockKind, Clock]]:
    with reading(desk.engine) as session:
        case = _load(session, number)
        events = events_of(session, case)
    policy = desk.case_policy(case)
    clocks = deadlines.clocks_of(case, events, policy, desk.now())
    return case, policy, _with_policy_moves(clocks, events)


def _with_policy_moves(
    clocks: dict[ClockKind, Clock], events: list[Event]
) -> dict[ClockKind, Clock]:
    """A deadline a policy version moved says so (`case why`): when, by whom, from what."""
    moves = [e for e in events if e.kind == EventKind.POLICY]
    if not moves:
        return clocks
    last = moves[-1]
    note = (
        f"; moved to the policy's {last.new_value} at {to_iso(last.at)}, applied by {last.actor} "
        f"(before: {last.old_value})"
    )
    return {
        kind: replace(clock, explanation=clock.explanation + note) if clock.live else clock
        for kind, clock in clocks.items()
    }


def parse_severity(text: str) -> int:
    cleaned = text.strip().lower().removeprefix("sev").removeprefix("p").strip()
    if not (cleaned.isascii() and cleaned.isdigit()) or len(cleaned) > SEVERITY_DIGITS:
        raise DeskError(f"{limits.quoted(text)} is not a severity level (a number such as 1, 2, 3)")
    return int(cleaned)


def check_severity(desk: Desk, level: int) -> None:
    """Refuse a level no policy has: a filter on it could only ever be empty."""
    levels = desk.severity_levels()
    if level not in levels:
        known = ", ".join(str(n) for n in levels) or "none"
        raise DeskError(f"no policy has severity {level} (levels: {known})")


def case_numbers(desk: Desk) -> Sequence[int]:
    with reading(desk.engine) as session:
        return list(session.exec(select(Case.number).order_by(col(Case.number))))
