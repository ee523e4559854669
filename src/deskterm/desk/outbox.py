"""Mail to the customer: written to the outbox with its event, sent later, never twice.

`queue_mail` runs inside the change that records the reply (the same
transaction): a reply is never recorded without its mail, nor mail queued for a
reply that was rolled back. `send_due` drains the outbox through the relay: it
claims one row at a time in a write transaction (BEGIN IMMEDIATE on SQLite,
FOR UPDATE SKIP LOCKED on PostgreSQL) and holds it under a lease, so two
consoles or two `deskterm mail send` never send the same message; a failed
attempt is retried with exponential back-off, up to MAX_ATTEMPTS.

Threading: every message gets its own Message-ID, In-Reply-To the case's latest
message (sent or received) and References all of them, so mail clients show
the case as one conversation.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from deskterm.desk.context import Desk
from deskterm.desk.errors import DeskError, NotFound
from deskterm.mail.config import MailConfig
from deskterm.mail.smtp import Permanent, deliver
from deskterm.models import Case, Contact, Counter, Event, IngestedMail, Outbox, OutboxStatus
from deskterm.models.tables import stored_id
from deskterm.settings import SettingError
from deskterm.store.engine import reading, writing

OUTBOX_CHANGES = "outbox_changes"  # the counter row (see store/changes.py)
MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(minutes=1)  # then 2, 4, 8 ... minutes
LONGEST_RETRY = timedelta(hours=2)
LEASE = timedelta(minutes=5)  # a sender that died mid-send frees its row after this
MAX_REFERENCES = 20  # mail clients need the first and the last few, not hundreds

NO_RELAY = "not sent: no mail relay configured"
NO_CONTACT = "not sent: the case has no contact"
NO_ADDRESS = "not sent: the contact has no email address"

KINDS = {
    "reply": "reply",
    "call": "summary of our call",
    "information-request": "information requested",
    "auto-close-notice": "auto-close notice",
}
_LINE_BREAKS = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]+")


def header_text(value: str) -> str:
    """One line for a mail header: CR, LF and every control character become a space."""
    return re.sub(r" {2,}", " ", _LINE_BREAKS.sub(" ", value)).strip()


def mail_subject(number: int, subject: str) -> str:
    return header_text(f"Incident# {number}: {subject}")


def _address(contact: Contact | None) -> tuple[str | None, str | None]:
    """The contact's address for the To header, or why there is none."""
    if contact is None:
        return None, NO_CONTACT
    email = (contact.email or "").strip()
    if not email:
        return None, NO_ADDRESS
    if header_text(email) != email or "@" not in parseaddr(email)[1]:
        return None, f"not sent: the contact's email address {email!r} is not valid"
    name = header_text(contact.name).replace('"', "'")
    return f'"{name}" <{parseaddr(email)[1]}>', None


def thread_of(session: Session, case: Case) -> list[str]:
    """The case's Message-IDs, oldest first: what we sent and what the customer sent."""
    # Within one instant (a burst of changes, a frozen clock), each table's rows in
    # the order they were written, and ours before theirs: an answer follows a question.
    sent = [
        (at, 0, row_id, message_id)
        for at, row_id, message_id in session.exec(
            select(Outbox.created_at, Outbox.id, Outbox.message_id).where(Outbox.case_id == case.id)
        )
    ]
    received = [
        (at, 1, row_id, message_id)
        for at, row_id, message_id in session.exec(
            select(IngestedMail.received_at, IngestedMail.id, IngestedMail.message_id).where(
                IngestedMail.case_id == case.id
            )
        )
    ]
    return [row[-1] for row in sorted([*sent, *received])]


def letter(case: Case, text: str) -> str:
    """The body of a mail to the customer: the text, then how to answer it."""
    return (
        f"{text.rstrip()}\n\n-- \n{mail_subject(case.number, case.subject)}\n"
        f"Reply to this message, keeping Incident# {case.number} in the subject, "
        "to add to the case.\n"
    )


def queue_mail(
    session: Session, desk: Desk, case: Case, event: Event, kind: str, body: str, at: datetime
) -> Outbox:
    """Put the mail telling the customer about `event` in the outbox (same transaction)."""
    assert kind in KINDS
    session.flush()  # the event's id, for the case screen's "sent / not sent" mark
    contact = session.get(Contact, case.contact_id) if case.contact_id else None
    to_address, reason = _address(contact)
    if reason is None and not desk.mail.relay:
        reason = NO_RELAY
    thread = thread_of(session, case)
    row = Outbox(
        case_id=stored_id(case),
        event_id=event.id,
        kind=kind,
        to_address=to_address,
        subject=mail_subject(case.number, case.subject),
        body=letter(case, body),
        message_id=make_msgid(f"incident{case.number}", domain=desk.mail.domain),
        in_reply_to=thread[-1] if thread else None,
        references=" ".join(thread[:1] + thread[1:][-(MAX_REFERENCES - 1) :]) or None,
        status=(OutboxStatus.HELD if reason else OutboxStatus.PENDING).value,
        reason=reason,
        next_attempt_at=at,
        created_at=at,
    )
    session.add(row)
    return row


def compose(row: Outbox, config: MailConfig, at: datetime) -> EmailMessage:
    """The message as the relay gets it: plain text, threaded on the case."""
    message = EmailMessage()
    message["From"] = config.from_address
    message["To"] = row.to_address or ""
    message["Subject"] = header_text(row.subject)
    message["Date"] = format_datetime(at)
    message["Message-ID"] = row.message_id
    if row.in_reply_to:
        message["In-Reply-To"] = row.in_reply_to
    if row.references:
        message["References"] = row.references
    message["Auto-Submitted"] = "auto-generated" if row.kind == "auto-close-notice" else "no"
    message.set_content(row.body)
    return message


# --- sending ----------------------------------------------------------------------


@dataclass
class SendReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0

    def summary(self) -> str:
        return f"{self.sent} sent, {self.retrying} to retry, {self.failed} failed"


def backoff(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt."""
    wait: timedelta = FIRST_RETRY * 2 ** (attempts - 1)  # int ** int is typed Any
    return min(wait, LONGEST_RETRY)


def _claim(desk: Desk, worker: str) -> Outbox | None:
    now = desk.now()
    with writing(desk.engine) as session:
        row = session.exec(
            select(Outbox)
            .where(
                Outbox.status == OutboxStatus.PENDING.value,
                col(Outbox.next_attempt_at) <= now,
                or_(col(Outbox.claimed_until).is_(None), col(Outbox.claimed_until) < now),
            )
            .order_by(col(Outbox.next_attempt_at), col(Outbox.id))
            .limit(1)
            .with_for_update(skip_locked=True)
        ).first()
        if row is None:
            return None
        row.claimed_by, row.claimed_until = worker, now + LEASE
        session.add(row)
    return row


def _finish(desk: Desk, row: Outbox, worker: str, **values: object) -> None:
    with writing(desk.engine) as session:
        session.exec(
            update(Outbox)
            .where(col(Outbox.id) == row.id, col(Outbox.claimed_by) == worker)
            .values(claimed_by=None, claimed_until=None, **values)
        )
        _changed(session)


def _changed(session: Session) -> None:
    """Tell watching consoles the outbox changed (a sent mail writes no event)."""
    session.exec(
        update(Counter)
        .where(col(Counter.name) == OUTBOX_CHANGES)
        .values(value=col(Counter.value) + 1)
    )


def send_due(
    desk: Desk,
    *,
    transport: Callable[[MailConfig, EmailMessage], None] = deliver,
    limit: int = 100,
) -> SendReport:
    """Send what is due now through desk.mail's relay, one claimed row at a time."""
    report = SendReport()
    if not desk.mail.relay:
        return report
    worker = f"{desk.actor}-{secrets.token_hex(4)}"
    for _ in range(limit):
        row = _claim(desk, worker)
        if row is None:
            break
        now = desk.now()
        try:
            transport(desk.mail, compose(row, desk.mail, now))
        except Permanent as error:
            _finish(desk, row, worker, status=OutboxStatus.FAILED.value, reason=str(error),
                    attempts=row.attempts + 1)  # fmt: skip
            report.failed += 1
        except (OSError, SettingError, Exception) as error:  # noqa: B014 - any failure retries
            attempts = row.attempts + 1
            reason = f"attempt {attempts} failed: {_why(error)}"
            if attempts >= MAX_ATTEMPTS:
                _finish(desk, row, worker, status=OutboxStatus.FAILED.value,
                        reason=f"gave up after {attempts} attempts: {_why(error)}",
                        attempts=attempts)  # fmt: skip
                report.failed += 1
            else:
                _finish(desk, row, worker, reason=reason, attempts=attempts,
                        next_attempt_at=now + backoff(attempts))  # fmt: skip
                report.retrying += 1
        else:
            _finish(desk, row, worker, status=OutboxStatus.SENT.value, reason=None,
                    attempts=row.attempts + 1, sent_at=now)  # fmt: skip
            report.sent += 1
    return report


def _why(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return header_text(text)[:300]


def retry(desk: Desk, message: int) -> str:
    """Send a failed or not-sent message again (a relay set up since, an address fixed).

    The address is read again from the case's contact. Returns what it says now.
    """
    with writing(desk.engine) as session:
        row = session.exec(select(Outbox).where(Outbox.id == message).with_for_update()).first()
        if row is None:
            raise NotFound(f"no message {message} in the outbox (see deskterm mail outbox)")
        if not desk.mail.relay:
            raise DeskError(NO_RELAY + ": set host (and from) in the [mail] table of the config")
        if row.status == OutboxStatus.SENT.value:
            raise DeskError(f"message {message} was sent on {row.sent_at:%Y-%m-%d %H:%M} UTC")
        if row.status == OutboxStatus.PENDING.value:
            raise DeskError(f"message {message} is pending already: {row.reason or 'due now'}")
        case = session.get(Case, row.case_id)
        assert case is not None
        contact = session.get(Contact, case.contact_id) if case.contact_id else None
        to_address, reason = _address(contact)
        if reason is not None:
            raise DeskError(
                f"message {message} cannot be sent: {reason.removeprefix('not sent: ')}"
            )
        row.to_address, row.status, row.reason = to_address, OutboxStatus.PENDING.value, None
        row.attempts, row.next_attempt_at = 0, desk.now()
        row.claimed_by = row.claimed_until = None
        session.add(row)
        _changed(session)
    return f"message {message} to {to_address}: queued to be sent again"


# --- reading ----------------------------------------------------------------------


def outcome(row: Outbox | None) -> str:
    """What became of a message to the customer, in the words a confirmation uses:
    `mailed to ann@acme.example` or `recorded, not mailed: no mail relay configured`."""
    if row is None:
        return "recorded, not mailed"
    if row.status in (OutboxStatus.PENDING.value, OutboxStatus.SENT.value) and row.to_address:
        return f"mailed to {parseaddr(row.to_address)[1]}"
    reason = (row.reason or "not sent").removeprefix("not sent: ")
    return f"recorded, not mailed: {reason}"


def last_mail_outcome(desk: Desk, number: int) -> str:
    """`outcome` of the latest message to the customer on case `number`."""
    with reading(desk.engine) as session:
        row = session.exec(
            select(Outbox)
            .join(Case, col(Case.id) == col(Outbox.case_id))
            .where(Case.number == number)
            .order_by(col(Outbox.id).desc())
            .limit(1)
        ).first()
        return outcome(row)


@dataclass(frozen=True)
class OutboxLine:
    id: int
    case: int
    kind: str
    to: str | None
    subject: str
    status: str
    reason: str | None
    attempts: int
    created_at: datetime
    next_attempt_at: datetime
    sent_at: datetime | None
    message_id: str

    @property
    def state(self) -> str:
        """What the case screen and `mail outbox` say about the message."""
        if self.status == OutboxStatus.SENT.value:
            return "sent"
        if self.status == OutboxStatus.PENDING.value:
            return f"pending ({self.reason})" if self.reason else "pending"
        if self.status == OutboxStatus.FAILED.value:
            return f"failed: {self.reason}"
        return self.reason or "not sent"

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "case": self.case,
            "kind": self.kind,
            "to": self.to,
            "subject": self.subject,
            "status": self.status,
            "reason": self.reason,
            "attempts": self.attempts,
            "created_at": self.created_at.isoformat(),
            "next_attempt_at": self.next_attempt_at.isoformat(),
            "sent_at": self.sent_at.isoformat() if self.sent_at else None,
            "message_id": self.message_id,
        }


def outbox(desk: Desk, *, everything: bool = False, case: int | None = None) -> list[OutboxLine]:
    """The outbox, oldest first: what is pending, failed or not sent (and sent, if asked)."""
    query = select(Outbox, Case.number).join(Case, col(Case.id) == Outbox.case_id)
    if not everything:
        query = query.where(Outbox.status != OutboxStatus.SENT.value)
    if case is not None:
        query = query.where(Case.number == case)
    with reading(desk.engine) as session:
        if (
            case is not None
            and session.exec(select(Case.id).where(Case.number == case)).first() is None
        ):
            raise NotFound(f"no case {case} (case numbers start at 40100; see deskterm case list)")
        rows = session.exec(query.order_by(col(Outbox.id))).all()
    return [
        OutboxLine(
            id=stored_id(row),
            case=number,
            kind=row.kind,
            to=row.to_address,
            subject=row.subject,
            status=row.status,
            reason=row.reason,
            attempts=row.attempts,
            created_at=row.created_at,
            next_attempt_at=row.next_attempt_at,
            sent_at=row.sent_at,
            message_id=row.message_id,
        )
        for row, number in rows
    ]


def mail_of_events(session: Session, case_id: int) -> dict[int, str]:
    """Event id -> what became of the mail it sent (for the case screen's timeline)."""
    rows = session.exec(
        select(Outbox.event_id, Outbox.status, Outbox.reason).where(Outbox.case_id == case_id)
    ).all()
    return {
        event_id: _state(status, reason)
        for event_id, status, reason in rows
        if event_id is not None
    }


def _state(status: str, reason: str | None) -> str:
    if status == OutboxStatus.SENT.value:
        return "mail sent"
    if status == OutboxStatus.PENDING.value:
        return f"mail pending: {reason}" if reason else "mail pending"
    if status == OutboxStatus.FAILED.value:
        return f"mail failed: {reason}"
    return reason or "not sent"
