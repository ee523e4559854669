"""The report read from stored outcomes equals the replay of every case's events, on demo
desks (SQLite and PostgreSQL), for periods that end in the middle of cases' lives, in
the future, or long after; and the migration's fill stores what the use cases store."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import delete, select

from deskterm.desk import cases, clock_outcomes, demo, first_response_states, outcomes, reports
from deskterm.desk.context import Desk
from deskterm.desk.sweep import sweep
from deskterm.desk.workflow import MOVES
from deskterm.models import Case, SlaClockOutcome, SlaFirstResponseState, SlaOutcome
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
            replayed = reports.replayed_reports(desk, start, end, reports.GROUPINGS)
            for by in reports.GROUPINGS:
                stored = reports.report(desk, start, end, by).json()
                assert stored == replayed[by].json(), (start, end, by)
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
    # Levels of different policies are separate rows: "Sev 1" is not "P1".
    everything = reports.report(desk, *periods(desk)[-1], "severity").json()
    assert {"Sev 1", "P1", "Sev 3", "P3"} <= {row["key"] for row in everything["rows"]}
    assert runs > 0
    # What the changes stored equals a replay of every case's events.
    assert stored_runs(desk) == refilled_runs(desk)
    states = stored_states(desk)
    assert len(states) > DEMO_CASES
    assert states == refilled_states(desk)
    # The fill's shortcut (a due that never moved, read from the stored outcome) gives
    # what replaying each case gives.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(first_response_states, "_known", lambda connection, chunk: {})
        assert refilled_states(desk) == states


def stored_states(desk: Desk) -> list[Any]:
    table = SlaFirstResponseState.__table__  # type: ignore[attr-defined]
    with desk.engine.connect() as connection:
        return list(
            connection.execute(select(table).order_by(table.c.case_id, table.c.until)).all()
        )


def refilled_states(desk: Desk) -> list[Any]:
    """The first-response states after storing them all again from every case's events
    (as the migration 0015_report_1m does)."""
    table = SlaFirstResponseState.__table__  # type: ignore[attr-defined]
    with desk.engine.begin() as connection:
        connection.execute(delete(table))
        first_response_states.fill(connection, desk.policy)
    return stored_states(desk)


@pytest.mark.slow
def test_a_report_ending_before_changes_reads_their_stored_states(
    desk: Desk, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Periods that end in the middle of cases' lives, the cases changed since: the
    stored states answer for them (none is replayed), and the report equals the replay."""
    demo.fill(desk, cases=DEMO_CASES, seed=7)
    clock.advance(hours=3)
    engineers_and_customers_write(desk, clock)
    replayed: list[int] = []
    changed_since: list[int] = []
    chunks = reports._cases_with_events
    from_states = reports._count_stored_states

    def counting(connection: Any, ids: Any, end: Any, names: Any) -> Any:
        # Only a case opened after the period's end, though received before it: the
        # replay reads none of its events (reports._count_stored_states).
        opened = connection.execute(
            select(Case.id).where(Case.id.in_(ids), Case.created_at < end)  # type: ignore[attr-defined]
        ).all()
        replayed.extend(opened)
        return chunks(connection, ids, end, names)

    def looked_up(connection: Any, ids: Any, *rest: Any) -> Any:
        changed_since.extend(ids)
        return from_states(connection, ids, *rest)

    monkeypatch.setattr(reports, "_count_stored_states", looked_up)

    now = desk.now()
    ends = [now - timedelta(hours=h, minutes=m) for h, m in ((1, 0), (5, 13), (26, 41))]
    for end in ends:
        for by in reports.GROUPINGS:
            monkeypatch.setattr(reports, "_cases_with_events", counting)
            stored = reports.report(desk, end - timedelta(days=3), end, by).json()
            monkeypatch.setattr(reports, "_cases_with_events", chunks)
            assert stored == reports.replayed_report(desk, end - timedelta(days=3), end, by).json()
    # Cases received in those periods and changed since (a reply, an assignment) were
    # there to replay; the stored states answered for each.
    assert len(set(changed_since)) > 20
    assert replayed == []


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
