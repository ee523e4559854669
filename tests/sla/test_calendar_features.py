"""Calendar features peers have (issue 22): dated special hours and partial closures,
days taken off a country's holiday list, dates closed every year, holidays from an
.ics file, ranges across midnight, and targets under a minute refused in words.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deskterm.sla import PolicyError, parse_duration, parse_policy
from deskterm.sla.duration import DurationError
from deskterm.sla.policy_toml import load_policy

from .helpers import BERLIN, DENVER, SYDNEY, at, show

MINUTE = timedelta(minutes=1)


def policy_text(calendar_lines: str, zone: str = DENVER, target: str = "8h") -> str:
    return (
        f'name = "features"\ntimezone = "{zone}"\n\n'
        "[calendars.c]\n"
        f"{calendar_lines}\n\n"
        f'[severity.1]\ncalendar = "c"\nfirst_response = "{target}"\n'
    )


OFFICE = (
    'hours = { mon = "09:00-17:00", tue = "09:00-17:00", wed = "09:00-17:00", '
    'thu = "09:00-17:00", fri = "09:00-17:00" }'
)


def calendar(lines: str, zone: str = DENVER):
    return parse_policy(policy_text(lines, zone)).calendars["c"]


def due(lines: str, received: str, amount: str, zone: str = DENVER) -> str:
    cal = calendar(lines, zone)
    target = parse_duration(amount)
    return show(cal.due(at(received, zone), target.amount), zone)  # type: ignore[union-attr]


def problems(text: str) -> list[str]:
    with pytest.raises(PolicyError) as caught:
        parse_policy(text, "p.toml")
    return caught.value.problems


# -- dated special hours and partial closures --------------------------------------------


def test_special_hours_replace_a_dates_weekly_hours():
    lines = OFFICE + '\nspecial_hours = { 2026-12-24 = "09:00-13:00" }'
    # Thu 24 Dec opens 09:00-13:00 only: 5h from Thu 10:00 is 3h that day, 2h on Friday.
    assert due(lines, "2026-12-24 10:00", "5h") == "Fri 2026-12-25 11:00 MST"


def test_special_hours_open_a_weekend_day_and_a_holiday():
    lines = (
        OFFICE
        + '\nholidays = "US"\nspecial_hours = { 2026-11-28 = "10:00-12:00", '
        + '2026-11-26 = "09:00-11:00" }'
    )
    # Thanksgiving (Thu 26) opens 09:00-11:00 and Saturday 28 10:00-12:00.
    assert due(lines, "2026-11-25 16:00", "2h") == "Thu 2026-11-26 10:00 MST"
    assert due(lines, "2026-11-27 16:00", "2h") == "Sat 2026-11-28 11:00 MST"


def test_a_partial_closure_takes_hours_out_of_one_date():
    lines = OFFICE + '\nclosed_hours = { 2026-11-18 = "12:00-15:00" }'
    # Wed 18 Nov opens 09:00-12:00 and 15:00-17:00: 4h from 10:00 ends at 17:00, due Thu 09:00.
    assert due(lines, "2026-11-18 10:00", "4h") == "Thu 2026-11-19 09:00 MST"
    assert due(lines, "2026-11-18 10:00", "3h") == "Wed 2026-11-18 16:00 MST"
    cal = calendar(lines)
    assert cal.closed_reason(at("2026-11-18 13:00")) == "closed part of the day"


# -- the country's list, less some days; dates closed every year -------------------------


def test_a_day_taken_off_the_holiday_list_is_a_business_day():
    with_thanksgiving = OFFICE + '\nholidays = "US"'
    assert due(with_thanksgiving, "2026-11-25 16:00", "2h") == "Fri 2026-11-27 10:00 MST"
    without = with_thanksgiving + '\nholidays_except = ["2026-11-26"]'
    assert due(without, "2026-11-25 16:00", "2h") == "Thu 2026-11-26 10:00 MST"


def test_a_date_closed_every_year_is_closed_in_any_year():
    lines = OFFICE + '\nclosed_yearly = ["12-24", "12-31"]'
    cal = calendar(lines)
    for year in (1970, 2026, 2027, 2999):
        assert not cal.is_business_day(date(year, 12, 24)) or date(year, 12, 24).weekday() >= 5
        assert cal.closure(date(year, 12, 31)) is not None
    assert due(lines, "2026-12-23 16:00", "2h") == "Fri 2026-12-25 10:00 MST"


# -- holidays from an iCalendar file ------------------------------------------------------

# Shaped like a downloaded feed: folded lines, escapes, a multi-day event.
ICS = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Example Corp//Holidays//EN\r\n"
    "BEGIN:VEVENT\r\nUID:1@example\r\nDTSTAMP:20260101T000000Z\r\n"
    "DTSTART;VALUE=DATE:20261118\r\nDTEND;VALUE=DATE:20261120\r\n"
    "SUMMARY:Company off-site\\, all\r\n  staff\r\nEND:VEVENT\r\n"
    "BEGIN:VEVENT\r\nUID:2@example\r\nDTSTAMP:20260101T000000Z\r\n"
    "DTSTART;VALUE=DATE:20261224\r\nSUMMARY:Christmas Eve\r\nEND:VEVENT\r\n"
    "END:VCALENDAR\r\n"
)


def test_holidays_imported_from_an_ics_file_close_whole_days(tmp_path: Path):
    (tmp_path / "company.ics").write_text(ICS, encoding="utf-8", newline="")
    policy_file = tmp_path / "p.toml"
    policy_file.write_text(policy_text(OFFICE + '\nholidays_file = "company.ics"'))
    cal = load_policy(policy_file).calendars["c"]
    # Wed 18 and Thu 19 are the off-site (DTEND is exclusive), Thu 24 Dec Christmas Eve.
    assert [cal.is_business_day(date(2026, 11, d)) for d in (17, 18, 19, 20)] == [
        True,
        False,
        False,
        True,
    ]
    closure = cal.closure(date(2026, 11, 18))
    assert closure is not None and closure.name == "Company off-site, all staff"
    assert not cal.is_business_day(date(2026, 12, 24))


def test_an_ics_file_with_a_repeating_event_is_refused_in_words(tmp_path: Path):
    repeating = ICS.replace("SUMMARY:Christmas Eve", "RRULE:FREQ=YEARLY\r\nSUMMARY:Christmas Eve")
    (tmp_path / "company.ics").write_text(repeating, encoding="utf-8", newline="")
    policy_file = tmp_path / "p.toml"
    policy_file.write_text(policy_text(OFFICE + '\nholidays_file = "company.ics"'))
    with pytest.raises(PolicyError) as caught:
        load_policy(policy_file)
    (line,) = caught.value.problems
    assert line.startswith(f"{policy_file}:6: calendars.c.holidays_file: ")
    assert "repeats (RRULE)" in line and "closed_yearly" in line


def test_a_missing_ics_file_is_a_problem_with_file_line_and_key(tmp_path: Path):
    policy_file = tmp_path / "p.toml"
    policy_file.write_text(policy_text(OFFICE + '\nholidays_file = "nope.ics"'))
    with pytest.raises(PolicyError) as caught:
        load_policy(policy_file)
    (line,) = caught.value.problems
    assert line.startswith(f"{policy_file}:6: calendars.c.holidays_file: cannot read")


# -- ranges across midnight ----------------------------------------------------------------


def test_a_night_shift_across_midnight():
    night = 'hours = { mon = "22:00-06:00", tue = "22:00-06:00" }'
    assert due(night, "2026-11-16 23:00", "2h") == "Tue 2026-11-17 01:00 MST"
    # Mon 22:00 to Tue 06:00 and Tue 22:00 to Wed 06:00: 10h from Mon 22:00.
    assert due(night, "2026-11-16 22:00", "10h") == "Wed 2026-11-18 00:00 MST"
    cal = calendar(night)
    assert cal.open_time_between(at("2026-11-16 00:00"), at("2026-11-19 00:00")) == timedelta(
        hours=16
    )


@pytest.mark.parametrize(
    ("zone", "night", "hours"),
    [
        # US spring forward, Sun 8 Mar 2026 02:00 -> 03:00: Sat 22:00 to Sun 06:00 holds 7h.
        (DENVER, "2026-03-07", 7),
        # US fall back, Sun 1 Nov 2026: the night holds 9h.
        (DENVER, "2026-10-31", 9),
        # EU spring forward, Sun 29 Mar 2026.
        (BERLIN, "2026-03-28", 7),
        # EU fall back, Sun 25 Oct 2026.
        (BERLIN, "2026-10-24", 9),
        # Sydney fall back, Sun 5 Apr 2026 03:00 -> 02:00.
        (SYDNEY, "2026-04-04", 9),
        # Sydney spring forward, Sun 4 Oct 2026 02:00 -> 03:00.
        (SYDNEY, "2026-10-03", 7),
    ],
)
def test_a_saturday_night_shift_holds_the_dst_change(zone, night, hours):
    cal = calendar('hours = { sat = "22:00-06:00" }', zone)
    start = at(f"{night} 22:00", zone)
    assert cal.open_time_between(start, start + timedelta(days=1)) == timedelta(hours=hours)
    # In UTC: Python adds to a zoned datetime by wall clock.
    one_hour_before_the_end = start.astimezone(UTC) + timedelta(hours=hours - 1)
    assert cal.due(start, timedelta(hours=hours - 1)) == one_hour_before_the_end


def test_an_overnight_range_may_not_run_into_the_next_days_hours():
    lines = 'hours = { mon = "22:00-06:00", tue = "05:00-09:00" }'
    (line,) = problems(policy_text(lines))
    assert "hours.tue" in line and "overlap" in line


# -- targets under a minute ---------------------------------------------------------------


@pytest.mark.parametrize("text", ["45s", "30 seconds", "0.5m", ".25m", "90s"])
def test_targets_in_seconds_or_under_a_minute_are_refused_in_words(text):
    with pytest.raises(DurationError, match="targets are whole minutes; the shortest is 1m"):
        parse_duration(text)


def test_policy_check_names_a_sub_minute_target():
    (line,) = problems(policy_text(OFFICE, target="45s"))
    assert "severity.1.first_response" in line and "whole minutes" in line


# -- mistakes in the new keys: file, line and key ---------------------------------------------


def test_each_new_keys_mistakes_name_file_line_and_key():
    text = policy_text(
        OFFICE
        + '\nholidays = "US"'
        + '\nspecial_hours = { 2026-12-24 = "13:00-09:00", "24 Dec" = "09:00-13:00" }'
        + '\nclosed_hours = { 2026-11-18 = "noon" }'
        + '\nholidays_except = ["2026-11-27"]'
        + '\nclosed_yearly = ["12-32"]'
    )
    found = problems(text)
    assert found == [
        "p.toml:7: calendars.c.special_hours.2026-12-24: '13:00-09:00': a range runs forward "
        "within one day (00:00-24:00 at most)",
        "p.toml:7: calendars.c.special_hours.24 Dec: '24 Dec' is not a date like 2026-12-24",
        "p.toml:8: calendars.c.closed_hours.2026-11-18: 'noon' is not a range like 09:00-17:00",
        "p.toml:9: calendars.c.holidays_except[0]: 2026-11-27 is not a US holiday",
        "p.toml:10: calendars.c.closed_yearly[0]: '12-32' is not a month-day like 12-24",
    ]


def test_holidays_except_needs_a_country():
    (line,) = problems(policy_text(OFFICE + '\nholidays_except = ["2026-11-26"]'))
    assert line == (
        "p.toml:6: calendars.c.holidays_except: needs `holidays` "
        "(a country whose list it takes days off)"
    )


# -- against a minute-by-minute count --------------------------------------------------------

FEATURES = (
    'hours = { mon = "09:00-17:00", tue = "22:00-06:00", wed = "09:00-12:00,13:00-17:00", '
    'fri = "09:00-17:00" }\nholidays = "US"\nholidays_except = ["2026-11-11"]\n'
    'special_hours = { 2026-11-21 = "10:00-14:00", 2026-11-26 = "09:00-10:30" }\n'
    'closed_hours = { 2026-11-16 = "11:00-13:30", 2026-11-20 = "00:00-10:00" }\n'
    'closed_yearly = ["11-18"]'
)


def minute_open(cal, minute: datetime) -> bool:
    """Whether the calendar is open in this minute, from the policy's words alone."""
    local = minute.astimezone(cal.zone)
    day, clock = local.date(), local.hour * 60 + local.minute
    special = {date(2026, 11, 21): [(600, 840)], date(2026, 11, 26): [(540, 630)]}
    cut = {date(2026, 11, 16): [(660, 810)], date(2026, 11, 20): [(0, 600)]}
    weekly = {
        0: [(540, 1020)],
        1: [(1320, 1440)],
        2: [(0, 360), (540, 720), (780, 1020)],  # Tuesday night runs into Wednesday
        4: [(540, 1020)],
    }
    if day in special:
        ranges = special[day]
    else:
        if (day.month, day.day) == (11, 18):
            return False
        us = {date(2026, 11, 26): "Thanksgiving", date(2026, 11, 11): "Veterans Day"}
        if day in us and day != date(2026, 11, 11):
            return False
        ranges = weekly.get(day.weekday(), [])
    if any(a <= clock < b for a, b in cut.get(day, [])):
        return False
    return any(a <= clock < b for a, b in ranges)


@settings(max_examples=40, deadline=None)
@given(
    st.sampled_from([DENVER, BERLIN, SYDNEY]),
    st.integers(0, 14 * 24 * 4),
    st.integers(0, 60 * 40),
)
def test_the_features_agree_with_a_minute_by_minute_count(zone, quarter, minutes):
    cal = calendar(FEATURES, zone)
    start = datetime(2026, 11, 9, tzinfo=ZoneInfo(zone)).astimezone(UTC) + quarter * 15 * MINUTE
    end = start + minutes * MINUTE
    counted = sum(minute_open(cal, start + i * MINUTE) for i in range(minutes))
    assert cal.open_time_between(start, end) == counted * MINUTE
    amount = min(minutes, 600) * MINUTE
    due_at = cal.due(start, amount)
    assert due_at >= start
    assert cal.open_time_between(start, due_at) == amount
