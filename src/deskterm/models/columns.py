"""The tables as plain SQLAlchemy Core sees them, for readers that must start fast.

The console's queue reads a window of `cases` joined to `organizations`; the command
line's `case show` and `case list` read a case, its events, contact and attachments. Importing the SQLModel classes costs the ORM and pydantic, a third of the
console's start-up; these light table clauses name the same columns with the same
column types (instants come back aware UTC, text exactly as stored) and import
only SQLAlchemy Core. tests/desk/test_schema.py keeps them in step with the models.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Boolean, Date, Integer, String
from sqlalchemy.sql import column, table

from deskterm.models.types import ExactText, UTCDateTime

# The queue's sort key for a case with no running clock: after every deadline.
# SQLite sorts NULL first and PostgreSQL last, and neither can walk an index in
# "NULLs last" order, so the key is never NULL.
END_OF_TIME = datetime(9999, 12, 31, tzinfo=UTC)

# The intake fields a case records (docs/domain.md, "Intake"), in the order asked.
INTAKE_FIELDS = (
    "inquirer",
    "product",
    "product_version",
    "error_messages",
    "steps_to_reproduce",
    "actions_before",
    "changes_made",
    "persisted_for",
    "operating_system",
    "server_roles",
)

CLOCKS = (
    "first_response",
    "customer_response",
    "update",
    "auto_close",
    "resolution",
    "next_response",
)
# What deadlines.store_clocks writes on a case: each clock's state and due, then the
# instants derived from them (the demo's replay, policy apply and import compare them).
STORED_CLOCK_FIELDS = (
    *(f"{clock}_{part}" for clock in CLOCKS for part in ("state", "due")),
    "next_due",
    "queue_due",
    "promise_due",
    "sweep_at",
)

cases = table(
    "cases",
    column("id", Integer),
    column("number", Integer),
    column("version", Integer),
    column("severity", Integer),
    column("policy", String),
    column("policy_version", Integer),
    column("organization_id", Integer),
    column("subject", ExactText),
    column("status", String),
    column("assignee", ExactText),
    column("next_due", UTCDateTime),
    column("queue_due", UTCDateTime),
    column("promise_due", UTCDateTime),
    column("updated_at", UTCDateTime),
    column("description", ExactText),
    column("contact_id", Integer),
    column("escalation", String),
    column("received_at", UTCDateTime),
    column("scheduled_for", UTCDateTime),
    column("split_from_id", Integer),
    *(column(name, ExactText) for name in INTAKE_FIELDS),
    *(
        clock_column
        for clock in CLOCKS
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
    column("contract_until", Date),
)

contacts = table(
    "contacts",
    column("id", Integer),
    column("name", ExactText),
    column("email", ExactText),
    column("phone", ExactText),
    column("is_admin", Boolean),
    column("mail_bounce", ExactText),
)

events = table(
    "events",
    column("id", Integer),
    column("case_id", Integer),
    column("version", Integer),
    column("at", UTCDateTime),
    column("actor", ExactText),
    column("kind", String),
    column("field", String),
    column("old_value", ExactText),
    column("new_value", ExactText),
    column("text", ExactText),
)

attachments = table(
    "attachments",
    column("id", Integer),
    column("case_id", Integer),
    column("name", ExactText),
    column("size", Integer),
    column("sha256", String),
    column("added_by", ExactText),
    column("added_at", UTCDateTime),
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

# Open cases per (engineer, UTC hour their support promise falls due in), kept by
# triggers on `cases` (migration 0016_live_cost; deskterm.desk.counts.breached).
promise_counts = table(
    "promise_counts",
    column("assignee", ExactText),  # "" for nobody
    column("hour", UTCDateTime),
    column("cases", Integer),
)
