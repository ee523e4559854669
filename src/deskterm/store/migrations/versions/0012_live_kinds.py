"""live updates on PostgreSQL: each case's notification names the kinds of events written

Revision ID: 0012_live_kinds
Revises: 0011_paused_clocks

The notification of a case written (migration 0002_desk) said `<number>:<version>`
only, so a console on PostgreSQL could not tell a note from a reassignment and
counted the desk again on every change; on SQLite the feed reads the events
themselves (deskterm.store.changes). Now a change that made a new version says
`<number>:<version>:<kind>,<kind>...`, the kinds of the events written at that
version. The trigger is deferred to the commit, when the change's events are all
written, whatever order the change wrote its rows in. A new case, or a case row
written without a new version, keeps `<number>:<version>`: kinds not told, so the
screens read everything again.
"""

from __future__ import annotations

from alembic import op

revision = "0012_live_kinds"
down_revision = "0011_paused_clocks"
branch_labels = None
depends_on = None

# The channel: see deskterm.store.changes.CHANNEL_SQL, which computes the same name.
_FUNCTION = """
CREATE OR REPLACE FUNCTION deskterm_notify_case() RETURNS trigger AS $$
DECLARE
    kinds text := NULL;
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.version IS DISTINCT FROM OLD.version THEN
        SELECT string_agg(DISTINCT kind, ',') INTO kinds
        FROM events WHERE case_id = NEW.id AND version = NEW.version;
    END IF;
    PERFORM pg_notify(left('deskterm:' || TG_TABLE_SCHEMA, 63),
                      NEW.number::text || ':' || NEW.version::text
                      || coalesce(':' || kinds, ''));
    RETURN NULL;
END;
$$ LANGUAGE plpgsql
"""

# As migration 0002_desk left them.
_OLD_FUNCTION = """
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
    op.execute("DROP TRIGGER IF EXISTS deskterm_case_changed ON cases")
    op.execute(
        "CREATE CONSTRAINT TRIGGER deskterm_case_changed AFTER INSERT OR UPDATE ON cases "
        "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION deskterm_notify_case()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS deskterm_case_changed ON cases")
    op.execute(_OLD_FUNCTION)
    op.execute(
        "CREATE TRIGGER deskterm_case_changed AFTER INSERT OR UPDATE ON cases "
        "FOR EACH ROW EXECUTE FUNCTION deskterm_notify_case()"
    )
