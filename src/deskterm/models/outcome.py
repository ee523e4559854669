"""SLA outcomes, stored when a clock settles: reports group them instead of replaying.

A first-response clock settles when support first answers (a reply, a call, or a
move to a status that answers); from then on nothing the case does changes it. The
row says what the report needs at that instant: the severity and policy it ran
under, who answered, when it was due and when it was answered, met or missed, and
the business time taken on the severity's calendar.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index
from sqlmodel import Field, SQLModel

from deskterm.models.types import ExactText, UTCDateTime


class SlaOutcome(SQLModel, table=True):
    __tablename__ = "sla_outcomes"
    # A report's period selects by the instant the case came in, and reads what it
    # counts and groups on from this index alone: a period's rows, not the table's
    # (deskterm.desk.reports; migration 0013_report_indexes).
    __table_args__ = (
        Index(
            "ix_sla_outcomes_period",
            "received_at",
            "answered_at",
            "clock",
            "policy",
            "severity",
            "state",
            "organization_id",
            "engineer",
            "business_us",
            "case_id",
        ),
    )

    case_id: int = Field(foreign_key="cases.id", primary_key=True)
    clock: str = Field(primary_key=True)  # ClockKind value: "first_response"
    policy: str
    severity: int  # the level the clock ran under when it settled
    engineer: str = Field(sa_type=ExactText)  # who answered (else the assignee then)
    organization_id: int
    received_at: datetime = Field(sa_type=UTCDateTime)  # the case's
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # from ...
    answered_at: datetime = Field(sa_type=UTCDateTime)  # ... to
    due: datetime | None = Field(default=None, sa_type=UTCDateTime)
    state: str  # ClockState value: "met", "breached" (missed) or "not-applicable"
    # Business time from start to answer, in microseconds (exact, as the replay has it).
    business_us: int | None = Field(default=None, sa_type=BigInteger)


class SlaFirstResponseState(SQLModel, table=True):
    """What a case's stored first-response clock said until a change altered it.

    While a case's first response is unanswered, each change that alters its stored
    first-response columns (state, due, severity, assignee, policy version) leaves
    the columns as they were before it, with the change's instant: they held from the
    case's previous change up to `until`. A report whose period ends at `at` reads, for
    a case changed since, the row with the smallest `until` after `at`: the clock as
    it stood then, without replaying the case (deskterm.desk.reports). Written by a
    trigger on `cases` in the change's own transaction, whichever path changes the
    case (migration 0015_report_1m).
    """

    __tablename__ = "sla_first_response_states"

    case_id: int = Field(foreign_key="cases.id", primary_key=True)
    until: datetime = Field(sa_type=UTCDateTime, primary_key=True)
    policy: str
    policy_version: int | None = None
    severity: int
    assignee: str | None = Field(default=None, sa_type=ExactText)
    state: str  # the stored first_response_state: "running" or "not-applicable"
    due: datetime | None = Field(default=None, sa_type=UTCDateTime)
