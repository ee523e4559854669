"""events refuse TRUNCATE too (PostgreSQL)

Revision ID: 0002_hardening
Revises: 0002_mail

0001's row triggers stop UPDATE and DELETE on events, but PostgreSQL's TRUNCATE
(of events, or of cases with CASCADE) removes rows without firing row triggers: a
statement trigger closes that door. SQLite has no TRUNCATE (its DELETE without
WHERE runs the row triggers), so there is nothing to do there.
"""

from __future__ import annotations

from alembic import op

revision = "0002_hardening"
down_revision = "0002_mail"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # 0001's function raises 'events are append-only' whatever fired it.
    op.execute(
        "CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events "
        "FOR EACH STATEMENT EXECUTE FUNCTION deskterm_events_append_only()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER events_no_truncate ON events")
