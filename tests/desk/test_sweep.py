"""The sweep: breaches recorded, customer timeouts applied, auto-close noticed then done,
and never twice, whether it runs again or in two processes at once."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime
from pathlib import Path

import pytest

from deskterm import settings
from deskterm.desk import cases, queries
from deskterm.desk.context import Desk
from deskterm.desk.sweep import sweep
from deskterm.sla.catalog import PolicyCatalog
from deskterm.store.engine import database_url, make_engine
from tests.desk.conftest import FrozenClock


def kinds(desk: Desk, number: int) -> list[str]:
    return [event["kind"] for event in queries.show_case(desk, number)["events"]]


def open_sev1(desk: Desk) -> int:
    return cases.open_case(
        desk, organization="Acme", contact="Bob Admin", severity=1, subject="Production down"
    ).number


def test_a_breach_is_recorded_once_by_the_system(desk: Desk, clock: FrozenClock) -> None:
    number = open_sev1(desk)
    clock.advance(minutes=29)
    assert sweep(desk).breaches == 0
    clock.advance(minutes=2)
    report = sweep(desk)
    assert (report.cases, report.breaches) == (1, 1)
    breach = queries.show_case(desk, number)["events"][-1]
    assert (breach["kind"], breach["actor"], breach["field"], breach["new"]) == (
        "breach",
        "deskterm",
        "first_response",
        "2026-11-23T16:30:00+00:00",
    )
    assert "due Mon 23 Nov 11:30 EST" in breach["text"]
    clock.advance(minutes=30)
    assert sweep(desk).cases == 0
    assert kinds(desk, number).count("breach") == 1


def test_sweeping_twice_equals_sweeping_once(desk: Desk, clock: FrozenClock) -> None:
    numbers = [open_sev1(desk) for _ in range(3)]
    cases.reply(desk, numbers[0], "on it")
    cases.move(desk, numbers[0], "waiting-on-customer")
    clock.advance(hours=3)
    first = sweep(desk)
    snapshot = [queries.show_case(desk, n) for n in numbers]
    second = sweep(desk)
    assert first.breaches > 0 and second.cases == 0 and second.breaches == 0
    assert [queries.show_case(desk, n) for n in numbers] == snapshot


def test_a_silent_customer_lowers_the_severity_once(desk: Desk, clock: FrozenClock) -> None:
    # business-hours-3: customer_timeout = "lower-severity"; Sev 1 gives the customer 30m.
    number = open_sev1(desk)
    cases.reply(desk, number, "please send logs")
    cases.move(desk, number, "waiting-on-customer")
    clock.advance(minutes=31)
    report = sweep(desk)
    assert report.customer_timeouts == 1
    shown = queries.show_case(desk, number)
    assert shown["severity"] == 2 and shown["status"] == "waiting-on-customer"
    assert kinds(desk, number)[-3:] == ["breach", "customer-timeout", "severity"]
    # Sev 2's own customer-response time passing later in the same wait lowers nothing more.
    clock.advance(days=5)
    sweep(desk)
    assert queries.show_case(desk, number)["severity"] == 2


def test_a_policy_without_the_timeout_rule_keeps_the_severity(
    desk: Desk, clock: FrozenClock
) -> None:
    number = cases.open_case(
        desk, organization="Acme", contact="Bob Admin", severity=3, subject="x"
    ).number
    cases.move(desk, number, "waiting-on-customer")
    clock.advance(days=20)
    sweep(desk)
    # Sev 3 of business-hours-3 has no customer-response target and is the lowest level.
    assert queries.show_case(desk, number)["severity"] == 3


def test_a_resolved_case_is_noticed_then_closed_automatically(
    desk: Desk, clock: FrozenClock
) -> None:
    number = open_sev1(desk)
    cases.reply(desk, number, "patched")
    cases.move(desk, number, "resolved-pending-confirmation")
    auto_close = queries.show_case(desk, number)["clocks"]["auto_close"]
    # 10 business days of Mon-Fri 08-17 New York (Thanksgiving closed), notice 2 before.
    assert auto_close["due"] == "2026-12-08T16:00:00+00:00"
    assert auto_close["notice_due"] == "2026-12-04T16:00:00+00:00"
    clock.instant = datetime(2026, 12, 4, 16, 1, tzinfo=UTC)
    assert sweep(desk).notices == 1
    assert queries.show_case(desk, number)["status"] == "resolved-pending-confirmation"
    # The notice went out at 16:01, so the customer has until 16:01 two business days on.
    clock.instant = datetime(2026, 12, 8, 16, 0, 30, tzinfo=UTC)
    assert sweep(desk).closed == 0
    clock.instant = datetime(2026, 12, 8, 16, 2, tzinfo=UTC)
    report = sweep(desk)
    assert report.closed == 1
    shown = queries.show_case(desk, number)
    assert shown["status"] == "closed"
    assert (
        shown["events"][-1]["actor"] == "deskterm"
        and "closed automatically" in shown["events"][-1]["text"]
    )
    assert sweep(desk).cases == 0


def test_a_late_notice_still_gives_the_customer_the_full_notice_period(
    desk: Desk, clock: FrozenClock
) -> None:
    number = open_sev1(desk)
    cases.reply(desk, number, "patched")
    cases.move(desk, number, "resolved-pending-confirmation")
    # Nobody swept for weeks: the notice goes out now, the close two business days later.
    clock.instant = datetime(2026, 12, 21, 15, 0, tzinfo=UTC)  # Mon 10:00 New York
    report = sweep(desk)
    assert (report.notices, report.closed) == (1, 0)
    clock.instant = datetime(2026, 12, 23, 14, 59, tzinfo=UTC)
    assert sweep(desk).closed == 0
    clock.instant = datetime(2026, 12, 23, 15, 1, tzinfo=UTC)
    assert sweep(desk).closed == 1


def test_a_reopened_case_is_not_closed_by_an_old_notice(desk: Desk, clock: FrozenClock) -> None:
    number = open_sev1(desk)
    cases.reply(desk, number, "patched")
    cases.move(desk, number, "resolved-pending-confirmation")
    clock.instant = datetime(2026, 12, 4, 16, 1, tzinfo=UTC)
    sweep(desk)
    cases.move(desk, number, "open")
    clock.instant = datetime(2026, 12, 30, 16, 1, tzinfo=UTC)
    sweep(desk)
    assert queries.show_case(desk, number)["status"] == "open"


def _sweep_in_a_process(path: str, now: str, barrier: multiprocessing.synchronize.Barrier) -> None:
    engine = make_engine(database_url(path))
    desk = Desk(
        engine,
        PolicyCatalog(settings.policy_dirs()),
        "sweeper",
        now=lambda: datetime.fromisoformat(now),
    )
    barrier.wait()
    sweep(desk)


@pytest.mark.slow
def test_two_processes_sweeping_at_once_record_each_breach_once(
    tmp_path: Path, clock: FrozenClock
) -> None:
    from deskterm.desk import directory
    from deskterm.store.migrate import upgrade

    path = str(tmp_path / "shared.db")
    engine = make_engine(database_url(path))
    upgrade(engine, clock())
    desk = Desk(engine, PolicyCatalog(settings.policy_dirs()), "alice", now=clock)
    directory.add_organization(desk, "Acme", "business-hours-3")
    directory.add_contact(desk, "Bob Admin", "Acme")
    numbers = [open_sev1(desk) for _ in range(40)]
    now = clock.advance(hours=2).isoformat()
    engine.dispose()

    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    workers = [
        context.Process(target=_sweep_in_a_process, args=(path, now, barrier)) for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    for number in numbers:
        assert kinds(desk, number).count("breach") == 1
