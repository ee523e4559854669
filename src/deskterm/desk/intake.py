"""Intake use cases: the Severity 1 phone call (docs/domain.md, "The Severity 1 phone call") and the
new-case form's several linked issues.

The wizard and the form only read until their final confirm; each confirm is
ONE transaction here: the case created (or upgraded), every checklist step
written as an event, the supervisor override with its reason, a new caller
added to the directory, the assignment when the engineer takes it now, and the
clocks replayed, so the first-response clock runs under the organization's
policy from that moment.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from deskterm.desk import cases, limits
from deskterm.desk.context import Desk
from deskterm.desk.directory import find_organization
from deskterm.desk.errors import DeskError, NotFound
from deskterm.instants import to_iso
from deskterm.models import Case, Contact, Event, EventKind, Organization
from deskterm.models.tables import stored_id
from deskterm.sla import Status
from deskterm.store.engine import reading, writing

SEV1 = 1

# The wizard's checklist, in the order asked; each becomes one event on the case.
CHECKLIST = (
    ("caller", "the caller"),
    ("entitlement", "entitlement"),
    ("admin-access", "administrative access"),
    ("product", "the product affected"),
    ("emergency", "the emergency"),
    ("case-number", "the case number"),
    ("summary", "impact, scope and urgency"),
)

ADMIN_ACCESS_TEXT = (
    "the caller has administrative access or credentials for the product and the affected "
    "systems, and identifies as an administrator of the product"
)
EMERGENCY_TEXT = (
    "an emergency that cannot wait for business hours; a restart, bypass or workaround "
    "does not resolve it"
)


# -- reading, while the call goes on ------------------------------------------------


@dataclass(frozen=True)
class Caller:
    """A contact as the wizard's type-ahead lists it."""

    organization: str
    name: str
    is_admin: bool
    email: str | None
    phone: str | None


def find_callers(desk: Desk, text: str, limit: int = 8) -> list[Caller]:
    """Contacts whose name, organization, e-mail or phone holds `text` (any case)."""
    pattern = f"%{text.strip().lower()}%"
    with reading(desk.engine) as session:
        query = (
            select(Contact, Organization.name)
            .join(Organization, col(Organization.id) == col(Contact.organization_id))
            .order_by(col(Contact.name), col(Organization.name))
            .limit(limit)
        )
        if text.strip():
            query = query.where(
                or_(
                    func.lower(Contact.name).like(pattern),
                    func.lower(Organization.name).like(pattern),
                    func.lower(func.coalesce(Contact.email, "")).like(pattern),
                    func.lower(func.coalesce(Contact.phone, "")).like(pattern),
                )
            )
        return [
            Caller(org, contact.name, contact.is_admin, contact.email, contact.phone)
            for contact, org in session.exec(query)
        ]


def organization_names(desk: Desk) -> list[str]:
    with reading(desk.engine) as session:
        return list(session.exec(select(Organization.name).order_by(col(Organization.name))))


def contact_names(desk: Desk, organization: str) -> list[str]:
    with reading(desk.engine) as session:
        org = session.exec(select(Organization).where(Organization.name == organization)).first()
        if org is None:
            return []
        return list(
            session.exec(
                select(Contact.name)
                .where(Contact.organization_id == org.id)
                .order_by(col(Contact.name))
            )
        )


@dataclass(frozen=True)
class Entitlement:
    """Whether the desk may support this caller (docs/domain.md, "Intake"), and why not."""

    organization: str
    policy: str
    contract_until: date | None
    contract_current: bool
    contact: str | None
    contact_known: bool
    is_admin: bool
    contract_problem: str | None  # the contract has ended: only an override goes on
    contact_problem: str | None  # not a contact of the organization: choose another

    @property
    def problems(self) -> tuple[str, ...]:
        return tuple(p for p in (self.contract_problem, self.contact_problem) if p)

    @property
    def ok(self) -> bool:
        return not self.problems


def _entitlement(
    session: Session, desk: Desk, organization: str, contact: str | None, new_contact: bool
) -> tuple[Entitlement, Organization, Contact | None]:
    """The checks; `contact` None checks the organization alone."""
    org = find_organization(session, organization)
    current = org.contract_current(desk.now().date())
    contract_problem = (
        None
        if current
        else f"{org.name}'s maintenance contract ended on {org.contract_until}: "
        "no further support without a supervisor override"
    )
    person = None
    if contact:
        person = session.exec(
            select(Contact).where(Contact.organization_id == org.id, Contact.name == contact)
        ).first()
    known = person is not None
    contact_problem = None
    if contact and person is None and not new_contact:
        contact_problem = f"{contact!r} is not a contact of {org.name}"
    elif contact and person is not None and new_contact:
        contact_problem = f"{org.name} has a contact named {contact!r} already: choose it instead"
    entitlement = Entitlement(
        organization=org.name,
        policy=org.policy,
        contract_until=org.contract_until,
        contract_current=current,
        contact=contact,
        contact_known=known,
        is_admin=bool(person and person.is_admin),
        contract_problem=contract_problem,
        contact_problem=contact_problem,
    )
    return entitlement, org, person


def check_entitlement(
    desk: Desk, organization: str, contact: str | None, *, new_contact: bool = False
) -> Entitlement:
    """The organization's contract and the caller's standing; unknown organization: NotFound."""
    with reading(desk.engine) as session:
        return _entitlement(session, desk, organization, contact, new_contact)[0]


@dataclass(frozen=True)
class CaseBrief:
    number: int
    subject: str
    severity: int
    label: str
    status: str


def _case_of(session: Session, desk: Desk, number: int, organization: str) -> Case:
    case = session.exec(select(Case).where(Case.number == number)).first()
    if case is None:
        raise NotFound(f"no case {number} (case numbers start at 40100; see deskterm case list)")
    org = session.get(Organization, case.organization_id)
    if org is None or org.name != organization:
        owner = org.name if org else "another organization"
        raise DeskError(f"case {number} belongs to {owner}, not {organization}")
    if case.status == Status.CLOSED.value:
        raise DeskError(f"case {number} is closed: leave the number empty for a new case")
    return case


def case_for_call(desk: Desk, number: int, organization: str) -> CaseBrief:
    """The caller's existing case, which the call upgrades to Severity 1."""
    with reading(desk.engine) as session:
        case = _case_of(session, desk, number, organization)
        label = desk.case_policy(case).label(case.severity)
        return CaseBrief(case.number, case.subject, case.severity, label, case.status)


# -- the Severity 1 call --------------------------------------------------------------


@dataclass
class Sev1Call:
    """Everything the wizard gathered, step by step."""

    organization: str
    contact: str
    started_at: datetime
    new_contact: bool = False  # the caller is added to the directory at confirm
    contact_email: str = ""
    contact_phone: str = ""
    contact_is_admin: bool = False
    override: str = ""  # the supervisor override's reason, when entitlement fails
    supervisor: str = ""  # who authorised the override (required with it)
    admin_access: bool = False
    product: str = ""
    version: str = ""
    systems: str = ""
    emergency: bool = False
    case_number: int | None = None  # the caller's existing case; None: a new one
    subject: str = ""
    impact: str = ""
    scope: str = ""
    urgency: str = ""


# The call's typed answers: what each is called and how long it may be. The wizard
# checks each at its field; the confirm checks them all again.
SEV1_ANSWERS = {  # field: (what it is called, one line or a text)
    "product": ("the product", "line"),
    "version": ("the version", "line"),
    "systems": ("the systems involved", "line"),
    "subject": ("the subject", "line"),
    "impact": ("the impact", "text"),
    "scope": ("the scope", "text"),
    "urgency": ("the urgency", "text"),
    "override": ("the override's reason", "text"),
    "supervisor": ("the supervisor's name", "line"),
    "contact": ("the caller", "line"),
}


def check_answer(field: str, value: str) -> str:
    """One typed answer of the call, refused when empty or too long; without outer blanks."""
    what, kind = SEV1_ANSWERS[field]
    if not value or not value.strip():
        raise DeskError(f"{what} is empty: it is required for a Severity 1 call")
    limit = limits.LINE_LIMIT if kind == "line" else limits.TEXT_LIMIT
    return limits.check_length(value.strip(), what, limit)


def check_new_contact(name: str, email: str, phone: str) -> None:
    """The caller added on the call: a name, and an e-mail address and phone if given."""
    limits.name(name, "the caller's name")
    limits.check_email(email.strip() or None)
    limits.optional_name(phone.strip() or None, "the phone number")


def _required(value: str, field: str) -> str:
    return check_answer(field, value)


def confirm_sev1(desk: Desk, call: Sev1Call, *, take: bool = False) -> Case:
    """Create (or upgrade) the Severity 1 case with the whole checklist, in one transaction."""
    if not call.admin_access:
        raise DeskError("the caller has not confirmed administrative access (step 3)")
    if not call.emergency:
        raise DeskError("the caller has not stated an emergency (step 5): not a Severity 1")
    product = _required(call.product, "product")
    version = _required(call.version, "version")
    systems = _required(call.systems, "systems")
    impact = _required(call.impact, "impact")
    scope = _required(call.scope, "scope")
    urgency = _required(call.urgency, "urgency")
    override = call.override.strip()
    supervisor = ""
    if override:
        _required(override, "override")
        if not call.supervisor.strip():
            raise DeskError("the override needs the name of the supervisor who authorised it")
        supervisor = limits.name(call.supervisor, "the supervisor's name")
    contact = _required(call.contact, "contact")
    if call.new_contact:
        check_new_contact(contact, call.contact_email, call.contact_phone)
    now = desk.now()
    with writing(desk.engine) as session:
        entitlement, org, person = _entitlement(
            session, desk, call.organization, contact, call.new_contact
        )
        if entitlement.contact_problem:
            raise DeskError(entitlement.contact_problem)
        if entitlement.contract_problem and not override:
            raise DeskError(
                entitlement.contract_problem + ": give a supervisor override with its reason"
            )
        policy = desk.policy_in_use(session, org.policy)
        if SEV1 not in policy.severities:
            raise DeskError(f"policy {policy.name!r} of {org.name} has no severity 1")
        if person is None:  # a caller added on the call joins the directory now
            person = Contact(
                organization_id=stored_id(org),
                name=contact,
                email=call.contact_email.strip() or None,
                phone=call.contact_phone.strip() or None,
                is_admin=call.contact_is_admin,
                created_at=now,
            )
            session.add(person)
            session.flush()
        if call.case_number is None:
            case = cases.insert_case(
                session,
                desk,
                org,
                person,
                policy,
                severity=SEV1,
                subject=_required(call.subject, "subject"),
                description=f"Impact: {impact}\nScope: {scope}\nUrgency: {urgency}\n"
                f"Systems: {systems}",
                intake={"product": product, "product_version": version},
                entitlement_override=override or None,
                supervisor=supervisor or None,
                now=now,
            )
            version_number, upgraded_from = 1, None
        else:
            case = _case_of(session, desk, call.case_number, org.name)
            locked = session.exec(select(Case).where(Case.id == case.id).with_for_update()).one()
            case = locked
            version_number, upgraded_from = case.version + 1, case.severity
        events = _checklist(call, entitlement, person, product, version, systems, upgraded_from)
        events.append(("summary", None, f"Impact: {impact}\nScope: {scope}\nUrgency: {urgency}"))

        def record(
            kind: EventKind,
            field: str,
            *,
            old_value: str | None = None,
            new_value: str | None = None,
            text: str | None = None,
        ) -> None:
            # The call's events, all at the confirm's instant and version.
            session.add(
                Event(
                    case_id=stored_id(case),
                    version=version_number,
                    at=now,
                    actor=desk.actor,
                    kind=kind.value,
                    field=field,
                    old_value=old_value,
                    new_value=new_value,
                    text=text,
                )
            )

        for step, value, text in events:
            record(EventKind.CHECKLIST, step, new_value=value, text=text)
        if upgraded_from is not None and upgraded_from != SEV1:
            record(
                EventKind.SEVERITY,
                "severity",
                old_value=str(upgraded_from),
                new_value=str(SEV1),
                text="Severity 1 phone call: the checklist is complete",
            )
            case.severity = SEV1
        if take and case.assignee != desk.actor:
            record(EventKind.ASSIGN, "assignee", old_value=case.assignee, new_value=desk.actor)
            case.assignee = desk.actor
        if upgraded_from is not None:
            case.version = version_number
            case.updated_at = now
            case.product = case.product or product
            case.product_version = case.product_version or version
            if person is not None and case.contact_id is None:
                case.contact_id = person.id
        session.add(case)
        session.flush()
        cases.refresh(session, case, policy, now)
    return case


def _checklist(
    call: Sev1Call,
    entitlement: Entitlement,
    person: Contact,
    product: str,
    version: str,
    systems: str,
    upgraded_from: int | None,
) -> list[tuple[str, str | None, str]]:
    admin = (
        "an administrator of the product"
        if person.is_admin
        else "not marked as an administrator of the product"
    )
    added = "; added to the directory on this call" if call.new_contact else ""
    caller = (
        f"{person.name} of {entitlement.organization}, on the phone since "
        f"{to_iso(call.started_at)}; {admin}{added}"
    )
    if entitlement.ok:
        until = entitlement.contract_until
        contract = f"maintenance contract current ({'until ' + str(until) if until else 'no end'})"
        standing = ("current", f"{contract}; {person.name} is a contact of the organization")
    else:
        reasons = "; ".join(entitlement.problems)
        standing = (
            "override",
            f"{reasons}. Supervisor override authorised by {call.supervisor.strip()}: "
            f"{call.override.strip()}",
        )
    if upgraded_from is None:
        number = ("new", "a new case, opened on the call")
    else:
        number = (
            str(call.case_number),
            f"the caller's existing case {call.case_number} (severity {upgraded_from} before)",
        )
    return [
        ("caller", person.name, caller),
        ("entitlement", standing[0], standing[1]),
        ("admin-access", "confirmed", ADMIN_ACCESS_TEXT),
        ("product", product, f"product {product}, version {version}; systems: {systems}"),
        ("emergency", "confirmed", EMERGENCY_TEXT),
        ("case-number", number[0], number[1]),
    ]


# -- the new-case form: several issues, one report ---------------------------------------


@dataclass
class Issue:
    """One issue of a report: its own severity, subject and intake."""

    severity: int
    subject: str
    description: str = ""
    intake: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class NewContact:
    """A reporter not in the directory yet: added with the cases, in their transaction."""

    email: str = ""
    phone: str = ""
    is_admin: bool = False


def open_issues(
    desk: Desk,
    *,
    organization: str,
    contact: str,
    issues: Sequence[Issue],
    entitlement_override: str | None = None,
    new_contact: NewContact | None = None,
) -> list[Case]:
    """Open one case per issue in one transaction; several are linked to each other.

    Each case of the report gets a `linked` event naming the others, so its
    timeline (and `deskterm case show`) says it was reported together with them.
    """
    if not issues:
        raise DeskError("no issue to open: write a subject")
    if not contact or not contact.strip():
        raise DeskError("the contact is empty: name a contact of the organization")
    if new_contact is not None:
        check_new_contact(contact, new_contact.email, new_contact.phone)
    now = desk.now()
    opened: list[Case] = []
    with writing(desk.engine) as session:
        org = find_organization(session, organization)
        person = session.exec(
            select(Contact).where(Contact.organization_id == org.id, Contact.name == contact)
        ).first()
        if person is not None and new_contact is not None:
            raise DeskError(f"{org.name} has a contact named {contact!r} already: choose it")
        if person is None and new_contact is None:
            raise NotFound(f"no contact named {contact!r} at {org.name}")
        if person is None and new_contact is not None:  # joins the directory with the cases
            person = Contact(
                organization_id=stored_id(org),
                name=contact.strip(),
                email=new_contact.email.strip() or None,
                phone=new_contact.phone.strip() or None,
                is_admin=new_contact.is_admin,
                created_at=now,
            )
            session.add(person)
            session.flush()
        assert person is not None
        policy = desk.policy_in_use(session, org.policy)
        for issue in issues:
            opened.append(
                cases.insert_case(
                    session,
                    desk,
                    org,
                    person,
                    policy,
                    severity=issue.severity,
                    subject=issue.subject,
                    description=issue.description,
                    intake={k: v for k, v in issue.intake.items() if v.strip()},
                    entitlement_override=entitlement_override or None,
                    now=now,
                )
            )
        if len(opened) > 1:
            for case in opened:
                others = ", ".join(str(c.number) for c in opened if c is not case)
                session.add(
                    Event(
                        case_id=stored_id(case),
                        version=1,
                        at=now,
                        actor=desk.actor,
                        kind=EventKind.LINKED.value,
                        field="case",
                        new_value=others,
                        text=f"reported together by {person.name} ({len(opened)} issues)",
                    )
                )
            session.flush()
        for case in opened:
            cases.refresh(session, case, policy, now)
    return opened
