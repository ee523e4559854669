"""cases: the resolution and next-response clocks' stored state and due

Revision ID: 0007_sla_clocks
Revises: 0002_board

Two optional clocks (issue 22): received to resolved, and each customer message
to the next response. Stored beside the other clocks so the queue and the
breach board read them without replaying events; existing cases have neither.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_sla_clocks"
down_revision = "0006_search"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        for clock in ("resolution", "next_response"):
            batch.add_column(
                sa.Column(
                    f"{clock}_state",
                    sa.String(),
                    nullable=False,
                    server_default="not-applicable",
                )
            )
            batch.add_column(sa.Column(f"{clock}_due", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        for clock in ("next_response", "resolution"):
            batch.drop_column(f"{clock}_due")
            batch.drop_column(f"{clock}_state")
