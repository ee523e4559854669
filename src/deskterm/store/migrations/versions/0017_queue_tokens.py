"""The queue's status and unassigned tokens in deadline order: an index each

Revision ID: 0017_queue_tokens
Revises: 0016_live_cost

A search matching many cases (more than deskterm.desk.search.FEW) is tested row by
row as the queue walks its deadline order (ix_cases_queue). With a filter token
that most open cases fail, the walk read every open case of the other statuses, or
every assigned one, before it had a screenful: on the 1M PostgreSQL demo desk,
"quorum status:open" (7,012 matching cases) read 70,275 rows for 50, in 259 ms, and
"quorum @unassigned" 25,789 in 104 ms. Walking the open cases of one status, or the
open unassigned cases, in deadline order, the same keystrokes took 18.5 ms each.

Built from the existing rows (a line on standard error on a desk of some size); on
SQLite each gets its planner statistics at once.
"""

from __future__ import annotations

import sys

import sqlalchemy as sa
from alembic import op

revision = "0017_queue_tokens"
down_revision = "0016_live_cost"
branch_labels = None
depends_on = None

_OPEN = "status != 'closed'"
_INDEXES = (
    ("ix_cases_status_queue", ["status", "queue_due", "number"], _OPEN),
    ("ix_cases_unassigned_queue", ["queue_due", "number"], f"assignee IS NULL AND {_OPEN}"),
)
# As 0013_report_indexes: below this many cases, no progress line.
_SAYS_PROGRESS = 2000


def upgrade() -> None:
    bind = op.get_bind()
    cases = bind.execute(sa.text("SELECT count(*) FROM cases")).scalar_one()
    for number, (name, columns, where) in enumerate(_INDEXES, start=1):
        if cases >= _SAYS_PROGRESS:
            sys.stderr.write(f"building the queue's indexes: {number} / {len(_INDEXES)} ({name})\n")
            sys.stderr.flush()
        op.create_index(
            name,
            "cases",
            columns,
            unique=False,
            sqlite_where=sa.text(where),
            postgresql_where=sa.text(where),
        )
        if bind.dialect.name == "sqlite":
            op.execute(f"ANALYZE {name}")


def downgrade() -> None:
    for name, _, _ in reversed(_INDEXES):
        op.drop_index(name, table_name="cases")
