"""Outcomes of the clocks that run more than once or may reopen: update, resolution and
next response (deskterm.desk.clock_outcomes says when each settles).

One row per settlement: the run of the clock from `started_at` to `settled_at` (its
answer: a response, a resolution), its due, met or missed, and what held then: the
severity and policy it ran under, who answered (else the assignee then). A
report's period selects by the instant it settled.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index
from sqlmodel import Field, SQLModel

from deskterm.models.types import ExactText, UTCDateTime


class SlaClockOutcome(SQLModel, table=True):
    __tablename__ = "sla_clock_outcomes"
    # A report's period: the runs settled in it, counted from this index alone
    # (deskterm.desk.reports; migration 0013_report_indexes).
    __table_args__ = (
        Index(
            "ix_sla_clock_outcomes_period",
            "settled_at",
            "clock",
            "state",
            "policy",
            "severity",
            "organization_id",
            "engineer",
        ),
    )

    case_id: int = Field(foreign_key="cases.id", primary_key=True)
    clock: str = Field(primary_key=True)  # ClockKind value: update, resolution, next_response
    settled_at: datetime = Field(sa_type=UTCDateTime, primary_key=True)  # ... to
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # from ...
    due: datetime | None = Field(default=None, sa_type=UTCDateTime)
    state: str  # ClockState value: "met" or "breached" (missed)
    policy: str
    severity: int
    engineer: str = Field(sa_type=ExactText)
    organization_id: int
    received_at: datetime = Field(sa_type=UTCDateTime)  # the case's
    # Business time from start to settlement on the severity's calendar, in microseconds.
    business_us: int | None = Field(default=None, sa_type=BigInteger)
