"""Properties of deadlines that must hold on any calendar, at any instant.

Instants cover 2026-2027 uniformly, the weeks around every DST change in the US, the
EU and Sydney, and quarter-hour wall-clock times in the calendar's own zone (which
land exactly on openings and closes, including the repeated fall-back hour).
"""

import functools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from deskterm.sla import BusinessCalendar

from .helpers import BERLIN, DENVER, KOLKATA, NEW_YORK, SYDNEY, make_calendar, weekdays

PROPERTY = settings(max_examples=200, deadline=None)
MICROSECOND = timedelta(microseconds=1)
ZONES = (DENVER, NEW_YORK, BERLIN, KOLKATA, SYDNEY, "UTC")
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# Each made anew where a test needs a calendar of its own (see the 1970-2999 test).
FIXED_CALENDAR_MAKERS = (
    lambda: make_calendar(weekdays(), zone=DENVER, holidays="US-CO"),
    lambda: make_calendar(
        weekdays("08:00-12:00,13:00-16:30"),
        zone=BERLIN,
        holidays="DE",
        closed=("2026-12-24", "2027-12-24"),
    ),
    lambda: make_calendar('"24x7"', zone=SYDNEY),
    lambda: make_calendar(weekdays("00:00-24:00"), zone=NEW_YORK, holidays="US"),
    lambda: make_calendar(weekdays("10:00-18:00", sat="10:00-14:00"), zone=KOLKATA, holidays="IN"),
    # Night hours across the 02:00 changes, and a range the spring-forward gap swallows.
    lambda: make_calendar(
        '{ sat = "22:00-24:00", sun = "00:00-03:00,08:00-09:00", mon = "02:00-03:00" }', zone=DENVER
    ),
)
FIXED_CALENDARS = tuple(make() for make in FIXED_CALENDAR_MAKERS)

DST_CHANGES = [
    datetime(2026, 3, 8, 9, tzinfo=UTC),  # US spring forward
    datetime(2026, 11, 1, 8, tzinfo=UTC),  # US fall back
    datetime(2026, 3, 29, 1, tzinfo=UTC),  # EU spring forward
    datetime(2026, 10, 25, 1, tzinfo=UTC),  # EU fall back
    datetime(2026, 4, 4, 16, tzinfo=UTC),  # Sydney fall back
    datetime(2026, 10, 3, 16, tzinfo=UTC),  # Sydney spring forward
    datetime(2027, 3, 14, 9, tzinfo=UTC),
    datetime(2027, 11, 7, 8, tzinfo=UTC),
    datetime(2027, 3, 28, 1, tzinfo=UTC),
    datetime(2027, 10, 31, 1, tzinfo=UTC),
]
FIRST, LAST = datetime(2026, 1, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC)


@st.composite
def generated_calendars(draw) -> BusinessCalendar:
    """Random weekly hours on a half-hour grid, one or two ranges a day, some days closed."""
    table = {}
    for day in DAY_NAMES:
        cuts = sorted(draw(st.sets(st.integers(0, 48), max_size=4)))
        if len(cuts) % 2:
            cuts = cuts[:-1]
        ranges = [
            f"{a // 2:02d}:{a % 2 * 30:02d}-{b // 2:02d}:{b % 2 * 30:02d}"
            for a, b in zip(cuts[::2], cuts[1::2], strict=True)
        ]
        if ranges:
            table[day] = ",".join(ranges)
    if not table:
        table["wed"] = "09:00-17:00"
    hours = "{ " + ", ".join(f'{day} = "{text}"' for day, text in table.items()) + " }"
    return make_calendar(hours, zone=draw(st.sampled_from(ZONES)))


calendars = st.one_of(st.sampled_from(FIXED_CALENDARS), generated_calendars())


# Once per zone: a strategy is checked (`validate`) the first time it is drawn from,
# and a new one for every case took a quarter of this file's time.
@functools.cache
def instants(zone: ZoneInfo) -> st.SearchStrategy[datetime]:
    uniform = st.datetimes(
        min_value=FIRST.replace(tzinfo=None), max_value=LAST.replace(tzinfo=None)
    ).map(lambda naive: naive.replace(tzinfo=UTC))
    near_dst = st.builds(
        lambda change, minutes: change + timedelta(minutes=minutes),
        st.sampled_from(DST_CHANGES),
        st.integers(-4 * 24 * 60, 4 * 24 * 60),
    )
    wall_clock = st.builds(
        lambda day, quarter, fold: datetime.combine(
            day, time(quarter // 4, quarter % 4 * 15), zone
        ).replace(fold=fold),
        st.one_of(
            st.dates(date(2026, 1, 1), date(2027, 12, 31)),
            st.builds(
                lambda change, offset: change.date() + timedelta(days=offset),
                st.sampled_from(DST_CHANGES),
                st.integers(-3, 3),
            ),
        ),
        st.integers(0, 95),
        st.integers(0, 1),
    )
    return st.one_of(uniform, near_dst, wall_clock)


@st.composite
def cases(draw) -> tuple[BusinessCalendar, datetime]:
    """A calendar and a received instant, written in any zone."""
    calendar = draw(calendars)
    instant = draw(instants(calendar.zone))
    return calendar, instant.astimezone(ZoneInfo(draw(st.sampled_from(ZONES))))


amounts = st.one_of(
    st.integers(0, 60 * 60).map(lambda minutes: timedelta(minutes=minutes)),
    st.integers(1, 30 * 3600 * 10**6).map(lambda micros: timedelta(microseconds=micros)),
)
positive_amounts = amounts.filter(lambda amount: amount > timedelta(0))


def local_midnight(calendar: BusinessCalendar, day: date) -> datetime:
    return datetime.combine(day, time(0), calendar.zone)


def reference_open_time(calendar: BusinessCalendar, start: datetime, end: datetime) -> timedelta:
    """Open time in [start, end), walking local dates one by one (slow, obviously right)."""
    # In UTC: Python subtracts two datetimes of one zone by wall clock, ignoring DST.
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    total = timedelta(0)
    day = start.astimezone(calendar.zone).date() - timedelta(days=1)
    while local_midnight(calendar, day) <= end:
        if calendar.closure(day) is None:
            for first_minute, last_minute in calendar.weekly[day.weekday()]:
                # Wall-clock times made real instants: DST gaps and repeats count right.
                opens = _wall(calendar, day, first_minute)
                closes = _wall(calendar, day, last_minute)
                overlap = min(end, closes) - max(start, opens)
                if overlap > timedelta(0):
                    total += overlap
        day += timedelta(days=1)
    return total


def _wall(calendar: BusinessCalendar, day: date, minute: int) -> datetime:
    day += timedelta(days=minute // (24 * 60))
    minute %= 24 * 60
    return datetime.combine(day, time(minute // 60, minute % 60), calendar.zone).astimezone(UTC)


def day_open_time(calendar: BusinessCalendar, day: date) -> timedelta:
    next_day = day + timedelta(days=1)
    return calendar.open_time_between(
        local_midnight(calendar, day), local_midnight(calendar, next_day)
    )


# -- open time ----------------------------------------------------------------------------


@PROPERTY
@given(cases(), instants(ZoneInfo(DENVER)))
def test_open_time_matches_a_day_by_day_count(case, other):
    calendar, start = case
    end = max(start, other)
    start = min(start, other)
    if end - start > timedelta(days=60):
        end = start + timedelta(days=60)
    assert calendar.open_time_between(start, end) == reference_open_time(calendar, start, end)


@PROPERTY
@given(cases(), st.data())
def test_open_time_adds_up_over_consecutive_spans(case, data):
    calendar, a = case
    b, c = (data.draw(instants(calendar.zone)) for _ in range(2))
    assert calendar.open_time_between(a, c) == (
        calendar.open_time_between(a, b) + calendar.open_time_between(b, c)
    )
    assert calendar.open_time_between(a, b) == -calendar.open_time_between(b, a)


# -- elapsed targets ------------------------------------------------------------------------


@PROPERTY
@given(cases(), amounts)
def test_a_deadline_is_never_before_the_clock_start(case, amount):
    calendar, received = case
    clock_start = calendar.next_opening(received)
    assert clock_start >= received
    assert calendar.add(received, amount) >= clock_start


@PROPERTY
@given(cases(), amounts)
def test_business_time_from_start_to_deadline_equals_the_target(case, amount):
    calendar, received = case
    assert calendar.open_time_between(received, calendar.add(received, amount)) == amount


@PROPERTY
@given(cases(), positive_amounts)
def test_the_deadline_is_the_earliest_instant_with_that_much_business_time(case, amount):
    calendar, received = case
    due = calendar.add(received, amount)
    assert calendar.open_time_between(received, due - MICROSECOND) < amount
    assert calendar.is_open(due - MICROSECOND)


@PROPERTY
@given(cases(), amounts, positive_amounts)
def test_adding_two_targets_in_turn_equals_adding_their_sum(case, a, b):
    # b > 0: a zero target is due at the clock start, and from a deadline that
    # landed on a close the clock starts at the next opening, not at the close.
    calendar, received = case
    assert calendar.add(calendar.add(received, a), b) == calendar.add(received, a + b)


@PROPERTY
@given(cases(), amounts)
def test_a_zero_target_after_a_deadline_is_the_next_opening(case, a):
    calendar, received = case
    due = calendar.add(received, a)
    assert calendar.add(due, timedelta(0)) == calendar.next_opening(due)


@PROPERTY
@given(cases(), amounts, st.sampled_from(ZONES), st.integers(1, 15))
def test_deadlines_are_the_same_instant_whatever_zone_the_start_was_written_in(
    case, amount, zone, days
):
    calendar, received = case
    elsewhere = received.astimezone(ZoneInfo(zone))
    assert calendar.add(elsewhere, amount) == calendar.add(received, amount)
    assert calendar.add_business_days(elsewhere, days) == calendar.add_business_days(received, days)
    assert calendar.next_business_day_close(elsewhere) == calendar.next_business_day_close(received)


# Every fixed calendar, each with 15 instants anywhere in the range and the range's
# two ends. A calendar made anew for each example: a shared one's timeline grows to span
# every year the examples touched so far (centuries, built day by day), which made
# 25 examples cost up to a minute of `make test`. One calendar asked about years in any
# order: tests/sla/test_elapsed.py.
@pytest.mark.parametrize("which", range(len(FIXED_CALENDAR_MAKERS)))
@settings(max_examples=15, deadline=None)
@given(
    received=st.datetimes(datetime(1970, 1, 1), datetime(2999, 12, 24)).map(
        lambda d: d.replace(tzinfo=UTC)
    ),
    amount=amounts,
)
@example(received=datetime(1970, 1, 1, tzinfo=UTC), amount=timedelta(hours=30))
@example(received=datetime(2999, 12, 24, tzinfo=UTC), amount=timedelta(hours=30))
def test_the_whole_accepted_range_1970_to_2999_is_exact(which, received, amount):
    calendar = FIXED_CALENDAR_MAKERS[which]()
    due = calendar.due(received, amount)
    assert reference_open_time(calendar, received, due) == amount
    end = received + timedelta(days=9)
    assert calendar.open_time_between(received, end) == reference_open_time(calendar, received, end)


# One calendar asked in turn about instants months or years apart, before and after
# those asked so far: its timeline (whole months around what was asked, grown as
# needed: deskterm/sla/calendar.py) answers as a calendar made for each question does.
@pytest.mark.parametrize("which", range(len(FIXED_CALENDAR_MAKERS)))
@settings(max_examples=10, deadline=None)
@given(
    asked=st.lists(
        st.tuples(
            st.datetimes(datetime(2000, 1, 1), datetime(2040, 12, 31)).map(
                lambda d: d.replace(tzinfo=UTC)
            ),
            amounts,
        ),
        min_size=2,
        max_size=5,
    )
)
@example(  # local dates a day off the UTC ones, at the ends of months and years
    asked=[
        (datetime(2026, 11, 30, 23, 30, tzinfo=UTC), timedelta(hours=30)),
        (datetime(2026, 9, 30, 14, 0, tzinfo=UTC), timedelta(hours=8)),
        (datetime(2027, 1, 1, 3, 0, tzinfo=UTC), timedelta(hours=100)),
        (datetime(2025, 12, 31, 23, 0, tzinfo=UTC), timedelta(minutes=1)),
    ]
)
def test_one_calendar_asked_in_any_order_answers_as_a_new_one(which, asked):
    shared = FIXED_CALENDAR_MAKERS[which]()
    for received, amount in asked:
        fresh = FIXED_CALENDAR_MAKERS[which]()
        end = received + timedelta(days=40)
        assert shared.due(received, amount) == fresh.due(received, amount)
        assert shared.open_time_between(received, end) == (
            FIXED_CALENDAR_MAKERS[which]().open_time_between(received, end)
        )


# -- the due instant of an elapsed target (issue 22: a close is not a breach) ----------------


@PROPERTY
@given(cases(), amounts)
def test_a_due_instant_is_never_before_the_clock_start(case, amount):
    calendar, received = case
    assert calendar.due(received, amount) >= calendar.next_opening(received) >= received


@PROPERTY
@given(cases(), amounts)
def test_business_time_from_start_to_due_equals_the_target_by_a_day_by_day_count(case, amount):
    calendar, received = case
    due = calendar.due(received, amount)
    assert calendar.open_time_between(received, due) == amount
    assert reference_open_time(calendar, received, due) == amount


@PROPERTY
@given(cases(), positive_amounts)
def test_the_due_instant_is_the_last_with_no_more_than_the_target(case, amount):
    # Open at the due instant: a microsecond later, more than the target has run.
    calendar, received = case
    due = calendar.due(received, amount)
    assert calendar.is_open(due)
    assert calendar.open_time_between(received, due + MICROSECOND) > amount
    # It is `add` moved past a close, never anything else.
    assert due == calendar.next_opening(calendar.add(received, amount))


@PROPERTY
@given(cases(), amounts, st.sampled_from(ZONES))
def test_the_due_instant_is_the_same_whatever_zone_the_start_was_written_in(case, amount, zone):
    calendar, received = case
    assert calendar.due(received.astimezone(ZoneInfo(zone)), amount) == calendar.due(
        received, amount
    )


# -- business days ----------------------------------------------------------------------------


@PROPERTY
@given(cases(), st.integers(1, 15))
def test_a_business_days_deadline_is_in_a_business_day_after_the_start(case, days):
    calendar, received = case
    due = calendar.add_business_days(received, days)
    clock_start = calendar.next_opening(received)
    assert due > clock_start >= received
    # The instant just before it is open time, so it lies in (or at the close of) a business day.
    last_open = due - MICROSECOND
    assert calendar.is_open(last_open)
    due_day = calendar.local_date(last_open)
    assert calendar.is_business_day(due_day)

    start_day = calendar.local_date(clock_start)
    into = calendar.open_into_day(clock_start)
    counted = 0
    day = start_day
    while day < due_day:
        day += timedelta(days=1)
        counted += calendar.is_business_day(day)
    if into > timedelta(0):
        # N business days later, as far into the day as the start was (or that day's close).
        assert counted == days
        assert calendar.open_into_day(last_open) + MICROSECOND == min(
            into, day_open_time(calendar, due_day)
        )
    else:
        # Starting at a day's opening, N business days end at the close of the (N-1)-th.
        assert counted == days - 1
        assert calendar.open_into_day(last_open) + MICROSECOND == day_open_time(calendar, due_day)


@PROPERTY
@given(cases())
def test_next_business_day_is_the_close_of_the_first_business_day_after_the_date_received(case):
    calendar, received = case
    due = calendar.next_business_day_close(received)
    received_day = calendar.local_date(received)
    last_open = due - MICROSECOND
    due_day = calendar.local_date(last_open)
    assert due_day > received_day
    assert calendar.open_into_day(last_open) + MICROSECOND == day_open_time(calendar, due_day)
    between = received_day + timedelta(days=1)
    while between < due_day:
        assert day_open_time(calendar, between) == timedelta(0)
        between += timedelta(days=1)
