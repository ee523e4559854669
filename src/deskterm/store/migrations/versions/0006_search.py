"""full-text search: an index of every case's words, kept in step by triggers

Revision ID: 0006_search
Revises: 0002_board

See deskterm.store.search_index_v1 for what the index holds and how each database
keeps it. The migration only creates it and puts every existing case in its
backlog: the build of its day filled it afterwards, a batch per
transaction, with progress, resuming where an interrupted build stopped.
"""

from __future__ import annotations

from alembic import op

from deskterm.store import search_index_v1 as search_index

revision = "0006_search"
down_revision = "0005_desk_figures"
branch_labels = None
depends_on = None


def upgrade() -> None:
    search_index.create(op.get_bind())


def downgrade() -> None:
    search_index.drop(op.get_bind())
