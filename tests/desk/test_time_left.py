"""Issue 16, item 9: time left reads right.

A deadline ten business days out read `2d 16h` (days of 24 business hours) while
it was eleven calendar days off; a case breached at a close read `-0m 00s` all
night. Acme's business-hours-3 policy: 08-17 New York, weekdays, US holidays.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from deskterm import settings
from deskterm.desk.queue import QueueRow, countdown
from deskterm.sla import ClockKind
from deskterm.sla.catalog import PolicyCatalog

MONDAY_NOON = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)  # Mon 30 Nov, 12:00 New York


def row(due: datetime) -> QueueRow:
    return QueueRow(
        number=40100,
        version=1,
        severity=2,
        policy="business-hours-3",
        organization="Acme",
        subject="s",
        status="open",
        assignee=None,
        next_due=due,
        next_clock=ClockKind.UPDATE,
        updated_at=MONDAY_NOON,
    )


def policy():  # type: ignore[no-untyped-def]
    return PolicyCatalog([settings.packaged_policy_dir()]).get("business-hours-3")


def test_ten_business_days_out_reads_10bd() -> None:
    due = datetime(2026, 12, 14, 17, 0, tzinfo=UTC)  # Mon 14 Dec, 12:00 New York
    shown = countdown(row(due), policy(), MONDAY_NOON)
    assert shown.state == "ok"
    assert shown.left == "10bd", shown


def test_under_a_day_of_business_time_reads_hours_and_minutes() -> None:
    due = MONDAY_NOON + timedelta(hours=3, minutes=5)
    shown = countdown(row(due), policy(), MONDAY_NOON)
    assert shown.left == "3h 05m"
    assert not shown.far and shown.due == due


def test_a_whole_business_day_or_more_is_far_and_counts_business_days() -> None:
    # Acme's business day is nine hours (08-17): nine hours left reach Tuesday noon,
    # one business day off, not "9h 00m" of a day read as twenty-four hours.
    tuesday_noon = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)
    shown = countdown(row(tuesday_noon), policy(), MONDAY_NOON)
    assert shown.far and shown.due == tuesday_noon
    assert shown.left == "1bd", shown
    ten = countdown(row(datetime(2026, 12, 14, 17, 0, tzinfo=UTC)), policy(), MONDAY_NOON)
    assert ten.far and ten.left == "10bd"
    # Under a business day, but across the night: far too (below).
    just_under = countdown(row(tuesday_noon - timedelta(minutes=1)), policy(), MONDAY_NOON)
    assert just_under.far and just_under.left == "1bd"


def test_a_deadline_beyond_the_calendars_close_shows_when_not_business_hours() -> None:
    # Mon 16:00 New York, due Tue 10:00: three business hours, eighteen on the wall
    # clock. "3h 00m" would read sooner than a round-the-clock case due at 20:00
    # tonight, which sorts above it: the cell says when instead.
    four_pm = datetime(2026, 11, 30, 21, 0, tzinfo=UTC)
    tuesday_ten = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
    shown = countdown(row(tuesday_ten), policy(), four_pm)
    assert shown.left_time == timedelta(hours=3)
    assert shown.far and shown.due == tuesday_ten and shown.left == "1bd"
    # Before the calendar opens, a deadline later the same day: when, and "today".
    six_am = datetime(2026, 12, 1, 11, 0, tzinfo=UTC)
    early = countdown(row(tuesday_ten), policy(), six_am)
    assert early.far and early.calendar_closed and early.left == "today"
    # The calendar open until the deadline: business time is wall time, a countdown.
    open_until = countdown(row(four_pm + timedelta(minutes=59)), policy(), four_pm)
    assert not open_until.far and open_until.left == "59m 00s"


def test_the_queue_order_reads_true_across_calendars() -> None:
    # Sorted by deadline (the queue's order): a round-the-clock Sev 2 due in 7h 47m
    # comes before an 08-17 case due tomorrow with 6 business hours left. The
    # first shows its countdown, the second its due day and time: never "6h 00m"
    # below "7h 47m" (seen on the demo desk, case 40138).
    p1_p6 = PolicyCatalog([settings.packaged_policy_dir()]).get("p1-p6")
    now = datetime(2026, 12, 3, 18, 0, tzinfo=UTC)  # Thu 13:00 New York
    round_the_clock = replace(row(now + timedelta(hours=7, minutes=47)), policy="p1-p6", severity=2)
    business = row(datetime(2026, 12, 4, 16, 0, tzinfo=UTC))  # Fri 11:00 New York
    first = countdown(round_the_clock, p1_p6, now)
    second = countdown(business, policy(), now)
    assert (first.left, first.far) == ("7h 47m", False)
    assert first.left_time is not None and second.left_time is not None
    assert second.left_time < first.left_time
    assert second.far and second.due == business.next_due


def test_a_round_the_clock_policy_counts_whole_days_and_is_far_from_a_day() -> None:
    p1_p6 = PolicyCatalog([settings.packaged_policy_dir()]).get("p1-p6")
    later = replace(row(MONDAY_NOON + timedelta(days=2, hours=4)), policy="p1-p6", severity=3)
    shown = countdown(later, p1_p6, MONDAY_NOON)
    assert shown.far and shown.left == "2d 4h"
    near = replace(later, next_due=MONDAY_NOON + timedelta(hours=23, minutes=59))
    assert not countdown(near, p1_p6, MONDAY_NOON).far


def test_a_breached_clock_is_never_far() -> None:
    shown = countdown(row(MONDAY_NOON - timedelta(days=3)), policy(), MONDAY_NOON)
    assert shown.state == "breached" and not shown.far


def test_a_case_breached_at_a_close_says_how_long_ago_all_night() -> None:
    close = datetime(2026, 11, 30, 22, 0, tzinfo=UTC)  # Mon 17:00 New York
    for later in (timedelta(seconds=0.2), timedelta(hours=3, minutes=5), timedelta(hours=26)):
        shown = countdown(row(close), policy(), close + later)
        assert shown.state == "breached"
        assert shown.left != "-0m 00s"
        assert shown.left.startswith("-")
    assert countdown(row(close), policy(), close + timedelta(hours=3, minutes=5)).left == "-3h 05m"
    assert countdown(row(close), policy(), close + timedelta(seconds=0.2)).left == "-0m 01s"
