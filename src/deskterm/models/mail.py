"""Mail in and out: the outbox, the Message-IDs already taken, and mail nobody claims.

An outbox row is written in the same transaction as the event it tells the
customer about; a sender drains the table later (deskterm.desk.outbox). Every
Message-ID taken by `deskterm mail ingest` is kept (unique), so the same message
delivered twice is taken once. Mail from an unknown sender waits in triage, whole.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import LargeBinary
from sqlmodel import Field, SQLModel

from deskterm.models.types import ExactText, UTCDateTime


class OutboxStatus(StrEnum):
    PENDING = "pending"  # to be sent (now, or after a back-off)
    SENT = "sent"  # the relay accepted it
    FAILED = "failed"  # given up: the relay refused it, or too many attempts
    HELD = "not-sent"  # never to be sent as it stands (no relay, no address): says why


class Outbox(SQLModel, table=True):
    __tablename__ = "outbox"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    event_id: int | None = Field(default=None, foreign_key="events.id", index=True)
    kind: str  # reply, call, information-request, auto-close-notice
    to_address: str | None = Field(default=None, sa_type=ExactText)
    subject: str = Field(sa_type=ExactText)
    body: str = Field(sa_type=ExactText)
    message_id: str = Field(unique=True)
    in_reply_to: str | None = Field(default=None, sa_type=ExactText)
    # Space-separated Message-IDs, oldest first.
    references: str | None = Field(default=None, sa_type=ExactText)
    status: str = Field(default=OutboxStatus.PENDING.value, index=True)
    reason: str | None = Field(default=None, sa_type=ExactText)  # why not sent, the last error
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_type=UTCDateTime)
    claimed_by: str | None = None
    claimed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class IngestedMail(SQLModel, table=True):
    """One Message-ID taken in: where it went (a case, or triage)."""

    __tablename__ = "mail_ingested"

    id: int | None = Field(default=None, primary_key=True)
    message_id: str = Field(unique=True, sa_type=ExactText)
    case_id: int | None = Field(default=None, foreign_key="cases.id", index=True)
    triage_id: int | None = Field(default=None, foreign_key="mail_triage.id")
    from_address: str = Field(sa_type=ExactText)
    subject: str = Field(sa_type=ExactText)
    received_at: datetime = Field(sa_type=UTCDateTime)


class TriageMail(SQLModel, table=True):
    """Mail deskterm could not place: kept whole until someone takes it into a case."""

    __tablename__ = "mail_triage"

    id: int | None = Field(default=None, primary_key=True)
    message_id: str = Field(sa_type=ExactText)
    from_address: str = Field(sa_type=ExactText)
    subject: str = Field(sa_type=ExactText)
    reason: str = Field(sa_type=ExactText)
    raw: bytes = Field(sa_type=LargeBinary)
    received_at: datetime = Field(sa_type=UTCDateTime)
    case_id: int | None = Field(default=None, foreign_key="cases.id")  # once taken
    taken_by: str | None = Field(default=None, sa_type=ExactText)
    taken_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
