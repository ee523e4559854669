"""Closed dates from an iCalendar (.ics) file the administrator downloaded.

Holiday feeds (a company's, a country's the `holidays` package does not cover)
come as .ics files of all-day events. The policy names a local file; it is read
when the policy is, never fetched. Parsing is the `icalendar` package's (line
folding, escapes, DATE values); recurrence rules are refused rather than half
understood, since a holiday list is dated events.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path


class IcsError(ValueError):
    """A file that cannot be read as a list of dated holidays (the message says why)."""


# A multi-day event (a company's week off) is each of its days; a longer one is a mistake.
MAX_EVENT_DAYS = 366


def read(path: Path) -> dict[date, str]:
    """Each date an all-day event of `path` covers, with the event's summary."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise IcsError(f"cannot read {str(path)!r}: {error.strerror or error}") from None
    return parse(data, str(path))


def parse(data: bytes, source: str = "<ics>") -> dict[date, str]:
    from icalendar import Calendar

    try:
        calendar = Calendar.from_ical(data)
    except ValueError as error:
        raise IcsError(f"{source!r} is not an iCalendar file ({error})") from None
    days: dict[date, str] = {}
    for event in calendar.walk("VEVENT"):
        summary = str(event.get("SUMMARY", "holiday")).strip() or "holiday"
        if event.get("RRULE") is not None:
            raise IcsError(
                f"{source!r}: event {summary!r} repeats (RRULE): list each date, or use "
                "closed_yearly for a date every year"
            )
        start = _day(event.get("DTSTART"), summary, source)
        end = _day(event.get("DTEND"), summary, source) if event.get("DTEND") else None
        end = end if end is not None and end > start else start + timedelta(days=1)
        if (end - start).days > MAX_EVENT_DAYS:
            raise IcsError(f"{source!r}: event {summary!r} lasts more than a year")
        day = start
        while day < end:  # DTEND of an all-day event is the day after its last
            days[day] = f"{days[day]}; {summary}" if day in days else summary
            day += timedelta(days=1)
    return days


def _day(prop: object, summary: str, source: str) -> date:
    value = getattr(prop, "dt", None)
    if isinstance(value, datetime) or not isinstance(value, date):
        raise IcsError(
            f"{source!r}: event {summary!r} is not an all-day event (a holiday closes whole days)"
        )
    return value
