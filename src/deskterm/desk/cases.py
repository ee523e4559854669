"""Use cases on support cases: open, reply, note, call, move, severity, assign,
escalate, split, customer reply. Each is one write transaction that also writes
its events and recomputes the case's clocks from its history.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import update
from sqlmodel import Session, col, select

from deskterm.desk import clock_outcomes, deadlines, limits, outcomes
from deskterm.desk.context import Desk
from deskterm.desk.describe import describe
from deskterm.desk.directory import find_contact, find_organization
from deskterm.desk.errors import Conflict, DeskError, NotFound
from deskterm.desk.limits import check_length, name, optional, optional_line, required
from deskterm.desk.outbox import queue_mail
from deskterm.desk.workflow import check_move, parse_status
from deskterm.instants import to_iso
from deskterm.models import INTAKE_FIELDS, Case, Contact, Counter, Event, EventKind, Organization
from deskterm.models.tables import stored_id
from deskterm.sla import Clock, ClockKind, Policy, Status
from deskterm.store.engine import reading, writing

INFORMATION = (
    "We need more information from you to continue working on this case. "
    "Please reply to this message with the details we asked for."
)
# A case's events, and its clocks replayed from them.
Replayed = tuple[list[Event], dict[ClockKind, Clock]]
ESCALATION_LEVELS = ("support-engineer", "product-support-engineer", "supervisor")


@dataclass
class Change:
    """One change to one case, in progress inside its transaction."""

    session: Session
    case: Case
    desk: Desk
    at: datetime
    policy: Policy
    events: list[Event] = field(default_factory=list)
    # The case's events and clocks replayed after the last of this change's events,
    # when whoever made it has them (the sweep): stored as they are, not replayed again.
    replayed: Replayed | None = None

    def record(
        self,
        kind: EventKind,
        *,
        field_name: str | None = None,
        old: object = None,
        new: object = None,
        text: str | None = None,
        actor: str | None = None,
    ) -> Event:
        event = Event(
            case_id=stored_id(self.case),
            version=self.case.version + 1,
            at=self.at,
            actor=actor or self.desk.actor,
            kind=kind.value,
            field=field_name,
            old_value=None if old is None else str(old),
            new_value=None if new is None else str(new),
            text=text,
        )
        self.events.append(event)
        self.session.add(event)
        return event

    def mail(self, event: Event, kind: str, text: str) -> None:
        """Tell the customer about `event` by mail: an outbox row, in this transaction."""
        queue_mail(self.session, self.desk, self.case, event, kind, text, self.at)


def _case_for_update(session: Session, number: int) -> Case:
    case = session.exec(select(Case).where(Case.number == number).with_for_update()).first()
    if case is None:
        raise NotFound(f"no case {number} (case numbers start at 40100; see deskterm case list)")
    return case


def events_of(session: Session, case: Case) -> list[Event]:
    return list(session.exec(select(Event).where(Event.case_id == case.id).order_by(col(Event.id))))


def _describe_changes(events: list[Event]) -> str:
    return "; ".join(f"{describe(event)} at {to_iso(event.at)}" for event in events)


@contextmanager
def changing(desk: Desk, number: int, expected_version: int | None = None) -> Iterator[Change]:
    """Open the case for one change; on leaving, write events, bump version, replay clocks."""
    with (
        writing(desk.engine) as session,
        change_in(session, desk, number, expected_version) as change,
    ):
        yield change


@contextmanager
def change_in(
    session: Session, desk: Desk, number: int, expected_version: int | None = None
) -> Iterator[Change]:
    """As `changing`, inside the caller's write transaction (the sweep changes a batch
    of cases in one)."""
    case = _case_for_update(session, number)
    if expected_version is not None and case.version != expected_version:
        newer = session.exec(
            select(Event)
            .where(Event.case_id == case.id, Event.version > expected_version)
            .order_by(col(Event.id))
        ).all()
        raise Conflict(
            f"case {number} changed since you loaded it (version {expected_version}, now "
            f"{case.version}): {_describe_changes(list(newer))}. Reload it and try again; "
            "your text has not been saved."
        )
    change = Change(session, case, desk, desk.now(), desk.case_policy(case))
    yield change
    if not change.events:
        return
    case.version += 1
    case.updated_at = change.at
    session.add(case)
    session.flush()
    refresh(session, case, change.policy, change.at, change.replayed, desk.versions_of(case.policy))


def refresh(
    session: Session,
    case: Case,
    policy: Policy,
    now: datetime,
    replayed: Replayed | None = None,
    version_of: deadlines.VersionOf | None = None,
) -> None:
    """Store the case's replayed clocks, sweep instant and outcome. `replayed`: the case's
    events and clocks at `now`, when the caller has just replayed them (the sweep);
    `version_of`: the case's earlier versions, for a case a version was applied to."""
    if replayed is None:
        events = events_of(session, case)
        replayed = events, deadlines.clocks_of(case, events, policy, now, version_of)
    events, clocks = replayed
    deadlines.store_clocks(case, clocks, deadlines.plan(case, events, policy, clocks))
    session.add(case)
    outcomes.record(session, policy, case, events, clocks[ClockKind.FIRST_RESPONSE])
    clock_outcomes.record(session, policy, case, events, clocks, now)


def _next_number(session: Session) -> int:
    number = session.exec(
        update(Counter)
        .where(col(Counter.name) == "case_number")
        .values(value=col(Counter.value) + 1)
        .returning(col(Counter.value))
    ).scalar_one()
    return int(number)


def open_case(
    desk: Desk,
    *,
    organization: str,
    contact: str | None,
    severity: int,
    subject: str,
    description: str = "",
    received: datetime | None = None,
    intake: Mapping[str, str] | None = None,
    entitlement_override: str | None = None,
    supervisor: str | None = None,
    sev1_checklist: bool | None = None,
) -> Case:
    """Log a new case; its clocks start at `received` (default: now).

    `sev1_checklist`: for a Severity 1 case opened outside the wizard, whether the
    engineer says the phone call's checklist (docs/domain.md, "The Severity 1 phone
    call") was run; either way it is recorded on the case, so nobody mistakes the
    case for one that went through it.
    """
    with writing(desk.engine) as session:
        case = create_case(
            session,
            desk,
            desk.now(),
            organization=organization,
            contact=contact,
            severity=severity,
            subject=subject,
            description=description,
            received=received,
            intake=intake,
            entitlement_override=entitlement_override,
            supervisor=supervisor,
        )
        if sev1_checklist is not None and severity == 1:
            _record_checklist_outside_wizard(session, desk, case, sev1_checklist)
        return case


CHECKLIST_NOT_RUN = (
    "opened at Severity 1 outside the phone-call wizard: the Severity 1 checklist (administrative "
    "access, product, emergency, impact, scope and urgency) was not run"
)


def _record_checklist_outside_wizard(session: Session, desk: Desk, case: Case, done: bool) -> None:
    text = (
        f"{desk.actor} says the Severity 1 phone checklist was run (not recorded step by step)"
        if done
        else CHECKLIST_NOT_RUN
    )
    session.add(
        Event(
            case_id=stored_id(case),
            version=case.version,
            at=case.created_at,
            actor=desk.actor,
            kind=EventKind.CHECKLIST.value,
            field="phone-checklist",
            new_value="said to be done" if done else "not run",
            text=text,
        )
    )
    session.flush()


def create_case(
    session: Session,
    desk: Desk,
    now: datetime,
    *,
    organization: str,
    contact: str | None,
    severity: int,
    subject: str,
    description: str = "",
    received: datetime | None = None,
    intake: Mapping[str, str] | None = None,
    entitlement_override: str | None = None,
    supervisor: str | None = None,
) -> Case:
    """open_case inside the caller's transaction, by names (mail opens a case with its
    attachments); its clocks replayed."""
    org = find_organization(session, organization)
    person = find_contact(session, org, contact) if contact else None
    policy = desk.policy_in_use(session, org.policy)
    case = insert_case(
        session,
        desk,
        org,
        person,
        policy,
        severity=severity,
        subject=subject,
        description=description,
        received=received,
        intake=intake,
        entitlement_override=entitlement_override,
        supervisor=supervisor,
        now=now,
    )
    refresh(session, case, policy, now)
    return case


# Fields of a case that are one line (a subject, a name, a version); the others are text.
ONE_LINE_FIELDS = (
    "subject",
    "inquirer",
    "product",
    "product_version",
    "operating_system",
    "persisted_for",
)


def check_field(field_name: str, value: str) -> str:
    """A case field (the subject, the description, an intake field) not over its limit."""
    limit = limits.LINE_LIMIT if field_name in ONE_LINE_FIELDS else limits.TEXT_LIMIT
    return check_length(value, f"the {field_name.replace('_', ' ')}", limit)


def check_intake(intake: Mapping[str, str]) -> None:
    unknown = set(intake) - set(INTAKE_FIELDS)
    if unknown:
        raise DeskError(
            f"unknown intake field(s) {sorted(unknown)} (fields: {', '.join(INTAKE_FIELDS)})"
        )
    for field_name, value in intake.items():
        check_field(field_name, value)


def insert_case(
    session: Session,
    desk: Desk,
    org: Organization,
    person: Contact | None,
    policy: Policy,
    *,
    severity: int,
    subject: str,
    description: str = "",
    received: datetime | None = None,
    intake: Mapping[str, str] | None = None,
    entitlement_override: str | None = None,
    supervisor: str | None = None,
    actor: str | None = None,
    now: datetime | None = None,
) -> Case:
    """Add a new case and its opened event inside the caller's transaction.

    `now` is the instant of the caller's transaction: the clocks it replays
    afterwards must not start before the case was received.

    The caller adds any further events and then `refresh`es the clocks; several
    cases (the linked issues of one report) can so be opened in one transaction.
    """
    subject = required(subject, "the subject", limits.LINE_LIMIT)
    optional(description, "the description")
    optional(entitlement_override, "the override's reason")
    supervisor = limits.optional_name(supervisor, "the supervisor's name")
    intake = dict(intake or {})
    check_intake(intake)
    now = now or desk.now()
    if severity not in policy.severities:
        levels = ", ".join(str(n) for n in policy.severities)
        raise DeskError(
            f"policy {policy.name!r} of {org.name} has no severity {severity} (levels: {levels})"
        )
    if not org.contract_current(now.date()) and not (
        entitlement_override and entitlement_override.strip()
    ):
        raise DeskError(
            f"{org.name}'s maintenance contract ended on {org.contract_until}: no further support "
            "without a supervisor override (give its reason)"
        )
    received = received or now
    if received > now:
        raise DeskError(
            f"received {to_iso(received)} is in the future (now is {to_iso(now)}): "
            "a case is logged when it has come in"
        )
    case = Case(
        number=_next_number(session),
        subject=subject,
        description=description,
        organization_id=stored_id(org),
        contact_id=person.id if person else None,
        policy=policy.name,
        policy_version=policy.version,
        severity=severity,
        status=Status.NEW.value,
        received_at=received,
        created_at=now,
        updated_at=now,
        version=1,
        # each intake field is text (check_intake); Case types its keywords one by one
        **cast("dict[str, Any]", intake),
    )
    if person and not case.inquirer:
        case.inquirer = person.name
    session.add(case)
    session.flush()
    notes = [f"received {to_iso(received)} under {policy.name}"]
    if entitlement_override:
        by = f" authorised by {supervisor.strip()}" if supervisor and supervisor.strip() else ""
        notes.append(f"entitlement override{by}: {entitlement_override}")
    session.add(
        Event(
            case_id=stored_id(case),
            version=1,
            at=now,
            actor=actor or desk.actor,
            kind=EventKind.OPENED.value,
            field="severity",
            new_value=str(severity),
            text="; ".join(notes),
        )
    )
    session.flush()
    return case


def reply(
    desk: Desk,
    number: int,
    text: str,
    expected_version: int | None = None,
    move: Status | None = None,
) -> Case:
    """A public reply to the customer: a response (stops the first-response clock).

    `move`: the status move that goes with it (a template's, such as the information
    request's move to waiting on the customer), in the same transaction. The reply is
    the one mail the customer gets; a case already there is left where it is.
    """
    with changing(desk, number, expected_version) as change:
        event = change.record(EventKind.REPLY, text=required(text, "the reply"))
        change.mail(event, "reply", text)
        current = Status(change.case.status)
        if move is not None and move != current:
            check_move(current, move)
            change.record(
                EventKind.STATUS,
                field_name="status",
                old=current.value,
                new=move.value,
                text="with the reply",
            )
            change.case.status = move.value
    return change.case


def note(desk: Desk, number: int, text: str, expected_version: int | None = None) -> Case:
    """An internal note: never shown to the customer, stops no clock."""
    with changing(desk, number, expected_version) as change:
        change.record(EventKind.NOTE, text=required(text, "the note"))
    return change.case


def log_call(
    desk: Desk,
    number: int,
    summary: str,
    *,
    who: str | None = None,
    outcome: str | None = None,
    to_customer: bool = False,
    expected_version: int | None = None,
) -> Case:
    """A phone call with the customer: counts as a response.

    Who was on the call is the event's value; the outcome follows the summary in
    its text, so a timeline shows both. `to_customer`: the summary is also mailed
    to the case's contact (what was agreed, in writing).
    """
    summary = required(summary, "the call summary")
    who = optional_line(who, "who was on the call")
    outcome = optional_line(outcome, "the outcome")
    text = f"{summary}\nOutcome: {outcome}" if outcome and outcome.strip() else summary
    with changing(desk, number, expected_version) as change:
        event = change.record(
            EventKind.CALL, field_name="with" if who else None, new=who, text=text
        )
        if to_customer:
            change.mail(event, "call", f"A summary of our call:\n\n{text}")
    return change.case


def move(
    desk: Desk,
    number: int,
    status: str | Status,
    note_text: str | None = None,
    expected_version: int | None = None,
) -> Case:
    """Move the case along the workflow; refused moves name the allowed ones."""
    target = status if isinstance(status, Status) else parse_status(status)
    optional(note_text, "the note")
    with changing(desk, number, expected_version) as change:
        current = Status(change.case.status)
        check_move(current, target)
        event = change.record(
            EventKind.STATUS,
            field_name="status",
            old=current.value,
            new=target.value,
            text=note_text,
        )
        change.case.status = target.value
        if target == Status.WAITING and current != Status.WAITING:
            # "Customer Information Requested": the customer is asked, by mail.
            request = note_text.strip() if note_text and note_text.strip() else INFORMATION
            change.mail(event, "information-request", request)
    return change.case


def change_severity(
    desk: Desk, number: int, level: int, reason: str, expected_version: int | None = None
) -> Case:
    reason = required(reason, "the reason for the severity change")
    with changing(desk, number, expected_version) as change:
        case, policy = change.case, change.policy
        if level not in policy.severities:
            levels = ", ".join(str(n) for n in policy.severities)
            raise DeskError(f"policy {policy.name!r} has no severity {level} (levels: {levels})")
        if level == case.severity:
            raise DeskError(f"case {number} is already {policy.label(level)}")
        change.record(
            EventKind.SEVERITY, field_name="severity", old=case.severity, new=level, text=reason
        )
        case.severity = level
    return change.case


def assign(desk: Desk, number: int, user: str | None, expected_version: int | None = None) -> Case:
    """Give the case to `user` (None releases it)."""
    if user is not None:
        user = name(user, "the assignee")
    with changing(desk, number, expected_version) as change:
        case = change.case
        if case.assignee == user:
            holder = f"assigned to {user}" if user else "unassigned"
            raise DeskError(f"case {number} is already {holder}")
        change.record(EventKind.ASSIGN, field_name="assignee", old=case.assignee, new=user)
        case.assignee = user
    return change.case


class HeldByOther(DeskError):
    """Taking a case a colleague holds, without saying so: names the holder."""

    def __init__(self, number: int, holder: str) -> None:
        super().__init__(
            f"case {number} is held by {holder}: take it from them with --from-holder "
            "(or ask them to release it)"
        )
        self.holder = holder


def take(
    desk: Desk, number: int, expected_version: int | None = None, from_holder: bool = False
) -> Case:
    """Take the case yourself; one held by someone else only when `from_holder` says so."""
    actor = name(desk.actor, "the assignee")
    with changing(desk, number, expected_version) as change:
        holder = change.case.assignee
        if holder and holder != actor and not from_holder:
            raise HeldByOther(number, holder)
        if holder == actor:
            raise DeskError(f"case {number} is already assigned to {holder}")
        change.record(EventKind.ASSIGN, field_name="assignee", old=holder, new=actor)
        change.case.assignee = actor
    return change.case


def holder_of(desk: Desk, number: int) -> str | None:
    """Who holds case `number` now (None: nobody)."""
    with reading(desk.engine) as session:
        case = session.exec(select(Case).where(Case.number == number)).first()
        if case is None:
            raise NotFound(f"no case {number}")
        return case.assignee


def release(desk: Desk, number: int, expected_version: int | None = None) -> Case:
    return assign(desk, number, None, expected_version)


def escalate(desk: Desk, number: int, reason: str, expected_version: int | None = None) -> Case:
    """One step up: support engineer -> product support engineer -> supervisor."""
    reason = required(reason, "the reason for the escalation")
    with changing(desk, number, expected_version) as change:
        case = change.case
        position = ESCALATION_LEVELS.index(case.escalation)
        if position == len(ESCALATION_LEVELS) - 1:
            raise DeskError(f"case {number} is already escalated to a {case.escalation}")
        higher = ESCALATION_LEVELS[position + 1]
        change.record(
            EventKind.ESCALATE,
            field_name="escalation",
            old=case.escalation,
            new=higher,
            text=reason,
        )
        case.escalation = higher
    return change.case


def split(
    desk: Desk,
    number: int,
    subject: str,
    description: str = "",
    expected_version: int | None = None,
) -> Case:
    """Split part of a case into a new one (docs/domain.md, "Statuses": one issue, one case).

    The new case is received now: its clocks run from the moment support
    recognised it as a separate issue; the parent's responses covered the report.
    """
    subject = required(subject, "the subject of the new case", limits.LINE_LIMIT)
    optional(description, "the description of the new case")
    with changing(desk, number, expected_version) as change:
        parent, session = change.case, change.session
        child = Case(
            number=_next_number(session),
            subject=subject,
            description=description,
            organization_id=parent.organization_id,
            contact_id=parent.contact_id,
            policy=parent.policy,
            severity=parent.severity,
            status=Status.NEW.value,
            received_at=change.at,
            split_from_id=parent.id,
            created_at=change.at,
            updated_at=change.at,
            version=1,
            **{name: getattr(parent, name) for name in INTAKE_FIELDS},
        )
        session.add(child)
        session.flush()
        for event in (
            Event(
                case_id=stored_id(child),
                version=1,
                at=change.at,
                actor=desk.actor,
                kind=EventKind.OPENED.value,
                field="severity",
                new_value=str(child.severity),
                text=f"split from case {parent.number}",
            ),
            Event(
                case_id=stored_id(child),
                version=1,
                at=change.at,
                actor=desk.actor,
                kind=EventKind.SPLIT_FROM.value,
                field="case",
                new_value=str(parent.number),
                text=subject,
            ),
        ):
            session.add(event)
        session.flush()
        refresh(session, child, change.policy, change.at)
        change.record(EventKind.SPLIT, field_name="case", new=child.number, text=subject)
    return child


def customer_reply(desk: Desk, number: int, text: str, expected_version: int | None = None) -> Case:
    """The customer answered: their clock stops and a waiting case returns to open."""
    with changing(desk, number, expected_version) as change:
        record_customer_reply(change, text)
    return change.case


def record_customer_reply(change: Change, text: str, actor: str | None = None) -> Event:
    """customer_reply inside the caller's change (mail adds the attachments too)."""
    case = change.case
    event = change.record(
        EventKind.CUSTOMER_REPLY, text=required(text, "the customer's reply"), actor=actor
    )
    if case.status == Status.WAITING.value:
        change.record(
            EventKind.STATUS,
            field_name="status",
            old=case.status,
            new=Status.OPEN.value,
            text="the customer replied",
            actor=actor,
        )
        case.status = Status.OPEN.value
    return event


def schedule(desk: Desk, number: int, due: datetime, expected_version: int | None = None) -> Case:
    """The customer asked for the work at `due` (the `scheduled` target)."""
    with changing(desk, number, expected_version) as change:
        change.case.scheduled_for = due
        change.record(EventKind.SCHEDULED, field_name="scheduled_for", new=to_iso(due))
    return change.case
