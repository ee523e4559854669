"""mail in and out: outbox, ingested Message-IDs, triage

Revision ID: 0002_mail
Revises: 0002_desk
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_mail"
down_revision = "0002_desk"
branch_labels = None
depends_on = None


_NOTIFY_OUTBOX = """
CREATE OR REPLACE FUNCTION deskterm_notify_outbox() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify(left('deskterm:' || TG_TABLE_SCHEMA, 63), 'outbox:' || NEW.value::text);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("to_address", sa.String(), nullable=True),
        sa.Column("subject", sa.String(), nullable=False),
        sa.Column("body", sa.String(), nullable=False),
        sa.Column("message_id", sa.String(), nullable=False),
        sa.Column("in_reply_to", sa.String(), nullable=True),
        sa.Column("references", sa.String(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("message_id"),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_outbox_event_id"), ["event_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_outbox_status"), ["status"], unique=False)

    op.create_table(
        "mail_triage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(), nullable=False),
        sa.Column("from_address", sa.String(), nullable=False),
        sa.Column("subject", sa.String(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("taken_by", sa.String(), nullable=True),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("id"),
    )

    op.create_table(
        "mail_ingested",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("triage_id", sa.Integer(), nullable=True),
        sa.Column("from_address", sa.String(), nullable=False),
        sa.Column("subject", sa.String(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.ForeignKeyConstraint(["triage_id"], ["mail_triage.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("message_id"),
    )
    with op.batch_alter_table("mail_ingested", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mail_ingested_case_id"), ["case_id"], unique=False)
    # Bumped whenever the sender records an outcome, which writes no case row: on
    # PostgreSQL a trigger announces it on the desk's channel (see 0002_desk), so
    # consoles hear that a mail was sent or failed (store/changes.py).
    op.execute("INSERT INTO counters (name, value) VALUES ('outbox_changes', 0)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_NOTIFY_OUTBOX)
        op.execute(
            "CREATE TRIGGER deskterm_outbox_changed AFTER UPDATE ON counters "
            "FOR EACH ROW WHEN (NEW.name = 'outbox_changes') "
            "EXECUTE FUNCTION deskterm_notify_outbox()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS deskterm_outbox_changed ON counters")
        op.execute("DROP FUNCTION IF EXISTS deskterm_notify_outbox()")
    op.execute("DELETE FROM counters WHERE name = 'outbox_changes'")
    with op.batch_alter_table("mail_ingested", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mail_ingested_case_id"))
    op.drop_table("mail_ingested")
    op.drop_table("mail_triage")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_status"))
        batch_op.drop_index(batch_op.f("ix_outbox_event_id"))
        batch_op.drop_index(batch_op.f("ix_outbox_case_id"))
    op.drop_table("outbox")
