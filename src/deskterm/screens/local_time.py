"""Instants as the viewer reads them: in the terminal's own zone, as short as is clear."""

from __future__ import annotations

from datetime import datetime, timedelta

# Within this distance of now a weekday names the day without ambiguity.
WEEKDAY_RANGE = timedelta(days=6)


def short(instant: datetime | None, now: datetime, *, year: bool = True) -> str:
    """`Mon 17:00` this week, `15 Dec` later, `15 Dec 2027` in another year; `-` for none.

    `year=False` never adds the year (a table column nine cells wide).
    """
    if instant is None:
        return "-"
    local = instant.astimezone()
    if abs(instant - now) < WEEKDAY_RANGE:
        return local.strftime("%a %H:%M")
    if not year or local.year == now.astimezone().year:
        return local.strftime("%d %b")
    return local.strftime("%d %b %Y")


def stamp(instant: datetime) -> str:
    """`Mon 23 Nov 16:00`: a timeline entry, exact to the minute."""
    return instant.astimezone().strftime("%a %d %b %H:%M")
