"""paused clocks: the stored clocks of cases moved into a pause status, replayed again

Revision ID: 0011_paused_clocks
Revises: 0010_policy_versions

Until this revision the replay at the very change that moved a case into a pause
status (waiting on the customer, say) said its update and resolution clocks ran,
with a due; any later replay says they are paused (sla/clocks.py `_paused_clock`).
The desk stored the first, so `deskterm doctor --clocks`, which now replays the
second, would call every such case's stored clocks wrong. Each open case in a
pause status of its policy with a clock stored running is replayed again and its
clock fields rewritten. They are a cache of what its events give, not a change of
the case: no event, no new version (docs/architecture.md).
"""

from __future__ import annotations

from collections import defaultdict
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0011_paused_clocks"
down_revision = "0010_policy_versions"
branch_labels = None
depends_on = None

_CHUNK = 500


def upgrade() -> None:
    from deskterm import settings
    from deskterm.desk import deadlines
    from deskterm.desk.policy_versions import Versions
    from deskterm.models.columns import STORED_CLOCK_FIELDS, cases, events
    from deskterm.models.types import UTCDateTime

    bind = op.get_bind()
    catalog = settings.policy_catalog()
    versions = Versions.of_desk(bind, catalog)
    names = list(bind.execute(sa.select(cases.c.policy).distinct()).scalars())
    pausing: set[str] = set()
    for name in names:
        for stored in versions.all_of(name):
            pausing |= stored.rules.pause_statuses
        entry = catalog.entries().get(name)
        if entry is not None and entry.policy is not None:
            pausing |= entry.policy.rules.pause_statuses
    if not pausing:
        return
    ids = list(
        bind.execute(
            sa.select(cases.c.id)
            .where(
                cases.c.status.in_(sorted(pausing)),
                sa.or_(cases.c.update_state == "running", cases.c.resolution_state == "running"),
            )
            .order_by(cases.c.id)
        ).scalars()
    )
    # The clock fields with their stored types (`cases` of models/columns.py names the
    # ones the queue reads, not sweep_at).
    table = sa.table(
        "cases",
        sa.column("id", sa.Integer),
        *(
            sa.column(name, sa.String if name.endswith("_state") else UTCDateTime)
            for name in STORED_CLOCK_FIELDS
        ),
    )
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        found: dict[int, list[Any]] = defaultdict(list)
        for event in bind.execute(
            sa.select(events).where(events.c.case_id.in_(chunk)).order_by(events.c.id)
        ):
            found[event.case_id].append(event)
        for row in bind.execute(
            sa.select(cases, sa.column("sweep_at", UTCDateTime)).where(cases.c.id.in_(chunk))
        ):
            policy = versions.for_case(row.policy, row.policy_version)
            history = found[row.id]
            if policy is None or row.status not in policy.rules.pause_statuses or not history:
                continue
            # A row read by attribute, as deadlines reads a Case (so are the events).
            case: Any = SimpleNamespace(**row._mapping)
            # Replayed as the desk does at a change: at the case's last event.
            at = max(event.at for event in history)
            clocks = deadlines.clocks_of(case, history, policy, at, versions.version_of(policy))
            deadlines.store_clocks(case, clocks, deadlines.plan(case, history, policy, clocks))
            values = {name: getattr(case, name) for name in STORED_CLOCK_FIELDS}
            if any(values[name] != getattr(row, name) for name in STORED_CLOCK_FIELDS):
                bind.execute(sa.update(table).where(table.c.id == row.id).values(**values))


def downgrade() -> None:
    # The replayed clocks are what the events give: nothing to take back.
    pass
