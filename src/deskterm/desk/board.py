"""The shift lead's breach board, as numbers: what breaches next, how loaded the desk is.

Every read is a count, a GROUP BY or a LIMIT on an indexed column (queue_due,
assignee, severity, status): a desk of a million cases costs the board what a
desk of a hundred does. Business time left is not computed here but at paint
time (`desk.queue.countdown`), so the board's tick needs no query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, select

from deskterm.desk.context import Desk
from deskterm.desk.queue import (
    CLOSED,
    Queue,
    QueueQuery,
    QueueRow,
    breached_condition,
    promise_due,
)
from deskterm.models.columns import cases
from deskterm.sla import Status

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


@dataclass(frozen=True)
class Standing:
    """What changes only when the desk does, not as time passes: read again on a change only.

    These counts walk every open case (a GROUP BY over a million rows takes seconds);
    the board's refresh as time passes reads only index ranges around now.
    """

    open_by_severity: tuple[tuple[int, int], ...]
    waiting: int
    unassigned_sev1: int
    engineers: tuple[tuple[str, int, int], ...]  # (engineer, open, Sev 1), the busiest first


def standing(desk: Desk, limit: int = ENGINEERS) -> Standing:
    open_ = _C.status != CLOSED
    sev1 = func.sum(case((_C.severity == 1, 1), else_=0))
    with desk.engine.connect() as connection:

        def count(*conditions: Any) -> int:
            statement = select(func.count()).select_from(cases).where(open_, *conditions)
            return int(connection.execute(statement).scalar_one())

        by_severity = connection.execute(
            select(_C.severity, func.count())
            .where(open_)
            .group_by(_C.severity)
            .order_by(_C.severity)
        ).all()
        engineers = connection.execute(
            select(_C.assignee, func.count(), sev1)
            .where(open_, _C.assignee.is_not(None))
            .group_by(_C.assignee)
            .order_by(func.count().desc(), _C.assignee)
            .limit(limit)
        ).all()
        return Standing(
            open_by_severity=tuple((int(s), int(n)) for s, n in by_severity),
            waiting=count(_C.status == Status.WAITING.value),
            unassigned_sev1=count(_C.severity == 1, _C.assignee.is_(None)),
            engineers=tuple((name, int(n), int(s1 or 0)) for name, n, s1 in engineers),
        )


def counts(desk: Desk, now: datetime, known: Standing | None = None) -> BoardCounts:
    known = standing(desk) if known is None else known
    open_ = _C.status != CLOSED
    with desk.engine.connect() as connection:

        def count(*conditions: Any) -> int:
            statement = select(func.count()).select_from(cases).where(open_, *conditions)
            return int(connection.execute(statement).scalar_one())

        return BoardCounts(
            open_by_severity=known.open_by_severity,
            breached=count(breached_condition(now)),
            within_1h=count(promise_due(now), _C.queue_due < now + timedelta(hours=1)),
            within_4h=count(promise_due(now), _C.queue_due < now + timedelta(hours=4)),
            waiting=known.waiting,
            unassigned_sev1=known.unassigned_sev1,
        )


def load(desk: Desk, now: datetime, known: Standing | None = None) -> list[EngineerLoad]:
    """Open cases per engineer, the most loaded first, with what is late and what comes next.

    What is late and what is next are GROUP BYs over index ranges around now (past
    due; due within NEXT_DUE_WITHIN), not over the engineer's whole queue.
    """
    known = standing(desk) if known is None else known
    open_ = _C.status != CLOSED
    with desk.engine.connect() as connection:
        late = dict(
            connection.execute(
                select(_C.assignee, func.count())
                .where(open_, _C.assignee.is_not(None), breached_condition(now))
                .group_by(_C.assignee)
            ).all()
        )
        upcoming = dict(
            connection.execute(
                select(_C.assignee, func.min(_C.queue_due))
                .where(
                    open_,
                    _C.assignee.is_not(None),
                    promise_due(now),
                    _C.queue_due < now + NEXT_DUE_WITHIN,
                )
                .group_by(_C.assignee)
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
            statement = (
                select(func.count())
                .select_from(cases)
                .where(_C.status != CLOSED, promise_due(start), _C.queue_due < end)
            )
            per_hour.append(int(connection.execute(statement).scalar_one()))
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
