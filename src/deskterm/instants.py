"""Parsing and writing instants: aware ISO 8601 in, aware ISO 8601 out.

A naive instant is refused rather than guessed: on a jump host the machine's zone
is rarely the user's, and a deadline computed from a guessed zone is silently wrong.
"""

from __future__ import annotations

from datetime import UTC, datetime


class InstantError(ValueError):
    """An instant the user wrote that cannot be used; the message says why."""


def parse_instant(text: str) -> datetime:
    cleaned = text.strip()
    try:
        value = datetime.fromisoformat(cleaned)
    except ValueError:
        raise InstantError(
            f"{text!r} is not an ISO 8601 instant (e.g. 2026-11-20T16:00:00Z "
            "or 2026-11-20T09:00-07:00)"
        ) from None
    if value.tzinfo is None or value.utcoffset() is None:
        raise InstantError(
            f"{text!r} has no UTC offset: add Z or one like -07:00 (e.g. 2026-11-20T09:00-07:00)"
        )
    return value


def to_iso(value: datetime | None) -> str | None:
    """UTC, ISO 8601 with offset: the form every --json output uses."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat()
