"""desk figures that do not grow with the desk: counters kept by triggers, promise deadlines

Revision ID: 0005_desk_figures
Revises: 0002_board

`desk_counts` holds the number of cases per (status, severity, assignee); triggers
on `cases` keep it in the same transaction as every insert, delete and change of
those columns, so the header's and the board's standing counts read a few rows.
`cases.promise_due` is the soonest due of support's live promises (first
response, update), indexed over open cases: breached and due-within counts are
index range counts. `sla_outcomes` holds each settled first response as the
reports count it (deskterm.desk.outcomes). All three are filled here for an
existing desk (the outcomes with a progress bar: every answered case is replayed
once).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_desk_figures"
down_revision = "0004_chain"
branch_labels = None
depends_on = None

_OPEN = sa.text("status != 'closed'")
_ESCALATED = sa.text("escalation != 'support-engineer'")

_SQLITE_TRIGGERS = (
    """
    CREATE TRIGGER cases_count_insert AFTER INSERT ON cases BEGIN
        INSERT INTO desk_counts (status, severity, assignee, cases)
        VALUES (NEW.status, NEW.severity, coalesce(NEW.assignee, ''), 1)
        ON CONFLICT (status, severity, assignee) DO UPDATE SET cases = cases + 1;
    END
    """,
    """
    CREATE TRIGGER cases_count_update AFTER UPDATE OF status, severity, assignee ON cases
    WHEN OLD.status IS NOT NEW.status OR OLD.severity IS NOT NEW.severity
        OR OLD.assignee IS NOT NEW.assignee
    BEGIN
        UPDATE desk_counts SET cases = cases - 1
        WHERE status = OLD.status AND severity = OLD.severity
            AND assignee = coalesce(OLD.assignee, '');
        INSERT INTO desk_counts (status, severity, assignee, cases)
        VALUES (NEW.status, NEW.severity, coalesce(NEW.assignee, ''), 1)
        ON CONFLICT (status, severity, assignee) DO UPDATE SET cases = cases + 1;
    END
    """,
    """
    CREATE TRIGGER cases_count_delete AFTER DELETE ON cases BEGIN
        UPDATE desk_counts SET cases = cases - 1
        WHERE status = OLD.status AND severity = OLD.severity
            AND assignee = coalesce(OLD.assignee, '');
    END
    """,
)

# PostgreSQL: one function. An update touches two rows of desk_counts; it always
# touches them in key order, so two changes crossing each other (Sev 1 -> 2 and
# 2 -> 1) wait for one another instead of deadlocking.
_PG_FUNCTION = """
CREATE FUNCTION deskterm_count_cases() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_first boolean := false;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        old_first := ROW(OLD.status, OLD.severity, coalesce(OLD.assignee, ''))
            < ROW(NEW.status, NEW.severity, coalesce(NEW.assignee, ''));
    END IF;
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND old_first) THEN
        UPDATE desk_counts SET cases = cases - 1
        WHERE status = OLD.status AND severity = OLD.severity
            AND assignee = coalesce(OLD.assignee, '');
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO desk_counts (status, severity, assignee, cases)
        VALUES (NEW.status, NEW.severity, coalesce(NEW.assignee, ''), 1)
        ON CONFLICT (status, severity, assignee)
        DO UPDATE SET cases = desk_counts.cases + 1;
    END IF;
    IF TG_OP = 'UPDATE' AND NOT old_first THEN
        UPDATE desk_counts SET cases = cases - 1
        WHERE status = OLD.status AND severity = OLD.severity
            AND assignee = coalesce(OLD.assignee, '');
    END IF;
    RETURN NULL;
END
$$
"""
_PG_TRIGGERS = (
    "CREATE TRIGGER cases_count_rows AFTER INSERT OR DELETE ON cases "
    "FOR EACH ROW EXECUTE FUNCTION deskterm_count_cases()",
    "CREATE TRIGGER cases_count_update AFTER UPDATE OF status, severity, assignee ON cases "
    "FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status "
    "OR OLD.severity IS DISTINCT FROM NEW.severity "
    "OR OLD.assignee IS DISTINCT FROM NEW.assignee) "
    "EXECUTE FUNCTION deskterm_count_cases()",
)

# The soonest running support promise; the same rule as deadlines.store_clocks.
FILL_PROMISE_DUE = """
UPDATE cases SET promise_due = CASE
    WHEN first_response_state = 'running' AND first_response_due IS NOT NULL
        AND NOT (update_state = 'running' AND update_due IS NOT NULL
                 AND update_due < first_response_due)
        THEN first_response_due
    WHEN update_state = 'running' AND update_due IS NOT NULL THEN update_due
    END
WHERE first_response_state = 'running' OR update_state = 'running'
"""

RECOUNT = """
INSERT INTO desk_counts (status, severity, assignee, cases)
SELECT status, severity, coalesce(assignee, ''), count(*) FROM cases
GROUP BY status, severity, coalesce(assignee, '')
"""


def create_triggers(dialect: str) -> None:
    if dialect == "postgresql":
        op.execute(_PG_FUNCTION)
        for statement in _PG_TRIGGERS:
            op.execute(statement)
    else:
        for statement in _SQLITE_TRIGGERS:
            op.execute(statement)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table(
        "desk_counts",
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("severity", sa.Integer(), nullable=False),
        sa.Column("assignee", sa.String(), nullable=False),
        sa.Column("cases", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("status", "severity", "assignee"),
    )
    op.add_column("cases", sa.Column("promise_due", sa.DateTime(timezone=True), nullable=True))
    op.execute(FILL_PROMISE_DUE)
    op.create_index(
        "ix_cases_promise",
        "cases",
        ["promise_due", "assignee"],
        unique=False,
        sqlite_where=_OPEN,
        postgresql_where=_OPEN,
    )
    op.create_index(
        "ix_cases_escalated",
        "cases",
        ["status"],
        unique=False,
        sqlite_where=_ESCALATED,
        postgresql_where=_ESCALATED,
    )
    op.execute(RECOUNT)
    create_triggers(dialect)
    op.create_table(
        "sla_outcomes",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("clock", sa.String(), nullable=False),
        sa.Column("policy", sa.String(), nullable=False),
        sa.Column("severity", sa.Integer(), nullable=False),
        sa.Column("engineer", sa.String(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due", sa.DateTime(timezone=True), nullable=True),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("business_us", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("case_id", "clock"),
    )
    op.create_index("ix_sla_outcomes_received_at", "sla_outcomes", ["received_at"], unique=False)
    fill_outcomes()


def fill_outcomes() -> None:
    from deskterm import clock, settings
    from deskterm.desk import outcomes
    from deskterm.sla.catalog import PolicyCatalog

    outcomes.fill(
        op.get_bind(),
        outcomes.known_policies(PolicyCatalog(settings.policy_dirs())),
        clock.now(),
        outcomes.progress_bar("storing SLA outcomes"),
    )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.drop_index("ix_sla_outcomes_received_at", table_name="sla_outcomes")
    op.drop_table("sla_outcomes")
    if dialect == "postgresql":
        for trigger in ("cases_count_rows", "cases_count_update"):
            op.execute(f"DROP TRIGGER {trigger} ON cases")
        op.execute("DROP FUNCTION deskterm_count_cases()")
    else:
        for trigger in ("cases_count_insert", "cases_count_update", "cases_count_delete"):
            op.execute(f"DROP TRIGGER {trigger}")
    op.drop_index("ix_cases_escalated", table_name="cases")
    op.drop_index("ix_cases_promise", table_name="cases")
    op.drop_column("cases", "promise_due")
    op.drop_table("desk_counts")
