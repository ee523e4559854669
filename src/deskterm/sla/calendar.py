"""Business calendars: when an SLA clock runs, evaluated in the calendar's IANA zone.

A calendar is weekly opening hours plus closed days (public holidays from the
`holidays` package and explicit dates). Its open intervals are computed once per
local date and flattened into a sorted timeline with the cumulative open time
before each interval, so "add 8h of open time" is two bisections rather than a
walk over days. Instants inside are integer microseconds since the epoch (UTC):
exact, and cheap to compare.

The timeline covers whole months: at first the month asked about and one either
side, then grown by at least its own length whenever an instant falls outside it
(each growth walks the whole span again, from the dates already computed). A
command that shows one case computes a quarter's dates per calendar, not three
years' (about 4 ms a calendar, measured with `deskterm case show`).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from deskterm.errors import UserError
from deskterm.sla.holiday_dates import HolidayDates

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_NAMES = (
    "Mondays",
    "Tuesdays",
    "Wednesdays",
    "Thursdays",
    "Fridays",
    "Saturdays",
    "Sundays",
)
WHOLE_DAY = 24 * 60
# A calendar that stays closed this long is a mistake in the policy, not a deadline.
MAX_YEARS_SEARCHED = 10
FIRST_YEAR = 1969

Minutes = tuple[int, int]  # (start, end) minutes after local midnight; end may be 1440


class CalendarError(UserError, ValueError):
    """A calendar that cannot produce a deadline (for instance, it never opens)."""


def to_micros(instant: datetime) -> int:
    return (instant - EPOCH) // MICROSECOND


def from_micros(micros: int) -> datetime:
    return EPOCH + timedelta(microseconds=micros)


def _month_of(micros: int) -> int:
    """The UTC month of an instant, counted as _Timeline counts them."""
    day = from_micros(micros)
    return day.year * 12 + day.month - 1


def _first_day(month: int) -> date:
    return date(month // 12, month % 12 + 1, 1)


@dataclass(frozen=True)
class Closure:
    """Why a calendar is closed on a day that its weekly hours would open."""

    day: date
    reason: str  # "holiday" or "closed"
    name: str  # "Thanksgiving Day", or "closed date"

    def describe(self) -> str:
        label = self.day.strftime("%a %d %b")
        if self.reason == "holiday":
            return f"{label} is a holiday ({self.name})"
        return f"{label} is a closed date"


@dataclass
class _Timeline:
    """Open intervals over whole months, merged where they touch, with running sums."""

    first_month: int  # months since the start of year 0: year * 12 + month - 1
    last_month: int
    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    before: list[int] = field(default_factory=list)  # open time before interval i
    through: list[int] = field(default_factory=list)  # open time up to the end of i
    span_start: int = 0
    span_end: int = 0

    def open_before(self, instant: int) -> int:
        """Open time from the start of the timeline up to `instant`."""
        i = bisect.bisect_right(self.starts, instant) - 1
        if i < 0:
            return 0
        return self.before[i] + min(instant, self.ends[i]) - self.starts[i]

    def instant_at(self, open_time: int) -> int | None:
        """Earliest instant by which `open_time` has accrued (a close, not the next opening)."""
        i = bisect.bisect_left(self.through, open_time)
        if i == len(self.through):
            return None
        return self.starts[i] + (open_time - self.before[i])

    def instant_past(self, open_time: int) -> int | None:
        """Last instant at which no more than `open_time` has accrued (the next opening
        rather than a close: past it, more than `open_time` has)."""
        i = bisect.bisect_right(self.through, open_time)
        if i == len(self.through):
            return None
        return self.starts[i] + (open_time - self.before[i])


class BusinessCalendar:
    """Weekly hours in one IANA zone, minus holidays and closed dates."""

    def __init__(
        self,
        name: str,
        zone: ZoneInfo,
        weekly: Mapping[int, Sequence[Minutes]],
        *,
        holidays: str | None = None,
        closed: frozenset[date] = frozenset(),
        title: str | None = None,
        special_hours: Mapping[date, Sequence[Minutes]] | None = None,
        closed_hours: Mapping[date, Sequence[Minutes]] | None = None,
        holidays_except: frozenset[date] = frozenset(),
        closed_yearly: frozenset[tuple[int, int]] = frozenset(),
        named_closures: Mapping[date, str] | None = None,
    ) -> None:
        self.name = name
        self.zone = zone
        self.weekly: tuple[tuple[Minutes, ...], ...] = tuple(
            tuple(sorted(weekly.get(day, ()))) for day in range(7)
        )
        self.holidays_spec = holidays
        self.closed = closed
        # Dated exceptions: hours that replace a date's weekly hours (24 Dec 09:00-13:00),
        # ranges closed within a date's hours, days taken off the country's holiday
        # list, dates closed every year (month, day), and named closed dates (.ics).
        self.special_hours = {day: tuple(sorted(r)) for day, r in (special_hours or {}).items()}
        self.closed_hours = {day: tuple(sorted(r)) for day, r in (closed_hours or {}).items()}
        self.holidays_except = holidays_except
        self.closed_yearly = closed_yearly
        self.named_closures = dict(named_closures or {})
        self.title = title or ("round-the-clock time" if self.is_always_open else f"{name} hours")
        self._holidays = HolidayDates(holidays) if holidays else None
        self._days: dict[date, tuple[tuple[int, int], ...]] = {}
        # `Nbd` days counted from a date, cached like the days: an auto-close (10bd, 15bd)
        # of every waiting case walks the same few weeks (policy diff replays thousands).
        self._nth_days: dict[tuple[date, int], date] = {}
        self._timeline: _Timeline | None = None

    # -- describing -------------------------------------------------------

    @property
    def is_always_open(self) -> bool:
        return (
            all(hours == ((0, WHOLE_DAY),) for hours in self.weekly)
            and not self.holidays_spec
            and not self.closed
            and not self.special_hours
            and not self.closed_hours
            and not self.closed_yearly
            and not self.named_closures
        )

    def describe_hours(self) -> str:
        """One line for tables: `24x7`, or `Mon-Thu 09:00-17:00; Fri 09:00-12:00,13:00-17:00`."""
        if self.is_always_open:
            return "24x7"
        groups: list[tuple[list[int], tuple[Minutes, ...]]] = []
        for day, hours in enumerate(self.weekly):
            if not hours:
                continue
            if groups and groups[-1][1] == hours and groups[-1][0][-1] == day - 1:
                groups[-1][0].append(day)
            else:
                groups.append(([day], hours))
        parts = []
        for days, hours in groups:
            first, last = WEEKDAYS[days[0]].title(), WEEKDAYS[days[-1]].title()
            label = first if first == last else f"{first}-{last}"
            parts.append(f"{label} {','.join(_format_range(r) for r in hours)}")
        text = "; ".join(parts)
        extras = []
        if self.holidays_spec:
            extras.append(f"{self.holidays_spec} holidays")
        if self.closed:
            extras.append(f"{len(self.closed)} closed date(s)")
        if self.closed_yearly:
            extras.append(f"{len(self.closed_yearly)} yearly date(s)")
        if self.named_closures:
            extras.append(f"{len(self.named_closures)} imported date(s)")
        if self.special_hours or self.closed_hours:
            extras.append(f"{len(self.special_hours) + len(self.closed_hours)} dated exception(s)")
        if extras:
            text += " (closed on " + ", ".join(extras) + ")"
        return f"{text}, {self.zone.key}"

    @property
    def holiday_years(self) -> tuple[int, int] | None:
        """The years the `holidays` package knows this calendar's holidays for."""
        return self._holidays.known_years if self._holidays is not None else None

    def years_without_holidays(self, first: date, last: date) -> list[int]:
        """Years from `first` to `last` in which public holidays are not known (so none
        closes the calendar): the package covers a range of years per country only."""
        known = self.holiday_years
        if known is None:
            return []
        return [
            year for year in range(first.year, last.year + 1) if not known[0] <= year <= known[1]
        ]

    # -- days -------------------------------------------------------------

    def closure(self, day: date) -> Closure | None:
        """Why `day` is closed all day although its weekday has hours, if it is."""
        if day in self.closed:
            return Closure(day, "closed", "closed date")
        if (day.month, day.day) in self.closed_yearly:
            return Closure(day, "closed", "closed every year")
        named = self.named_closures.get(day)
        if named is not None:
            return Closure(day, "holiday", named)
        if day in self.holidays_except:
            return None
        name = self._holidays.name(day) if self._holidays is not None else None
        if name is not None:
            return Closure(day, "holiday", name)
        return None

    def hours_on(self, day: date) -> tuple[Minutes, ...]:
        """The date's opening hours before closures: its special hours, else its weekday's."""
        special = self.special_hours.get(day)
        return special if special is not None else self.weekly[day.weekday()]

    def day_intervals(self, day: date) -> tuple[tuple[int, int], ...]:
        """Open intervals of a local date, as UTC microseconds (cached per date)."""
        cached = self._days.get(day)
        if cached is not None:
            return cached
        hours = self.hours_on(day)
        # Special hours are an explicit opening: they open a date a holiday would close.
        closed = day in self.closed if day in self.special_hours else self.closure(day) is not None
        cut = self.closed_hours.get(day)
        if cut:
            hours = _subtract(hours, cut)
        intervals: list[tuple[int, int]] = []
        if hours and not closed:
            for start, end in hours:
                opens = to_micros(self._local(day, start))
                closes = to_micros(self._local(day, end))
                # A range swallowed by a spring-forward gap has no open time.
                if closes > opens:
                    intervals.append((opens, closes))
        result = tuple(intervals)
        self._days[day] = result
        return result

    def is_business_day(self, day: date) -> bool:
        return bool(self.day_intervals(day))

    def local_date(self, instant: datetime) -> date:
        return instant.astimezone(self.zone).date()

    def _local(self, day: date, minute: int) -> datetime:
        if minute >= WHOLE_DAY:
            day, minute = day + timedelta(days=1), minute - WHOLE_DAY
        return datetime.combine(day, time(minute // 60, minute % 60), self.zone)

    # -- the timeline -----------------------------------------------------

    def _timeline_for(self, micros: int) -> _Timeline:
        timeline = self._timeline
        if timeline is not None and timeline.span_start <= micros < timeline.span_end:
            return timeline
        # A month either side: the local date differs from the UTC one by a day at most.
        month = _month_of(micros)
        if timeline is None:
            return self._build(month - 1, month + 1)
        first, last = timeline.first_month, timeline.last_month
        grow = last - first + 1
        if month - 1 < first:
            first = min(month - 1, first - grow)
        if month + 1 > last:
            last = max(month + 1, last + grow)
        return self._build(first, last)

    def _build(self, first_month: int, last_month: int) -> _Timeline:
        # 1969: the local dates of the first instants accepted (1 Jan 1970 UTC) begin
        # on 31 Dec 1969 west of Greenwich.
        first_month = max(first_month, FIRST_YEAR * 12)
        timeline = _Timeline(first_month, last_month)
        starts, ends = timeline.starts, timeline.ends
        day = _first_day(first_month)
        last = _first_day(last_month + 1) - timedelta(days=1)
        while day <= last:
            for opens, closes in self.day_intervals(day):
                if ends and ends[-1] >= opens:  # touching (24x7): one longer interval
                    ends[-1] = max(ends[-1], closes)
                else:
                    starts.append(opens)
                    ends.append(closes)
            day += timedelta(days=1)
        total = 0
        for opens, closes in zip(starts, ends, strict=True):
            timeline.before.append(total)
            total += closes - opens
            timeline.through.append(total)
        timeline.span_start = to_micros(self._local(_first_day(first_month), 0))
        timeline.span_end = to_micros(self._local(last, WHOLE_DAY))
        self._timeline = timeline
        return timeline

    def _add_micros(self, start: int, amount: int, *, past_close: bool = False) -> int:
        timeline = self._timeline_for(start)
        target = timeline.open_before(start) + amount
        # The first timeline may be three months: one more round to search the years.
        for _ in range(MAX_YEARS_SEARCHED + 1):
            found = timeline.instant_past(target) if past_close else timeline.instant_at(target)
            if found is not None and found < timeline.span_end:
                return found
            # Extending forward keeps the first month, so `target` stays valid.
            timeline = self._build(timeline.first_month, timeline.last_month + 12)
        raise CalendarError(
            f"calendar {self.name!r} has no open time for {MAX_YEARS_SEARCHED} years"
        )

    # -- arithmetic -------------------------------------------------------

    def is_open(self, instant: datetime) -> bool:
        micros = to_micros(instant)
        return any(opens <= micros < closes for opens, closes in self._intervals_around(instant))

    def _intervals_around(self, instant: datetime) -> Iterator[tuple[int, int]]:
        day = self.local_date(instant)
        for offset in (-1, 0):  # a 00:00-24:00 day may still hold the instant after midnight
            yield from self.day_intervals(day + timedelta(days=offset))

    def next_opening(self, instant: datetime) -> datetime:
        """`instant` itself when open, else the next instant the calendar opens."""
        micros = to_micros(instant)
        day = self.local_date(instant) - timedelta(days=1)
        for _ in range(366 * MAX_YEARS_SEARCHED):
            for opens, closes in self.day_intervals(day):
                if micros < closes:
                    return from_micros(max(opens, micros))
            day += timedelta(days=1)
        raise CalendarError(f"calendar {self.name!r} never opens after {instant.isoformat()}")

    def open_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Open calendar time in [start, end); negative when end is before start."""
        a, b = to_micros(start), to_micros(end)
        if b < a:
            return -self.open_time_between(end, start)
        timeline = self._timeline_for(a)
        if not timeline.span_start <= b < timeline.span_end:
            timeline = self._timeline_for(b)
            timeline = self._timeline_for(a)
        return timedelta(microseconds=timeline.open_before(b) - timeline.open_before(a))

    def add(self, start: datetime, amount: timedelta) -> datetime:
        """Earliest instant by which `amount` of open time has elapsed since `start`.

        Zero is the clock start itself (the next opening when closed); a result
        that lands exactly on a close is that close, not the next opening.
        """
        if amount <= timedelta(0):
            return self.next_opening(start)
        return from_micros(self._add_micros(to_micros(start), amount // MICROSECOND))

    def due(self, start: datetime, amount: timedelta) -> datetime:
        """The deadline of an `amount` of open time from `start`: the last instant at
        which no more than `amount` has elapsed.

        It is `add` except where `amount` runs out exactly at a close: then the
        deadline is the next opening, since no business time passes in between (as
        Request Tracker's Business::Hours and Zammad do). A clock is breached only
        once more business time than its target has passed.
        """
        if amount <= timedelta(0):
            return self.next_opening(start)
        micros = self._add_micros(to_micros(start), amount // MICROSECOND, past_close=True)
        return from_micros(micros)

    def open_into_day(self, instant: datetime) -> timedelta:
        """Open time on the instant's local date before the instant."""
        micros = to_micros(instant)
        total = sum(
            max(0, min(micros, closes) - opens)
            for opens, closes in self.day_intervals(self.local_date(instant))
        )
        return timedelta(microseconds=total)

    def nth_business_day_after(self, day: date, count: int) -> date:
        cached = self._nth_days.get((day, count))
        if cached is not None:
            return cached
        start, found = day, 0
        for _ in range(366 * MAX_YEARS_SEARCHED):
            day += timedelta(days=1)
            if self.is_business_day(day):
                found += 1
                if found == count:
                    self._nth_days[(start, count)] = day
                    return day
        raise CalendarError(f"calendar {self.name!r} has no {count} business days ahead")

    def previous_business_day(self, day: date) -> date:
        for _ in range(366 * MAX_YEARS_SEARCHED):
            day -= timedelta(days=1)
            if self.is_business_day(day):
                return day
        raise CalendarError(f"calendar {self.name!r} has no business day before {day}")

    def close_of(self, day: date) -> datetime:
        return from_micros(self.day_intervals(day)[-1][1])

    def into_day(self, day: date, amount: timedelta) -> datetime:
        """The instant `amount` of open time into a business day (its close at most)."""
        left = amount // MICROSECOND
        for opens, closes in self.day_intervals(day):
            if left <= closes - opens:
                return from_micros(opens + left)
            left -= closes - opens
        return self.close_of(day)

    def add_business_days(self, start: datetime, count: int) -> datetime:
        """`Nbd`: N business days after the clock start's day, as far into that day."""
        clock_start = self.next_opening(start)
        start_day = self.local_date(clock_start)
        # The clock start is an opening instant, so it lies in one of its own day's
        # intervals, or at midnight between two whole days (then it is 0 into its day).
        into = self.open_into_day(clock_start)
        target_day = self.nth_business_day_after(start_day, count)
        if into <= timedelta(0):
            return self.close_of(self.previous_business_day(target_day))
        return self.into_day(target_day, into)

    def next_business_day_close(self, received: datetime) -> datetime:
        """`nbd`: the close of the first business day after the local date received."""
        return self.close_of(self.nth_business_day_after(self.local_date(received), 1))

    def closures_between(self, start: datetime, end: datetime) -> list[Closure]:
        """Holidays and closed dates from start's local date to end's (for explanations)."""
        found = []
        day, last = self.local_date(start), self.local_date(end)
        while day <= last:
            closure = self._closure_of_open_day(day)
            if closure is not None:
                found.append(closure)
            day += timedelta(days=1)
        return found

    def closed_reason(self, instant: datetime) -> str | None:
        """None when open; otherwise `out of hours`, `weekend`, or the holiday's name."""
        if self.is_open(instant):
            return None
        day = self.local_date(instant)
        closure = self._closure_of_open_day(day)
        if closure is not None:
            return f"holiday: {closure.name}" if closure.reason == "holiday" else "closed date"
        if not self.hours_on(day):
            return "weekend" if day.weekday() >= 5 else f"closed on {WEEKDAY_NAMES[day.weekday()]}"
        if day in self.closed_hours and any(
            start <= self._minute_of(instant) < end for start, end in self.closed_hours[day]
        ):
            return "closed part of the day"
        return "out of hours"

    def _closure_of_open_day(self, day: date) -> Closure | None:
        """Why a date that has hours is closed all day (special hours open it again)."""
        if not self.hours_on(day):
            return None
        if day in self.special_hours:
            return Closure(day, "closed", "closed date") if day in self.closed else None
        return self.closure(day)

    def _minute_of(self, instant: datetime) -> int:
        local = instant.astimezone(self.zone)
        return local.hour * 60 + local.minute


def _subtract(hours: Sequence[Minutes], cut: Sequence[Minutes]) -> tuple[Minutes, ...]:
    """`hours` without the ranges of `cut` (a partial closure of a date)."""
    result = list(hours)
    for cut_start, cut_end in cut:
        kept: list[Minutes] = []
        for start, end in result:
            if cut_end <= start or end <= cut_start:
                kept.append((start, end))
                continue
            if start < cut_start:
                kept.append((start, cut_start))
            if cut_end < end:
                kept.append((cut_end, end))
        result = kept
    return tuple(result)


def _format_range(minutes: Minutes) -> str:
    start, end = minutes
    return f"{start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}"
