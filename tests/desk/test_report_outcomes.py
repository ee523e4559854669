"""The report read from stored outcomes equals the replay of every case's events, on demo
desks (SQLite and PostgreSQL), for periods that end in the middle of cases' lives, in
the future, or long after; and the migration's fill stores what the use cases store."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import delete, select

from deskterm.desk import cases, clock_outcomes, demo, outcomes, reports
from deskterm.desk.context import Desk
from deskterm.desk.sweep import sweep
from deskterm.desk.workflow import MOVES
from deskterm.models import Case, SlaClockOutcome, SlaOutcome
from deskterm.sla import Status
from tests.desk.test_counts import a_busy_desk
from tests.frozen import FrozenClock

DEMO_CASES = 1000


def periods(desk: Desk) -> list[tuple[Any, Any]]:
    now = desk.now()
    return [
        (now - timedelta(days=30), now),
        (now - timedelta(days=7), now),
        (now - timedelta(days=30), now - timedelta(hours=5, minutes=13)),  # mid-life
        (now - timedelta(days=3, hours=2), now - timedelta(days=1, minutes=7)),
        (now - timedelta(hours=20), now + timedelta(days=2)),  # ends in the future
        (now - timedelta(days=400), now + timedelta(days=1)),  # everything
    ]


@pytest.mark.slow
def test_the_stored_report_equals_the_replay_on_a_demo_desk(desk: Desk, clock: FrozenClock) -> None:
    demo.fill(desk, cases=DEMO_CASES, seed=7)
    # The demo stores each skeleton's outcome once (with each case's own engineer):
    # the same rows as replaying every case.
    by_the_demo = stored_rows(desk)
    assert len(by_the_demo) > DEMO_CASES // 2
    assert refilled(desk) == by_the_demo
    # The demo stores the other clocks' runs too, as the migration's fill finds them.
    assert stored_runs(desk)
    with desk.engine.begin() as connection:
        assert clock_outcomes.fill(connection, desk.policy, desk.now()) == 0
    compared = 0
    runs = 0
    for _ in range(2):
        for start, end in periods(desk):
            for by in reports.GROUPINGS:
                stored = reports.report(desk, start, end, by).json()
                assert stored == reports.replayed_report(desk, start, end, by).json(), (
                    start,
                    end,
                    by,
                )
                compared += stored["total"]["received"]
                runs += sum(
                    stored["total"][f"{c}_{s}"] for c in reports.CLOCKS for s in ("met", "missed")
                )
        # Time passes, engineers and customers write, the sweep records breaches and
        # closes cases; then compare again.
        clock.advance(hours=13)
        engineers_and_customers_write(desk, clock)
        clock.advance(hours=13)
        sweep(desk)
    assert compared > DEMO_CASES  # the periods were not empty
    assert runs > 0
    # What the changes stored equals a replay of every case's events.
    assert stored_runs(desk) == refilled_runs(desk)


def engineers_and_customers_write(desk: Desk, clock: FrozenClock) -> None:
    """Replies, customer messages and resolutions on open cases, a few at each instant."""
    with desk.engine.connect() as connection:
        found = connection.execute(
            select(Case.number, Case.status)  # type: ignore[call-overload]
            .where(Case.status != "closed")
            .order_by(Case.number)
            .limit(60)
        ).all()
    for i, (number, status) in enumerate(found):
        if i % 3 == 0:
            cases.customer_reply(desk, number, "Any news?")
        elif i % 3 == 1:
            cases.reply(desk, number, "We are on it.")
        elif status == Status.RESOLVED.value:
            cases.move(desk, number, Status.OPEN.value)  # reopened
        elif Status.RESOLVED in MOVES[Status(status)]:
            cases.move(desk, number, Status.RESOLVED.value)
        if i % 10 == 9:
            clock.advance(minutes=7)


def stored_runs(desk: Desk) -> list[Any]:
    table = SlaClockOutcome.__table__  # type: ignore[attr-defined]
    with desk.engine.connect() as connection:
        return list(
            connection.execute(
                select(table).order_by(table.c.case_id, table.c.clock, table.c.settled_at)
            ).all()
        )


def refilled_runs(desk: Desk) -> list[Any]:
    table = SlaClockOutcome.__table__  # type: ignore[attr-defined]
    with desk.engine.begin() as connection:
        connection.execute(delete(table))
        clock_outcomes.fill(connection, desk.policy, desk.now())
    return stored_runs(desk)


def stored_rows(desk: Desk) -> list[Any]:
    table = SlaOutcome.__table__  # type: ignore[attr-defined]
    with desk.engine.connect() as connection:
        return list(connection.execute(select(table).order_by(table.c.case_id)).all())


def refilled(desk: Desk) -> list[Any]:
    """The outcomes after storing them all again from every case's events."""
    table = SlaOutcome.__table__  # type: ignore[attr-defined]
    with desk.engine.begin() as connection:
        connection.execute(delete(table))
        outcomes.fill(connection, desk.policy, desk.now())
    return stored_rows(desk)


def test_the_migrations_fill_stores_what_the_use_cases_store(
    desk: Desk, clock: FrozenClock
) -> None:
    a_busy_desk(desk, clock)
    table = SlaOutcome.__table__  # type: ignore[attr-defined]
    with desk.engine.begin() as connection:
        live = connection.execute(select(table).order_by(table.c.case_id)).all()
        connection.execute(delete(table))
        written = outcomes.fill(connection, desk.policy, desk.now())
        filled = connection.execute(select(table).order_by(table.c.case_id)).all()
    assert written == len(live) >= 2
    assert filled == live
