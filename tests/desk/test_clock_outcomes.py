"""Each run of the update, resolution and next-response clocks is stored with the change
that settles it, equal to a replay of the case's events (deskterm.desk.clock_outcomes)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select, text

from deskterm.desk import cases, clock_outcomes, directory, reports
from deskterm.desk.context import Desk
from deskterm.desk.sweep import sweep
from deskterm.models import SlaClockOutcome
from deskterm.sla import Status
from deskterm.sla.catalog import PolicyCatalog
from tests.frozen import FrozenClock

POLICY = """\
name = "resolve-fast"
timezone = "UTC"

[calendars.always]
hours = "24x7"

[severity.1]
calendar = "always"
first_response = "1h"
update_every = "1h"
resolution = "4h"
next_response = "30m"

[severity.2]
calendar = "always"
first_response = "2h"

[rules]
pause_statuses = ["waiting-on-customer"]
"""
START = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)


@pytest.fixture
def fast_desk(desk: Desk, tmp_path: Path) -> Desk:
    (tmp_path / "resolve-fast.toml").write_text(POLICY, encoding="utf-8")
    catalog = PolicyCatalog([*desk.policies.dirs, tmp_path])
    fast = Desk(desk.engine, catalog, desk.actor, now=desk.now)
    directory.add_organization(fast, "Initech", "resolve-fast")
    directory.add_contact(fast, "Peter", "Initech")
    return fast


def at(clock: FrozenClock, hours: float) -> None:
    clock.instant = START + timedelta(hours=hours)


def open_case(desk: Desk, clock: FrozenClock, severity: int = 1) -> int:
    clock.instant = START
    return cases.open_case(
        desk,
        organization="Initech",
        contact="Peter",
        severity=severity,
        subject="x",
        received=START,
    ).number


def stored(desk: Desk) -> list[tuple[Any, ...]]:
    table = SlaClockOutcome.__table__  # type: ignore[attr-defined]
    with desk.engine.connect() as connection:
        rows = connection.execute(
            select(
                table.c.clock,
                table.c.settled_at,
                table.c.started_at,
                table.c.due,
                table.c.state,
                table.c.severity,
                table.c.engineer,
                table.c.business_us,
            ).order_by(table.c.settled_at, table.c.clock)
        ).all()
    return [tuple(row) for row in rows]


def refilled(desk: Desk) -> tuple[int, list[tuple[Any, ...]]]:
    table = SlaClockOutcome.__table__  # type: ignore[attr-defined]
    with desk.engine.begin() as connection:
        connection.execute(delete(table))
        written = clock_outcomes.fill(connection, desk.policy, desk.now())
    return written, stored(desk)


def hours(n: float) -> int:
    return int(n * 3600 * 1_000_000)


def test_each_run_is_stored_when_it_settles(fast_desk: Desk, clock: FrozenClock) -> None:
    number = open_case(fast_desk, clock)
    at(clock, 10 / 60)
    cases.reply(fast_desk, number, "Looking.")  # the update clock starts (due 17:10)
    at(clock, 20 / 60)
    cases.customer_reply(fast_desk, number, "Any news?")  # a response owed by 16:50
    assert stored(fast_desk) == []
    at(clock, 1)
    cases.reply(fast_desk, number, "Still on it.")  # late for the message, in time to update
    at(clock, 2.5)
    cases.move(fast_desk, number, Status.RESOLVED.value)  # resolved in time
    at(clock, 3)
    cases.move(fast_desk, number, Status.OPEN.value)  # reopened: the resolution is owed again
    at(clock, 3.5)
    cases.reply(fast_desk, number, "Back on it.")  # the update due 18:00 was answered late
    at(clock, 5)
    cases.move(fast_desk, number, Status.RESOLVED.value)  # resolved late
    t = [START + timedelta(hours=h) for h in (0, 1 / 6, 1 / 3, 1, 2.5, 3, 3.5, 5)]
    assert stored(fast_desk) == [
        (
            "next_response",
            t[3],
            t[2],
            t[2] + timedelta(minutes=30),
            "breached",
            1,
            "alice",
            hours(2 / 3),
        ),
        ("update", t[3], t[1], t[1] + timedelta(hours=1), "met", 1, "alice", hours(5 / 6)),
        ("resolution", t[4], t[0], START + timedelta(hours=4), "met", 1, "alice", hours(2.5)),
        ("update", t[6], t[3], t[3] + timedelta(hours=1), "breached", 1, "alice", hours(2.5)),
        ("resolution", t[7], t[0], START + timedelta(hours=4), "breached", 1, "alice", hours(5)),
    ]
    written, again = refilled(fast_desk)
    assert again == stored(fast_desk) and written == 5

    found = reports.report(fast_desk, START, START + timedelta(days=1)).total.json()
    assert (
        found == reports.replayed_report(fast_desk, START, START + timedelta(days=1)).total.json()
    )
    assert (found["update_met"], found["update_missed"]) == (1, 1)
    assert (found["resolution_met"], found["resolution_missed"]) == (1, 1)
    assert (found["next_response_met"], found["next_response_missed"]) == (0, 1)
    # The tables show each clock with a run counted: met of counted, and the share.
    whole = reports.report(fast_desk, START, START + timedelta(days=1))
    assert reports.counted_clocks(whole) == ["update", "resolution", "next_response"]
    assert [reports.clock_cell(whole.total.clocks[c]) for c in reports.CLOCKS] == [
        "1/2 50%",
        "1/2 50%",
        "0/1 0%",
    ]
    # A period ending before the second resolution counts only what settled in it.
    early = reports.report(fast_desk, START, START + timedelta(hours=3)).total.json()
    assert (early["resolution_met"], early["resolution_missed"], early["update_met"]) == (1, 0, 1)


def test_an_update_answered_while_paused_is_met_and_several_changes_at_one_instant(
    fast_desk: Desk, clock: FrozenClock
) -> None:
    number = open_case(fast_desk, clock)
    at(clock, 0.5)
    cases.reply(fast_desk, number, "Looking.")
    cases.move(fast_desk, number, Status.WAITING.value)  # paused at once
    at(clock, 4)
    cases.assign(fast_desk, number, "bob")
    cases.reply(fast_desk, number, "Here is what we found.")  # while paused: met
    cases.assign(fast_desk, number, "carol")  # same instant: the row is rewritten
    rows = stored(fast_desk)
    assert [(r[0], r[4], r[6]) for r in rows] == [("update", "met", "alice")]
    assert refilled(fast_desk)[1] == rows


def test_a_severity_without_these_clocks_stores_nothing(
    fast_desk: Desk, clock: FrozenClock
) -> None:
    number = open_case(fast_desk, clock, severity=2)
    at(clock, 1)
    cases.reply(fast_desk, number, "Looking.")
    cases.customer_reply(fast_desk, number, "Thanks")
    at(clock, 9)
    cases.reply(fast_desk, number, "Done.")
    cases.move(fast_desk, number, Status.RESOLVED.value)
    sweep(fast_desk)
    assert stored(fast_desk) == []


def test_the_doctor_recounts_the_outcomes_and_db_recount_rebuilds_them(
    fast_desk: Desk, clock: FrozenClock, tmp_path: Path
) -> None:
    from deskterm.desk import first_response_states, outcomes
    from deskterm.desk.doctor import outcomes_recount_check

    number = open_case(fast_desk, clock)
    at(clock, 10 / 60)
    cases.reply(fast_desk, number, "Looking.")
    at(clock, 2)
    cases.reply(fast_desk, number, "Still on it.")  # the update, late
    cases.move(fast_desk, number, Status.RESOLVED.value)
    url = fast_desk.engine.url.render_as_string(hide_password=False)
    dirs = [*fast_desk.policies.dirs]
    assert outcomes_recount_check(url, dirs).status == "ok"
    with fast_desk.engine.begin() as connection:
        connection.execute(text("UPDATE sla_clock_outcomes SET state = 'met'"))
        connection.execute(text("UPDATE sla_outcomes SET engineer = 'mallory'"))
        # The first response's clock as it stood before the reply (the trigger's row).
        assert connection.execute(
            text("UPDATE sla_first_response_states SET severity = 3")
        ).rowcount
    check = outcomes_recount_check(url, dirs)
    assert check.status == "fail" and "deskterm db recount" in check.advice
    assert check.message.startswith("1 first-response outcome(s) and 1 run(s)")
    assert "the stored first-response states of 1 case(s)" in check.message
    with fast_desk.engine.begin() as connection:
        policy_of = fast_desk.policy
        assert outcomes.rebuild(connection, policy_of, fast_desk.now()) == 1
        assert clock_outcomes.fill(connection, policy_of, fast_desk.now()) == 2
        assert first_response_states.rebuild(connection, fast_desk.policy) == 1
    assert outcomes_recount_check(url, dirs).status == "ok"
