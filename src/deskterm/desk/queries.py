"""The read side: cases as the command line's JSON and the screens see them.

Lists read the deadlines stored on each case (no replay, no per-row query);
`show` and `why` replay the case's history for exact, explained clocks.

Everything here reads plain rows through SQLAlchemy Core (deskterm.models.columns),
never the ORM: `deskterm case show` and `case list` start in a fraction of the time
the models would cost to import. A row reads like its model (`case.number`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, or_, select, text

from deskterm.desk import deadlines, limits
from deskterm.desk.context import Desk
from deskterm.desk.describe import describe
from deskterm.desk.errors import DeskError, NotFound
from deskterm.desk.workflow import parse_status
from deskterm.instants import to_iso
from deskterm.models.columns import INTAKE_FIELDS, attachments, cases, contacts, events
from deskterm.models.columns import organizations as orgs
from deskterm.models.kinds import EventKind
from deskterm.sla import Clock, ClockKind, ClockState, Policy, shown_clocks
from deskterm.sla.clocks import OPTIONAL_CLOCKS
from deskterm.store.engine import snapshot

CLOCK_COLUMNS = {
    ClockKind.FIRST_RESPONSE: ("first_response_state", "first_response_due"),
    ClockKind.CUSTOMER_RESPONSE: ("customer_response_state", "customer_response_due"),
    ClockKind.UPDATE: ("update_state", "update_due"),
    ClockKind.AUTO_CLOSE: ("auto_close_state", "auto_close_due"),
    ClockKind.RESOLUTION: ("resolution_state", "resolution_due"),
    ClockKind.NEXT_RESPONSE: ("next_response_state", "next_response_due"),
}
UNASSIGNED = "none"
# Written as the partial index's own WHERE (models/case.py, ix_cases_queue), not with a
# bound value: only then does SQLite walk that index instead of sorting every case.
_OPEN = text("cases.status != 'closed'")
parse_severity = limits.parse_severity  # where the command line's parser finds it light


def stored_state(case: Any, kind: ClockKind, now: datetime) -> tuple[str, datetime | None]:
    """A clock's state now, from what was stored: time alone turns running into breached.

    `case`: a `cases` row or a Case model."""
    state_column, due_column = CLOCK_COLUMNS[kind]
    state: str = getattr(case, state_column)
    due: datetime | None = getattr(case, due_column)
    if state == ClockState.RUNNING.value and due is not None and now > due:
        state = ClockState.BREACHED.value
    return state, due


def _breached_condition(now: datetime) -> Any:
    """Support's own promises past due: a live first-response or update clock."""
    c = cases.c
    return or_(
        and_(c.first_response_state == "running", c.first_response_due < now),
        and_(c.update_state == "running", c.update_due < now),
        and_(c.resolution_state == "running", c.resolution_due < now),
        and_(c.next_response_state == "running", c.next_response_due < now),
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
    c = cases.c
    parent = cases.alias("parent")
    query = (
        select(*c, orgs.c.name.label("organization_name"), parent.c.number.label("parent_number"))
        .join_from(cases, orgs, orgs.c.id == c.organization_id)
        .outerjoin(parent, parent.c.id == c.split_from_id)
    )
    if status is not None:
        query = query.where(c.status == parse_status(status).value)
    elif open_only:
        query = query.where(_OPEN)
    if severity is not None:
        check_severity(desk, severity)
        query = query.where(c.severity == severity)
    if assignee is not None:
        limits.name(assignee, "the assignee")
        query = query.where(
            c.assignee.is_(None) if assignee == UNASSIGNED else c.assignee == assignee
        )
    if breached:
        query = query.where(_breached_condition(now))
    # queue_due is next_due, END_OF_TIME for none: cases without a deadline come last,
    # and open cases are read in the order of their partial index, LIMIT rows at most.
    query = query.order_by(c.queue_due, c.number)
    if limit is not None:
        query = query.limit(limit)
    with snapshot(desk.engine) as connection:
        rows = connection.execute(query).all()
    return [summary(desk, row, row.organization_name, row.parent_number, now) for row in rows]


def summary(
    desk: Desk, case: Any, organization: str, split_from: int | None, now: datetime
) -> dict[str, Any]:
    """A case's list form; `case` a `cases` row (or a Case model)."""
    policy = desk.case_policy(case)
    clocks: dict[str, dict[str, str | None]] = {}
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


def _load(connection: Connection, number: int) -> Any:
    case = connection.execute(select(cases).where(cases.c.number == number)).first()
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


def events_of(connection: Connection, case_id: int) -> list[Any]:
    """A case's events as rows, in the order they were written."""
    query = select(events).where(events.c.case_id == case_id).order_by(events.c.id)
    return list(connection.execute(query).all())


def event_json(event: Any) -> dict[str, Any]:
    """An event's JSON form; `event` an `events` row (or an Event model)."""
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
    with snapshot(desk.engine) as connection:
        case = _load(connection, number)
        org = connection.execute(select(orgs).where(orgs.c.id == case.organization_id)).one()
        contact = (
            connection.execute(select(contacts).where(contacts.c.id == case.contact_id)).first()
            if case.contact_id
            else None
        )
        parent = (
            connection.execute(
                select(cases.c.number).where(cases.c.id == case.split_from_id)
            ).scalar_one_or_none()
            if case.split_from_id
            else None
        )
        history = events_of(connection, case.id)
        attached = connection.execute(
            select(attachments).where(attachments.c.case_id == case.id)
        ).all()
    policy = desk.case_policy(case)
    detail = summary(desk, case, org.name, parent, now)
    clocks = deadlines.clocks_of(case, history, policy, now, desk.versions_of(case.policy))
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
            "contract_current": org.contract_until is None or now.date() <= org.contract_until,
            "scheduled_for": to_iso(case.scheduled_for),
            "intake": {name: getattr(case, name) for name in INTAKE_FIELDS},
            "events": [event_json(event) for event in history],
            "attachments": [
                {
                    "name": a.name,
                    "size": a.size,
                    "sha256": a.sha256,
                    "added_by": a.added_by,
                    "added_at": to_iso(a.added_at),
                }
                for a in attached
            ],
        }
    )
    return detail


def explain_case(desk: Desk, number: int) -> tuple[Any, Policy, dict[ClockKind, Clock]]:
    """A case (its `cases` row), its policy and its clocks replayed now."""
    with snapshot(desk.engine) as connection:
        case = _load(connection, number)
        history = events_of(connection, case.id)
    policy = desk.case_policy(case)
    clocks = deadlines.clocks_of(case, history, policy, desk.now(), desk.versions_of(case.policy))
    return case, policy, _with_policy_moves(clocks, history)


def _with_policy_moves(
    clocks: dict[ClockKind, Clock], events: Sequence[Any]
) -> dict[ClockKind, Clock]:
    """A deadline a policy version moved says so (`case why`): when, by whom, from what;
    a clock settled before a version was applied says it kept its result."""
    moves = [e for e in events if e.kind == EventKind.POLICY]
    if not moves:
        return clocks
    explained = {}
    for kind, clock in clocks.items():
        note = ""
        if clock.live:
            last = moves[-1]
            # The event names each clock it moved: `update due A -> B` (desk/policy_apply.py).
            words = f"{kind.value} due "
            moved = next((part for part in (last.text or "").split("; ") if words in part), None)
            before = f"due {moved.split(words, 1)[1].split(' -> ')[0]}" if moved else last.old_value
            note = (
                f"; moved to the policy's {last.new_value} at {to_iso(last.at)}, applied by "
                f"{last.actor} (before: {before})"
            )
        elif clock.stopped is not None:
            after = next((e for e in moves if e.at >= clock.stopped), None)
            if after is not None:
                kept = (after.old_value or "").split(",", 1)[0]
                note = (
                    f"; settled under {kept}, before {after.new_value.split(',', 1)[0]} "
                    f"was applied at {to_iso(after.at)}: it keeps that result"
                    if after.new_value
                    else ""
                )
        explained[kind] = replace(clock, explanation=clock.explanation + note) if note else clock
    return explained


def check_severity(desk: Desk, level: int) -> None:
    """Refuse a level no policy has: a filter on it could only ever be empty."""
    levels = desk.severity_levels()
    if level not in levels:
        known = ", ".join(str(n) for n in levels) or "none"
        raise DeskError(f"no policy has severity {level} (levels: {known})")


def case_numbers(desk: Desk) -> Sequence[int]:
    with snapshot(desk.engine) as connection:
        return list(connection.execute(select(cases.c.number).order_by(cases.c.number)).scalars())
