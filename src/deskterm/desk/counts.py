"""The desk's counts at the cost of a few rows, whatever its size.

Standing counts (open by severity, waiting, unassigned Sev 1, open per engineer)
come from `desk_counts`, which triggers keep in the same transaction as every
change to a case (migration 0005_desk_figures). Counts that move with time alone
are index range counts on the stored deadlines (`promise_due` for support's
promises, `queue_due` for any deadline) over a short range: due within the hour,
and breached (`breached`) within now's own hour, the hours before it summed from
`promise_counts`, which triggers keep too (migration 0016_live_cost).

`check` recounts from the cases and says where the two differ; `rebuild` writes
the recount (`deskterm doctor --rebuild-counts`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    and_,
    bindparam,
    delete,
    func,
    insert,
    literal,
    select,
    text,
)

from deskterm.desk.context import Desk
from deskterm.models.columns import cases, desk_counts, promise_counts
from deskterm.sla import Status

CLOSED = Status.CLOSED.value
_C = cases.c
_K = desk_counts.c
_P = promise_counts.c


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


# -- breached: the hours before now's summed, now's own hour counted ---------------


def hour_of(instant: datetime) -> datetime:
    """The UTC hour `instant` falls in, as `promise_counts.hour` holds it."""
    return instant.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def late_statement(assignee: Any = None) -> Any:
    """Open cases whose support promise is past due at the bound `now` (of engineer
    `assignee`, a bound value or column, when given), as a scalar: the promise counts of
    the hours before now's (bound `hour`, `hour_of(now)`) plus an index range count of
    the promises due from that hour's start to now. One statement: both parts read
    the same committed state, whatever is written meanwhile."""
    now = bindparam("now", type_=_C.promise_due.type)
    hour = bindparam("hour", type_=_P.hour.type)
    stored = [_P.hour < hour]
    counted = [_C.promise_due >= hour, _C.promise_due < now]
    if assignee is not None:
        stored.append(_P.assignee == assignee)
        counted.append(_C.assignee == assignee)
    before = select(func.coalesce(func.sum(_P.cases), 0)).where(*stored).scalar_subquery()
    within = select(func.count()).select_from(cases).where(and_open(*counted)).scalar_subquery()
    return before + within


_BREACHED = select(late_statement())


def breached(connection: Connection, now: datetime) -> int:
    """Open cases with one of support's promises past due at `now` (what
    `breached_condition` counts), without reading each of them."""
    return int(connection.execute(_BREACHED, {"now": now, "hour": hour_of(now)}).scalar_one())


def _promise_recount(dialect: str, after_id: bool = False) -> str:
    """(assignee, hour, cases) of every open case with a promise (with an id above the
    bound `after`), grouped as the triggers of migration 0016_live_cost count them."""
    hour = (
        "date_trunc('hour', promise_due AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'"
        if dialect == "postgresql"
        else "substr(promise_due, 1, 13) || ':00:00.000000'"
    )
    return (
        f"SELECT coalesce(assignee, ''), {hour}, count(*) FROM cases "
        "WHERE status != 'closed' AND promise_due IS NOT NULL"
        + (" AND id > :after" if after_id else "")
        + f" GROUP BY coalesce(assignee, ''), {hour}"
    )


def promise_recount_sql(dialect: str) -> str:
    """The promise counts of every open case: an INSERT into an empty `promise_counts`."""
    return "INSERT INTO promise_counts (assignee, hour, cases) " + _promise_recount(dialect)


def promise_add_sql(dialect: str) -> str:
    """What the insert trigger adds for each case with an id above the bound `after`
    (a bulk load, deskterm.store.bulk_load, which pauses the trigger)."""
    return (
        "INSERT INTO promise_counts (assignee, hour, cases) "
        + _promise_recount(dialect, after_id=True)
        + " ON CONFLICT (assignee, hour) DO UPDATE SET cases = promise_counts.cases"
        " + excluded.cases"
    )


def promise_differences_on(engine: Engine) -> list[tuple[tuple[str, datetime], int, int]]:
    """((engineer, hour), stored, recounted) wherever `promise_counts` disagrees with
    the cases (an hour counted zero is no row)."""
    from deskterm.models.types import UTCDateTime

    hour_type = UTCDateTime()
    with engine.connect() as connection:
        dialect = connection.dialect

        def key(assignee: str, hour: Any) -> tuple[str, datetime]:
            if isinstance(hour, str):  # SQLite's text, as the trigger writes it
                hour = datetime.fromisoformat(hour)
            converted = hour_type.process_result_value(hour, dialect)
            assert converted is not None
            return assignee, converted

        stored = {
            key(a, h): n
            for a, h, n in connection.execute(
                text("SELECT assignee, hour, cases FROM promise_counts")
            )
        }
        recounted = {
            key(a, h): n for a, h, n in connection.execute(text(_promise_recount(dialect.name)))
        }
    keys = sorted(set(stored) | set(recounted))
    return [
        (k, stored.get(k, 0), recounted.get(k, 0))
        for k in keys
        if stored.get(k, 0) != recounted.get(k, 0)
    ]


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
    """Replace the counters (and the promise counts) with a recount, in one write
    transaction."""
    from deskterm.store.engine import writing

    with writing(engine) as session:
        session.execute(delete(desk_counts))
        session.execute(
            insert(desk_counts).from_select(
                ["status", "severity", "assignee", "cases"], _recount_select()
            )
        )
        session.execute(delete(promise_counts))
        session.execute(text(promise_recount_sql(engine.dialect.name)))
