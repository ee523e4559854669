"""Where deskterm must agree with its peers at the edges (issue 22, items 1-4).

Peers' own examples cited here:

- Perl Business::Hours (Best Practical, the engine of Request Tracker's SLA), its test
  file t/1-business-hours.t (github.com/bestpractical/business-hours; Perl's licence,
  Artistic or GPL): default hours Mon-Fri 09:00-18:00, instants counted from epoch 0
  (Thu 1 Jan 1970). Only the scenarios and their expected answers are taken.
- The biz gem (github.com/zendesk/biz, Apache-2.0, the calculator Zammad uses), its
  spec/calculation/for_duration_spec.rb and spec/periods/after_spec.rb: hours Mon 09-17,
  Tue 10-16, Wed 09-17, Thu 10-16, Fri 09-17, Sat 11-14:30 in UTC, holidays 16 and 18
  Jan 2006.
"""

from __future__ import annotations

import warnings
from datetime import UTC, date, datetime, timedelta

import holidays
import pytest

from deskterm.sla import CaseHistory, ClockKind, ClockState, RespondedToCustomer, compute_clocks

from .helpers import at, due_after, make_calendar, make_policy, show, weekdays

UTC_NAME = "UTC"
RT_HOURS = weekdays("09:00-18:00")  # Business::Hours' default week
BIZ_HOURS = (
    '{ mon = "09:00-17:00", tue = "10:00-16:00", wed = "09:00-17:00", '
    'thu = "10:00-16:00", fri = "09:00-17:00", sat = "11:00-14:30" }'
)
BIZ_HOLIDAYS = ("2006-01-16", "2006-01-18")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


# -- item 1: instants in 1970 --------------------------------------------------------


def test_the_issues_1970_example_is_due_the_same_morning():
    policy_hours = weekdays("09:00-18:00")
    assert (
        due_after(policy_hours, "1970-01-01 00:00", "30m", zone=UTC_NAME)
        == "Thu 1970-01-01 09:30 UTC"
    )


def test_business_hours_first_week_after_the_epoch_has_45_working_hours():
    # t/1-business-hours.t: for_timespan(Start => 0, End => 86400 * 7 - 1) has 45h.
    calendar = make_calendar(RT_HOURS, zone=UTC_NAME)
    assert calendar.open_time_between(utc(1970, 1, 1), utc(1970, 1, 8)) == timedelta(hours=45)


def test_business_hours_add_seconds_from_the_epoch_starts_at_the_first_opening():
    # t/1-business-hours.t: add_seconds(0, 30 * 60) spans 30 minutes of business time,
    # counted from the first opening after epoch 0 (Thu 1 Jan 1970 09:00).
    calendar = make_calendar(RT_HOURS, zone=UTC_NAME)
    due = calendar.add(utc(1970, 1, 1), timedelta(minutes=30))
    assert due == utc(1970, 1, 1, 9, 30)
    assert calendar.open_time_between(utc(1970, 1, 1), due) == timedelta(minutes=30)


def test_business_hours_first_after_a_sunday_is_monday_nine():
    # t/1-business-hours.t: first_after(the first Sunday after epoch 0) is Monday 09:00.
    calendar = make_calendar(RT_HOURS, zone=UTC_NAME)
    assert calendar.next_opening(utc(1970, 1, 4)) == utc(1970, 1, 5, 9)


@pytest.mark.parametrize("zone", ["UTC", "America/Denver", "Pacific/Kiritimati", "Asia/Kolkata"])
def test_the_first_instants_deskterm_accepts_are_exact_in_any_zone(zone):
    calendar = make_calendar('"24x7"', zone=zone)
    epoch = utc(1970, 1, 1)
    assert calendar.add(epoch, timedelta(minutes=30)) == utc(1970, 1, 1, 0, 30)
    assert calendar.open_time_between(epoch, utc(1970, 1, 2)) == timedelta(days=1)


@pytest.mark.parametrize("year", [1970, 1971, 2026, 2500, 2999])
def test_a_day_of_office_hours_is_exact_across_the_accepted_years(year):
    calendar = make_calendar(weekdays(), zone=UTC_NAME)
    start = utc(year, 1, 1)
    due = calendar.add(start, timedelta(hours=1))
    assert due.year == year
    assert due == calendar.next_opening(start) + timedelta(hours=1)
    assert calendar.open_time_between(start, due) == timedelta(hours=1)


def test_the_last_instants_deskterm_accepts_carry_into_3000():
    calendar = make_calendar(weekdays(), zone=UTC_NAME)
    # Tue 31 Dec 2999 16:30: 1h of office time ends on Wed 1 Jan 3000 at 09:30.
    assert calendar.add(utc(2999, 12, 31, 16, 30), timedelta(hours=1)) == utc(3000, 1, 1, 9, 30)


# -- item 2: a deadline that runs out at a close --------------------------------------


def test_biz_nineteen_hours_from_monday_eleven_is_wednesday_four():
    # spec/calculation/for_duration_spec.rb: 19h after Mon 2 Jan 2006 11:00 UTC.
    assert due_after(BIZ_HOURS, "2006-01-02 11:00", "19h", zone=UTC_NAME) == (
        "Wed 2006-01-04 16:00 UTC"
    )


def test_biz_holidays_are_skipped():
    # spec/periods/after_spec.rb: from Sat 14 Jan 2006 the next periods are Sat 11:00-14:30,
    # then Tue 17 Jan 10:00-16:00 (Mon 16 is a holiday), then Thu 19 (Wed 18 is one).
    calendar = make_calendar(BIZ_HOURS, zone=UTC_NAME, closed=BIZ_HOLIDAYS)
    start = utc(2006, 1, 14)
    assert calendar.open_time_between(start, utc(2006, 1, 20)) == timedelta(hours=3.5 + 6 + 6)
    assert calendar.next_opening(utc(2006, 1, 14, 15)) == utc(2006, 1, 17, 10)
    assert calendar.next_opening(utc(2006, 1, 17, 16)) == utc(2006, 1, 19, 10)


def test_a_target_running_out_at_a_close_is_due_at_the_next_opening():
    # The issue's case: Business::Hours (RT) and biz (Zammad) put it at the next opening.
    assert due_after(weekdays(), "2026-11-16 09:00", "8h") == "Tue 2026-11-17 09:00 MST"
    # On biz's week: 12h from Mon 2 Jan 2006 11:00 runs out at Tuesday's 16:00 close.
    assert due_after(BIZ_HOURS, "2006-01-02 11:00", "12h", zone=UTC_NAME) == (
        "Wed 2006-01-04 09:00 UTC"
    )


def test_a_target_running_out_at_fridays_close_is_due_monday_morning():
    assert due_after(weekdays(), "2026-11-20 09:00", "8h") == "Mon 2026-11-23 09:00 MST"


def test_a_target_running_out_at_lunch_is_due_when_the_afternoon_opens():
    split = weekdays("09:00-12:00,13:00-17:00")
    assert due_after(split, "2026-11-16 11:30", "30m") == "Mon 2026-11-16 13:00 MST"


def test_round_the_clock_has_no_close_to_move_past():
    assert due_after('"24x7"', "2026-11-20 20:00", "8h") == "Sat 2026-11-21 04:00 MST"


def _first_response(responded_at: str | None, now: str):
    policy = make_policy(weekdays(), first_response="8h")
    events = (RespondedToCustomer(at(responded_at)),) if responded_at else ()
    history = CaseHistory(at("2026-11-16 09:00"), 1, events)
    return compute_clocks(policy, history, at(now))[ClockKind.FIRST_RESPONSE]


def test_a_reply_at_the_next_opening_meets_a_target_that_ran_out_at_the_close():
    clock = _first_response("2026-11-17 09:00", now="2026-11-17 09:00")
    assert clock.state is ClockState.MET
    assert clock.left == timedelta(0)


def test_the_night_after_the_close_the_clock_is_not_breached():
    clock = _first_response(None, now="2026-11-16 23:00")
    assert clock.state is ClockState.RUNNING
    assert clock.left == timedelta(0)
    assert show(clock.due) == "Tue 2026-11-17 09:00 MST"


def test_a_minute_of_business_time_past_the_target_is_a_breach():
    clock = _first_response("2026-11-17 09:01", now="2026-11-17 09:01")
    assert clock.state is ClockState.BREACHED
    assert clock.left == -timedelta(minutes=1)


# -- item 3: holidays past the package's range ----------------------------------------------


def test_a_calendar_knows_which_years_its_holidays_cover():
    calendar = make_calendar(weekdays(), zone="America/New_York", holidays="US")
    assert calendar.holiday_years == (1777, 2100)
    assert calendar.years_without_holidays(date(2026, 1, 1), date(2027, 1, 1)) == []
    assert calendar.years_without_holidays(date(2100, 12, 1), date(2102, 1, 5)) == [2101, 2102]


def test_policy_check_warns_that_holidays_stop_at_the_packages_last_year():
    policy = make_policy(weekdays(), zone="America/New_York", holidays="US")
    assert policy.warnings == (
        "<policy>: calendars.c.holidays: the holidays package knows US holidays from 1777 "
        "to 2100 only: outside those years (deskterm takes instants from 1970 to 2999) this "
        "calendar closes for no public holiday; list them under `closed` if you need them",
    )
    assert make_policy(weekdays()).warnings == ()


def test_why_says_when_a_deadline_runs_past_the_known_holidays():
    # Christmas 2201 is a Friday the package does not know: counted as a business day.
    policy = make_policy(weekdays(), zone="America/New_York", holidays="US", first_response="8h")
    history = CaseHistory(at("2201-12-24 10:00", "America/New_York"), 1)
    clock = compute_clocks(policy, history, at("2201-12-24 10:00", "America/New_York"))[
        ClockKind.FIRST_RESPONSE
    ]
    assert show(clock.due, "America/New_York") == "Fri 2201-12-25 10:00 EST"
    assert clock.explanation.endswith(
        "; US holidays are known to 2100 only: none is counted in 2201"
    )


def warned_of(spec: str, year: int) -> bool:
    """The `holidays` package warns that it has `year` of `spec` only in part."""
    country, _, subdivision = spec.partition("-")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        holidays.country_holidays(country, subdiv=subdivision or None, years=year)
    return any(issubclass(each.category, UserWarning) for each in caught)


def test_years_the_package_has_only_in_part_are_years_without_holidays():
    # India's Hindu holidays are in the package for a span of years; asked for another
    # year it answers the fixed-date holidays alone, with a UserWarning that reached
    # the command line as Python's own text (`holiday_dates.py:80: UserWarning: ...`).
    package = holidays.country_holidays("IN")
    assert warned_of("IN", package.end_year), "the package now has India's years whole"
    calendar = make_calendar(weekdays(), zone="Asia/Kolkata", holidays="IN")
    first, last = calendar.holiday_years
    assert package.start_year < first <= last < package.end_year
    assert warned_of("IN", first - 1) and not warned_of("IN", first)
    assert warned_of("IN", last + 1) and not warned_of("IN", last)
    policy = make_policy(weekdays(), zone="Asia/Kolkata", holidays="IN", first_response="8h")
    assert f"knows IN holidays from {first} to {last} only" in policy.warnings[0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing of the package's own reaches the user
        # Republic Day, 26 January: the package knows it every year, deskterm counts
        # no holiday of a year the package has only in part (and says so).
        received = at(f"{last + 1}-01-26 10:00", "Asia/Kolkata")
        clock = compute_clocks(policy, CaseHistory(received, 1), received)[ClockKind.FIRST_RESPONSE]
    plain = make_policy(weekdays(), zone="Asia/Kolkata", first_response="8h")
    assert (
        clock.due
        == compute_clocks(plain, CaseHistory(received, 1), received)[ClockKind.FIRST_RESPONSE].due
    )
    assert clock.explanation.endswith(
        f"; IN holidays are known to {last} only: none is counted in {last + 1}"
    )


def test_why_says_nothing_of_the_range_inside_it():
    policy = make_policy(weekdays(), zone="America/New_York", holidays="US")
    history = CaseHistory(at("2026-12-24 10:00", "America/New_York"), 1)
    clock = compute_clocks(policy, history, at("2026-12-24 10:00", "America/New_York"))[
        ClockKind.FIRST_RESPONSE
    ]
    assert "known" not in clock.explanation
