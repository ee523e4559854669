"""promise counts per engineer and hour: breached is a sum of a thousand rows, not a range count

Revision ID: 0016_live_cost
Revises: 0015_report_1m

What is breached at an instant (open cases with a support promise due before it)
was an index range count over every breached case: at a million cases some
190,000 of them, 12 ms on each change that can move a deadline, in every console
and board open. `promise_counts` holds the open cases per (engineer, UTC hour their
`promise_due` falls in); triggers on `cases` keep it in the change's transaction,
as `desk_counts` (0005_desk_figures). Breached at `now` is then the sum of the
hours before now's own plus a range count within that hour
(deskterm.desk.counts.breached), per engineer alike (the board's late column).
Filled here from a grouped count of the open cases.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_live_cost"
down_revision = "0015_report_1m"
branch_labels = None
depends_on = None

# SQLite stores instants as naive UTC text ('2026-11-20 15:07:16.000000', the
# UTCDateTime type): its hour is the first 13 characters.
_SQLITE_HOUR = "substr({row}.promise_due, 1, 13) || ':00:00.000000'"
_SQLITE_IN = "{row}.status != 'closed' AND {row}.promise_due IS NOT NULL"


def _sqlite(template: str, row: str) -> str:
    return template.format(row=row)


_SQLITE_ADD = """
    INSERT INTO promise_counts (assignee, hour, cases)
    SELECT coalesce(NEW.assignee, ''), {hour}, 1 WHERE {member}
    ON CONFLICT (assignee, hour) DO UPDATE SET cases = cases + 1;
""".format(hour=_sqlite(_SQLITE_HOUR, "NEW"), member=_sqlite(_SQLITE_IN, "NEW"))
# An hour whose count falls to zero goes: the sums read only hours that hold a promise.
_SQLITE_TAKE = """
    UPDATE promise_counts SET cases = cases - 1
    WHERE {member} AND assignee = coalesce(OLD.assignee, '') AND hour = {hour};
    DELETE FROM promise_counts
    WHERE cases = 0 AND assignee = coalesce(OLD.assignee, '') AND hour = {hour};
""".format(hour=_sqlite(_SQLITE_HOUR, "OLD"), member=_sqlite(_SQLITE_IN, "OLD"))

SQLITE_TRIGGERS = (
    f"""
    CREATE TRIGGER cases_promise_insert AFTER INSERT ON cases
    WHEN {_sqlite(_SQLITE_IN, "NEW")}
    BEGIN {_SQLITE_ADD} END
    """,
    f"""
    CREATE TRIGGER cases_promise_update AFTER UPDATE OF status, assignee, promise_due ON cases
    WHEN OLD.status IS NOT NEW.status OR OLD.assignee IS NOT NEW.assignee
        OR OLD.promise_due IS NOT NEW.promise_due
    BEGIN {_SQLITE_TAKE} {_SQLITE_ADD} END
    """,
    f"""
    CREATE TRIGGER cases_promise_delete AFTER DELETE ON cases
    WHEN {_sqlite(_SQLITE_IN, "OLD")}
    BEGIN {_SQLITE_TAKE} END
    """,
)

# PostgreSQL: the hour in UTC whatever the session's zone (a zone half an hour off
# UTC would otherwise cut the hours where the readers do not). An update that moves a
# case between two rows touches them in key order, so two changes crossing each other
# wait for one another instead of deadlocking (as deskterm_count_cases).
_PG_FUNCTION = """
CREATE FUNCTION deskterm_count_promises() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_in boolean := false;
    new_in boolean := false;
    old_assignee text;
    new_assignee text;
    old_hour timestamptz;
    new_hour timestamptz;
    old_first boolean := true;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        old_in := OLD.status <> 'closed' AND OLD.promise_due IS NOT NULL;
        old_assignee := coalesce(OLD.assignee, '');
        old_hour := date_trunc('hour', OLD.promise_due AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        new_in := NEW.status <> 'closed' AND NEW.promise_due IS NOT NULL;
        new_assignee := coalesce(NEW.assignee, '');
        new_hour := date_trunc('hour', NEW.promise_due AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
    END IF;
    IF old_in AND new_in THEN
        IF old_assignee = new_assignee AND old_hour = new_hour THEN
            RETURN NULL;
        END IF;
        old_first := ROW(old_assignee, old_hour) < ROW(new_assignee, new_hour);
    END IF;
    IF old_in AND old_first THEN
        UPDATE promise_counts SET cases = cases - 1
        WHERE assignee = old_assignee AND hour = old_hour;
        DELETE FROM promise_counts
        WHERE assignee = old_assignee AND hour = old_hour AND cases = 0;
    END IF;
    IF new_in THEN
        INSERT INTO promise_counts (assignee, hour, cases)
        VALUES (new_assignee, new_hour, 1)
        ON CONFLICT (assignee, hour) DO UPDATE SET cases = promise_counts.cases + 1;
    END IF;
    IF old_in AND NOT old_first THEN
        UPDATE promise_counts SET cases = cases - 1
        WHERE assignee = old_assignee AND hour = old_hour;
        DELETE FROM promise_counts
        WHERE assignee = old_assignee AND hour = old_hour AND cases = 0;
    END IF;
    RETURN NULL;
END
$$
"""
PG_TRIGGERS = (
    "CREATE TRIGGER cases_promise_rows AFTER INSERT OR DELETE ON cases "
    "FOR EACH ROW EXECUTE FUNCTION deskterm_count_promises()",
    "CREATE TRIGGER cases_promise_update AFTER UPDATE OF status, assignee, promise_due "
    "ON cases FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status "
    "OR OLD.assignee IS DISTINCT FROM NEW.assignee "
    "OR OLD.promise_due IS DISTINCT FROM NEW.promise_due) "
    "EXECUTE FUNCTION deskterm_count_promises()",
)


def upgrade() -> None:
    from deskterm.desk import counts

    bind = op.get_bind()
    op.create_table(
        "promise_counts",
        sa.Column("assignee", sa.String(), nullable=False),
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cases", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("assignee", "hour"),
    )
    op.execute(counts.promise_recount_sql(bind.dialect.name))
    if bind.dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        for statement in PG_TRIGGERS:
            op.execute(statement)
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for trigger in ("cases_promise_rows", "cases_promise_update"):
            op.execute(f"DROP TRIGGER {trigger} ON cases")
        op.execute("DROP FUNCTION deskterm_count_promises()")
    else:
        for trigger in ("cases_promise_insert", "cases_promise_update", "cases_promise_delete"):
            op.execute(f"DROP TRIGGER {trigger}")
    op.drop_table("promise_counts")
