"""Parsing and writing instants: aware ISO 8601 in, aware ISO 8601 out.

A naive instant is refused rather than guessed: on a jump host the machine's zone
is rarely the user's, and a deadline computed from a guessed zone is silently wrong.
So is one outside the years deskterm computes with (1970-2999): a typed 0001 or
9999 would overflow the calendar arithmetic instead of meaning anything.
"""

from __future__ import annotations

from datetime import UTC, datetime

from deskterm.errors import UserError

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
END = datetime(3000, 1, 1, tzinfo=UTC)  # the first instant too late
_SHOWN = 60  # characters of a bad instant repeated in the message


class InstantError(UserError, ValueError):
    """An instant the user wrote that cannot be used; the message says why."""


def _shown(text: str) -> str:
    return repr(text) if len(text) <= _SHOWN else f"{text[:_SHOWN]!r}…"


def parse_instant(text: str) -> datetime:
    cleaned = text.strip()
    try:
        value = datetime.fromisoformat(cleaned)
    except ValueError:
        raise InstantError(
            f"{_shown(text)} is not an ISO 8601 instant (e.g. 2026-11-20T16:00:00Z "
            "or 2026-11-20T09:00-07:00)"
        ) from None
    if value.tzinfo is None or value.utcoffset() is None:
        raise InstantError(
            f"{_shown(text)} has no UTC offset: add Z or one like -07:00 "
            "(e.g. 2026-11-20T09:00-07:00)"
        )
    return in_range(value, text)


def in_range(value: datetime, text: str) -> datetime:
    """`value` (aware), refused outside the years 1970-2999."""
    # Compared by year first: an offset on 0001-01-01 or 9999-12-31 cannot be
    # applied without leaving datetime's own range.
    if not (EARLIEST.year <= value.year < END.year and EARLIEST <= value < END):
        raise InstantError(
            f"{_shown(text)} is out of range: deskterm takes instants from 1970 to 2999"
        )
    return value


def to_iso(value: datetime | None) -> str | None:
    """UTC, ISO 8601 with offset: the form every --json output uses."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat()
