"""Report indexes: a period's outcomes, unanswered cases and counted events from indexes

Revision ID: 0013_report_indexes
Revises: 0012_live_kinds

The report (deskterm.desk.reports) read each row of a period through an index on
its instant and then the row itself: for the cases, a wide row per case. Its
cost grew faster than the desk. These indexes hold everything the report counts
and groups on, so that a period is read from them alone:

- sla_outcomes and sla_clock_outcomes: the instant first, then what the report
  groups and counts (replacing the indexes on the instant alone);
- cases: the first-response state, then received_at, the due, policy, severity,
  organization and assignee: the period's cases not answered yet, a few, without
  their rows (the others are counted on ix_cases_received_at alone);
- events: a partial index of what the report counts (breaches, customer
  timeouts, the sweep's closures) by instant.

Built from the existing rows (one statement each; on a desk of some size a line
per index on standard error); on SQLite each gets its planner statistics at once.
"""

from __future__ import annotations

import sys

import sqlalchemy as sa
from alembic import op

revision = "0013_report_indexes"
down_revision = "0012_live_kinds"
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
        "ix_cases_first_response",
        "cases",
        [
            "first_response_state",
            "received_at",
            "policy",
            "severity",
            "organization_id",
            "assignee",
            "first_response_due",
            "id",
        ],
        None,
    ),
    ("ix_events_counted", "events", ["at", "kind", "case_id"], _COUNTED),
)
# As deskterm.desk.outcomes.progress_bar: below this many cases, no progress lines.
_SAYS_PROGRESS = 2000
_REPLACED = (
    ("ix_sla_outcomes_received_at", "sla_outcomes", ["received_at"]),
    ("ix_sla_clock_outcomes_settled_at", "sla_clock_outcomes", ["settled_at"]),
)


def upgrade() -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    # A line per index where building them takes a while; a new desk says nothing.
    cases = bind.execute(sa.text("SELECT count(*) FROM cases")).scalar_one()
    for number, (name, table, columns, where) in enumerate(_INDEXES, start=1):
        if cases >= _SAYS_PROGRESS:
            sys.stderr.write(
                f"building the report's indexes: {number} / {len(_INDEXES)} ({name})\n"
            )
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
