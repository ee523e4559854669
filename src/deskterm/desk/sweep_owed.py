"""The sweep of a backlog, set-based: what a chunk of cases owes, worked out from one
read outside the write lock, and written a batch at a time (desk/sweep.py).

`owed_by` reads a chunk's case rows (with whether each first response's outcome is
stored) and their events, a query each, and applies the sweep's rules
(desk/sweep_rules.py) to plain copies of them: the events each case owes, chained
to its newest event's hash (store/chain.py), its replayed deadlines and its
outcome rows, as the per-case path (desk/sweep.py `_sweep_case`, through
`cases.change_in` and `cases.refresh`) would store them. A case that owes a mail
(the auto-close notice: its outbox row is the ORM's, desk/outbox.py) is left to
that path.

In the batch's write transaction, `unchanged` locks the batch's cases and says
which are still at the version and newest event they were worked out from;
`write` writes those with a statement per table for the whole batch (each UPDATE
naming the version and newest event again in its WHERE). A case changed since (by
an engineer, or another sweep) goes to the per-case path, which sweeps it again
from what is stored.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from functools import cache
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, insert, select, update

from deskterm.desk import clock_outcomes, deadlines, outcomes
from deskterm.desk.context import Desk
from deskterm.desk.sweep_rules import SweepReport, catch_up
from deskterm.models import Case, Event, SlaClockOutcome, SlaOutcome
from deskterm.models.columns import STORED_CLOCK_FIELDS
from deskterm.models.kinds import EventKind
from deskterm.models.tables import table_of
from deskterm.sla import ClockKind, Policy
from deskterm.store import chain

# What the replay, the rules and the outcome rows read of a case.
_READ = (
    "id",
    "number",
    "version",
    "policy",
    "policy_version",
    "severity",
    "status",
    "received_at",
    "organization_id",
)
# What the sweep may change on a case: each case's UPDATE sets only those of these
# that it changes (an index is rewritten only for the columns set).
_WRITTEN = ("version", "updated_at", "severity", "status", *STORED_CLOCK_FIELDS)


class NeedsChange(Exception):
    """The case owes what only the per-case path writes (a mail)."""


class Owed:
    """One case's sweep, worked out from a read: written only if the case is still as read."""

    def __init__(self, case: Any, policy: Policy, at: datetime, actor: str) -> None:
        self.case = case
        self.policy = policy
        self.at = at
        self.actor = actor
        self.number: int = case.number
        self.seen_version: int = case.version
        self.events: list[Any] = []
        self.report = SweepReport()
        self.values: dict[str, Any] = {}
        self.changed: tuple[str, ...] = ()  # the columns its UPDATE sets
        self.first_response: dict[str, Any] | None = None
        self.clock_rows: list[dict[str, Any]] | None = None

    # As cases.Change records, for the rules (sweep_rules.Sweeping).
    def record(
        self,
        kind: EventKind,
        *,
        field_name: str | None = None,
        old: object = None,
        new: object = None,
        text: str | None = None,
        actor: str | None = None,
    ) -> SimpleNamespace:
        event = SimpleNamespace(
            case_id=self.case.id,
            version=self.seen_version + 1,
            at=self.at,
            actor=actor or self.actor,
            kind=kind.value,
            field=field_name,
            old_value=None if old is None else str(old),
            new_value=None if new is None else str(new),
            text=text,
        )
        self.events.append(event)
        return event

    def mail(self, event: Any, kind: str, text: str) -> None:
        raise NeedsChange(kind)


def owed_by(
    desk: Desk,
    numbers: Sequence[int],
    now: datetime,
    policies: dict[tuple[str, int | None], Policy],
) -> list[Owed | int]:
    """Each case of `numbers` (in order) worked out, or its number where the per-case
    path must sweep it. `policies`: the versions already read, kept across chunks."""
    c, e = table_of(Case).c, table_of(Event).c
    first = table_of(SlaOutcome).c
    # Whether its first response's outcome is stored (cases.refresh stores it once).
    answered = (
        select(first.case_id)
        .where(first.case_id == c.id, first.clock == outcomes.FIRST_RESPONSE)
        .exists()
        .label("first_response_stored")
    )
    with desk.engine.connect() as connection, connection.begin():
        rows = connection.execute(
            select(answered, *(c[name] for name in dict.fromkeys((*_READ, *_WRITTEN))))
            .where(c.number.in_(numbers))
            .order_by(c.number)
        ).all()
        events: dict[int, list[Any]] = defaultdict(list)
        for event in connection.execute(
            select(e.id, e.case_id, e.at, e.actor, e.kind, e.field, e.new_value, e.hash)
            .where(e.case_id.in_([row.id for row in rows]))
            .order_by(e.case_id, e.id)
        ):
            events[event.case_id].append(event)
    worked: list[Owed | int] = []
    for row in rows:
        case = SimpleNamespace(**row._mapping)
        key = (case.policy, case.policy_version)
        if key not in policies:
            policies[key] = desk.case_policy(case)
        try:
            worked.append(_work_out(case, policies[key], events[case.id], now, desk))
        except NeedsChange:
            worked.append(case.number)
    return worked


def _work_out(
    case: Any,
    policy: Policy,
    stored: list[Any],
    now: datetime,
    desk: Desk,
) -> Owed:
    owed = Owed(case, policy, now, desk.actor)
    was = {name: getattr(case, name) for name in _WRITTEN}
    version_of = desk.versions_of(case.policy)
    events, clocks, did_something, settled = catch_up(
        owed, stored, now, owed.report, _nothing, version_of
    )
    if not settled:  # as cases.refresh would: replayed from the events, at `now`
        clocks = deadlines.clocks_of(case, events, policy, now, version_of)
    if did_something:
        owed.report.cases = 1
        case.version += 1
        case.updated_at = now
    deadlines.store_clocks(case, clocks, deadlines.plan(case, events, policy, clocks))
    first_response = clocks[ClockKind.FIRST_RESPONSE]
    if first_response.stopped is not None and not case.first_response_stored:
        owed.first_response = outcomes.settled(policy, case, events, first_response)
    owed.clock_rows = clock_outcomes.settled_at(policy, case, events, clocks, now)
    owed.changed = tuple(name for name in _WRITTEN if getattr(case, name) != was[name])
    owed.values = {f"b_{name}": getattr(case, name) for name in owed.changed}
    owed.values.update(
        b_id=case.id, b_seen=owed.seen_version, b_newest=stored[-1].id if stored else 0
    )
    previous = stored[-1].hash or chain.START if stored else chain.START
    for event in owed.events:
        event.hash = previous = chain.event_hash(previous, vars(event))
    return owed


def _nothing() -> None:
    """Nothing to flush: the worked-out events are written with the batch."""


def unchanged(connection: Connection, batch: Sequence[Owed | int]) -> set[int]:
    """The numbers of the worked-out cases of `batch` still as they were read (same
    version, same newest event). Every case of the batch is locked first, in number
    order (FOR UPDATE; SQLite's write transaction holds the whole desk), so what this
    says holds until the transaction ends, and two sweeps never lock in crossed order."""
    cases, e = table_of(Case), table_of(Event).c
    c = cases.c
    numbers = [item if isinstance(item, int) else item.number for item in batch]
    newest = select(func.coalesce(func.max(e.id), 0)).where(e.case_id == c.id)
    found = {
        row.id: (row.version, row.newest)
        for row in connection.execute(
            select(c.id, c.version, newest.scalar_subquery().label("newest"))
            .where(c.number.in_(numbers))
            .order_by(c.number)
            .with_for_update(of=cases)
        )
    }
    return {
        item.number
        for item in batch
        if not isinstance(item, int)
        and found.get(item.case.id) == (item.seen_version, item.values["b_newest"])
    }


# Rows of one INSERT of events: nine parameters each, within what SQLite (32,766)
# and PostgreSQL (65,535) take in one statement.
EVENTS_A_STATEMENT = 1000


def write(connection: Connection, batch: Sequence[Owed]) -> None:
    """The cases of `batch` (unchanged since read, and locked: `unchanged`), their
    events and outcome rows: a statement each for the whole batch."""
    if not batch:
        return
    shapes: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for owed in batch:
        if owed.changed:
            shapes[owed.changed].append(owed.values)
    for changed, values in shapes.items():
        written = connection.execute(_update(changed), values).rowcount
        if connection.dialect.supports_sane_multi_rowcount and written != len(values):
            raise RuntimeError(f"the sweep updated {written} of {len(values)} locked cases")
    events = [vars(event) for owed in batch for event in owed.events]
    # One statement for many rows, not a statement a row: once SQLite's search index
    # (FTS5, 3.40) is in a transaction, it writes what it holds as a new segment at
    # every statement that opens a savepoint, as each INSERT with a trigger does. A
    # statement an event made a segment an event, and at a million cases the
    # sixteenth segment of a level made one batch merge most of the index inside its
    # lock (14 s, bench/cli_bench.py); this way the batch's events are one segment.
    for start in range(0, len(events), EVENTS_A_STATEMENT):
        connection.execute(
            insert(table_of(Event)).values(events[start : start + EVENTS_A_STATEMENT])
        )
    first_responses = [owed.first_response for owed in batch if owed.first_response is not None]
    if first_responses:
        connection.execute(insert(table_of(SlaOutcome)), first_responses)
    settled = [owed for owed in batch if owed.clock_rows is not None]
    if settled:
        runs = table_of(SlaClockOutcome)
        connection.execute(
            delete(runs).where(
                runs.c.case_id == bindparam("b_case"), runs.c.settled_at == bindparam("b_at")
            ),
            [{"b_case": owed.case.id, "b_at": owed.at} for owed in settled],
        )
        rows = [row for owed in settled for row in owed.clock_rows or ()]
        if rows:
            connection.execute(insert(runs), rows)


@cache
def _update(changed: tuple[str, ...]) -> Any:
    """UPDATE of the `changed` columns of a case still at the version and newest event
    it was worked out from."""
    c, e = table_of(Case).c, table_of(Event).c
    newest = select(func.coalesce(func.max(e.id), 0)).where(e.case_id == bindparam("b_id"))
    return (
        update(table_of(Case))
        .where(
            c.id == bindparam("b_id"),
            c.version == bindparam("b_seen"),
            newest.scalar_subquery() == bindparam("b_newest"),
        )
        .values({name: bindparam(f"b_{name}") for name in changed})
    )
