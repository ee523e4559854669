"""The shift lead's breach board, as numbers: what breaches next, how loaded the desk is.

Standing counts come from the counters the database keeps (deskterm.desk.counts);
every other read is a count, a GROUP BY or a LIMIT over an index range around now
(queue_due, promise_due): a desk of a million cases costs the board what a desk
of a hundred does. Business time left is not computed here but at paint
time (`desk.queue.countdown`), so the board's tick needs no query.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import bindparam, select

from deskterm.desk import counts as desk_counts
from deskterm.desk.context import Desk
from deskterm.desk.queue import Queue, QueueQuery, QueueRow, promise_due
from deskterm.models.columns import cases

NEXT_CASES = 8  # the most cases the board shows with their countdown
ENGINEERS = 30  # the most engineers in the load table (the busiest first)
FORECAST_HOURS = 8
# An engineer's next deadline is looked for this far ahead (beyond: "-").
NEXT_DUE_WITHIN = timedelta(hours=24)
# Support's promises only: a customer's or an auto-close deadline is not a breach.
# The queue's own Core clause: the board's conditions go into the queue's selects.
_C = cases.c


@dataclass(frozen=True)
class BoardCounts:
    open_by_severity: tuple[tuple[int, int], ...]  # (severity, open cases), Sev 1 first
    breached: int
    within_1h: int  # not yet breached, due within the hour
    within_4h: int
    waiting: int  # waiting on the customer
    unassigned_sev1: int

    @property
    def open(self) -> int:
        return sum(count for _, count in self.open_by_severity)


@dataclass(frozen=True)
class EngineerLoad:
    engineer: str
    open: int
    sev1: int
    breached: int  # support promises past due
    next_due: datetime | None  # the soonest support deadline still ahead


@dataclass(frozen=True)
class Forecast:
    """Support deadlines falling due in each hour from `start`."""

    start: datetime
    per_hour: tuple[int, ...]


@dataclass(frozen=True)
class Board:
    at: datetime
    next_cases: tuple[QueueRow, ...]
    counts: BoardCounts
    load: tuple[EngineerLoad, ...]
    forecast: Forecast
    standing: Standing


def next_to_breach(desk: Desk, now: datetime, limit: int = NEXT_CASES) -> list[QueueRow]:
    """The open cases whose support deadline comes next, soonest first."""
    queue = Queue(desk)
    statement = (
        queue._select(QueueQuery(), now)
        .where(promise_due(now))
        .order_by(_C.queue_due, _C.number)
        .limit(limit)
    )
    return queue._fetch(statement)


Standing = desk_counts.Standing


def standing(desk: Desk, limit: int = ENGINEERS) -> Standing:
    """Open cases by severity and engineer, waiting, unassigned Sev 1: from the counters."""
    with desk.engine.connect() as connection:
        return desk_counts.standing(connection, engineers=limit)


def counts(
    desk: Desk, now: datetime, known: Standing | None = None, ahead: Forecast | None = None
) -> BoardCounts:
    """`ahead`: the forecast read at `now`, whose first hours are the counts due within
    1h and 4h (the same ranges of the promise index: not counted twice)."""
    known = standing(desk) if known is None else known
    with desk.engine.connect() as connection:

        def count(condition: Any) -> int:
            return desk_counts.count(connection, condition)

        if ahead is not None and ahead.start == now and len(ahead.per_hour) >= 4:
            within_1h, within_4h = ahead.per_hour[0], sum(ahead.per_hour[:4])
        else:
            within_1h = count(desk_counts.promise_within(now, timedelta(hours=1)))
            within_4h = count(desk_counts.promise_within(now, timedelta(hours=4)))
        return BoardCounts(
            open_by_severity=known.open_by_severity,
            breached=desk_counts.breached(connection, now),
            within_1h=within_1h,
            within_4h=within_4h,
            waiting=known.waiting,
            unassigned_sev1=known.unassigned_sev1,
        )


def load(desk: Desk, now: datetime, known: Standing | None = None) -> list[EngineerLoad]:
    """Open cases per engineer, the most loaded first, with what is late and what comes next.

    Read per engineer shown: what is late from the promise counts of the hours before
    now's and the index of open cases by engineer and promise (migration 0014) within
    now's hour (`desk_counts.late_statement`), what is next one seek in that index; no
    case of an engineer not shown is read, and nothing is grouped.
    """
    known = standing(desk) if known is None else known
    names = [name for name, _, _ in known.engineers]
    late: list[int] = []
    upcoming: list[datetime | None] = []
    if names:
        values: dict[str, Any] = {f"engineer_{i}": name for i, name in enumerate(names)}
        values.update(now=now, hour=desk_counts.hour_of(now), until=now + NEXT_DUE_WITHIN)
        with desk.engine.connect() as connection:
            row = connection.execute(_load_statement(len(names)), values).one()
        late = [int(value or 0) for value in row[: len(names)]]
        upcoming = list(row[len(names) :])
    return [
        EngineerLoad(
            engineer=name,
            open=open_count,
            sev1=sev1,
            breached=late[i],
            next_due=upcoming[i],
        )
        for i, (name, open_count, sev1) in enumerate(known.engineers)
    ]


@cache
def _load_statement(engineers: int) -> Any:
    """One statement for `engineers` engineers (a row of two figures each: a round trip,
    not sixty), made once per number of engineers: the board reads it on every change."""
    now = bindparam("now", type_=_C.promise_due.type)
    until = bindparam("until", type_=_C.promise_due.type)
    late, upcoming = [], []
    for i in range(engineers):
        engineer = _C.assignee == bindparam(f"engineer_{i}")
        # The engineer's promise counts of the hours before now's, and a range count
        # within now's hour: not a range count over every late case of theirs.
        late.append(desk_counts.late_statement(bindparam(f"engineer_{i}")))
        upcoming.append(
            select(_C.promise_due)
            .where(desk_counts.and_open(engineer, _C.promise_due >= now, _C.promise_due < until))
            .order_by(_C.promise_due)
            .limit(1)
            .scalar_subquery()
        )
    return select(*late, *upcoming)


def forecast(desk: Desk, now: datetime, hours: int = FORECAST_HOURS) -> Forecast:
    """Support deadlines due in each of the next `hours` hours: one index range count per hour."""
    per_hour = []
    with desk.engine.connect() as connection:
        for hour in range(hours):
            start, end = now + timedelta(hours=hour), now + timedelta(hours=hour + 1)
            condition = desk_counts.promise_within(start, end - start)
            per_hour.append(desk_counts.count(connection, condition))
    return Forecast(now, tuple(per_hour))


def board(desk: Desk, now: datetime | None = None, known: Standing | None = None) -> Board:
    """The whole board at `now`; `known` (the last read's standing) when only time has passed."""
    now = desk.now() if now is None else now
    known = standing(desk) if known is None else known
    ahead = forecast(desk, now)
    return Board(
        at=now,
        next_cases=tuple(next_to_breach(desk, now)),
        counts=counts(desk, now, known, ahead),
        load=tuple(load(desk, now, known)),
        forecast=ahead,
        standing=known,
    )


def holders_moved(desk: Desk, previous: Board, now: datetime | None = None) -> Board:
    """The board after changes that moved no deadline and no status (cases assigned or
    escalated, notes): the counters, the next cases and the load per engineer are read
    again; the deadline counts and the forecast, range counts over every deadline past
    or near, stand as `previous` read them (time moves them: `board` reads them again at
    the next refresh)."""
    now = desk.now() if now is None else now
    known = standing(desk)
    return Board(
        at=now,
        next_cases=tuple(next_to_breach(desk, now)),
        counts=replace(
            previous.counts,
            open_by_severity=known.open_by_severity,
            waiting=known.waiting,
            unassigned_sev1=known.unassigned_sev1,
        ),
        load=tuple(load(desk, now, known)),
        forecast=previous.forecast,
        standing=known,
    )
