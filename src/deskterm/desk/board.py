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
from typing import Any

from sqlalchemy import func, select

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


def counts(desk: Desk, now: datetime, known: Standing | None = None) -> BoardCounts:
    known = standing(desk) if known is None else known
    with desk.engine.connect() as connection:

        def count(condition: Any) -> int:
            return desk_counts.count(connection, condition)

        return BoardCounts(
            open_by_severity=known.open_by_severity,
            breached=count(desk_counts.breached_condition(now)),
            within_1h=count(desk_counts.promise_within(now, timedelta(hours=1))),
            within_4h=count(desk_counts.promise_within(now, timedelta(hours=4))),
            waiting=known.waiting,
            unassigned_sev1=known.unassigned_sev1,
        )


def load(desk: Desk, now: datetime, known: Standing | None = None) -> list[EngineerLoad]:
    """Open cases per engineer, the most loaded first, with what is late and what comes next.

    What is late and what is next are GROUP BYs over ranges of the promise index
    (past due; due within NEXT_DUE_WITHIN), not over the engineer's whole queue.
    """
    known = standing(desk) if known is None else known
    # Grouped by an expression, not the column: on the column, SQLite would walk the
    # assignee index over the whole desk; on the expression it reads the two ranges
    # of the promise index (which holds the assignee: no row is visited) and groups
    # a few rows per engineer. Cases nobody holds group under "".
    engineer = func.coalesce(_C.assignee, "")
    with desk.engine.connect() as connection:
        late: dict[str, int] = dict(
            connection.execute(
                select(engineer, func.count())
                .where(desk_counts.breached_condition(now))
                .group_by(engineer)
            ).all()
        )
        upcoming: dict[str, datetime] = dict(
            connection.execute(
                select(engineer, func.min(_C.promise_due))
                .where(desk_counts.promise_within(now, NEXT_DUE_WITHIN))
                .group_by(engineer)
            ).all()
        )
    return [
        EngineerLoad(
            engineer=name,
            open=open_count,
            sev1=sev1,
            breached=int(late.get(name, 0)),
            next_due=upcoming.get(name),
        )
        for name, open_count, sev1 in known.engineers
    ]


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
    return Board(
        at=now,
        next_cases=tuple(next_to_breach(desk, now)),
        counts=counts(desk, now, known),
        load=tuple(load(desk, now, known)),
        forecast=forecast(desk, now),
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
