"""`Nbd` (N business days, as far into the day) and `nbd` (next business day's close).

Mountain Time desk, weeks of Mon 16 and Mon 23 Nov 2026 (MST). US federal holidays
where named: Thanksgiving is Thu 26 Nov 2026.
"""

from .helpers import SPLIT_DAY, WHOLE_DAY, due_after, weekdays

OFFICE = weekdays()  # Mon-Fri 09:00-17:00

# -- Nbd --------------------------------------------------------------------------


def test_three_business_days_from_monday_opening_is_wednesday_close():
    # The first example: zero into Monday means the close of the day before Thursday.
    assert due_after(OFFICE, "2026-11-16 09:00", "3bd") == "Wed 2026-11-18 17:00 MST"


def test_three_business_days_from_tuesday_afternoon_is_friday_afternoon():
    assert due_after(OFFICE, "2026-11-17 14:00", "3bd") == "Fri 2026-11-20 14:00 MST"


def test_one_business_day_is_the_same_time_next_business_day():
    assert due_after(OFFICE, "2026-11-16 10:30", "1bd") == "Tue 2026-11-17 10:30 MST"


def test_business_days_from_friday_skip_the_weekend():
    assert due_after(OFFICE, "2026-11-20 11:00", "2bd") == "Tue 2026-11-24 11:00 MST"


def test_received_before_opening_counts_business_days_from_that_mornings_opening():
    assert due_after(OFFICE, "2026-11-16 07:00", "3bd") == "Wed 2026-11-18 17:00 MST"


def test_received_after_closing_counts_from_the_next_opening():
    # The clock starts Tue 09:00, zero into Tuesday: three business days is Thursday's close.
    assert due_after(OFFICE, "2026-11-16 18:00", "3bd") == "Thu 2026-11-19 17:00 MST"


def test_received_on_saturday_one_business_day_is_mondays_close():
    assert due_after(OFFICE, "2026-11-21 10:00", "1bd") == "Mon 2026-11-23 17:00 MST"


def test_business_days_skip_a_holiday():
    got = due_after(OFFICE, "2026-11-24 14:00", "3bd", holidays="US")
    assert got == "Mon 2026-11-30 14:00 MST"


def test_received_on_a_holiday_counts_from_the_next_business_days_opening():
    got = due_after(OFFICE, "2026-11-26 10:00", "1bd", holidays="US")
    assert got == "Fri 2026-11-27 17:00 MST"


def test_ten_business_days_across_thanksgiving():
    got = due_after(OFFICE, "2026-11-23 10:00", "10bd", holidays="US")
    assert got == "Tue 2026-12-08 10:00 MST"


def test_business_days_skip_a_closed_date():
    got = due_after(OFFICE, "2026-11-16 11:00", "2bd", closed=("2026-11-17",))
    assert got == "Thu 2026-11-19 11:00 MST"


def test_time_into_a_split_day_counts_only_open_time():
    # Mon 14:00 is 4h into a 09-12,13-17 day, so the deadline is 4h into Wednesday.
    assert due_after(weekdays(SPLIT_DAY), "2026-11-16 14:00", "2bd") == "Wed 2026-11-18 14:00 MST"


def test_received_at_lunch_is_as_far_in_as_the_afternoon_opening():
    # Clock start 13:00 is 3h in: 3h into Tuesday is the morning's close, 12:00.
    assert due_after(weekdays(SPLIT_DAY), "2026-11-16 12:30", "1bd") == "Tue 2026-11-17 12:00 MST"


def test_a_short_target_day_clamps_the_deadline_to_its_close():
    # Tue 15:00 is 6h into Tuesday; Friday opens only 3h, so the deadline is Friday's close.
    short_friday = weekdays(fri="09:00-12:00")
    assert due_after(short_friday, "2026-11-17 15:00", "3bd") == "Fri 2026-11-20 12:00 MST"


def test_a_short_split_target_day_clamps_to_its_last_close():
    short_friday = weekdays(fri="09:00-11:00,13:00-14:00")
    assert due_after(short_friday, "2026-11-17 15:00", "3bd") == "Fri 2026-11-20 14:00 MST"


def test_a_target_day_with_enough_hours_is_not_clamped():
    short_friday = weekdays(fri="09:00-12:00")
    assert due_after(short_friday, "2026-11-17 11:00", "3bd") == "Fri 2026-11-20 11:00 MST"


def test_round_the_clock_business_days_are_calendar_days():
    assert due_after('"24x7"', "2026-11-21 12:00", "2bd") == "Mon 2026-11-23 12:00 MST"


def test_round_the_clock_business_day_from_midnight_ends_at_the_next_midnight():
    assert due_after('"24x7"', "2026-11-16 00:00", "1bd") == "Tue 2026-11-17 00:00 MST"


def test_whole_weekdays_from_friday_midnight_end_at_fridays_close():
    assert due_after(weekdays(WHOLE_DAY), "2026-11-20 00:00", "1bd") == "Sat 2026-11-21 00:00 MST"


# -- nbd ------------------------------------------------------------------------------


def test_next_business_day_is_the_close_of_the_day_after():
    assert due_after(OFFICE, "2026-11-16 10:00", "nbd") == "Tue 2026-11-17 17:00 MST"


def test_next_business_day_counts_from_the_date_received_even_out_of_hours():
    assert due_after(OFFICE, "2026-11-16 20:00", "nbd") == "Tue 2026-11-17 17:00 MST"
    # Received before Monday opens is still Monday's case: due Tuesday, not Monday.
    assert due_after(OFFICE, "2026-11-16 02:00", "nbd") == "Tue 2026-11-17 17:00 MST"


def test_next_business_day_from_friday_is_monday():
    assert due_after(OFFICE, "2026-11-20 10:00", "nbd") == "Mon 2026-11-23 17:00 MST"


def test_next_business_day_from_the_weekend_is_monday():
    assert due_after(OFFICE, "2026-11-21 10:00", "nbd") == "Mon 2026-11-23 17:00 MST"
    assert due_after(OFFICE, "2026-11-22 23:00", "nbd") == "Mon 2026-11-23 17:00 MST"


def test_next_business_day_skips_thanksgiving():
    got = due_after(OFFICE, "2026-11-25 10:00", "nbd", holidays="US")
    assert got == "Fri 2026-11-27 17:00 MST"


def test_next_business_day_received_on_the_holiday_is_the_day_after():
    got = due_after(OFFICE, "2026-11-26 10:00", "nbd", holidays="US")
    assert got == "Fri 2026-11-27 17:00 MST"


def test_next_business_day_uses_the_local_date_received_not_the_utc_date():
    # Mon 23:30 MST is already Tue 06:30 UTC; the case came in on Monday.
    assert due_after(OFFICE, "2026-11-16 23:30", "nbd") == "Tue 2026-11-17 17:00 MST"


def test_next_business_day_ends_at_the_last_close_of_a_split_day():
    assert due_after(weekdays(SPLIT_DAY), "2026-11-16 10:00", "nbd") == "Tue 2026-11-17 17:00 MST"
    short_friday = weekdays(fri="09:00-12:00")
    assert due_after(short_friday, "2026-11-19 10:00", "nbd") == "Fri 2026-11-20 12:00 MST"
