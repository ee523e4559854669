"""Files attached to a case, stored by content (SHA-256) in deskterm's data directory."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from deskterm.models.types import ExactText, UTCDateTime


class Attachment(SQLModel, table=True):
    __tablename__ = "attachments"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    name: str = Field(sa_type=ExactText)
    size: int
    sha256: str = Field(index=True)
    added_by: str = Field(sa_type=ExactText)
    added_at: datetime = Field(sa_type=UTCDateTime)


class Counter(SQLModel, table=True):
    """Named counters incremented under a row lock (case numbers), portable to PostgreSQL."""

    __tablename__ = "counters"

    name: str = Field(primary_key=True)
    value: int
