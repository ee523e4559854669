"""PostgreSQL search index: a case's rows found by their range of keys

Revision ID: 0018_search_case_keys
Revises: 0017_queue_tokens

A row of search_text has the key case id * 2^32 + ... (deskterm.store.search_index):
a case's rows are one range of the primary key, which is how a term asked of each
case finds them (deskterm.desk.search, as SQLite does with its rowids). The index of
their case ids, made by 0008 for that, served nothing else: every text written kept
it up (8.7 million entries on the 1M demo desk), and a reindex rebuilt it. Dropped.
SQLite has no such index.
"""

from __future__ import annotations

from alembic import op

revision = "0018_search_case_keys"
down_revision = "0017_queue_tokens"
branch_labels = None
depends_on = None

_INDEX = "ix_search_text_case_id"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP INDEX IF EXISTS {_INDEX}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"CREATE INDEX IF NOT EXISTS {_INDEX} ON search_text (case_id)")
