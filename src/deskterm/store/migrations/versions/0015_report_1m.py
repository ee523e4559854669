"""first-response states between changes: a report reads a past instant, not a replay

Revision ID: 0015_report_1m
Revises: 0014_live_1m

A report whose period ended before a case's later changes replayed that case's
events to know its first-response clock at the period's end (at a million cases,
tens of thousands of cases for a month). `sla_first_response_states` keeps, for
each change that altered an unanswered case's stored first-response columns, the
columns as they were before it (deskterm.desk.first_response_states): a trigger on
`cases` writes them from now on, in the change's transaction; here every existing
case's rows are found from its events, with a progress bar (each case replayed
once). The index of the report's open cases gains `created_at`.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_report_1m"
down_revision = "0014_live_1m"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from deskterm import settings
    from deskterm.desk import first_response_states, outcomes
    from deskterm.desk.policy_versions import Versions

    op.create_table(
        "sla_first_response_states",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("policy", sa.String(), nullable=False),
        sa.Column("policy_version", sa.Integer(), nullable=True),
        sa.Column("severity", sa.Integer(), nullable=False),
        sa.Column("assignee", sa.String(), nullable=True),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("due", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("case_id", "until"),
    )
    bind = op.get_bind()
    versions = Versions.of_desk(bind, settings.policy_catalog())
    first_response_states.fill(
        bind,
        versions.for_case,
        progress=outcomes.progress_bar("storing first-response states"),
    )
    first_response_states.create_trigger(bind)
    # The report's open cases of a period now ask whether each was opened after the
    # period's end (then replayed): from the index alone, as the rest.
    op.drop_index("ix_cases_first_response", table_name="cases")
    op.create_index("ix_cases_first_response", "cases", [*_FIRST_RESPONSE, "created_at"])
    if bind.dialect.name == "sqlite":
        op.execute("ANALYZE ix_cases_first_response")


_FIRST_RESPONSE = [
    "first_response_state",
    "received_at",
    "policy",
    "severity",
    "organization_id",
    "assignee",
    "first_response_due",
    "id",
]


def downgrade() -> None:
    from deskterm.desk import first_response_states

    op.drop_index("ix_cases_first_response", table_name="cases")
    op.create_index("ix_cases_first_response", "cases", _FIRST_RESPONSE)

    first_response_states.drop_trigger(op.get_bind())
    op.drop_table("sla_first_response_states")
