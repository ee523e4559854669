"""events: a hash chain, and no REPLACE on SQLite

Revision ID: 0004_chain
Revises: 0002_board

Each event stores the SHA-256 of its content and of the previous event of its case
(deskterm.store.chain), filled here for the events already written: `deskterm
doctor` and `deskterm import` then find a rewrite made with the triggers dropped.

SQLite's REPLACE (and INSERT OR REPLACE) deletes the row it replaces without
firing 0001's delete trigger (unless recursive_triggers is on), so an event could
be swapped for another; a trigger before every insert refuses an id that exists.
An UPSERT's update fires 0001's update trigger.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from deskterm.store.chain import CONTENT, START, event_hash

revision = "0004_chain"
down_revision = "0003_mail_bounces"
branch_labels = None
depends_on = None

_NO_REPLACE = (
    "CREATE TRIGGER events_no_replace BEFORE INSERT ON events "
    "WHEN NEW.id IS NOT NULL AND EXISTS (SELECT 1 FROM events WHERE id = NEW.id) "
    "BEGIN SELECT RAISE(ABORT, 'events are append-only'); END"
)
_BATCH = 5000


def upgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hash", sa.String(), nullable=True))
    sqlite = bind.dialect.name == "sqlite"
    # The append-only trigger refuses the update that fills the new column: off
    # for this transaction only (a failed migration rolls it all back).
    if sqlite:
        op.execute("DROP TRIGGER IF EXISTS events_no_update")
    else:
        op.execute("ALTER TABLE events DISABLE TRIGGER events_append_only")
    _fill(bind)
    if sqlite:
        op.execute(
            "CREATE TRIGGER events_no_update BEFORE UPDATE ON events "
            "BEGIN SELECT RAISE(ABORT, 'events are append-only'); END"
        )
        op.execute(_NO_REPLACE)
    else:
        op.execute("ALTER TABLE events ENABLE TRIGGER events_append_only")


def _fill(bind: sa.Connection) -> None:
    """Hash every event, a page of them at a time, by case then id (keyset paging:
    a desk may hold millions, and its read must not see its own updates)."""
    columns = ", ".join(("id", *CONTENT))
    page = sa.text(
        f"SELECT {columns} FROM events WHERE case_id > :c OR (case_id = :c AND id > :i) "
        "ORDER BY case_id, id LIMIT :n"
    )
    update = sa.text("UPDATE events SET hash = :hash WHERE id = :id")
    case_id, event_id, previous = -1, -1, START
    while True:
        rows = bind.execute(page, {"c": case_id, "i": event_id, "n": _BATCH}).mappings().all()
        if not rows:
            return
        hashes = []
        for row in rows:
            if row["case_id"] != case_id:
                previous = START
            case_id, event_id = row["case_id"], row["id"]
            previous = event_hash(previous, row)
            hashes.append({"hash": previous, "id": event_id})
        bind.execute(update, hashes)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS events_no_replace")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("hash")
