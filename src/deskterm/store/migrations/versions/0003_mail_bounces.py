"""contacts: the last permanent delivery failure of mail to their address

Revision ID: 0003_mail_bounces
Revises: 0002_board

A bounce ("5.1.1 user unknown") is flagged on the contact, so the engineer on the
case phones instead of mailing again into nowhere.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_mail_bounces"
down_revision = "0002_board"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mail_bounce", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_column("mail_bounce")
