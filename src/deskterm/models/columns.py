"""The tables as plain SQLAlchemy Core sees them, for readers that must start fast.

The console's queue reads a window of `cases` joined to `organizations` and nothing
else. Importing the SQLModel classes costs the ORM and pydantic, a third of the
console's start-up; these light table clauses name the same columns with the same
column types (instants come back aware UTC, text exactly as stored) and import
only SQLAlchemy Core. tests/desk/test_schema.py keeps them in step with the models.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Integer, String
from sqlalchemy.sql import column, table

from deskterm.models.types import ExactText, UTCDateTime

# The queue's sort key for a case with no running clock: after every deadline.
# SQLite sorts NULL first and PostgreSQL last, and neither can walk an index in
# "NULLs last" order, so the key is never NULL.
END_OF_TIME = datetime(9999, 12, 31, tzinfo=UTC)

_CLOCKS = (
    "first_response",
    "customer_response",
    "update",
    "auto_close",
    "resolution",
    "next_response",
)

cases = table(
    "cases",
    column("id", Integer),
    column("number", Integer),
    column("version", Integer),
    column("severity", Integer),
    column("policy", String),
    column("organization_id", Integer),
    column("subject", ExactText),
    column("status", String),
    column("assignee", ExactText),
    column("next_due", UTCDateTime),
    column("queue_due", UTCDateTime),
    column("promise_due", UTCDateTime),
    column("updated_at", UTCDateTime),
    *(
        clock_column
        for clock in _CLOCKS
        for clock_column in (
            column(f"{clock}_state", String),
            column(f"{clock}_due", UTCDateTime),
        )
    ),
)

organizations = table(
    "organizations",
    column("id", Integer),
    column("name", ExactText),
)

# Cases per (status, severity, assignee), kept by triggers on `cases` in the same
# transaction as every change (migration 0005_desk_figures; deskterm.desk.counts).
desk_counts = table(
    "desk_counts",
    column("status", String),
    column("severity", Integer),
    column("assignee", ExactText),  # "" for nobody
    column("cases", Integer),
)
