"""sla_clock_outcomes: each run of the update, resolution and next-response clocks

Revision ID: 0009_outcomes_clocks
Revises: 0008_search_rows

The report reads how these clocks ended instead of replaying every case
(deskterm.desk.clock_outcomes says when a run settles). Filled here for an
existing desk from its cases' events, with a progress bar: the cases under a
policy that has one of these clocks are replayed once. Also a partial index of the
status events that resolve or close a case: the handoff counts a shift's from it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_outcomes_clocks"
down_revision = "0008_search_rows"
branch_labels = None
depends_on = None

_FINISHED = "new_value IN ('resolved-pending-confirmation', 'closed')"


def upgrade() -> None:
    op.create_table(
        "sla_clock_outcomes",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("clock", sa.String(), nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("due", sa.DateTime(timezone=True), nullable=True),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("policy", sa.String(), nullable=False),
        sa.Column("severity", sa.Integer(), nullable=False),
        sa.Column("engineer", sa.String(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("business_us", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("case_id", "clock", "settled_at"),
    )
    op.create_index(
        "ix_sla_clock_outcomes_settled_at", "sla_clock_outcomes", ["settled_at"], unique=False
    )
    fill()
    # The handoff counts the cases finished in a shift from this index alone.
    op.create_index(
        "ix_events_finished",
        "events",
        ["kind", "at", "case_id"],
        unique=False,
        sqlite_where=sa.text(_FINISHED),
        postgresql_where=sa.text(_FINISHED),
    )


def fill() -> None:
    from deskterm import clock, settings
    from deskterm.desk import clock_outcomes, outcomes
    from deskterm.sla.catalog import PolicyCatalog

    clock_outcomes.fill(
        op.get_bind(),
        outcomes.known_policies(PolicyCatalog(settings.policy_dirs())),
        clock.now(),
        outcomes.progress_bar("storing update, resolution and next-response outcomes"),
    )


def downgrade() -> None:
    op.drop_index("ix_events_finished", table_name="events")
    op.drop_index("ix_sla_clock_outcomes_settled_at", table_name="sla_clock_outcomes")
    op.drop_table("sla_clock_outcomes")
