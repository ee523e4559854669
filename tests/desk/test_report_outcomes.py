"""The report read from stored outcomes equals the replay of every case's events, on demo
desks (SQLite and PostgreSQL), for periods that end in the middle of cases' lives, in
the future, or long after; and the migration's fill stores what the use cases store."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import delete, select

from deskterm.desk import demo, outcomes, reports
from deskterm.desk.context import Desk
from deskterm.desk.sweep import sweep
from deskterm.models import SlaOutcome
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
    compared = 0
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
        # Time passes, the sweep records breaches and closes cases; then compare again.
        clock.advance(hours=26)
        sweep(desk)
    assert compared > DEMO_CASES  # the periods were not empty


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
