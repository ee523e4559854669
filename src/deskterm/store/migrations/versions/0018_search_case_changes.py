"""PostgreSQL search index: a case changed during a build keeps its new words

Revision ID: 0018_search_case_changes
Revises: 0017_queue_tokens

A case changed while a build was indexing its range of cases was left to the build
by the triggers (the case still in the backlog), and the build, which had read the
case before the change, recorded the range done: the index kept the old words until
a reindex. The functions of deskterm.store.search_index.pg_case_functions write the
case's row on every change to the case, whatever the backlog says. SQLite writes
one transaction at a time: a build's range and a change cannot overlap there.

Downgrade keeps them: they serve 0017's tables as they are.
"""

from __future__ import annotations

from alembic import op

from deskterm.store import search_index

revision = "0018_search_case_changes"
down_revision = "0017_queue_tokens"
branch_labels = None
depends_on = None


def upgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        for statement in search_index.pg_case_functions():
            connection.exec_driver_sql(statement)


def downgrade() -> None:
    pass
