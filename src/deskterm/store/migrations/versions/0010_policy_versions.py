"""policy_versions: the text of each policy a desk runs under; cases.policy_version

Revision ID: 0010_policy_versions
Revises: 0009_outcomes_clocks

A case's deadlines come from the stored version of its policy, not from whatever
the file says today (issue 22; desk/policy_versions.py). The policies the desk
uses now (its cases' and organizations') are stored as version 1 from their
files, and every case of such a policy runs under version 1. A policy whose file
cannot be found or read is left unstored: its cases keep following the file
until it is fixed and used again (`deskterm doctor` names it).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_policy_versions"
down_revision = "0009_outcomes_clocks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "policy_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(), nullable=False),
        sa.Column("files", sa.String(), nullable=True),
        sa.Column("sha256", sa.String(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name", "version", name="uq_policy_versions_name_version"),
    )
    # Added in place (SQLite's ALTER TABLE ADD COLUMN): the cases table is not copied.
    op.add_column("cases", sa.Column("policy_version", sa.Integer(), nullable=True))
    store_version_one()


def store_version_one() -> None:
    from deskterm import clock, settings
    from deskterm.desk.policy_versions import encode_files
    from deskterm.models.types import UTCDateTime

    bind = op.get_bind()
    names = bind.execute(
        sa.text("SELECT DISTINCT policy FROM cases UNION SELECT DISTINCT policy FROM organizations")
    ).scalars()
    catalog = settings.policy_catalog()
    at = UTCDateTime().process_bind_param(clock.now(), bind.dialect)
    for name in sorted(names):
        entry = catalog.entries().get(name)
        if entry is None or entry.policy is None:
            continue
        bind.execute(
            sa.text(
                "INSERT INTO policy_versions (name, version, text, files, sha256, source, "
                "created_by, created_at) VALUES (:name, 1, :text, :files, :sha, :source, "
                "'deskterm migration', :at)"
            ),
            {
                "name": name,
                "text": entry.policy.text,
                "files": encode_files(entry.policy.files),
                "sha": entry.policy.sha256,
                "source": str(entry.path),
                "at": at,
            },
        )
        bind.execute(
            sa.text("UPDATE cases SET policy_version = 1 WHERE policy = :name"), {"name": name}
        )


def downgrade() -> None:
    # In place on both (SQLite 3.35+): a batch copy of cases would trip the events'
    # foreign keys.
    op.execute("ALTER TABLE cases DROP COLUMN policy_version")
    op.drop_table("policy_versions")
