"""Support cases: the intake of docs/domain.md, the workflow state and the stored deadlines."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, text
from sqlmodel import Field, SQLModel

from deskterm.models.columns import END_OF_TIME
from deskterm.models.columns import INTAKE_FIELDS as INTAKE_FIELDS  # its home before it moved
from deskterm.models.types import ExactText, UTCDateTime

FIRST_CASE_NUMBER = 40100

_OPEN = text("status != 'closed'")
_CLOSED = text("status = 'closed'")
_OPEN_UNASSIGNED = text("assignee IS NULL AND status != 'closed'")
_ESCALATED = text("escalation != 'support-engineer'")


class Case(SQLModel, table=True):
    __tablename__ = "cases"
    __table_args__ = (
        # The queue walks open cases in deadline order, a screenful at a time.
        Index("ix_cases_queue", "queue_due", "number", sqlite_where=_OPEN, postgresql_where=_OPEN),
        Index("ix_cases_closed", "updated_at", sqlite_where=_CLOSED, postgresql_where=_CLOSED),
        # "Mine", "@bob", "@unassigned": one engineer's cases already in deadline order.
        Index("ix_cases_assignee_queue", "assignee", "queue_due", "number"),
        # "status:open", "@unassigned" with a search of many cases: the walk in deadline
        # order reads only the cases the token keeps (migration 0017).
        Index(
            "ix_cases_status_queue",
            "status",
            "queue_due",
            "number",
            sqlite_where=_OPEN,
            postgresql_where=_OPEN,
        ),
        Index(
            "ix_cases_unassigned_queue",
            "queue_due",
            "number",
            sqlite_where=_OPEN_UNASSIGNED,
            postgresql_where=_OPEN_UNASSIGNED,
        ),
        # What came in during a shift or a report's period.
        Index("ix_cases_received_at", "received_at"),
        # A report's cases not answered yet (a first response running, paused or
        # without a target), by receipt, with what it counts of them: a period's
        # few, read from the index alone (deskterm.desk.reports; migration 0011).
        Index(
            "ix_cases_first_response",
            "first_response_state",
            "received_at",
            "policy",
            "severity",
            "organization_id",
            "assignee",
            "first_response_due",
            "id",  # (SQLite's indexes hold it anyway; PostgreSQL's only if named)
            "created_at",  # opened after a period's end: replayed (migration 0014)
        ),
        # Support's promises by deadline: breached and due-within counts are index
        # range counts, per engineer too, whatever the size of the desk.
        Index(
            "ix_cases_promise",
            "promise_due",
            "assignee",
            sqlite_where=_OPEN,
            postgresql_where=_OPEN,
        ),
        # The board's figures per engineer (deskterm.desk.board.load): an engineer's
        # late cases are a range count and their next deadline one seek, in this
        # index alone, without grouping the desk's breached cases (migration 0014).
        Index(
            "ix_cases_assignee_promise",
            "assignee",
            "promise_due",
            sqlite_where=_OPEN,
            postgresql_where=_OPEN,
        ),
        # The handoff's open escalations: a few cases of the desk, counted from here.
        Index(
            "ix_cases_escalated",
            "status",
            sqlite_where=_ESCALATED,
            postgresql_where=_ESCALATED,
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: int = Field(unique=True, index=True)
    subject: str = Field(sa_type=ExactText)
    description: str = Field(default="", sa_type=ExactText)
    organization_id: int = Field(foreign_key="organizations.id", index=True)
    contact_id: int | None = Field(default=None, foreign_key="contacts.id")
    policy: str  # the policy the case runs under (the organization's at intake)
    # Its stored version (models/policy_version.py); None on a desk written before
    # versions, whose policy was not found when they were stored: the file then.
    policy_version: int | None = None
    severity: int
    status: str = Field(index=True)
    assignee: str | None = Field(default=None, sa_type=ExactText)
    escalation: str = "support-engineer"
    received_at: datetime = Field(sa_type=UTCDateTime)
    scheduled_for: datetime | None = Field(default=None, sa_type=UTCDateTime)
    split_from_id: int | None = Field(default=None, foreign_key="cases.id")

    # Intake.
    inquirer: str = Field(default="", sa_type=ExactText)
    product: str = Field(default="", sa_type=ExactText)
    product_version: str = Field(default="", sa_type=ExactText)
    error_messages: str = Field(default="", sa_type=ExactText)
    steps_to_reproduce: str = Field(default="", sa_type=ExactText)
    actions_before: str = Field(default="", sa_type=ExactText)
    changes_made: str = Field(default="", sa_type=ExactText)
    persisted_for: str = Field(default="", sa_type=ExactText)
    operating_system: str = Field(default="", sa_type=ExactText)
    server_roles: str = Field(default="", sa_type=ExactText)

    # Each clock's stored state and deadline, as the SLA engine last computed them
    # from the case's history. Time alone only moves running -> breached, so a
    # reader derives the current state from these without replaying events.
    first_response_state: str = "not-applicable"
    first_response_due: datetime | None = Field(default=None, sa_type=UTCDateTime)
    customer_response_state: str = "not-applicable"
    customer_response_due: datetime | None = Field(default=None, sa_type=UTCDateTime)
    update_state: str = "not-applicable"
    update_due: datetime | None = Field(default=None, sa_type=UTCDateTime)
    auto_close_state: str = "not-applicable"
    auto_close_due: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolution_state: str = "not-applicable"
    resolution_due: datetime | None = Field(default=None, sa_type=UTCDateTime)
    next_response_state: str = "not-applicable"
    next_response_due: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The soonest live deadline: what the queue sorts by.
    next_due: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    queue_due: datetime = Field(default=END_OF_TIME, sa_type=UTCDateTime)  # next_due, never NULL
    # The soonest due of support's own live promises (first response, update); None
    # when neither runs. Past it the case is breached (desk.counts).
    promise_due: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # When the sweep next has something to do for this case (record a breach, lower
    # the severity, send the auto-close notice, close); None when nothing is coming.
    sweep_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)

    version: int = 1
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
