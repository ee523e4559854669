"""`30m`, `8h`, `1h30m`, `0m`: that much open calendar time after the clock start.

Worked examples on a Mountain Time (America/Denver) desk, week of Mon 16 Nov 2026
(no holidays that week; MST, UTC-7) unless a test says otherwise.
"""

import pytest

from .helpers import SPLIT_DAY, WHOLE_DAY, at, due_after, hours, make_calendar, show, weekdays

OFFICE = weekdays()  # Mon-Fri 09:00-17:00


# -- the clock start ----------------------------------------------------------


def test_received_while_open_the_clock_starts_at_once():
    assert due_after(OFFICE, "2026-11-16 10:00", "30m") == "Mon 2026-11-16 10:30 MST"


def test_received_before_opening_accrues_from_the_opening():
    assert due_after(OFFICE, "2026-11-16 07:00", "30m") == "Mon 2026-11-16 09:30 MST"


def test_received_after_closing_accrues_from_the_next_mornings_opening():
    assert due_after(OFFICE, "2026-11-16 18:00", "30m") == "Tue 2026-11-17 09:30 MST"


def test_received_exactly_at_the_close_accrues_from_the_next_opening():
    assert due_after(OFFICE, "2026-11-16 17:00", "30m") == "Tue 2026-11-17 09:30 MST"


def test_received_exactly_at_the_opening_counts_from_that_instant():
    assert due_after(OFFICE, "2026-11-16 09:00", "30m") == "Mon 2026-11-16 09:30 MST"


def test_received_on_a_saturday_accrues_from_monday_morning():
    assert due_after(OFFICE, "2026-11-21 10:00", "30m") == "Mon 2026-11-23 09:30 MST"


def test_received_late_sunday_night_accrues_from_monday_morning():
    assert due_after(OFFICE, "2026-11-22 23:59", "30m") == "Mon 2026-11-23 09:30 MST"


# -- hours and minutes ---------------------------------------------------------


def test_eight_hours_from_the_opening_runs_out_at_the_close_and_is_due_at_the_next_opening():
    # A clock breaches only once more business time than its target has run (issue 22).
    assert due_after(OFFICE, "2026-11-16 09:00", "8h") == "Tue 2026-11-17 09:00 MST"
    assert due_after(OFFICE, "2026-11-16 09:00", "7h59m") == "Mon 2026-11-16 16:59 MST"


def test_eight_hours_from_midday_carries_over_to_the_next_day():
    assert due_after(OFFICE, "2026-11-16 13:00", "8h") == "Tue 2026-11-17 13:00 MST"


def test_hours_and_minutes_together_carry_over_the_night():
    assert due_after(OFFICE, "2026-11-16 16:00", "1h30m") == "Tue 2026-11-17 09:30 MST"


def test_twenty_four_hours_on_office_hours_is_three_working_days():
    assert due_after(OFFICE, "2026-11-16 09:00", "24h") == "Thu 2026-11-19 09:00 MST"


def test_friday_afternoon_deadlines_skip_the_weekend():
    assert due_after(OFFICE, "2026-11-20 16:00", "8h") == "Mon 2026-11-23 16:00 MST"


def test_a_deadline_landing_on_fridays_close_is_due_monday_morning():
    assert due_after(OFFICE, "2026-11-20 09:00", "8h") == "Mon 2026-11-23 09:00 MST"


@pytest.mark.parametrize("target", ["0m", "immediate"])
def test_an_immediate_target_is_due_the_instant_it_is_received_while_open(target):
    assert due_after(OFFICE, "2026-11-16 10:07", target) == "Mon 2026-11-16 10:07 MST"


@pytest.mark.parametrize("target", ["0m", "immediate"])
def test_an_immediate_target_received_while_closed_is_due_at_the_next_opening(target):
    assert due_after(OFFICE, "2026-11-20 18:00", target) == "Mon 2026-11-23 09:00 MST"


# -- several ranges a day ----------------------------------------------------


def test_the_lunch_break_does_not_count():
    assert due_after(weekdays(SPLIT_DAY), "2026-11-16 11:00", "2h") == "Mon 2026-11-16 14:00 MST"


def test_a_deadline_landing_at_lunch_is_due_at_the_afternoon_opening():
    assert due_after(weekdays(SPLIT_DAY), "2026-11-16 09:00", "3h") == "Mon 2026-11-16 13:00 MST"
    assert due_after(weekdays(SPLIT_DAY), "2026-11-16 11:30", "30m") == "Mon 2026-11-16 13:00 MST"


def test_one_minute_past_the_morning_close_is_one_minute_into_the_afternoon():
    assert due_after(weekdays(SPLIT_DAY), "2026-11-16 11:30", "31m") == "Mon 2026-11-16 13:01 MST"


def test_received_during_lunch_accrues_from_the_afternoon_opening():
    assert due_after(weekdays(SPLIT_DAY), "2026-11-16 12:30", "30m") == "Mon 2026-11-16 13:30 MST"


def test_a_short_friday_counts_only_its_own_hours():
    hours = weekdays(fri="09:00-12:00")
    assert due_after(hours, "2026-11-20 10:00", "4h") == "Mon 2026-11-23 11:00 MST"


# -- whole days and round the clock --------------------------------------------


def test_whole_weekdays_count_through_the_night():
    assert due_after(weekdays(WHOLE_DAY), "2026-11-16 20:00", "8h") == "Tue 2026-11-17 04:00 MST"


def test_whole_weekdays_stop_over_the_weekend():
    assert due_after(weekdays(WHOLE_DAY), "2026-11-20 20:00", "8h") == "Mon 2026-11-23 04:00 MST"


def test_a_whole_weekday_deadline_landing_at_midnight_is_due_monday_at_midnight():
    # 12h from Fri 12:00 runs out at Friday's 24:00; the next opening is Monday 00:00.
    assert due_after(weekdays(WHOLE_DAY), "2026-11-20 12:00", "12h") == "Mon 2026-11-23 00:00 MST"


def test_twenty_four_hours_of_a_whole_day_is_the_next_midnight():
    assert due_after(weekdays(WHOLE_DAY), "2026-11-16 00:00", "24h") == "Tue 2026-11-17 00:00 MST"


def test_round_the_clock_counts_weekends():
    assert due_after('"24x7"', "2026-11-20 20:00", "8h") == "Sat 2026-11-21 04:00 MST"
    assert due_after('"24x7"', "2026-11-21 12:00", "30m") == "Sat 2026-11-21 12:30 MST"


def test_round_the_clock_is_the_same_as_whole_days_every_day():
    every_day = weekdays(WHOLE_DAY, sat=WHOLE_DAY, sun=WHOLE_DAY)
    for received in ("2026-11-20 20:00", "2026-11-21 23:45", "2026-11-22 00:00"):
        assert due_after(every_day, received, "30h") == due_after('"24x7"', received, "30h")


def test_a_night_shift_runs_across_midnight():
    night = '{ mon = "18:00-24:00", tue = "00:00-06:00,18:00-24:00", wed = "00:00-06:00" }'
    assert due_after(night, "2026-11-16 23:00", "2h") == "Tue 2026-11-17 01:00 MST"
    assert due_after(night, "2026-11-17 05:00", "2h") == "Tue 2026-11-17 19:00 MST"


# -- closed days -----------------------------------------------------------------


def test_a_public_holiday_is_closed_all_day():
    # Thu 26 Nov 2026 is Thanksgiving: 1h on Wed, none on Thu, 7h on Fri.
    assert due_after(OFFICE, "2026-11-25 16:00", "8h", holidays="US") == "Fri 2026-11-27 16:00 MST"


def test_a_state_holiday_closes_a_state_calendar_but_not_a_federal_one():
    # Colorado observes Frances Xavier Cabrini Day on Mon 5 Oct 2026 (MDT).
    assert (
        due_after(OFFICE, "2026-10-02 16:00", "2h", holidays="US-CO") == "Tue 2026-10-06 10:00 MDT"
    )
    assert due_after(OFFICE, "2026-10-02 16:00", "2h", holidays="US") == "Mon 2026-10-05 10:00 MDT"


def test_a_holiday_observed_on_friday_closes_the_friday():
    # Independence Day 2026 is a Saturday; the federal holiday is observed Fri 3 Jul.
    assert due_after(OFFICE, "2026-07-02 16:00", "2h", holidays="US") == "Mon 2026-07-06 10:00 MDT"


def test_a_closed_date_is_closed_all_day():
    got = due_after(OFFICE, "2026-11-17 16:00", "2h", closed=("2026-11-18",))
    assert got == "Thu 2026-11-19 10:00 MST"


def test_a_round_the_clock_calendar_with_holidays_stops_on_the_holiday():
    every_day = weekdays(WHOLE_DAY, sat=WHOLE_DAY, sun=WHOLE_DAY)
    got = due_after(every_day, "2026-11-25 23:00", "2h", holidays="US")
    assert got == "Fri 2026-11-27 01:00 MST"


# -- over the years ------------------------------------------------------------------


def test_a_deadline_runs_over_new_year_and_its_holiday():
    got = due_after(OFFICE, "2026-12-31 16:00", "8h", holidays="US")
    assert got == "Mon 2027-01-04 16:00 MST"


def test_the_same_calendar_answers_for_any_year_in_any_order():
    calendar = make_calendar(OFFICE, holidays="US")
    received = ["2026-11-25 16:00", "2031-11-26 16:00", "2024-11-27 16:00", "2026-11-25 16:00"]
    got = [show(calendar.add(at(text), hours(8))) for text in received]
    assert got == [
        "Fri 2026-11-27 16:00 MST",
        "Fri 2031-11-28 16:00 MST",  # Thanksgiving 2031 is Thu 27 Nov
        "Fri 2024-11-29 16:00 MST",  # Thanksgiving 2024 is Thu 28 Nov
        "Fri 2026-11-27 16:00 MST",
    ]


def test_a_long_target_runs_across_several_years():
    # 2000h of 8h days is 250 business days: about a year of weekdays minus holidays.
    calendar = make_calendar(OFFICE)
    due = calendar.add(at("2026-06-01 09:00"), hours(2000))
    assert calendar.open_time_between(at("2026-06-01 09:00"), due) == hours(2000)
    assert show(due) == "Fri 2027-05-14 17:00 MDT"
