"""Report indexes: a period's outcomes, unanswered cases and counted events from indexes

Revision ID: 0011_report_indexes
Revises: 0010_policy_versions

The report (deskterm.desk.reports) read each row of a period through an index on
its instant and then the row itself: for the cases, a wide row per case. Its
cost grew faster than the desk. These indexes hold everything the report counts
and groups on, so that a period is read from them alone:

- sla_outcomes and sla_clock_outcomes: the instant first, then what the report
  groups and counts (replacing the indexes on the instant alone);
- cases: received_at, then the first-response state and due, policy, severity,
  organization and assignee (replacing the index on received_at alone: the
  handoff's "came in" reads the same prefix);
- events: a partial index of what the report counts (breaches, customer
  timeouts, the sweep's closures) by instant.

Built from the existing rows (one statement each; a line per index on standard
error); on SQLite each gets its planner statistics at once.
"""

from __future__ import annotations

import sys

import sqlalchemy as sa
from alembic import op

revision = "0011_report_indexes"
down_revision = "0010_policy_versions"
branch_labels = None
depends_on = None

_COUNTED = (
    "kind IN ('breach', 'customer-timeout')"
    " OR (coalesce(kind, '') = 'status' AND new_value = 'closed' AND actor = 'deskterm')"
)
_INDEXES: tuple[tuple[str, str, list[str], str | None], ...] = (
    (
        "ix_sla_outcomes_period",
        "sla_outcomes",
        [
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
        ],
        None,
    ),
    (
        "ix_sla_clock_outcomes_period",
        "sla_clock_outcomes",
        ["settled_at", "clock", "state", "policy", "severity", "organization_id", "engineer"],
        None,
    ),
    (
        "ix_cases_received_clock",
        "cases",
        [
            "received_at",
            "first_response_state",
            "policy",
            "severity",
            "organization_id",
            "assignee",
            "first_response_due",
        ],
        None,
    ),
    ("ix_events_counted", "events", ["at", "kind", "case_id"], _COUNTED),
)
_REPLACED = (
    ("ix_sla_outcomes_received_at", "sla_outcomes", ["received_at"]),
    ("ix_sla_clock_outcomes_settled_at", "sla_clock_outcomes", ["settled_at"]),
    ("ix_cases_received_at", "cases", ["received_at"]),
)


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for number, (name, table, columns, where) in enumerate(_INDEXES, start=1):
        sys.stderr.write(f"building the report's indexes: {number} / {len(_INDEXES)} ({name})\n")
        sys.stderr.flush()
        condition = None if where is None else sa.text(where)
        op.create_index(
            name,
            table,
            columns,
            unique=False,
            sqlite_where=condition,
            postgresql_where=condition,
        )
        if sqlite:
            op.execute(f"ANALYZE {name}")
    for name, table, _ in _REPLACED:
        op.drop_index(name, table_name=table)


def downgrade() -> None:
    for name, table, columns in _REPLACED:
        op.create_index(name, table, columns, unique=False)
    for name, table, _, _ in reversed(_INDEXES):
        op.drop_index(name, table_name=table)
