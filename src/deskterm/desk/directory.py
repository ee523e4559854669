"""Organizations and contacts: who the desk supports, and who may ask."""

from __future__ import annotations

import difflib
from datetime import date

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from deskterm.desk import limits
from deskterm.desk.context import Desk
from deskterm.desk.errors import DeskError, NotFound
from deskterm.desk.limits import quoted
from deskterm.models import Contact, Organization
from deskterm.models.tables import stored_id
from deskterm.store.engine import reading, writing


def _suggest(name: str, known: list[str]) -> str:
    if len(name) > limits.LINE_LIMIT:
        return ""  # no name is that long: nothing is close to it
    close = difflib.get_close_matches(name, known, n=1)
    if close:
        return f" (did you mean {close[0]!r}?)"
    if known and len(known) <= 8:
        return f" (known: {', '.join(known)})"
    return ""


def find_organization(session: Session, name: str) -> Organization:
    if not name.strip():
        raise DeskError("the organization is empty: name one (see deskterm org list)")
    org = session.exec(select(Organization).where(Organization.name == name)).first()
    if org is None:
        known = list(session.exec(select(Organization.name).order_by(col(Organization.name))))
        hint = _suggest(name, known) if known else " (add one with deskterm org add)"
        raise NotFound(f"no organization named {quoted(name)}{hint}")
    return org


def find_contact(session: Session, org: Organization, name: str) -> Contact:
    if not name.strip():
        raise DeskError(f"the contact is empty: name a contact of {org.name}")
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
        raise NotFound(f"no contact named {quoted(name)} at {org.name}{hint}")
    return contact


def add_organization(
    desk: Desk, name: str, policy: str, tier: str | None = None, contract_until: date | None = None
) -> Organization:
    name = limits.name(name, "the organization name")
    tier = limits.optional_name(tier, "the tier")
    desk.policy(policy)  # refuses an unknown or broken policy
    with writing(desk.engine) as session:
        if session.exec(select(Organization).where(Organization.name == name)).first():
            raise DeskError(f"an organization named {quoted(name)} exists already")
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
    name = limits.name(name, "the contact name")
    email = limits.check_email(email)
    phone = limits.optional_name(phone, "the phone number")
    try:
        with writing(desk.engine) as session:
            org = find_organization(session, organization)
            contact = Contact(
                organization_id=stored_id(org),
                name=name,
                email=email,
                phone=phone,
                is_admin=is_admin,
                created_at=desk.now(),
            )
            session.add(contact)
            session.flush()
    except IntegrityError:
        raise DeskError(f"{organization} has a contact named {quoted(name)} already") from None
    return contact


def organizations(desk: Desk) -> list[Organization]:
    with reading(desk.engine) as session:
        return list(session.exec(select(Organization).order_by(col(Organization.name))))


def contacts(desk: Desk, organization: str | None = None) -> list[tuple[Contact, str]]:
    """Every contact with its organization's name, by organization then name; only those
    of `organization` when given (an unknown one is refused with a suggestion)."""
    with reading(desk.engine) as session:
        query = (
            select(Contact, Organization.name)
            .join(Organization, col(Organization.id) == col(Contact.organization_id))
            .order_by(col(Organization.name), col(Contact.name))
        )
        if organization is not None:
            org = find_organization(session, organization)
            query = query.where(Contact.organization_id == org.id)
        return [(contact, org_name) for contact, org_name in session.exec(query)]
