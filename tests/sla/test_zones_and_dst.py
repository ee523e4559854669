"""Everything is evaluated in the calendar's IANA zone, so DST weeks come out right.

DST changes in 2026: US 8 Mar (02:00 -> 03:00) and 1 Nov (02:00 -> 01:00);
EU 29 Mar (02:00 -> 03:00) and 25 Oct (03:00 -> 02:00); Sydney 5 Apr (03:00 ->
02:00) and 4 Oct (02:00 -> 03:00). Kolkata (UTC+05:30) has none.
"""

import pytest

from .helpers import (
    BERLIN,
    DENVER,
    KOLKATA,
    NEW_YORK,
    SYDNEY,
    WHOLE_DAY,
    at,
    due_after,
    first_response_due,
    make_policy,
    show,
    weekdays,
)

OFFICE = weekdays()  # Mon-Fri 09:00-17:00
ALWAYS = '"24x7"'


# -- America/Denver, US DST -----------------------------------------------------------


def test_office_hours_keep_their_wall_clock_across_spring_forward():
    # Fri 15:00 MST + 8h: 2h Friday, 6h Monday, opening at 09:00 MDT.
    got = due_after(OFFICE, "2026-03-06 15:00", "8h", zone=DENVER, holidays="US-CO")
    assert got == "Mon 2026-03-09 15:00 MDT"


def test_office_hours_keep_their_wall_clock_across_fall_back():
    got = due_after(OFFICE, "2026-10-30 15:00", "8h", zone=DENVER, holidays="US-CO")
    assert got == "Mon 2026-11-02 15:00 MST"


def test_round_the_clock_day_with_spring_forward_has_23_hours():
    # 24h from Sat 12:00 MST is Sun 12:00 MST, which the wall clock calls 13:00 MDT.
    assert due_after(ALWAYS, "2026-03-07 12:00", "24h", zone=DENVER) == "Sun 2026-03-08 13:00 MDT"


def test_round_the_clock_day_with_fall_back_has_25_hours():
    assert due_after(ALWAYS, "2026-10-31 12:00", "24h", zone=DENVER) == "Sun 2026-11-01 11:00 MST"


def test_round_the_clock_counts_the_repeated_fall_back_hour_twice():
    first_pass = at("2026-11-01 01:30", DENVER, fold=0)  # 01:30 MDT
    second_pass = at("2026-11-01 01:30", DENVER, fold=1)  # 01:30 MST, an hour later
    policy = make_policy(ALWAYS, zone=DENVER, first_response="30m")
    assert show(first_response_due(policy, first_pass)) == "Sun 2026-11-01 01:00 MST"
    assert show(first_response_due(policy, second_pass)) == "Sun 2026-11-01 02:00 MST"


def test_round_the_clock_skips_the_missing_spring_forward_hour():
    assert due_after(ALWAYS, "2026-03-08 01:30", "2h", zone=DENVER) == "Sun 2026-03-08 04:30 MDT"


def test_night_hours_across_spring_forward_hold_one_hour_less():
    # Sundays 00:00-06:00 hold 5h on 8 Mar: 5h runs out at its close (so is due at the
    # next opening, a week later) and 6h runs over to the next Sunday.
    sundays = '{ sun = "00:00-06:00" }'
    assert due_after(sundays, "2026-03-08 00:00", "5h", zone=DENVER) == "Sun 2026-03-15 00:00 MDT"
    assert due_after(sundays, "2026-03-08 00:00", "4h59m", zone=DENVER) == (
        "Sun 2026-03-08 05:59 MDT"
    )
    assert due_after(sundays, "2026-03-08 00:00", "6h", zone=DENVER) == "Sun 2026-03-15 01:00 MDT"


def test_night_hours_across_fall_back_hold_one_hour_more():
    sundays = '{ sun = "00:00-06:00" }'
    assert due_after(sundays, "2026-11-01 00:00", "6h", zone=DENVER) == "Sun 2026-11-01 05:00 MST"
    assert due_after(sundays, "2026-11-01 00:00", "6h59m", zone=DENVER) == (
        "Sun 2026-11-01 05:59 MST"
    )
    assert due_after(sundays, "2026-11-01 00:00", "7h", zone=DENVER) == "Sun 2026-11-08 00:00 MST"


def test_an_opening_the_spring_forward_gap_swallows_holds_no_time():
    hours = weekdays(sun="02:00-03:00")
    got = due_after(hours, "2026-03-07 12:00", "30m", zone=DENVER)
    assert got == "Mon 2026-03-09 09:30 MDT"
    # The same range a week later is an ordinary hour.
    assert due_after(hours, "2026-03-14 12:00", "30m", zone=DENVER) == "Sun 2026-03-15 02:30 MDT"


def test_whole_weekdays_across_the_dst_weekends():
    every_weekday = weekdays(WHOLE_DAY)
    assert due_after(every_weekday, "2026-03-06 20:00", "8h") == "Mon 2026-03-09 04:00 MDT"
    assert due_after(every_weekday, "2026-10-30 20:00", "8h") == "Mon 2026-11-02 04:00 MST"


def test_business_days_across_the_dst_weekends_keep_the_wall_clock_on_office_hours():
    assert due_after(OFFICE, "2026-03-06 14:00", "1bd") == "Mon 2026-03-09 14:00 MDT"
    assert due_after(OFFICE, "2026-10-30 14:00", "1bd") == "Mon 2026-11-02 14:00 MST"
    assert due_after(OFFICE, "2026-10-30 14:00", "nbd") == "Mon 2026-11-02 17:00 MST"


def test_round_the_clock_business_day_is_as_much_open_time_into_a_23_hour_day():
    # Sat 12:00 is 12h into Saturday; 12h into Sunday 8 Mar (which has 23h) is 13:00 MDT.
    assert due_after(ALWAYS, "2026-03-07 12:00", "1bd", zone=DENVER) == "Sun 2026-03-08 13:00 MDT"
    assert due_after(ALWAYS, "2026-10-31 12:00", "1bd", zone=DENVER) == "Sun 2026-11-01 11:00 MST"


# -- Europe/Berlin, EU DST -------------------------------------------------------------


def test_berlin_office_hours_across_eu_spring_forward():
    got = due_after(OFFICE, "2026-03-27 13:00", "8h", zone=BERLIN, holidays="DE")
    assert got == "Mon 2026-03-30 13:00 CEST"


def test_berlin_office_hours_across_eu_fall_back():
    got = due_after(OFFICE, "2026-10-23 13:00", "8h", zone=BERLIN, holidays="DE")
    assert got == "Mon 2026-10-26 13:00 CET"


def test_berlin_round_the_clock_across_both_eu_changes():
    assert due_after(ALWAYS, "2026-03-28 12:00", "24h", zone=BERLIN) == "Sun 2026-03-29 13:00 CEST"
    assert due_after(ALWAYS, "2026-10-24 12:00", "24h", zone=BERLIN) == "Sun 2026-10-25 11:00 CET"


def test_berlin_repeats_the_hour_from_two_to_three_at_fall_back():
    policy = make_policy(ALWAYS, zone=BERLIN, first_response="1h")
    received = at("2026-10-25 02:30", BERLIN, fold=0)  # 02:30 CEST
    assert show(first_response_due(policy, received), BERLIN) == "Sun 2026-10-25 02:30 CET"


def test_berlin_easter_closes_good_friday_and_easter_monday():
    got = due_after(OFFICE, "2026-04-02 16:00", "2h", zone=BERLIN, holidays="DE")
    assert got == "Tue 2026-04-07 10:00 CEST"


def test_a_berlin_calendar_opens_at_nine_berlin_time_while_only_the_us_has_changed():
    # 16 Mar 2026: New York is on EDT already, Berlin still on CET (5h apart, not 6h).
    policy = make_policy(OFFICE, zone=BERLIN, holidays="DE")
    due = first_response_due(policy, at("2026-03-16 05:00", NEW_YORK))  # 10:00 CET
    assert show(due, BERLIN) == "Tue 2026-03-17 10:00 CET"
    assert show(due, NEW_YORK) == "Tue 2026-03-17 05:00 EDT"


# -- Asia/Kolkata, no DST, half-hour offset --------------------------------------------


def test_kolkata_office_closes_on_republic_day():
    hours = weekdays("10:00-18:00")
    got = due_after(hours, "2026-01-23 17:00", "4h", zone=KOLKATA, holidays="IN")
    assert got == "Tue 2026-01-27 13:00 IST"


def test_kolkata_next_business_day_skips_republic_day():
    hours = weekdays("10:00-18:00")
    got = due_after(hours, "2026-01-23 11:00", "nbd", zone=KOLKATA, holidays="IN")
    assert got == "Tue 2026-01-27 18:00 IST"


def test_kolkata_opening_is_at_the_half_hour_in_utc():
    policy = make_policy(weekdays("10:00-18:00"), zone=KOLKATA, first_response="30m")
    due = first_response_due(policy, at("2026-01-27 03:00", "UTC"))  # 08:30 IST, closed
    assert show(due, KOLKATA) == "Tue 2026-01-27 10:30 IST"
    assert show(due, "UTC") == "Tue 2026-01-27 05:00 UTC"


# -- Australia/Sydney, southern DST -----------------------------------------------------


def test_sydney_easter_and_the_end_of_daylight_time_in_one_weekend():
    # Good Friday 3 Apr, Easter Monday 6 Apr; AEDT ends Sun 5 Apr.
    got = due_after(OFFICE, "2026-04-02 15:00", "8h", zone=SYDNEY, holidays="AU-NSW")
    assert got == "Tue 2026-04-07 15:00 AEST"


def test_sydney_round_the_clock_across_both_changes():
    assert due_after(ALWAYS, "2026-04-04 12:00", "24h", zone=SYDNEY) == "Sun 2026-04-05 11:00 AEST"
    assert due_after(ALWAYS, "2026-10-03 12:00", "24h", zone=SYDNEY) == "Sun 2026-10-04 13:00 AEDT"


def test_sydney_labour_day_after_daylight_time_starts():
    got = due_after(OFFICE, "2026-10-02 16:00", "2h", zone=SYDNEY, holidays="AU-NSW")
    assert got == "Tue 2026-10-06 10:00 AEDT"


# -- the same instant, whatever zone it was written in ----------------------------------


@pytest.mark.parametrize("written_in", ["UTC", DENVER, BERLIN, KOLKATA, SYDNEY])
def test_the_deadline_does_not_depend_on_the_zone_the_received_instant_was_written_in(written_in):
    policy = make_policy(OFFICE, zone=DENVER, holidays="US-CO")
    received = at("2026-11-25 16:00", DENVER)
    due = first_response_due(policy, received.astimezone(at("2026-01-01", written_in).tzinfo))
    assert show(due) == "Fri 2026-11-27 16:00 MST"
