"""events by kind and instant, cases by intake instant: the handoff and SLA reports

Revision ID: 0002_board
Revises: 0002_hardening

The handoff and the reports read a period's breaches, status changes and
timeouts, and the cases received in it; without these indexes each is a scan of
every event ever written.
"""

from __future__ import annotations

from alembic import op

revision = "0002_board"
down_revision = "0002_hardening"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_events_kind_at", "events", ["kind", "at"], unique=False)
    op.create_index("ix_cases_received_at", "cases", ["received_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_cases_received_at", table_name="cases")
    op.drop_index("ix_events_kind_at", table_name="events")
