"""Mail from customers: onto its case, into a new case, or into triage; once per Message-ID.

Where a message lands (`route`):
1. Machine mail (deskterm.mail.machine: a bounce, a read receipt, an out-of-office,
   the desk's own mail come back) that names a case (by In-Reply-To/References, the
   message it encloses, or the subject from a contact of the case's organization):
   an automatic message on that case's timeline. It stops no clock, changes no
   status; a permanent delivery failure is flagged on the contact it was for.
   Machine mail naming no case: triage. It never opens a case.
2. `Incident# N` anywhere in the subject (also `Incident #N`, `[Incident# N]`, after
   any `Re:`/`AW:`/`TR:`/`回复:`/`[EXTERNAL]` ...), from a contact of case N's
   organization, or an `In-Reply-To`/`References` naming a message of case N: a
   customer reply on N (the customer clock stops; a waiting case returns to open).
3. Otherwise, from a known contact (address compared case-insensitively): a new
   case for the contact's organization, at the policy's `email_severity` (never a
   phone-intake level such as Sev 1).
4. Anything else: triage, kept whole, until someone takes it into a case.

One message is one transaction: the event(s), the attachment rows, the case and
the Message-ID row commit together or not at all. Attachment files are written
to the content-addressed store first (deskterm.desk.attachments): a rollback
leaves at most a file nothing names, never a row naming a missing file. A
message whose attachment is over the limit is refused whole, with the reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from email.utils import parseaddr

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from deskterm.desk import limits
from deskterm.desk.attachments import index_contents, store_content
from deskterm.desk.cases import Change, changing, create_case, record_customer_reply, refresh
from deskterm.desk.context import Desk
from deskterm.desk.directory import find_contact, find_organization
from deskterm.desk.errors import DeskError, NotFound
from deskterm.mail.machine import Bounce
from deskterm.mail.parse import Incoming, parse
from deskterm.models import (
    Attachment,
    Case,
    Contact,
    EventKind,
    IngestedMail,
    Organization,
    Outbox,
    TriageMail,
)
from deskterm.models.tables import stored_id
from deskterm.settings import human_size
from deskterm.store.engine import reading, writing

# Reply and forward prefixes in the languages customers write (as Thunderbird's
# mail.reply_prefixes and Zammad's list), and the tags gateways put first.
_WORD = (
    r"re|aw|antw|antwort|wg|fw|fwd|tr|rv|rif|r|sv|vs|vb|vl|doorst|odp|pd|ynt|ilt|res|"
    r"enc|encaminhar|ref|回复|回覆|答复|转发|轉寄|返信|転送|답장|전달|ответ|пересл"
)
_TAG = r"\[[^\]\n]{0,40}\]|\*\*\*[^*\n]{0,40}\*\*\*"  # [EXTERNAL], ***SPAM***
_PREFIX = rf"(?:\s*(?:(?:{_WORD})\s*(?:\[\d+\]|\(\d+\))?\s*[:：]|{_TAG}))*"
_INCIDENT = re.compile(
    r"\bincident\s*#\s*(\d+)\b", re.IGNORECASE
)  # `[EXTERNAL] RE: AW: [Incident# 40100] ...`, `回复: Incident #40100: ...`
_PREFIXES = re.compile(rf"^{_PREFIX}\s*", re.IGNORECASE)
NO_SUBJECT = "(no subject)"


@dataclass(frozen=True)
class Ingested:
    """What became of one message."""

    outcome: str  # "reply" (on a case), "automatic" (on a case), "new-case", "triage", "duplicate"
    message_id: str
    case: int | None = None
    triage: int | None = None
    reason: str = ""

    def summary(self) -> str:
        if self.outcome == "reply":
            return f"{self.message_id}: customer reply added to Incident# {self.case}"
        if self.outcome == "automatic":
            return f"{self.message_id}: automatic message ({self.reason}) added to Incident# {self.case}"
        if self.outcome == "new-case":
            return f"{self.message_id}: opened Incident# {self.case}"
        if self.outcome == "triage":
            return f"{self.message_id}: to triage as #{self.triage} ({self.reason})"
        return f"{self.message_id}: already taken ({self.reason})"


class Refused(DeskError):
    """The message cannot be taken as it is (nothing was written)."""


def case_in_subject(subject: str) -> int | None:
    """The case a subject names: `Incident# N` anywhere in it (the desk's own subjects
    read `Incident# N: ...`; customers' mailers put any prefix or tag before it)."""
    match = _INCIDENT.search(subject)
    return int(match.group(1)) if match else None


def case_subject(subject: str) -> str:
    """A new case's subject: the mail's, without `Re:`/`Fwd:`; stored exactly otherwise."""
    return _PREFIXES.sub("", subject, count=1).strip() or NO_SUBJECT


# --- where it goes --------------------------------------------------------------------


@dataclass(frozen=True)
class _Route:
    outcome: str  # reply, automatic, new-case, triage
    case: int | None = None
    contact: Contact | None = None
    reason: str = ""


def _contacts(session: Session, address: str) -> list[Contact]:
    if not address:
        return []
    return list(
        session.exec(select(Contact).where(func.lower(func.trim(Contact.email)) == address))
    )


def _case_of_thread(session: Session, mail: Incoming, enclosed: bool = False) -> int | None:
    ids = [*mail.in_reply_to, *reversed(mail.references)]
    if enclosed:  # a bounce returns the desk's own message: its Message-ID names the case
        ids += mail.enclosed_ids
    for message_id in ids:
        number = session.exec(
            select(Case.number)
            .join(Outbox, col(Outbox.case_id) == Case.id)
            .where(Outbox.message_id == message_id)
        ).first()
        if number is None:
            number = session.exec(
                select(Case.number)
                .join(IngestedMail, col(IngestedMail.case_id) == Case.id)
                .where(IngestedMail.message_id == message_id)
            ).first()
        if number is not None:
            return int(number)
    return None


def _ours(session: Session, mail: Incoming, desk: Desk | None) -> str | None:
    """The desk's own outgoing mail come back (a forwarding loop, a list echoing it)."""
    if session.exec(select(Outbox.id).where(Outbox.message_id == mail.message_id)).first():
        return "the desk's own message came back"
    if desk is not None and desk.mail.relay:
        ours = parseaddr(desk.mail.from_address)[1].lower()
        if ours and mail.from_address == ours:
            return f"sent from the desk's own address {ours}"
    return None


def _machine_route(session: Session, mail: Incoming, why: str) -> _Route:
    """Machine mail lands on the case it names as an automatic message, else in triage;
    it never opens a case."""
    threaded = _case_of_thread(session, mail, enclosed=True)
    if threaded is not None:
        return _Route("automatic", threaded, reason=why)
    for subject in (mail.subject, *mail.enclosed_subjects):
        named = case_in_subject(subject)
        if named is None:
            continue
        case = session.exec(select(Case).where(Case.number == named)).first()
        if case is None:
            continue
        # Named by subject only: only from (or about) the case organization's contacts,
        # so a stranger cannot write into a case's timeline.
        addresses = {mail.from_address} | ({mail.bounce.recipient} if mail.bounce else set())
        if any(
            c.organization_id == case.organization_id
            for address in addresses
            for c in _contacts(session, address)
        ):
            return _Route("automatic", named, reason=why)
    return _Route("triage", reason=f"an automatic message ({why})")


def route(session: Session, mail: Incoming, desk: Desk | None = None) -> _Route:
    why = _ours(session, mail, desk) or mail.automatic
    if why:
        # A bounce or an out-of-office answering our mail must not stop the customer's
        # clock, reopen a waiting case or open a new one.
        return _machine_route(session, mail, why)
    contacts = _contacts(session, mail.from_address)
    threaded = _case_of_thread(session, mail)
    if threaded is not None:
        return _Route("reply", threaded)
    named = case_in_subject(mail.subject)
    if named is not None:
        case = session.exec(select(Case).where(Case.number == named)).first()
        if case is None:
            return _Route("triage", reason=f"names Incident# {named}, which does not exist")
        if not any(c.organization_id == case.organization_id for c in contacts):
            org = session.get(Organization, case.organization_id)
            return _Route(
                "triage",
                reason=f"names Incident# {named}, but {mail.from_address or 'the sender'} "
                f"is not a contact of {org.name if org else 'its organization'}",
            )
        return _Route("reply", named)
    if not contacts:
        return _Route("triage", reason=f"{mail.from_address or 'no sender'}: not a known contact")
    if len(contacts) > 1:
        return _Route(
            "triage", reason=f"{mail.from_address} is a contact of more than one organization"
        )
    return _Route("new-case", contact=contacts[0])


# --- taking it in ---------------------------------------------------------------------


def _check_sizes(desk: Desk, mail: Incoming) -> None:
    """Refuse a message whose text or an attachment is over its limit, wherever it
    would land."""
    if len(mail.text) > limits.TEXT_LIMIT:
        raise Refused(
            f"{mail.message_id}: refused: its text is {len(mail.text):,} characters long, over "
            f"the {limits.TEXT_LIMIT:,} a case takes (send long logs as attachments); nothing was taken"
        )
    for part in mail.attachments:
        if len(part.data) > desk.attachment_limit:
            raise Refused(
                f"{mail.message_id}: refused: the attachment {part.name!r} is "
                f"{human_size(len(part.data))}, over the {human_size(desk.attachment_limit)} "
                "limit (DESKTERM_ATTACHMENT_LIMIT); nothing was taken"
            )


def _store_files(desk: Desk, mail: Incoming) -> list[tuple[str, int, str]]:
    """Copy the attachments into the store, before the transaction that names them."""
    _check_sizes(desk, mail)
    return [(part.name, *store_content(desk, part.data, part.name)) for part in mail.attachments]


def _attach(change: Change, files: list[tuple[str, int, str]], actor: str) -> None:
    for name, size, digest in files:
        attachment = Attachment(
            case_id=stored_id(change.case),
            name=name,
            size=size,
            sha256=digest,
            added_by=actor,
            added_at=change.at,
        )
        change.session.add(attachment)
        index_contents(change.desk, change.session, attachment)
        change.record(
            EventKind.ATTACH,
            field_name="attachment",
            new=name,
            text=f"{size:,} byte{'' if size == 1 else 's'}, sha256 {digest} (by mail)",
            actor=actor,
        )


def _text_of(mail: Incoming, files: list[tuple[str, int, str]]) -> str:
    if mail.text.strip():
        return mail.text
    if files:
        return "(no text; attached: " + ", ".join(name for name, _, _ in files) + ")"
    return "(an empty message)"


def _seen(session: Session, message_id: str) -> IngestedMail | None:
    return session.exec(select(IngestedMail).where(IngestedMail.message_id == message_id)).first()


def _record(
    session: Session, mail: Incoming, at: datetime, case: Case | None, triage: int | None
) -> None:
    session.add(
        IngestedMail(
            message_id=mail.message_id,
            case_id=case.id if case else None,
            triage_id=triage,
            from_address=mail.from_address,
            subject=mail.subject,
            received_at=at,
        )
    )


def _reply_on(desk: Desk, number: int, mail: Incoming, files: list[tuple[str, int, str]]) -> None:
    with changing(desk, number) as change:
        if _seen(change.session, mail.message_id):
            raise _Duplicate
        record_customer_reply(change, _text_of(mail, files), actor=mail.sender)
        _attach(change, files, mail.sender)
        _record(change.session, mail, change.at, change.case, None)


def _automatic_on(
    desk: Desk, number: int, mail: Incoming, files: list[tuple[str, int, str]], why: str
) -> None:
    """Machine mail on its case: an event of its own kind, no clock stopped, no status
    moved; a permanent failure to a contact's address flagged on the contact."""
    with changing(desk, number) as change:
        if _seen(change.session, mail.message_id):
            raise _Duplicate
        bounce = mail.bounce
        flagged = _flag_bounce(change.session, change.case, bounce) if bounce else None
        change.record(
            EventKind.AUTOMATIC_MAIL,
            field_name="bounce" if flagged else None,
            new=f"last reply bounced: {bounce.summary()}" if bounce and flagged else why,
            text=_text_of(mail, files),
            actor=mail.sender or "(no sender)",
        )
        _attach(change, files, mail.sender or "(no sender)")
        _record(change.session, mail, change.at, change.case, None)


def _flag_bounce(session: Session, case: Case, bounce: Bounce) -> Contact | None:
    """The contact of the case's organization the bounce was for, flagged."""
    for contact in _contacts(session, bounce.recipient):
        if contact.organization_id == case.organization_id:
            contact.mail_bounce = bounce.summary()
            session.add(contact)
            return contact
    return None


def _new_case(
    desk: Desk,
    session: Session,
    contact: Contact,
    mail: Incoming,
    files: list[tuple[str, int, str]],
) -> Case:
    org = session.get(Organization, contact.organization_id)
    assert org is not None
    policy = desk.policy_in_use(session, org.policy)
    if policy.email_severity is None:
        raise DeskError(
            f"policy {policy.name!r} has no level a mail may open a case at (email_severity)"
        )
    now = desk.now()
    case = create_case(
        session,
        replace(desk, actor=mail.sender),
        now,
        organization=org.name,
        contact=contact.name,
        severity=policy.email_severity,
        subject=case_subject(mail.subject),
        description=_text_of(mail, files),
    )
    if files:
        change = Change(session, case, desk, now, policy)
        _attach(change, files, mail.sender)
        case.version += 1
        session.flush()
        refresh(session, case, policy, now)
    return case


class _Duplicate(Exception):
    pass


def _to_triage(session: Session, raw: bytes, mail: Incoming, reason: str, at: datetime) -> int:
    row = TriageMail(
        message_id=mail.message_id,
        from_address=mail.from_address,
        subject=mail.subject,
        reason=reason,
        raw=raw,
        received_at=at,
    )
    session.add(row)
    session.flush()
    _record(session, mail, at, None, row.id)
    return stored_id(row)


def ingest(desk: Desk, raw: bytes) -> Ingested:
    """Take one message (its bytes as the mail server delivers them)."""
    if not raw.strip():
        raise Refused("refused: the message is empty")
    mail = parse(raw)
    if not mail.headers:
        raise Refused(
            "refused: not a mail message: it does not start with header fields "
            "(From:, Subject:, ...)"
        )
    with reading(desk.engine) as session:
        seen = _seen(session, mail.message_id)
    if seen is not None:
        return _duplicate(mail, seen)
    # Attachments are refused (too large) or stored before anything is written;
    # triage keeps the message whole, so an oversized one is refused there too.
    _check_sizes(desk, mail)
    with reading(desk.engine) as session:
        where = route(session, mail, desk)
    files = _store_files(desk, mail) if where.outcome != "triage" else []
    try:
        if where.outcome == "reply":
            assert where.case is not None
            _reply_on(desk, where.case, mail, files)
            return Ingested("reply", mail.message_id, case=where.case)
        if where.outcome == "automatic":
            assert where.case is not None
            _automatic_on(desk, where.case, mail, files, where.reason)
            return Ingested("automatic", mail.message_id, case=where.case, reason=where.reason)
        with writing(desk.engine) as session:
            if _seen(session, mail.message_id):
                raise _Duplicate
            if where.outcome == "new-case":
                assert where.contact is not None
                try:
                    with session.begin_nested():
                        case = _new_case(desk, session, where.contact, mail, files)
                except DeskError as error:  # an ended contract, a policy problem
                    triage = _to_triage(session, raw, mail, str(error), desk.now())
                    return Ingested("triage", mail.message_id, triage=triage, reason=str(error))
                _record(session, mail, desk.now(), case, None)
                return Ingested("new-case", mail.message_id, case=case.number)
            triage = _to_triage(session, raw, mail, where.reason, desk.now())
            return Ingested("triage", mail.message_id, triage=triage, reason=where.reason)
    except (_Duplicate, IntegrityError):
        # Another process took the same message at the same moment: its row won.
        with reading(desk.engine) as session:
            seen = _seen(session, mail.message_id)
        if seen is None:
            raise
        return _duplicate(mail, seen)


def _duplicate(mail: Incoming, seen: IngestedMail) -> Ingested:
    return Ingested(
        "duplicate",
        mail.message_id,
        reason=f"the same Message-ID was taken on {seen.received_at.isoformat()}",
    )


# --- triage -------------------------------------------------------------------------


@dataclass(frozen=True)
class TriageLine:
    id: int
    from_address: str
    subject: str
    reason: str
    received_at: datetime
    case: int | None

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "from": self.from_address,
            "subject": self.subject,
            "reason": self.reason,
            "received_at": self.received_at.isoformat(),
            "case": self.case,
        }


def triage(desk: Desk, *, everything: bool = False) -> list[TriageLine]:
    """Mail waiting for someone to place it (and, if asked, mail taken since)."""
    query = select(TriageMail, Case.number).outerjoin(Case, col(Case.id) == TriageMail.case_id)
    if not everything:
        query = query.where(col(TriageMail.case_id).is_(None))
    with reading(desk.engine) as session:
        rows = session.exec(query.order_by(col(TriageMail.id))).all()
    return [
        TriageLine(
            stored_id(row), row.from_address, row.subject, row.reason, row.received_at, number
        )
        for row, number in rows
    ]


def triaged(desk: Desk, triage_id: int) -> dict[str, object]:
    """One mail of triage, whole: what `mail show` prints."""
    with reading(desk.engine) as session:
        row = session.get(TriageMail, triage_id)
        if row is None:
            raise NotFound(f"no mail #{triage_id} in triage (see deskterm mail triage)")
        taken = session.get(Case, row.case_id) if row.case_id is not None else None
    mail = parse(row.raw)
    return {
        "id": row.id,
        "from": mail.sender,
        "subject": row.subject,
        "received": row.received_at.isoformat(),
        "why": row.reason if taken is None else f"taken into Incident# {taken.number}",
        "attachments": [part.name for part in mail.attachments],
        "text": mail.text,
    }


def take(
    desk: Desk,
    triage_id: int,
    *,
    case: int | None = None,
    organization: str | None = None,
    contact: str | None = None,
    severity: int | None = None,
) -> int:
    """Take a triaged mail: as a customer reply on `case`, or as a new case of `organization`.

    Returns the case number. The attachments come along, as for any mail.
    """
    if (case is None) == (organization is None):
        raise DeskError("take the mail onto a case (--case N) or into a new case (--org NAME)")
    with reading(desk.engine) as session:
        row = session.get(TriageMail, triage_id)
        if row is None:
            raise NotFound(f"no mail #{triage_id} in triage (see deskterm mail triage)")
        if row.case_id is not None:
            taken = session.get(Case, row.case_id)
            raise DeskError(
                f"mail #{triage_id} was taken into Incident# {taken.number if taken else '?'} "
                f"by {row.taken_by}"
            )
        raw = row.raw
        # Refuse a case or organization that is not there before the attachments are
        # copied into the store: bad input leaves no file behind.
        if case is not None:
            if session.exec(select(Case.id).where(Case.number == case)).first() is None:
                raise NotFound(
                    f"no case {case} (case numbers start at 40100; see deskterm case list)"
                )
        else:
            assert organization is not None
            org = find_organization(session, organization)
            if contact is not None:
                find_contact(session, org, contact)
            policy = desk.policy(org.policy)
            if severity is not None and severity not in policy.severities:
                levels = ", ".join(str(n) for n in policy.severities)
                raise DeskError(
                    f"policy {policy.name!r} of {org.name} has no severity {severity} "
                    f"(levels: {levels})"
                )
    mail = parse(raw)
    files = _store_files(desk, mail)
    if case is not None:
        with changing(desk, case) as change:
            record_customer_reply(change, _text_of(mail, files), actor=mail.sender)
            _attach(change, files, mail.sender)
            _mark_taken(change.session, desk, triage_id, change.case, mail.message_id)
        return case
    assert organization is not None
    with writing(desk.engine) as session:
        org = find_organization(session, organization)
        policy = desk.policy_in_use(session, org.policy)
        level = severity if severity is not None else policy.email_severity
        if level is None:
            raise DeskError(f"policy {policy.name!r} names no email_severity: give --severity")
        now = desk.now()
        new = create_case(
            session,
            desk,
            now,
            organization=org.name,
            contact=contact,
            severity=level,
            subject=case_subject(mail.subject),
            description=f"From {mail.sender}:\n\n{_text_of(mail, files)}",
        )
        if files:
            change = Change(session, new, desk, now, policy)
            _attach(change, files, desk.actor)
            new.version += 1
            session.flush()
            refresh(session, new, policy, now)
        _mark_taken(session, desk, triage_id, new, mail.message_id)
        return new.number


def _mark_taken(session: Session, desk: Desk, triage_id: int, case: Case, message_id: str) -> None:
    row = session.exec(select(TriageMail).where(TriageMail.id == triage_id).with_for_update()).one()
    if row.case_id is not None:
        raise DeskError(f"mail #{triage_id} was taken by {row.taken_by} a moment ago")
    row.case_id, row.taken_by, row.taken_at = case.id, desk.actor, desk.now()
    session.add(row)
    seen = _seen(session, message_id)
    if seen is not None:  # later mail in its thread now lands on the case
        seen.case_id = case.id
        session.add(seen)
