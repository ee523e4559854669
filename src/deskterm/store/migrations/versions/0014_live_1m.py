"""The board's per-engineer figures from an index: open cases by engineer, then deadline

Revision ID: 0014_live_1m
Revises: 0013_report_indexes

The board's load table counted each engineer's late cases by grouping every
breached case of the desk (a temporary b-tree over tens of thousands of rows at a
million cases) and found each engineer's next deadline by grouping every case due
within a day. With open cases indexed by engineer and then by support's promise,
the late cases of an engineer are a range count and the next deadline one seek
(deskterm.desk.board.load; tests/desk/test_live_plan.py).

Built from the existing rows (a line on standard error on a desk of some size); on
SQLite it gets its planner statistics at once.
"""

from __future__ import annotations

import sys

import sqlalchemy as sa
from alembic import op

revision = "0014_live_1m"
down_revision = "0013_report_indexes"
branch_labels = None
depends_on = None

_NAME = "ix_cases_assignee_promise"
_OPEN = "status != 'closed'"
# As 0013_report_indexes: below this many cases, no progress line.
_SAYS_PROGRESS = 2000


def upgrade() -> None:
    bind = op.get_bind()
    cases = bind.execute(sa.text("SELECT count(*) FROM cases")).scalar_one()
    if cases >= _SAYS_PROGRESS:
        sys.stderr.write(f"building the board's index ({_NAME})\n")
        sys.stderr.flush()
    op.create_index(
        _NAME,
        "cases",
        ["assignee", "promise_due"],
        unique=False,
        sqlite_where=sa.text(_OPEN),
        postgresql_where=sa.text(_OPEN),
    )
    if bind.dialect.name == "sqlite":
        op.execute(f"ANALYZE {_NAME}")


def downgrade() -> None:
    op.drop_index(_NAME, table_name="cases")
