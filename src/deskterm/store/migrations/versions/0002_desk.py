"""live updates on PostgreSQL: NOTIFY on every case written

Revision ID: 0002_desk
Revises: 0001

Every change bumps the case's row (its version, its clocks), so a trigger on
`cases` announces each committed change on a channel named after the table's
schema: desks in different schemas of one database do not hear each other.
The payload is `<case number>:<version>`. SQLite needs nothing: its watcher asks
`PRAGMA data_version`.
"""

from __future__ import annotations

from alembic import op

revision = "0002_desk"
down_revision = "0001"
branch_labels = None
depends_on = None

# The channel: see deskterm.store.changes.channel_sql, which computes the same name.
_FUNCTION = """
CREATE OR REPLACE FUNCTION deskterm_notify_case() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify(left('deskterm:' || TG_TABLE_SCHEMA, 63),
                      NEW.number::text || ':' || NEW.version::text);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(_FUNCTION)
    op.execute(
        "CREATE TRIGGER deskterm_case_changed AFTER INSERT OR UPDATE ON cases "
        "FOR EACH ROW EXECUTE FUNCTION deskterm_notify_case()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS deskterm_case_changed ON cases")
    op.execute("DROP FUNCTION IF EXISTS deskterm_notify_case()")
