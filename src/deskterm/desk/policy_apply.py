"""`deskterm policy apply`: an edited policy becomes the next stored version, and the
open cases move to it, in one transaction.

What moves is what `policy diff` showed (the same `policy_impact.plan`): each open
case of the policy is replayed under the edit where the edit may move its clocks,
its stored clocks are rewritten, and a POLICY event names the versions and the old
and new due. With `--new-cases-only` only the version is stored: the open cases keep
theirs, and cases opened from now on start under it. `--if-impact-hash` refuses
when the impact is no longer the one the diff printed (a case opened, answered or
moved since).

Nothing else writes meanwhile: SQLite's writers are serialized (BEGIN IMMEDIATE);
on PostgreSQL the policy's advisory lock holds back cases being opened under it
(desk/policy_versions.py) and the open cases are locked FOR UPDATE, so a change
in flight finishes first and one that comes after runs under the new version.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Connection, bindparam, select, text, update

from deskterm.desk import deadlines, policy_impact, policy_versions
from deskterm.desk.context import Desk
from deskterm.desk.errors import DeskError
from deskterm.instants import to_iso
from deskterm.models import Case, Event, EventKind
from deskterm.models.columns import CLOCKS, STORED_CLOCK_FIELDS
from deskterm.models.tables import table_of
from deskterm.sla import ClockState, Policy, Status
from deskterm.store import chain
from deskterm.store.engine import writing

_CHUNK = 5000


@dataclass(frozen=True)
class Applied:
    policy: str
    version: int
    stored: bool  # False: the file was the newest stored version already
    moved: int  # open cases moved to the version
    due_moved: int  # of which the queue deadline moved
    new_cases_only: bool


class ImpactChanged(DeskError):
    """The impact is not the one the diff printed; nothing was applied."""


def apply(
    desk: Desk,
    edited: Policy,
    *,
    new_cases_only: bool = False,
    if_impact_hash: str | None = None,
) -> Applied:
    now = desk.now()
    with writing(desk.engine) as session:
        policy_versions.lock(session, edited.name, exclusive=True)
        connection = session.connection()
        if connection.dialect.name == "postgresql":
            cases = table_of(Case)
            connection.execute(
                select(cases.c.id)
                .where(cases.c.policy == edited.name, cases.c.status != Status.CLOSED.value)
                .with_for_update()
            )
        newest = policy_versions.newest_row(session, edited.name)
        found = policy_impact.plan(connection, desk, edited, now)
        if if_impact_hash is not None:
            current = (
                desk.policy(edited.name, newest[0]) if newest else desk.policy_file(edited.name)
            )
            impact = policy_impact.tally(found, current, edited, now, 0.0).json()
            if impact["impact_hash"] != if_impact_hash:
                raise ImpactChanged(
                    f"the impact of policy {edited.name}'s edit is not the one the diff printed "
                    f"(impact hash {if_impact_hash}, now {impact['impact_hash']}): nothing "
                    "applied; run deskterm policy diff again"
                )
        if newest is not None and newest[3] == edited.sha256:
            version, stored = newest[0], False
        else:
            version, stored = (newest[0] if newest else 0) + 1, True
            policy_versions.store(session, edited, version, desk.actor, now)
        moved = due_moved = 0
        if not new_cases_only:
            moving = [case for case in found.cases if case.policy_version != version]
            due_moved = _move(connection, desk, edited, version, moving, found, now)
            moved = len(moving)
    desk.stored.forget_newest()
    return Applied(edited.name, version, stored, moved, due_moved, new_cases_only)


def _move(
    connection: Connection,
    desk: Desk,
    edited: Policy,
    version: int,
    moving: Sequence[Any],
    found: policy_impact.Plan,
    now: datetime,
) -> int:
    """Rewrite each case's clocks, version and policy version, with its POLICY event."""
    cases = table_of(Case)
    events = table_of(Event)
    previous = _newest_hashes(connection, [case.id for case in moving])
    plain: list[dict[str, Any]] = []
    replayed: list[dict[str, Any]] = []
    written: list[dict[str, Any]] = []
    due_moved = 0
    for case in moving:
        values: dict[str, Any] = {"b_id": case.id, "b_version": case.version + 1}
        new_due = case.next_due
        moved_clocks: list[str] = []
        replay = found.replays.get(case.id)
        if replay is not None:
            row = SimpleNamespace(**case._mapping)
            actions = deadlines.plan(row, replay.events, edited, replay.new)  # type: ignore[arg-type]  # a case row by attribute, not a Case: the replay reads only columns
            deadlines.store_clocks(row, replay.new, actions)  # type: ignore[arg-type]  # it writes the clock columns onto the row
            moved_clocks = _keep_settled(case, row)
            values.update({f"b_{name}": getattr(row, name) for name in STORED_CLOCK_FIELDS})
            new_due = row.next_due
            replayed.append(values)
        else:
            plain.append(values)
        if new_due != case.next_due:
            due_moved += 1
        old_version = (
            "the file" if case.policy_version is None else f"version {case.policy_version}"
        )
        moves = "; ".join(moved_clocks) if moved_clocks else "no clock moved"
        event = {
            "case_id": case.id,
            "version": case.version + 1,
            "at": now,
            "actor": desk.actor,
            "kind": EventKind.POLICY.value,
            "field": "policy",
            "old_value": f"{old_version}, due {to_iso(case.next_due) or 'none'}",
            "new_value": f"version {version}, due {to_iso(new_due) or 'none'}",
            "text": f"policy {edited.name} version {version} applied from {edited.source}: {moves}",
        }
        event["hash"] = chain.event_hash(previous.get(case.id, chain.START), event)
        written.append(event)
    common = {"version": bindparam("b_version"), "updated_at": now, "policy_version": version}
    where = cases.c.id == bindparam("b_id")
    if plain:
        connection.execute(update(cases).where(where).values(**common), plain)
    if replayed:
        clocks: dict[str, Any] = {name: bindparam(f"b_{name}") for name in STORED_CLOCK_FIELDS}
        connection.execute(update(cases).where(where).values(**common, **clocks), replayed)
    for start in range(0, len(written), _CHUNK):
        connection.execute(events.insert(), written[start : start + _CHUNK])
    return due_moved


# A stored clock that has stopped: met, or answered late (a live breach is stored as
# running, desk/deadlines.py `_state`).
SETTLED_STATES = frozenset({ClockState.MET.value, ClockState.BREACHED.value})


def _keep_settled(case: Any, row: Any) -> list[str]:
    """Put back each settled clock of `case` on the replayed `row` (its result and due stand
    under the version it settled under); the moves of the others, in words for the POLICY
    event (`update due A -> B`). A settled clock is not live under either version, so the
    queue deadline and sweep instant the replay derived stand."""
    moved = []
    for clock in CLOCKS:
        state, due = f"{clock}_state", f"{clock}_due"
        if getattr(case, state) in SETTLED_STATES:
            setattr(row, state, getattr(case, state))
            setattr(row, due, getattr(case, due))
        elif getattr(row, due) != getattr(case, due):
            moved.append(
                f"{clock} due {to_iso(getattr(case, due)) or 'none'} -> "
                f"{to_iso(getattr(row, due)) or 'none'}"
            )
    return moved


def _newest_hashes(connection: Connection, ids: Sequence[int]) -> dict[int, str]:
    """Each case's newest event's hash: its POLICY event chains from it."""
    found: dict[int, str] = {}
    for start in range(0, len(ids), _CHUNK):
        part = ",".join(str(int(i)) for i in ids[start : start + _CHUNK])
        rows = connection.execute(
            text(
                "SELECT case_id, hash FROM events WHERE id IN (SELECT MAX(id) FROM events "
                f"WHERE case_id IN ({part}) GROUP BY case_id)"
            )
        )
        found.update({int(row.case_id): row.hash or chain.START for row in rows})
    return found
