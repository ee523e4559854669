"""One case as the case screen shows it: read in one go, its clocks replayed.

The screen loads a `CaseFile` in a worker and re-loads it when the desk changes.
Events are read as plain rows (not ORM objects): a case with 10,000 events must
open in well under a second, and the screen only reads them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from deskterm.desk import deadlines
from deskterm.desk.context import Desk
from deskterm.desk.errors import DeskError, NotFound
from deskterm.desk.outbox import mail_of_events
from deskterm.models import INTAKE_FIELDS, Attachment, Case, Contact, Event, EventKind, Organization
from deskterm.models.tables import stored_id, table_of
from deskterm.sla import Clock, ClockKind, ClockState, Policy, Status
from deskterm.sla.calendar import BusinessCalendar
from deskterm.store.engine import reading

# "Users seen on this desk": assignees, and whoever acted in this many recent events.
RECENT_EVENTS = 50_000

_E = table_of(Event).c


class Entry(NamedTuple):
    """One event of the timeline, read-only (same attribute names as `Event`).

    A named tuple: a case of 10,000 events makes 10,000 of them per load.
    """

    id: int
    version: int
    stored_at: Any  # a datetime, or SQLite's text of one: parsed when `at` is asked for
    actor: str
    kind: str
    field: str | None
    old_value: str | None
    new_value: str | None
    text: str | None

    @property
    def at(self) -> datetime:
        # Most events are never asked (notes play no part in the clocks, and only the
        # painted part of a timeline shows times): parsing 10,000 up front cost more
        # than reading them.
        return _instant(self.stored_at)


@dataclass(frozen=True)
class Person:
    name: str
    email: str | None
    phone: str | None
    administrator: bool
    mail_bounce: str | None = None  # the last bounce of mail to `email` (deskterm.desk.inbound)


@dataclass(frozen=True)
class CaseFile:
    case: Case  # detached: read it, never write it
    organization: Organization
    contact: Person | None
    parent: int | None  # the case this one was split from
    children: tuple[int, ...]  # cases split off this one
    events: tuple[Entry, ...]
    attachments: tuple[Attachment, ...]
    policy: Policy
    # Event id -> what became of the mail it sent the customer ("mail sent",
    # "not sent: no mail relay configured" ...): shown beside the reply.
    mail: Mapping[int, str] = field(default_factory=dict)
    # The case's earlier policy versions: clocks settled before a version was applied
    # keep their result (desk/deadlines.py `keep_settled`).
    version_of: deadlines.VersionOf | None = None

    @property
    def number(self) -> int:
        return self.case.number

    @property
    def version(self) -> int:
        return self.case.version

    @property
    def status(self) -> Status:
        return Status(self.case.status)

    def contract_current(self, today: date) -> bool:
        return self.organization.contract_current(today)

    def intake(self) -> list[tuple[str, str]]:
        """Every intake field of docs/domain.md in the order asked, empty ones included."""
        return [(name, getattr(self.case, name)) for name in INTAKE_FIELDS]

    def clocks(self, now: datetime) -> dict[ClockKind, Clock]:
        return deadlines.clocks_of(self.case, self.events, self.policy, now, self.version_of)

    def since(self, version: int) -> list[Entry]:
        """Events written after the case stood at `version`: what someone else changed."""
        return [entry for entry in self.events if entry.version > version]


def load(desk: Desk, number: int, shown: CaseFile | None = None) -> CaseFile:
    """The case; given the file `shown` of it, only the events written since are read
    (a change costs what it wrote, not the length of the case's timeline)."""
    with reading(desk.engine) as session:
        case = session.scalars(select(Case).where(col(Case.number) == number)).first()
        if case is None:
            raise NotFound(
                f"no case {number} (case numbers start at 40100; see deskterm case list)"
            )
        organization = session.get(Organization, case.organization_id)
        contact = session.get(Contact, case.contact_id) if case.contact_id else None
        parent = session.get(Case, case.split_from_id) if case.split_from_id else None
        if shown is not None and shown.case.id == case.id:
            after = shown.events[-1].id if shown.events else 0
            events = shown.events + _entries(session, stored_id(case), after)
        else:
            events = _entries(session, stored_id(case))
        attachments = session.scalars(
            select(Attachment)
            .where(col(Attachment.case_id) == case.id)
            .order_by(col(Attachment.id))
        ).all()
        mail = mail_of_events(session, stored_id(case))
        session.expunge_all()
    assert organization is not None
    person = (
        Person(contact.name, contact.email, contact.phone, contact.is_admin, contact.mail_bounce)
        if contact
        else None
    )
    return CaseFile(
        case=case,
        organization=organization,
        contact=person,
        parent=parent.number if parent else None,
        # The parent's split events name its children (no index on split_from_id needed).
        children=tuple(
            int(e.new_value) for e in events if e.kind == EventKind.SPLIT and e.new_value
        ),
        events=events,
        attachments=tuple(attachments),
        policy=desk.case_policy(case),
        version_of=desk.versions_of(case.policy),
        mail=mail,
    )


def _instant(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    parsed = datetime.fromisoformat(value)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


_ENTRY_COLUMNS = (
    _E.id,
    _E.version,
    _E.at,
    _E.actor,
    _E.kind,
    _E.field,
    _E.old_value,
    _E.new_value,
    _E.text,
)
_SQLITE_ENTRIES = (
    "SELECT id, version, at, actor, kind, field, old_value, new_value, text "
    "FROM events WHERE case_id = ? AND id > ? ORDER BY id"
)


def _entries(session: Session, case_id: int, after: int = 0) -> tuple[Entry, ...]:
    """The case's events after event id `after`, in order. Those of a change come after
    every event shown before it: a change locks the case's row before it writes its
    events (cases.change_in), so a case's event ids are taken in the order of its
    commits. (On SQLite the index on case_id ends in the row id: a range, not a scan.)"""
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        # The driver's own tuples, instants parsed by `datetime.fromisoformat` (C):
        # SQLAlchemy's per-column processing costs more than the query itself on a
        # case of 10,000 events (SQLite stores text exactly: nothing to undo).
        rows = connection.exec_driver_sql(_SQLITE_ENTRIES, (case_id, after))
        return tuple(map(Entry._make, rows.fetchall()))
    statement = select(*_ENTRY_COLUMNS).where(_E.case_id == case_id, _E.id > after).order_by(_E.id)
    return tuple(Entry(*row) for row in session.execute(statement))


def version_of(desk: Desk, number: int) -> int | None:
    """The case's current version (None if it is gone): is the open screen stale?"""
    with reading(desk.engine) as session:
        return session.scalars(select(col(Case.version)).where(col(Case.number) == number)).first()


# -- time left, at paint time ------------------------------------------------------


def clock_calendar(policy: Policy, clock: Clock) -> BusinessCalendar | None:
    if clock.calendar is None:
        return None
    return policy.calendars.get(clock.calendar)


def ticked(policy: Policy, clock: Clock, now: datetime) -> Clock:
    """`clock` as it stands at `now`: business time left and whether its calendar is open.

    Only time moves between two loads of the case, and time alone only moves a
    live clock towards (and past) its due; the history need not be replayed.
    """
    if not clock.live or clock.due is None:
        return clock
    calendar = clock_calendar(policy, clock)
    if calendar is None:
        return clock
    reason = calendar.closed_reason(now)
    state = ClockState.BREACHED if now > clock.due else clock.state
    return replace(
        clock,
        state=state,
        left=calendar.open_time_between(now, clock.due),
        calendar_closed=reason is not None,
        closed_reason=reason,
    )


# -- severity: what a change would do -------------------------------------------


@dataclass(frozen=True)
class SeverityChoice:
    level: int
    label: str  # "Sev 2"
    name: str  # "High"
    meaning: str
    targets: str  # "first response 8h, update every 4h, customer response 24h"
    current: bool


def severity_choices(file: CaseFile) -> list[SeverityChoice]:
    policy = file.policy
    choices = []
    for level, severity in sorted(policy.severities.items()):
        parts = [f"first response {severity.first_response}"]
        if str(severity.update_every) not in ("", "none"):
            parts.append(f"update every {severity.update_every}")
        if str(severity.customer_response) not in ("", "none"):
            parts.append(f"customer response {severity.customer_response}")
        parts.append(f"{severity.calendar.name} hours")
        choices.append(
            SeverityChoice(
                level,
                policy.label(level),
                severity.name,
                severity.meaning,
                ", ".join(parts),
                level == file.case.severity,
            )
        )
    return choices


@dataclass(frozen=True)
class DeadlineChange:
    kind: ClockKind
    before: Clock
    after: Clock

    @property
    def changed(self) -> bool:
        return (self.before.state, self.before.due) != (self.after.state, self.after.due)


def severity_preview(file: CaseFile, level: int, now: datetime) -> list[DeadlineChange]:
    """Each clock now, and as it would be if the severity became `level` at `now`."""
    if level not in file.policy.severities:
        levels = ", ".join(str(n) for n in file.policy.severities)
        raise DeskError(f"policy {file.policy.name!r} has no severity {level} (levels: {levels})")
    before = file.clocks(now)
    imagined = Entry(
        id=0,
        version=file.version + 1,
        stored_at=now,
        actor="",
        kind=EventKind.SEVERITY.value,
        field="severity",
        old_value=str(file.case.severity),
        new_value=str(level),
        text=None,
    )
    after = deadlines.clocks_of(
        file.case, (*file.events, imagined), file.policy, now, file.version_of
    )
    return [DeadlineChange(kind, before[kind], after[kind]) for kind in ClockKind]


# -- who works here -----------------------------------------------------------------


def desk_users(desk: Desk) -> list[str]:
    """Users seen on this desk: every assignee, and the actors of recent events."""
    from deskterm.desk.context import SYSTEM_ACTOR

    with reading(desk.engine) as session:
        assignees = session.scalars(
            select(col(Case.assignee)).where(col(Case.assignee).is_not(None)).distinct()
        ).all()
        newest = session.scalars(select(_E.id).order_by(_E.id.desc()).limit(1)).first() or 0
        actors = session.scalars(
            select(_E.actor).where(_E.id > newest - RECENT_EVENTS).distinct()
        ).all()
    names = {name for name in (*assignees, *actors) if name and name != SYSTEM_ACTOR}
    names.add(desk.actor)
    return sorted(names, key=str.casefold)
