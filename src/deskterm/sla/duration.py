"""SLA targets as written in policy files: `30m`, `1h30m`, `3bd`, `nbd`, ...

Each form has its own meaning on a calendar (see calendar.py); this module only
turns text into a typed target and back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from deskterm.errors import UserError
from deskterm.units import format_hours_minutes

__all__ = ["format_hours_minutes"]  # a plain span: deskterm.units; kept for callers


class DurationError(UserError, ValueError):
    """A target that is not one of the documented forms."""


@dataclass(frozen=True)
class Elapsed:
    """That much open calendar time (`30m`, `8h`, `1h30m`, `0m`, `immediate`)."""

    amount: timedelta

    def __str__(self) -> str:
        return format_hours_minutes(self.amount) if self.amount else "0m"


@dataclass(frozen=True)
class BusinessDays:
    """`Nbd`: on the N-th business day, as far into it as the clock start was into its own."""

    days: int

    def __str__(self) -> str:
        return f"{self.days}bd"


@dataclass(frozen=True)
class NextBusinessDay:
    """`nbd`: the close of the first business day after the day the case came in."""

    def __str__(self) -> str:
        return "nbd"


@dataclass(frozen=True)
class Scheduled:
    """`scheduled`: no clock; due at the instant the customer scheduled."""

    def __str__(self) -> str:
        return "scheduled"


@dataclass(frozen=True)
class NoTarget:
    """`none`: no promise at all for this clock."""

    def __str__(self) -> str:
        return "none"


Target = Elapsed | BusinessDays | NextBusinessDay | Scheduled | NoTarget

_ELAPSED = re.compile(r"^(?:(?P<h>\d+)\s*h)?\s*(?:(?P<m>\d+)\s*m)?$")
_BUSINESS_DAYS = re.compile(r"^(?P<n>\d+)\s*bd$")
FORMS = "30m, 8h, 1h30m, 0m, immediate, 3bd, nbd, scheduled or none"
# `45s`, `0.5m`: under a minute, which a peer may accept; deskterm counts whole minutes.
_UNDER_A_MINUTE = re.compile(
    r"^(?:\d+(?:\.\d*)?\s*(?:s|secs?|seconds?)|0*\.\d+\s*m|0+(?:\.\d*)?\s*m)$", re.I
)


def parse_duration(text: str) -> Target:
    cleaned = text.strip()
    lowered = cleaned.lower()
    if lowered == "immediate":
        return Elapsed(timedelta(0))
    if cleaned == "nbd":
        return NextBusinessDay()
    if lowered == "scheduled":
        return Scheduled()
    if lowered == "none":
        return NoTarget()
    # `Nbd` and `nbd` differ only by case; anything else upper-case is a typo.
    days = _BUSINESS_DAYS.match(cleaned)
    if days:
        count = int(days["n"])
        if count < 1:
            raise DurationError(f"{text!r}: business days start at 1bd")
        return BusinessDays(count)
    elapsed = _ELAPSED.match(cleaned)
    if cleaned and elapsed and (elapsed["h"] or elapsed["m"]):
        return Elapsed(timedelta(hours=int(elapsed["h"] or 0), minutes=int(elapsed["m"] or 0)))
    if _UNDER_A_MINUTE.match(cleaned):
        raise DurationError(
            f"{text!r}: targets are whole minutes; the shortest is 1m "
            "(0m or immediate for due at once)"
        )
    raise DurationError(f"{text!r} is not a duration (use {FORMS})")
