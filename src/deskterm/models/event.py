"""The audit trail: one append-only row per change (docs/architecture.md, invariant 3)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session
from sqlmodel import Field, SQLModel

from deskterm.models.types import ExactText, UTCDateTime
from deskterm.store import chain


class EventKind(StrEnum):
    OPENED = "opened"
    REPLY = "reply"  # public, to the customer
    NOTE = "note"  # internal
    CALL = "call"  # a logged phone call (a response to the customer)
    STATUS = "status"
    SEVERITY = "severity"
    ASSIGN = "assign"
    ESCALATE = "escalate"
    SPLIT = "split"  # on the parent: a case was split off
    SPLIT_FROM = "split-from"  # on the child: where it came from
    CUSTOMER_REPLY = "customer-reply"
    SCHEDULED = "scheduled"
    BREACH = "breach"
    CUSTOMER_TIMEOUT = "customer-timeout"
    AUTO_CLOSE_NOTICE = "auto-close-notice"
    ATTACH = "attach"  # a file attached: new value its name, text its size and SHA-256
    CHECKLIST = "checklist"  # a step of the Sev 1 phone intake: field the step, text the answer
    LINKED = "linked"  # reported together with other cases: new value their numbers
    # Mail a machine sent about the case (a bounce, an out-of-office, a read receipt):
    # on the timeline, never a customer's answer: no clock stops, no status changes.
    # New value why it is a machine's; text the message's text, as for a customer reply.
    AUTOMATIC_MAIL = "automatic-mail"
    # A new version of the case's policy applied to it: old and new value name the
    # versions and the dues (`v1 due ...`), text says who applied which file.
    POLICY = "policy"


class Event(SQLModel, table=True):
    __tablename__ = "events"
    # A period's breaches, status changes and timeouts (the handoff, the SLA reports).
    __table_args__ = (Index("ix_events_kind_at", "kind", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    version: int  # the case's version once this change was made
    at: datetime = Field(sa_type=UTCDateTime)
    actor: str = Field(sa_type=ExactText)
    kind: str
    field: str | None = None
    old_value: str | None = Field(default=None, sa_type=ExactText)
    new_value: str | None = Field(default=None, sa_type=ExactText)
    text: str | None = Field(default=None, sa_type=ExactText)
    # SHA-256 of this event's content and of the previous event of its case
    # (deskterm.store.chain): a rewrite behind the triggers' back shows.
    hash: str | None = None


# Every event the ORM inserts, whichever use case writes it, carries its hash.
sa_event.listen(Event, "before_insert", chain.hash_on_insert)
sa_event.listen(Session, "after_transaction_end", chain.forget)
