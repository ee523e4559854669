"""A case's relations, for the case screen: the case it was split from, the cases split
off it, the cases reported together with it, and the last cases of the same contact
and of the same organization.

Reads only index ranges: the organization's cases by `ix_cases_organization_id`
(whose entries end in the row id, so the newest come first without sorting), a few
rows each; work per case screen, whatever the size of the desk.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel import col, select

from deskterm.desk.case_file import CaseFile
from deskterm.desk.context import Desk
from deskterm.models import Case, EventKind
from deskterm.store.engine import reading

LAST = 5  # of the same contact, and of the same organization


@dataclass(frozen=True)
class Related:
    number: int
    relation: str  # "split from", "split off", "reported with", "same contact", ...
    subject: str
    status: str


def related_cases(desk: Desk, file: CaseFile) -> list[Related]:
    case = file.case
    named: list[tuple[int, str]] = []
    if file.parent is not None:
        named.append((file.parent, "split from"))
    named += [(number, "split off") for number in file.children]
    for entry in file.events:
        if entry.kind == EventKind.LINKED.value and entry.new_value:
            for part in entry.new_value.split(","):
                if part.strip().isdigit():
                    named.append((int(part), "reported with"))
    found: list[Related] = []
    seen = {case.number}
    with reading(desk.engine) as session:
        numbers = [number for number, _ in named]
        rows = (
            {
                row.number: row
                for row in session.exec(select(Case).where(col(Case.number).in_(numbers)))
            }
            if numbers
            else {}
        )
        for number, relation in named:
            row = rows.get(number)
            if row is not None and number not in seen:
                seen.add(number)
                found.append(Related(number, relation, row.subject, row.status))
        newest = (
            select(Case)
            .where(Case.organization_id == case.organization_id)
            .order_by(col(Case.id).desc())
        )
        if case.contact_id is not None and file.contact is not None:
            query = newest.where(Case.contact_id == case.contact_id).limit(LAST + len(seen))
            relation = f"same contact ({file.contact.name})"
            found += _fresh(session.exec(query), relation, seen)
        query = newest.limit(LAST + len(seen))
        found += _fresh(session.exec(query), f"same organization ({file.organization.name})", seen)
    return found


def _fresh(rows: Iterable[Case], relation: str, seen: set[int]) -> list[Related]:
    fresh: list[Related] = []
    for row in rows:
        if row.number in seen or len(fresh) == LAST:
            continue
        seen.add(row.number)
        fresh.append(Related(row.number, relation, row.subject, row.status))
    return fresh
