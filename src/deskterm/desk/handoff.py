"""The shift handoff: what happened since the shift began, and what the next one inherits.

What came in, what breached and what was resolved are read from the events of
the period (so a handoff of a past shift reads the same later); what falls due
next, the Sev 1s in flight and the open escalations are the desk as it stands.
Every list is capped (`LIMIT`) with its full count beside it: a handoff of a
million-case desk is still a page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, select, text

from deskterm.desk import counts as desk_counts
from deskterm.desk.context import Desk
from deskterm.desk.describe import describe
from deskterm.desk.errors import DeskError
from deskterm.desk.limits import quoted
from deskterm.desk.queue import promise_due
from deskterm.instants import to_iso
from deskterm.models import Case, Event, EventKind, Organization
from deskterm.models.event import FINISHED_WHERE
from deskterm.models.tables import table_of
from deskterm.safe_text import safe_line
from deskterm.sla import Status

DEFAULT_SINCE = timedelta(hours=8)
LISTED = 50  # the most cases a section lists (its count says how many there are)
FIRST_LEVEL = "support-engineer"
RESOLVED = (Status.RESOLVED.value, Status.CLOSED.value)
# Escalated beyond the first level, as the partial index ix_cases_escalated says it.
_ESCALATED = text("escalation != 'support-engineer'")

_C = table_of(Case).c
_O = table_of(Organization).c
_E = table_of(Event).c
_SPAN = re.compile(r"^\s*([0-9]{1,9})\s*(m|min|h|d)\s*$", re.IGNORECASE)
LONGEST_SPAN = timedelta(days=366)


def parse_span(text: str) -> timedelta:
    """`8h`, `90m`, `2d`: how far back a handoff looks."""
    match = _SPAN.match(text)
    if not match or int(match.group(1)) == 0:
        raise DeskError(f"{quoted(text)} is not a period such as 8h, 90m or 2d")
    amount, unit = int(match.group(1)), match.group(2).lower()
    minutes = amount * {"d": 24 * 60, "h": 60}.get(unit, 1)
    if minutes > LONGEST_SPAN.total_seconds() // 60:
        raise DeskError(
            f"{quoted(text)} is longer than a year: a handoff looks back at most "
            f"{LONGEST_SPAN.days}d"
        )
    return timedelta(minutes=minutes)


@dataclass(frozen=True)
class Item:
    """One case in a section, with the instant and the words that put it there."""

    number: int
    severity: int
    organization: str
    subject: str
    status: str
    assignee: str | None
    at: datetime | None  # when it came in, breached, was resolved, falls due, last changed
    detail: str = ""  # the clock that breached, the last update, the escalation reason

    def json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "severity": self.severity,
            "organization": self.organization,
            "subject": self.subject,
            "status": self.status,
            "assignee": self.assignee,
            "at": to_iso(self.at),
            "detail": self.detail,
        }


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    total: int
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Handoff:
    since: datetime
    until: datetime
    next_until: datetime
    sections: tuple[Section, ...]

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)

    def json(self) -> dict[str, Any]:
        return {
            "since": to_iso(self.since),
            "until": to_iso(self.until),
            "next_shift_until": to_iso(self.next_until),
            "sections": {
                s.key: {"title": s.title, "total": s.total, "cases": [i.json() for i in s.items]}
                for s in self.sections
            },
        }


_CASE_COLUMNS = (_C.number, _C.severity, _O.name, _C.subject, _C.status, _C.assignee)


def _cases_joined() -> Any:
    return table_of(Case).join(table_of(Organization), _O.id == _C.organization_id)


def _item(row: Any, at: datetime | None, detail: str = "") -> Item:
    number, severity, organization, subject, status, assignee = row[:6]
    return Item(number, severity, organization, subject, status, assignee, at, detail)


def handoff(desk: Desk, since: timedelta = DEFAULT_SINCE, now: datetime | None = None) -> Handoff:
    now = desk.now() if now is None else now
    start, next_until = now - since, now + since
    with desk.engine.connect() as connection:

        def count(statement: Any) -> int:
            return int(connection.execute(statement).scalar_one())

        # Came in: cases received during the shift.
        # Up to and including now: a case logged this very second came in this shift.
        came = and_(_C.received_at >= start, _C.received_at <= now)
        came_in = Section(
            "came_in",
            "Came in",
            count(select(func.count()).select_from(table_of(Case)).where(came)),
            tuple(
                _item(row, row[6])
                for row in connection.execute(
                    select(*_CASE_COLUMNS, _C.received_at)
                    .select_from(_cases_joined())
                    .where(came)
                    .order_by(_C.received_at, _C.number)
                    .limit(LISTED)
                )
            ),
        )

        def from_events(key: str, title: str, *conditions: Any, latest: bool = False) -> Section:
            window = and_(_E.at >= start, _E.at <= now, *conditions)
            joined = _cases_joined().join(table_of(Event), _E.case_id == _C.id)
            if latest:  # one line per case: its last such event (resolved, then closed)
                # Counted as cases, from the index of such events alone.
                total = count(select(func.count(func.distinct(_E.case_id))).where(window))
                newest = select(func.max(_E.id)).where(window).group_by(_E.case_id).correlate(None)
                window = and_(window, _E.id.in_(newest))
            else:
                total = count(select(func.count()).select_from(table_of(Event)).where(window))
            rows = connection.execute(
                select(*_CASE_COLUMNS, _E.at, _E.field, _E.new_value, _E.actor)
                .select_from(joined)
                .where(window)
                .order_by(_E.at, _E.id)
                .limit(LISTED)
            )
            items = []
            for row in rows:
                if key == "breached":
                    detail = (row[7] or "").replace("_", " ")
                else:
                    detail = f"{row[8]} by {row[9]}"
                items.append(_item(row, row[6], detail))
            return Section(key, title, total, tuple(items))

        breached = from_events("breached", "Breached", _E.kind == EventKind.BREACH.value)
        resolved = from_events(
            "resolved",
            "Resolved",
            _E.kind == EventKind.STATUS.value,
            text(FINISHED_WHERE),  # as the partial index says it: SQLite then uses it
            latest=True,
        )

        # Falls due next shift: support's own deadlines ahead, soonest first.
        due = and_(desk_counts.and_open(), promise_due(now, _C), _C.queue_due < next_until)
        due_rows = connection.execute(
            select(*_CASE_COLUMNS, _C.queue_due, _C.first_response_due)
            .select_from(_cases_joined())
            .where(due)
            .order_by(_C.queue_due, _C.number)
            .limit(LISTED)
        ).all()
        falls_due = Section(
            "falls_due",
            "Falls due next shift",
            desk_counts.count(connection, desk_counts.promise_within(now, next_until - now)),
            tuple(_item(r, r[6], "first response" if r[7] == r[6] else "update") for r in due_rows),
        )

        # In flight: neither closed nor resolved (awaiting the customer's confirmation).
        # Open as the partial indexes say it: the lists walk the queue index in
        # deadline order and stop at LISTED; the counts read counters and indexes.
        in_flight = and_(desk_counts.and_open(), _C.status.not_in(RESOLVED))
        sev1 = and_(in_flight, _C.severity == 1)
        sev1_rows = connection.execute(
            select(*_CASE_COLUMNS, _C.updated_at, _C.id)
            .select_from(_cases_joined())
            .where(sev1)
            .order_by(_C.queue_due, _C.number)
            .limit(LISTED)
        ).all()
        last = _last_events(connection, [r[7] for r in sev1_rows])
        sev1_section = Section(
            "sev1",
            "Sev 1s in flight",
            _in_flight(desk_counts.standing(connection), severity=1),
            tuple(
                _item(r, last[r[7]].at if r[7] in last else r[6], _last_words(last.get(r[7])))
                for r in sev1_rows
            ),
        )

        escalated = and_(in_flight, _ESCALATED)
        escalated_rows = connection.execute(
            select(*_CASE_COLUMNS, _C.escalation, _C.id)
            .select_from(_cases_joined())
            .where(escalated)
            .order_by(_C.queue_due, _C.number)
            .limit(LISTED)
        ).all()
        reasons = _last_events(connection, [r[7] for r in escalated_rows], EventKind.ESCALATE)
        escalations = Section(
            "escalations",
            "Open escalations",
            count(
                select(func.count())
                .select_from(table_of(Case))
                .where(_ESCALATED, _C.status.not_in(RESOLVED))
            ),
            tuple(
                _item(
                    r,
                    reasons[r[7]].at if r[7] in reasons else None,
                    f"{r[6]}: {safe_line(reasons[r[7]].text or '', 120)}"
                    if r[7] in reasons
                    else r[6],
                )
                for r in escalated_rows
            ),
        )
    return Handoff(
        start,
        now,
        next_until,
        (came_in, breached, resolved, falls_due, sev1_section, escalations),
    )


def _in_flight(standing: desk_counts.Standing, severity: int) -> int:
    """Open cases of `severity` not resolved, from the counters."""
    return standing.in_flight.get(severity, 0)


def _last_events(
    connection: Any, case_ids: list[int], kind: EventKind | None = None
) -> dict[int, Event]:
    """The newest event (of `kind`) of each case: one query for the whole section."""
    if not case_ids:
        return {}
    newest = select(_E.case_id, func.max(_E.id).label("id")).where(_E.case_id.in_(case_ids))
    if kind is not None:
        newest = newest.where(_E.kind == kind.value)
    ids = [row.id for row in connection.execute(newest.group_by(_E.case_id))]
    rows = connection.execute(select(table_of(Event)).where(_E.id.in_(ids)))
    return {row.case_id: Event(**row._mapping) for row in rows}


def _last_words(event: Event | None) -> str:
    if event is None:
        return ""
    return f"{safe_line(describe(event), 100)} ({event.actor})"


# -- as a document -----------------------------------------------------------------------


def _cell(text: str) -> str:
    return safe_line(text, 80).replace("|", "\\|")


def markdown(handoff: Handoff, when: Any = None) -> str:
    """The handoff as Markdown, for a chat channel or a mail; `when` formats instants."""
    when = when or (lambda at: at.strftime("%a %d %b %H:%M UTC") if at else "-")
    lines = [
        f"# Handoff {when(handoff.since)} to {when(handoff.until)}",
        "",
    ]
    for section in handoff.sections:
        shown = len(section.items)
        more = f", {shown} shown" if shown < section.total else ""
        lines += [f"## {section.title} ({section.total}{more})", ""]
        if not section.items:
            lines += ["None.", ""]
            continue
        lines += [
            "| Case | Sev | Organization | Subject | Assignee | When | Detail |",
            "|---|---|---|---|---|---|---|",
        ]
        for item in section.items:
            lines.append(
                f"| {item.number} | {item.severity} | {_cell(item.organization)} | "
                f"{_cell(item.subject)} | {_cell(item.assignee or 'UNASSIGNED')} | "
                f"{when(item.at)} | {_cell(item.detail)} |"
            )
        lines.append("")
    return "\n".join(lines)
