"""The resolution and next-response clocks on a desk: stored, sorted, swept (issue 22)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from deskterm.desk import cases, directory, queries
from deskterm.desk.context import Desk
from deskterm.desk.sweep import sweep
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
resolution = "4h"
next_response = "30m"

[rules]
pause_statuses = ["waiting-on-customer", "software-change-required"]
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


def open_case(desk: Desk, clock: FrozenClock) -> int:
    clock.instant = START
    return cases.open_case(
        desk, organization="Initech", contact="Peter", severity=1, subject="x", received=START
    ).number


def test_the_new_clocks_are_stored_and_shown(fast_desk: Desk, clock: FrozenClock) -> None:
    number = open_case(fast_desk, clock)
    shown = queries.show_case(fast_desk, number)["clocks"]
    assert shown["resolution"]["state"] == "running"
    assert shown["resolution"]["due"] == "2026-11-23T20:00:00+00:00"
    assert "next_response" not in shown  # no customer message awaits an answer yet

    clock.instant = START + timedelta(minutes=10)
    cases.reply(fast_desk, number, "Looking.")
    clock.instant = START + timedelta(minutes=20)
    cases.customer_reply(fast_desk, number, "Any news?")
    shown = queries.show_case(fast_desk, number)
    assert shown["clocks"]["next_response"]["state"] == "running"
    assert shown["clocks"]["next_response"]["due"] == "2026-11-23T16:50:00+00:00"
    # The queue sorts by the soonest live deadline: now the owed answer.
    assert shown["next_due"] == "2026-11-23T16:50:00+00:00"


def test_the_sweep_records_the_new_clocks_breaches(fast_desk: Desk, clock: FrozenClock) -> None:
    number = open_case(fast_desk, clock)
    clock.instant = START + timedelta(minutes=10)
    cases.reply(fast_desk, number, "Looking.")
    clock.instant = START + timedelta(minutes=20)
    cases.customer_reply(fast_desk, number, "Any news?")
    clock.instant = START + timedelta(hours=5)
    report = sweep(fast_desk)
    assert report.breaches == 2  # the owed answer, then the resolution
    events = queries.show_case(fast_desk, number)["events"]
    breached = [e["field"] for e in events if e["kind"] == "breach"]
    assert breached == ["next_response", "resolution"]
    assert sweep(fast_desk).breaches == 0


def test_a_pause_status_moves_the_resolution_due(fast_desk: Desk, clock: FrozenClock) -> None:
    number = open_case(fast_desk, clock)
    clock.instant = START + timedelta(hours=1)
    cases.move(fast_desk, number, Status.SOFTWARE_CHANGE.value)
    clock.instant = START + timedelta(hours=3)
    cases.move(fast_desk, number, Status.OPEN.value)
    shown = queries.show_case(fast_desk, number)["clocks"]["resolution"]
    assert shown["due"] == "2026-11-23T22:00:00+00:00"


def test_the_stored_update_clock_is_paused_from_the_request_for_information(
    desk: Desk, clock: FrozenClock
) -> None:
    """A Sev 1 update clock (2h) stored at the move to waiting is the one a replay at any
    later instant gives: paused, no due (it was stored running, due in 2h, and doctor
    --clocks found the demo desk's later replay, paused, wrong)."""
    number = cases.open_case(
        desk, organization="Acme", contact="Bob Admin", severity=1, subject="down"
    ).number
    clock.advance(minutes=10)
    cases.reply(desk, number, "looking")
    clock.advance(minutes=10)
    cases.move(desk, number, Status.WAITING.value)
    with desk.engine.connect() as connection:
        stored = connection.execute(
            text("SELECT update_state, update_due FROM cases WHERE number = :n"), {"n": number}
        ).one()
    assert tuple(stored) == ("paused", None)
    assert queries.show_case(desk, number)["clocks"]["update"]["state"] == "paused"
    clock.advance(seconds=1)
    assert queries.show_case(desk, number)["clocks"]["update"]["state"] == "paused"


def test_the_migration_replays_the_clocks_stored_running_at_a_move_to_waiting(
    desk: Desk, clock: FrozenClock
) -> None:
    """A desk written before the fix stored the update clock running at the move to
    waiting: migration 0011 stores what a replay gives, so doctor --clocks agrees."""
    from alembic import command

    from deskterm.desk.doctor import clock_check
    from deskterm.store.migrate import _config

    number = cases.open_case(
        desk, organization="Acme", contact="Bob Admin", severity=1, subject="down"
    ).number
    clock.advance(minutes=10)
    cases.reply(desk, number, "looking")
    clock.advance(minutes=10)
    cases.move(desk, number, Status.WAITING.value)
    with desk.engine.begin() as connection:
        # As the desk stored it before: running, due 2h after the reply.
        connection.execute(
            text(
                "UPDATE cases SET update_state = 'running', update_due = next_due, "
                "sweep_at = next_due WHERE number = :n"
            ),
            {"n": number},
        )
    url = desk.engine.url.render_as_string(hide_password=False)
    assert clock_check(url, desk.policies.dirs).status == "fail"
    command.downgrade(_config(desk.engine), "0010_policy_versions")
    command.upgrade(_config(desk.engine), "head")
    assert clock_check(url, desk.policies.dirs).status == "ok"
    with desk.engine.connect() as connection:
        stored = connection.execute(
            text("SELECT update_state, update_due FROM cases WHERE number = :n"), {"n": number}
        ).one()
    assert tuple(stored) == ("paused", None)
