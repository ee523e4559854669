"""Organizations and contacts: who the desk supports, and who may ask."""

from __future__ import annotations

import difflib
from datetime import date

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from deskterm.desk.context import Desk
from deskterm.desk.errors import DeskError, NotFound
from deskterm.models import Contact, Organization
from deskterm.store.engine import reading, writing

# A name is a label, not a text; and PostgreSQL refuses an index key over about 2.7 KB
# (organization, contact and assignee names are indexed): a longer one would not be
# refused in words but fail the transaction.
NAME_LIMIT = 200


def check_name_length(name: str, what: str) -> str:
    """`name`, unless it is longer than NAME_LIMIT characters (a DeskError then)."""
    if len(name) > NAME_LIMIT:
        raise DeskError(f"the {what} is {len(name):,} characters long: at most {NAME_LIMIT}")
    return name


def _suggest(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    if close:
        return f" (did you mean {close[0]!r}?)"
    if known and len(known) <= 8:
        return f" (known: {', '.join(known)})"
    return ""


def find_organization(session: Session, name: str) -> Organization:
    org = session.exec(select(Organization).where(Organization.name == name)).first()
    if org is None:
        known = list(session.exec(select(Organization.name).order_by(col(Organization.name))))
        hint = _suggest(name, known) if known else " (add one with deskterm org add)"
        raise NotFound(f"no organization named {name!r}{hint}")
    return org


def find_contact(session: Session, org: Organization, name: str) -> Contact:
    contact = session.exec(
        select(Contact).where(Contact.organization_id == org.id, Contact.name == name)
    ).first()
    if contact is None:
        known = list(session.exec(select(Contact.name).where(Contact.organization_id == org.id)))
        hint = (
            _suggest(name, known)
            if known
            else f" (add one with deskterm contact add --org {org.name!r})"
        )
        raise NotFound(f"no contact named {name!r} at {org.name}{hint}")
    return contact


def add_organization(
    desk: Desk, name: str, policy: str, tier: str | None = None, contract_until: date | None = None
) -> Organization:
    name = name.strip()
    if not name:
        raise DeskError("the organization name is empty")
    check_name_length(name, "organization name")
    desk.policy(policy)  # refuses an unknown or broken policy
    with writing(desk.engine) as session:
        if session.exec(select(Organization).where(Organization.name == name)).first():
            raise DeskError(f"an organization named {name!r} exists already")
        org = Organization(
            name=name,
            policy=policy,
            tier=tier,
            contract_until=contract_until,
            created_at=desk.now(),
        )
        session.add(org)
    return org


def add_contact(
    desk: Desk,
    name: str,
    organization: str,
    email: str | None = None,
    phone: str | None = None,
    is_admin: bool = False,
) -> Contact:
    name = name.strip()
    if not name:
        raise DeskError("the contact name is empty")
    check_name_length(name, "contact name")
    try:
        with writing(desk.engine) as session:
            org = find_organization(session, organization)
            contact = Contact(
                organization_id=org.id,  # type: ignore[arg-type]
                name=name,
                email=email,
                phone=phone,
                is_admin=is_admin,
                created_at=desk.now(),
            )
            session.add(contact)
            session.flush()
    except IntegrityError:
        raise DeskError(f"{organization} has a contact named {name!r} already") from None
    return contact


def organizations(desk: Desk) -> list[Organization]:
    with reading(desk.engine) as session:
        return list(session.exec(select(Organization).order_by(col(Organization.name))))
