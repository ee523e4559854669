"""SLA report figures against a small desk whose every figure is worked out by hand.

Acme runs business-hours-3: New York office hours 08:00-17:00 on weekdays (US
holidays closed); Sev 1 first response 30m, Sev 2-3 24h of business time; the
customer gets 30m to answer a Sev 1; auto-close 10 business days after
resolution, with a notice 2 business days before. Monday 23 November 2026 16:00
UTC is 11:00 in New York.

The period is 2026-11-23 to 2026-11-25 (UTC days): Monday 00:00 to Thursday 00:00 UTC.

    A  Sev 1  received Mon 16:00, alice replies 16:10 (10m, met), resolved
    B  Sev 1  received Mon 16:00, bob's; the sweep at 16:40 records the breach;
              bob replies 16:50 (50m, missed), resolved
    C  Sev 2  received Mon 15:59, never answered: due 24 business hours later,
              Wed 16:59 New York = 21:59 UTC, before the period ends: missed
              (received at 16:00 its 24h would run out at Wednesday's close and
              be due at Thursday's opening, after the period)
    D  Sev 1  received Mon 16:20, unassigned, never answered: the sweep at 16:56
              records the breach (due 16:50): missed
    E  Sev 3  received Mon 16:30, alice replies 17:00 (30m, met)
    F  Sev 1  received Mon 16:00, alice's: she replies 16:05 (5m, met) and waits
              on the customer; at 16:40 the sweep records the customer-response
              breach and lowers the case to Sev 2 (a customer-timeout downgrade)
    G  Sev 3  received Thu 5 Nov, resolved then; the notice went out Wed 18 Nov;
              the sweep at Mon 16:40 closes it (an auto-closure)

By severity (at the figure's instant):
    Sev 1: received 4 (A B D F), met 2 (A F), missed 2 (B D) = 50.0%;
           responses 5m 10m 50m: median 10m, p90 50m; breaches 3 (B, F, D); 1 downgrade
    Sev 2: received 1 (C), missed 1 = 0.0%, no responses
    Sev 3: received 1 (E), met 1 = 100.0%, median and p90 30m; 1 auto-closure (G)
    All:   received 6, met 3, missed 3 = 50.0%; responses 5m 10m 30m 50m:
           median 20m, p90 (nearest rank, the 4th of 4) 50m
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from deskterm.desk import cases, handoff, reports
from deskterm.desk.context import Desk
from deskterm.desk.errors import DeskError
from deskterm.desk.sweep import sweep
from deskterm.sla import Status
from tests.desk.conftest import as_user
from tests.frozen import FrozenClock

MON = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)
START = reports.parse_day("2026-11-23")
END = reports.parse_day("2026-11-25", end=True)
RESOLVED = Status.RESOLVED.value
M = timedelta(minutes=1)


def at(clock: FrozenClock, when: datetime) -> None:
    clock.instant = when


def open_acme(desk: Desk, severity: int, subject: str, received: datetime) -> int:
    return cases.open_case(
        desk,
        organization="Acme",
        contact="Bob Admin",
        severity=severity,
        subject=subject,
        received=received,
    ).number


@pytest.fixture
def period_desk(desk: Desk, clock: FrozenClock) -> dict[str, int]:
    bob = as_user(desk, "bob")
    numbers = {}
    # G: resolved on Thursday 5 November, the notice sent on Wednesday 18th.
    at(clock, datetime(2026, 11, 5, 15, 0, tzinfo=UTC))
    numbers["G"] = open_acme(desk, 3, "Old question", clock.instant)
    cases.reply(desk, numbers["G"], "Here is how.")
    cases.move(desk, numbers["G"], RESOLVED)
    at(clock, datetime(2026, 11, 18, 16, 0, tzinfo=UTC))
    sent = sweep(desk)
    assert (sent.notices, sent.closed) == (1, 0)

    at(clock, MON)
    numbers["A"] = open_acme(desk, 1, "A", MON)
    numbers["B"] = open_acme(desk, 1, "B", MON)
    cases.assign(desk, numbers["B"], "bob")
    numbers["C"] = open_acme(desk, 2, "C", MON - M)
    numbers["F"] = open_acme(desk, 1, "F", MON)
    cases.take(desk, numbers["F"])
    at(clock, MON + 5 * M)
    cases.reply(desk, numbers["F"], "Which version?")
    cases.move(desk, numbers["F"], Status.WAITING.value)
    at(clock, MON + 10 * M)
    cases.reply(desk, numbers["A"], "Looking.")
    cases.move(desk, numbers["A"], RESOLVED)
    at(clock, MON + 20 * M)
    numbers["D"] = open_acme(desk, 1, "D", clock.instant)
    at(clock, MON + 30 * M)
    numbers["E"] = open_acme(desk, 3, "E", clock.instant)
    at(clock, MON + 40 * M)
    first = sweep(desk)
    assert (first.breaches, first.customer_timeouts, first.closed) == (2, 1, 1)
    at(clock, MON + 50 * M)
    cases.reply(bob, numbers["B"], "Sorry for the wait.")
    cases.move(bob, numbers["B"], RESOLVED)
    at(clock, MON + 56 * M)
    second = sweep(desk)
    assert (second.breaches, second.customer_timeouts, second.closed) == (1, 0, 0)
    at(clock, MON + 60 * M)
    cases.reply(desk, numbers["E"], "Noted.")
    return numbers


@pytest.fixture
def after_the_period(clock: FrozenClock, period_desk: dict[str, int]) -> dict[str, int]:
    """The hand-computed desk, read once its period is over."""
    at(clock, END)
    return period_desk


NO_RUNS = {
    f"{clock}_{figure}": None if figure == "met_percent" else 0
    for clock in reports.CLOCKS
    for figure in ("met", "missed", "met_percent")
}


def both(desk: Desk, by: str, start: datetime = START, end: datetime = END) -> reports.Report:
    """The report from stored outcomes, checked against the replay of every case."""
    found = reports.report(desk, start, end, by)
    assert found.json() == reports.replayed_report(desk, start, end, by).json()
    return found


def rows(report: reports.Report) -> dict[str, dict[str, object]]:
    found = {row.key: row.json() for row in report.rows}
    found["all"] = report.total.json()
    return found


def test_report_by_severity_matches_the_hand_computed_figures(
    desk: Desk, after_the_period: dict[str, int]
) -> None:
    found = rows(both(desk, "severity"))
    assert set(found) == {"Sev 1", "Sev 2", "Sev 3", "all"}
    sev1, sev2, sev3, total = found["Sev 1"], found["Sev 2"], found["Sev 3"], found["all"]
    assert sev1 == {
        "key": "Sev 1",
        "received": 4,
        "first_response_met": 2,
        "first_response_missed": 2,
        "first_response_met_percent": 50.0,
        "median_first_response_seconds": 600,
        "p90_first_response_seconds": 3000,
        "breaches": 3,
        "customer_timeout_downgrades": 1,
        "auto_closures": 0,
        # No update, resolution or next-response run settled: A was resolved as it
        # was answered, B when it was, and Business Hours has no other such clock.
        **NO_RUNS,
    }
    assert (sev2["received"], sev2["first_response_missed"]) == (1, 1)
    assert sev2["first_response_met_percent"] == 0.0
    assert sev2["median_first_response_seconds"] is None
    assert (sev3["received"], sev3["first_response_met"]) == (1, 1)
    assert sev3["median_first_response_seconds"] == sev3["p90_first_response_seconds"] == 1800
    assert (sev3["breaches"], sev3["auto_closures"]) == (0, 1)
    assert (total["received"], total["first_response_met"], total["first_response_missed"]) == (
        6,
        3,
        3,
    )
    assert total["first_response_met_percent"] == 50.0
    assert total["median_first_response_seconds"] == 1200
    assert total["p90_first_response_seconds"] == 3000
    assert (total["breaches"], total["customer_timeout_downgrades"], total["auto_closures"]) == (
        3,
        1,
        1,
    )


def test_report_by_engineer_credits_the_responder_and_the_assignee_of_the_moment(
    desk: Desk, after_the_period: dict[str, int]
) -> None:
    found = rows(both(desk, "engineer"))
    assert set(found) == {"alice", "bob", "unassigned", "all"}
    alice, bob, nobody = found["alice"], found["bob"], found["unassigned"]
    # A, E and F, all answered in time; F's customer breach and downgrade were hers.
    assert (alice["received"], alice["first_response_met"], alice["first_response_missed"]) == (
        3,
        3,
        0,
    )
    assert alice["median_first_response_seconds"] == 600
    assert alice["p90_first_response_seconds"] == 1800
    assert (alice["breaches"], alice["customer_timeout_downgrades"]) == (1, 1)
    assert (bob["received"], bob["first_response_missed"], bob["breaches"]) == (1, 1, 1)
    assert bob["median_first_response_seconds"] == 3000
    # C and D never answered; D's breach and G's closure had nobody assigned.
    assert (nobody["received"], nobody["first_response_missed"]) == (2, 2)
    assert (nobody["breaches"], nobody["auto_closures"]) == (1, 1)


def test_report_by_organization_has_one_row(desk: Desk, after_the_period: dict[str, int]) -> None:
    found = rows(both(desk, "organization"))
    assert set(found) == {"Acme", "all"}
    assert {k: v for k, v in found["Acme"].items() if k != "key"} == {
        k: v for k, v in found["all"].items() if k != "key"
    }


def test_a_period_still_running_counts_no_case_inside_its_target_as_missed(
    desk: Desk, period_desk: dict[str, int]
) -> None:
    """Monday 17:00, the period ends Thursday: C is due Wednesday, so neither met nor missed
    yet (it would be missed if the report looked at the period's end instead of now)."""
    found = rows(both(desk, "severity"))
    assert (found["Sev 2"]["received"], found["Sev 2"]["first_response_missed"]) == (1, 0)
    assert found["Sev 2"]["first_response_met_percent"] is None
    assert (found["all"]["first_response_met"], found["all"]["first_response_missed"]) == (3, 2)


def test_a_past_period_reads_the_same_after_the_desk_moves_on(
    desk: Desk, clock: FrozenClock, after_the_period: dict[str, int]
) -> None:
    period_desk = after_the_period
    before = both(desk, "severity").json()
    # Friday: C is finally answered, a sweep runs, and D is escalated and answered.
    at(clock, datetime(2026, 11, 27, 15, 0, tzinfo=UTC))
    cases.reply(desk, period_desk["C"], "Finally.")
    cases.reply(desk, period_desk["D"], "On it.")
    sweep(desk)
    assert both(desk, "severity").json() == before


def test_a_past_period_ending_inside_a_target_counts_it_neither_met_nor_missed(
    desk: Desk,
    clock: FrozenClock,
    after_the_period: dict[str, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The period Monday to Tuesday 00:00 UTC is over; C (Sev 2, due Wednesday 21:59
    UTC) was inside its target at its end. C is raised to Sev 1, given to bob and
    answered on Friday, late: the period still reads C as Sev 2, unassigned, neither met
    nor missed, from what was stored before those changes (not from a replay of C)."""
    tuesday = reports.parse_day("2026-11-23", end=True)
    before = {by: both(desk, by, START, tuesday).json() for by in ("severity", "engineer")}
    assert rows(both(desk, "severity", START, tuesday))["Sev 2"]["received"] == 1
    assert rows(both(desk, "severity", START, tuesday))["Sev 2"]["first_response_missed"] == 0
    at(clock, datetime(2026, 11, 27, 15, 0, tzinfo=UTC))
    cases.change_severity(desk, after_the_period["C"], 1, "It got worse.")
    cases.assign(desk, after_the_period["C"], "bob")
    cases.reply(as_user(desk, "bob"), after_the_period["C"], "Finally.")
    replayed: list[int] = []
    chunks = reports._cases_with_events

    def counting(*args: Any) -> Any:
        replayed.extend(args[1])
        return chunks(*args)

    with monkeypatch.context() as patch:
        patch.setattr(reports, "_cases_with_events", counting)
        found = {by: reports.report(desk, START, tuesday, by).json() for by in before}
    assert found == before
    assert replayed == []
    assert both(desk, "severity", START, tuesday).json() == before["severity"]


def test_a_change_at_the_very_end_of_a_period_is_after_it(
    desk: Desk, clock: FrozenClock, after_the_period: dict[str, int]
) -> None:
    """D (unassigned, never answered) is given to alice at the instant a period ends:
    the period reads the events before its end, so D is still unassigned in it."""
    end = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
    at(clock, end)
    cases.assign(desk, after_the_period["D"], "alice")
    at(clock, end + timedelta(hours=1))
    found = rows(both(desk, "engineer", START, end))
    assert "alice" in found
    assert found["unassigned"]["received"] == 2  # C and D
    assert found["unassigned"]["first_response_missed"] == 2


def test_nothing_in_the_period_gives_empty_figures(desk: Desk) -> None:
    found = reports.report(desk, START, END)
    assert found.rows == ()
    assert found.total.met_percent is None and found.total.median_response is None


def test_bad_periods_and_groupings_are_refused(desk: Desk) -> None:
    with pytest.raises(DeskError, match="--to must come after --from"):
        reports.report(desk, END, START)
    with pytest.raises(DeskError, match="--by must be one of"):
        reports.report(desk, START, END, "weather")
    with pytest.raises(DeskError, match="not a date"):
        reports.parse_day("last tuesday")
    assert reports.parse_day("2026-11-01T08:00-05:00") == datetime(2026, 11, 1, 13, tzinfo=UTC)


def test_percentile_is_the_nearest_rank() -> None:
    values = [timedelta(minutes=m) for m in (1, 2, 3, 4, 5, 6, 7, 8, 9, 10)]
    assert reports.percentile(values, 90) == timedelta(minutes=9)
    assert reports.percentile(values[:1], 90) == timedelta(minutes=1)
    assert reports.percentile([], 90) is None


def test_handoff_of_the_monday_shift(
    desk: Desk, clock: FrozenClock, period_desk: dict[str, int]
) -> None:
    """At 17:00 UTC, the last 8 hours: the same events seen as a shift's handoff."""
    cases.escalate(desk, period_desk["D"], "nobody has looked at it")
    found = handoff.handoff(desk, timedelta(hours=8))
    n = {v: k for k, v in period_desk.items()}

    def letters(key: str) -> list[str]:
        return [n[item.number] for item in found.section(key).items]

    assert sorted(letters("came_in")) == ["A", "B", "C", "D", "E", "F"]
    assert letters("breached") == ["B", "F", "D"]  # 16:40, 16:40, 16:56
    assert [i.detail for i in found.section("breached").items] == [
        "first response",
        "customer response",
        "first response",
    ]
    assert letters("resolved") == ["A", "G", "B"]
    assert found.section("resolved").items[1].detail == "closed by deskterm"
    assert letters("sev1") == ["D"]  # A and B resolved; F lowered to Sev 2
    assert letters("escalations") == ["D"]
