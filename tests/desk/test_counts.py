"""The desk's counters and deadline range counts equal a plain recount, on both backends,
whatever code path changed the cases; `deskterm doctor` says when they (or the stored SLA outcomes) do not."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text

from deskterm.desk import board, cases, counts, outcomes
from deskterm.desk.context import Desk
from deskterm.desk.doctor import figures_checks
from deskterm.desk.queue import Queue
from deskterm.desk.sweep import sweep
from tests.desk.conftest import as_user
from tests.frozen import FrozenClock


def open_case(desk: Desk, severity: int, subject: str = "Printer on fire") -> int:
    return cases.open_case(
        desk, organization="Acme", contact="Bob Admin", severity=severity, subject=subject
    ).number


def a_busy_desk(desk: Desk, clock: FrozenClock) -> list[int]:
    numbers = [open_case(desk, severity) for severity in (1, 1, 2, 3, 1, 2)]
    numbers.append(
        cases.open_case(
            desk,
            organization="Globex",
            contact="Gina",
            severity=2,
            subject="Slow reports",
            entitlement_override="the renewal is signed",
        ).number
    )
    cases.take(desk, numbers[0])
    cases.assign(desk, numbers[1], "bob")
    cases.change_severity(desk, numbers[2], 1, "the whole site is down")
    clock.advance(minutes=10)
    cases.reply(desk, numbers[3], "Looking at it")
    cases.move(desk, numbers[3], "waiting-on-customer")
    cases.assign(desk, numbers[4], "bob")
    cases.release(as_user(desk, "bob"), numbers[4])
    cases.split(desk, numbers[5], "The second problem")
    cases.move(desk, numbers[6], "closed", note_text="duplicate")
    clock.advance(hours=3)
    sweep(desk)  # breaches, as the system
    return numbers


def plain(desk: Desk, sql: str, **params: Any) -> Any:
    with desk.engine.connect() as connection:
        return connection.execute(text(sql), params).scalar_one()


def old_style_counts(desk: Desk, now: datetime) -> dict[str, int]:
    """The counts as a walk over the cases' clocks would give them (no counters, no index)."""
    breached = (
        "(first_response_state = 'running' AND first_response_due < :now) "
        "OR (update_state = 'running' AND update_due < :now)"
    )
    promise_next = (
        "queue_due >= :now AND queue_due < :until AND ("
        "(first_response_state = 'running' AND first_response_due = queue_due) "
        "OR (update_state = 'running' AND update_due = queue_due))"
    )
    base = "SELECT count(*) FROM cases WHERE status != 'closed' AND "
    return {
        "open": plain(desk, base + "1 = 1"),
        "waiting": plain(desk, base + "status = 'waiting-on-customer'"),
        "unassigned_sev1": plain(desk, base + "severity = 1 AND assignee IS NULL"),
        "breached": plain(desk, base + f"({breached})", now=now),
        "within_1h": plain(desk, base + promise_next, now=now, until=now + timedelta(hours=1)),
        "within_4h": plain(desk, base + promise_next, now=now, until=now + timedelta(hours=4)),
        "due_soon": plain(
            desk,
            base + "queue_due >= :now AND queue_due < :until",
            now=now,
            until=now + timedelta(hours=1),
        ),
    }


def test_the_counts_equal_a_recount_after_every_kind_of_change(
    desk: Desk, clock: FrozenClock
) -> None:
    a_busy_desk(desk, clock)
    assert counts.differences(desk) == []
    for later in (timedelta(0), timedelta(minutes=20), timedelta(hours=5), timedelta(days=3)):
        now = clock() + later
        expected = old_style_counts(desk, now)
        header = Queue(desk).counts(now)
        shown = board.counts(desk, now)
        assert (header.open, header.breached, header.due_soon, header.unassigned_sev1) == (
            expected["open"],
            expected["breached"],
            expected["due_soon"],
            expected["unassigned_sev1"],
        ), later
        assert shown.open == expected["open"]
        assert (shown.breached, shown.within_1h, shown.within_4h) == (
            expected["breached"],
            expected["within_1h"],
            expected["within_4h"],
        ), later
        assert (shown.waiting, shown.unassigned_sev1) == (
            expected["waiting"],
            expected["unassigned_sev1"],
        )
    assert expected["breached"] > 0 and expected["waiting"] == 1  # the desk is not trivial


def test_open_by_severity_and_engineer_come_from_the_counters(
    desk: Desk, clock: FrozenClock
) -> None:
    a_busy_desk(desk, clock)
    standing = board.standing(desk)
    with desk.engine.connect() as connection:
        by_severity = connection.execute(
            text(
                "SELECT severity, count(*) FROM cases WHERE status != 'closed' "
                "GROUP BY severity ORDER BY severity"
            )
        ).all()
        engineers = connection.execute(
            text(
                "SELECT assignee, count(*), sum(CASE WHEN severity = 1 THEN 1 ELSE 0 END) "
                "FROM cases WHERE status != 'closed' AND assignee IS NOT NULL "
                "GROUP BY assignee ORDER BY count(*) DESC, assignee"
            )
        ).all()
    assert standing.open_by_severity == tuple((s, n) for s, n in by_severity)
    assert standing.engineers == tuple((a, n, s) for a, n, s in engineers)
    assert ("bob", 1, 1) in standing.engineers and ("alice", 1, 1) in standing.engineers


def test_a_change_that_fails_leaves_the_counters_as_they_were(
    desk: Desk, clock: FrozenClock
) -> None:
    number = open_case(desk, 1)
    before = board.standing(desk)
    try:
        with cases.changing(desk, number) as change:
            change.case.severity = 3
            change.case.assignee = "carol"
            change.session.add(change.case)
            change.session.flush()
            raise RuntimeError("the connection dropped")
    except RuntimeError:
        pass
    assert board.standing(desk) == before
    assert counts.differences(desk) == []


def test_the_doctor_finds_wrong_counters_and_says_how_to_rebuild_them(
    desk: Desk, clock: FrozenClock
) -> None:
    a_busy_desk(desk, clock)
    url = desk.engine.url.render_as_string(hide_password=False)
    assert [c.status for c in figures_checks(url)] == ["ok", "ok"]
    with desk.engine.begin() as connection:
        connection.execute(text("UPDATE desk_counts SET cases = cases + 5 WHERE severity = 1"))
        connection.execute(text("DELETE FROM sla_outcomes"))
    counters, stored = figures_checks(url)
    assert counters.status == "fail" and "deskterm db recount" in counters.advice
    assert stored.status == "fail" and "deskterm db recount" in stored.advice
    counts.rebuild(desk.engine)
    with desk.engine.begin() as connection:
        assert outcomes.fill(connection, desk.policy, desk.now()) >= 2
    assert counts.differences(desk) == []
    assert [c.status for c in figures_checks(url)] == ["ok", "ok"]


def late_per_engineer(desk: Desk, now: datetime) -> dict[str, int]:
    with desk.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT assignee, count(*) FROM cases WHERE status != 'closed' "
                "AND assignee IS NOT NULL AND promise_due < :now GROUP BY assignee"
            ),
            {"now": now.replace(tzinfo=None) if desk.engine.dialect.name == "sqlite" else now},
        ).all()
    return {name: late for name, late in rows}


def test_breached_and_late_per_engineer_come_from_the_promise_counts_and_now_s_hour(
    desk: Desk, clock: FrozenClock
) -> None:
    numbers = a_busy_desk(desk, clock)
    cases.reply(desk, numbers[0], "On it")  # a promise moves to the update clock
    cases.move(desk, numbers[1], "closed", note_text="gone")  # a promise leaves the desk
    cases.assign(desk, numbers[2], "carol")  # from one engineer's hours to another's
    assert counts.promise_differences_on(desk.engine) == []
    with desk.engine.connect() as connection:
        assert plain(desk, "SELECT count(*) FROM promise_counts WHERE cases <= 0") == 0
        start = counts.hour_of(clock())
        instants = [
            clock() + later
            for later in (
                timedelta(0),
                timedelta(minutes=20),
                timedelta(hours=5),
                timedelta(days=3),
            )
        ] + [start, start + timedelta(hours=4), start + timedelta(hours=4, microseconds=-1)]
        for now in instants:
            expected = old_style_counts(desk, now)["breached"]
            assert counts.breached(connection, now) == expected, now
            late = {load.engineer: load.breached for load in board.load(desk, now)}
            assert late == {name: late_per_engineer(desk, now).get(name, 0) for name in late}
    assert expected > 0 and any(late.values())


def test_the_doctor_finds_wrong_promise_counts_and_a_recount_mends_them(
    desk: Desk, clock: FrozenClock
) -> None:
    a_busy_desk(desk, clock)
    url = desk.engine.url.render_as_string(hide_password=False)
    with desk.engine.begin() as connection:
        connection.execute(text("UPDATE promise_counts SET cases = cases + 2"))
    counters, _ = figures_checks(url)
    assert counters.status == "fail" and "promise count" in counters.message
    assert "deskterm db recount" in counters.advice
    counts.rebuild(desk.engine)
    assert counts.promise_differences_on(desk.engine) == []
    assert [c.status for c in figures_checks(url)][0] == "ok"
