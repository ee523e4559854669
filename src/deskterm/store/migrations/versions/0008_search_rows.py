"""full-text search, a row per text: each text indexed once, when it is written

Revision ID: 0008_search_rows
Revises: 0007_sla_clocks

The first index (0006_search, deskterm.store.search_index_v1) held one document
per case and re-indexed a case's whole text on every change: a write cost in
proportion to the case's history, and building it took 24 minutes at a million
cases. This drops it (keeping the words read from text attachments) and creates
the index of deskterm.store.search_index, with every existing row in its backlog:
`deskterm.store.search_index.build` fills it afterwards, a range of ids per
transaction, with progress, resuming where an interrupted build stopped.
"""

from __future__ import annotations

from alembic import op

from deskterm.store import search_index, search_index_v1

revision = "0008_search_rows"
down_revision = "0007_sla_clocks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    connection = op.get_bind()
    search_index_v1.drop(connection, keep_attachment_texts=True)
    search_index.create(connection)


def downgrade() -> None:
    connection = op.get_bind()
    search_index.drop(connection)
    # Every case in the old index's backlog: the next start builds it.
    search_index_v1.create(connection, keep_attachment_texts=True)
