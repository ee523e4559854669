"""Organizations (customers under a support contract) and their contacts."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Field, SQLModel, UniqueConstraint

from deskterm.models.types import ExactText, UTCDateTime


class Organization(SQLModel, table=True):
    __tablename__ = "organizations"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, index=True, sa_type=ExactText)
    policy: str  # the SLA policy's name
    # The support tier as the contract names it.
    tier: str | None = Field(default=None, sa_type=ExactText)
    contract_until: date | None = None  # maintenance contract end (None: no end date)
    created_at: datetime = Field(sa_type=UTCDateTime)

    def contract_current(self, on: date) -> bool:
        return self.contract_until is None or on <= self.contract_until


class Contact(SQLModel, table=True):
    __tablename__ = "contacts"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organizations.id", index=True)
    name: str = Field(sa_type=ExactText)
    email: str | None = Field(default=None, sa_type=ExactText)
    phone: str | None = Field(default=None, sa_type=ExactText)
    is_admin: bool = False  # an administrator of the product (Sev 1 checklist)
    # The last permanent delivery failure of mail to `email` ("5.1.1 user unknown"), from
    # a bounce (deskterm.desk.inbound); None once mail is known to reach the address.
    mail_bounce: str | None = Field(default=None, sa_type=ExactText)
    created_at: datetime = Field(sa_type=UTCDateTime)
