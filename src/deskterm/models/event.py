"""The audit trail: one append-only row per change (docs/architecture.md, invariant 3)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, text
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session
from sqlmodel import Field, SQLModel

from deskterm.models.kinds import EventKind as EventKind  # its home before it moved
from deskterm.models.types import ExactText, UTCDateTime
from deskterm.store import chain

# Status events to resolved (pending the customer's confirmation) or closed.
FINISHED_WHERE = "new_value IN ('resolved-pending-confirmation', 'closed')"
# What a report counts of a period's events: breaches, customer timeouts and the
# sweep's ("deskterm") closures (deskterm.desk.reports). The second kind is read
# through coalesce (kind is never null) so that no index on kind can serve that
# branch: SQLite would otherwise walk every status event of the period through
# ix_events_kind_at instead of this index's few rows.
COUNTED_WHERE = (
    "kind IN ('breach', 'customer-timeout')"
    " OR (coalesce(kind, '') = 'status' AND new_value = 'closed' AND actor = 'deskterm')"
)


class Event(SQLModel, table=True):
    __tablename__ = "events"
    # A period's breaches, status changes and timeouts (the handoff, the SLA reports).
    __table_args__ = (
        Index("ix_events_kind_at", "kind", "at"),
        # Cases resolved or closed in a period, counted from the index alone (the
        # handoff); written as the handoff's own WHERE (FINISHED_WHERE) so that
        # SQLite knows it may use it.
        Index(
            "ix_events_finished",
            "kind",
            "at",
            "case_id",
            sqlite_where=text(FINISHED_WHERE),
            postgresql_where=text(FINISHED_WHERE),
        ),
        # The events a report counts, a period's from this index alone (written as
        # the report's own WHERE, COUNTED_WHERE, for SQLite as above).
        Index(
            "ix_events_counted",
            "at",
            "kind",
            "case_id",
            sqlite_where=text(COUNTED_WHERE),
            postgresql_where=text(COUNTED_WHERE),
        ),
    )

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
