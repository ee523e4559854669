"""The desk's counts at the cost of a few rows, whatever its size.

Standing counts (open by severity, waiting, unassigned Sev 1, open per engineer)
come from `desk_counts`, which triggers keep in the same transaction as every
change to a case (migration 0005_desk_figures). Counts that move with time alone
(breached, due within the hour) are index range counts on the stored deadlines:
`promise_due` for support's promises, `queue_due` for any deadline.

`check` recounts from the cases and says where the two differ; `rebuild` writes
the recount (`deskterm doctor --rebuild-counts`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, and_, delete, func, insert, literal, select, text

from deskterm.desk.context import Desk
from deskterm.models.columns import cases, desk_counts
from deskterm.sla import Status

CLOSED = Status.CLOSED.value
_C = cases.c
_K = desk_counts.c


@dataclass(frozen=True)
class Standing:
    """What changes only when a case does, read from the counters."""

    open_by_severity: tuple[tuple[int, int], ...]  # (severity, open cases), Sev 1 first
    waiting: int
    unassigned_sev1: int
    engineers: tuple[tuple[str, int, int], ...]  # (engineer, open, Sev 1), the busiest first
    # Open cases not yet resolved, by severity (the handoff's "in flight").
    in_flight: dict[int, int] = field(default_factory=dict, compare=False)

    @property
    def open(self) -> int:
        return sum(count for _, count in self.open_by_severity)


def standing(connection: Connection, engineers: int | None = None) -> Standing:
    rows = connection.execute(
        select(_K.status, _K.severity, _K.assignee, _K.cases).where(_K.cases != 0)
    ).all()
    by_severity: dict[int, int] = {}
    per_engineer: dict[str, list[int]] = {}
    in_flight: dict[int, int] = {}
    waiting = unassigned_sev1 = 0
    for status, severity, assignee, count in rows:
        if status == CLOSED:
            continue
        by_severity[severity] = by_severity.get(severity, 0) + count
        if status != Status.RESOLVED.value:
            in_flight[severity] = in_flight.get(severity, 0) + count
        if status == Status.WAITING.value:
            waiting += count
        if assignee:
            load = per_engineer.setdefault(assignee, [0, 0])
            load[0] += count
            load[1] += count if severity == 1 else 0
        elif severity == 1:
            unassigned_sev1 += count
    busiest = sorted(per_engineer.items(), key=lambda item: (-item[1][0], item[0]))
    if engineers is not None:
        busiest = busiest[:engineers]
    return Standing(
        open_by_severity=tuple(sorted((s, n) for s, n in by_severity.items() if n)),
        waiting=waiting,
        unassigned_sev1=unassigned_sev1,
        engineers=tuple((name, n, s1) for name, (n, s1) in busiest),
        in_flight=in_flight,
    )


def breached_condition(now: datetime) -> Any:
    """Open cases with one of support's promises past due (the promise index's range)."""
    return and_open(_C.promise_due < now)


def promise_within(now: datetime, within: timedelta) -> Any:
    """Open cases whose next support promise falls due in [now, now + within)."""
    return and_open(_C.promise_due >= now, _C.promise_due < now + within)


# Written as the partial indexes' own WHERE (models/case.py), not with a bound value:
# SQLite then knows the index holds only open cases and counts from the index alone,
# without reading each row to check its status.
_OPEN = text("status != 'closed'")


def and_open(*conditions: Any) -> Any:
    return and_(_OPEN, *conditions)


def count(connection: Connection, condition: Any) -> int:
    return int(
        connection.execute(select(func.count()).select_from(cases).where(condition)).scalar_one()
    )


# -- the doctor's check ---------------------------------------------------------


def _recount_select() -> Any:
    assignee = func.coalesce(_C.assignee, literal(""))
    return select(_C.status, _C.severity, assignee, func.count()).group_by(
        _C.status, _C.severity, assignee
    )


def differences(desk: Desk) -> list[tuple[tuple[str, int, str], int, int]]:
    """(key, stored, recounted) wherever the counters disagree with the cases."""
    return differences_on(desk.engine)


def differences_on(engine: Engine) -> list[tuple[tuple[str, int, str], int, int]]:
    with engine.connect() as connection:
        stored = {
            (s, v, a): n
            for s, v, a, n in connection.execute(
                select(_K.status, _K.severity, _K.assignee, _K.cases)
            )
        }
        recounted = {(s, v, a): n for s, v, a, n in connection.execute(_recount_select())}
    keys = sorted(set(stored) | set(recounted))
    return [
        (key, stored.get(key, 0), recounted.get(key, 0))
        for key in keys
        if stored.get(key, 0) != recounted.get(key, 0)
    ]


def rebuild(engine: Engine) -> None:
    """Replace the counters with a recount, in one write transaction."""
    from deskterm.store.engine import writing

    with writing(engine) as session:
        session.execute(delete(desk_counts))
        session.execute(
            insert(desk_counts).from_select(
                ["status", "severity", "assignee", "cases"], _recount_select()
            )
        )
