"""What the SLA engine needs to know of a case: when it came in and what happened since.

The desk layer builds a CaseHistory from stored events; the engine never reads
the database. Statuses live here because the clocks are defined over them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Status(StrEnum):
    NEW = "new"
    OPEN = "open"
    WAITING = "waiting-on-customer"  # "Customer Information Requested"
    SOFTWARE_CHANGE = "software-change-required"
    RESOLVED = "resolved-pending-confirmation"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        """The words the support documents use (`Customer Information Requested`)."""
        return _LABELS[self]

    @property
    def token(self) -> str:
        """The one word the command line and JSON use: the stored value."""
        return self.value

    @property
    def short(self) -> str:
        """The queue column's few letters (also accepted as a status on the command line)."""
        return _SHORT[self]


_SHORT = {
    Status.NEW: "new",
    Status.OPEN: "open",
    Status.WAITING: "waiting",
    Status.SOFTWARE_CHANGE: "sw change",
    Status.RESOLVED: "resolved",
    Status.CLOSED: "closed",
}

_LABELS = {
    Status.NEW: "New",
    Status.OPEN: "Open",
    Status.WAITING: "Customer Information Requested",
    Status.SOFTWARE_CHANGE: "Software Change Required",
    Status.RESOLVED: "Resolved Pending Confirmation",
    Status.CLOSED: "Closed",
}

# Moving into one of these tells the customer something (a request for information,
# a known issue, a solution), which the support documents count as a first response.
RESPONDING_STATUSES = frozenset(
    {Status.WAITING, Status.SOFTWARE_CHANGE, Status.RESOLVED, Status.CLOSED}
)
FINISHED_STATUSES = frozenset({Status.RESOLVED, Status.CLOSED})


@dataclass(frozen=True)
class SeverityChanged:
    at: datetime
    severity: int


@dataclass(frozen=True)
class StatusChanged:
    at: datetime
    status: Status


@dataclass(frozen=True)
class RespondedToCustomer:
    """A public reply, a logged call or a request for information."""

    at: datetime


@dataclass(frozen=True)
class CustomerReplied:
    at: datetime


@dataclass(frozen=True)
class ScheduledFor:
    """The customer asked for the work at `due` (the `scheduled` target)."""

    at: datetime
    due: datetime


HistoryEvent = (
    SeverityChanged | StatusChanged | RespondedToCustomer | CustomerReplied | ScheduledFor
)


@dataclass(frozen=True)
class CaseHistory:
    received: datetime
    severity: int
    events: tuple[HistoryEvent, ...] = field(default=())
