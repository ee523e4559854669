"""Small builders shared by the SLA tests: policies from TOML text, local instants."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from deskterm.sla import (
    BusinessCalendar,
    CaseHistory,
    ClockKind,
    Policy,
    compute_clocks,
    parse_policy,
)

DENVER = "America/Denver"
NEW_YORK = "America/New_York"
BERLIN = "Europe/Berlin"
KOLKATA = "Asia/Kolkata"
SYDNEY = "Australia/Sydney"

NINE_TO_FIVE = "09:00-17:00"
SPLIT_DAY = "09:00-12:00,13:00-17:00"
WHOLE_DAY = "00:00-24:00"


def weekdays(ranges: str = NINE_TO_FIVE, **days: str) -> str:
    """A TOML inline table opening Monday to Friday on `ranges`, with per-day overrides."""
    table = {day: ranges for day in ("mon", "tue", "wed", "thu", "fri")}
    table.update(days)
    return "{ " + ", ".join(f'{day} = "{hours}"' for day, hours in table.items()) + " }"


def make_policy(
    hours: str,
    *,
    zone: str = DENVER,
    first_response: str = "8h",
    holidays: str | None = None,
    closed: tuple[str, ...] = (),
) -> Policy:
    """A one-severity policy whose Sev 1 first response runs on one calendar `c`.

    `hours` is TOML: `'"24x7"'` or an inline table such as `weekdays()`.
    """
    lines = [
        'name = "test"',
        f'timezone = "{zone}"',
        "[calendars.c]",
        f"hours = {hours}",
    ]
    if holidays:
        lines.append(f'holidays = "{holidays}"')
    if closed:
        lines.append("closed = [" + ", ".join(f'"{day}"' for day in closed) + "]")
    lines += ["[severity.1]", 'calendar = "c"', f'first_response = "{first_response}"']
    return parse_policy("\n".join(lines) + "\n")


def make_calendar(hours: str, **options: Any) -> BusinessCalendar:
    return make_policy(hours, **options).calendars["c"]


def at(text: str, zone: str = DENVER, fold: int = 0) -> datetime:
    """`"2026-11-23 09:00"` read as a wall-clock time in `zone`."""
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone), fold=fold)


def show(instant: datetime, zone: str = DENVER) -> str:
    """`Mon 2026-11-23 17:00 MST`: the instant as a wall clock in `zone`, with its offset name."""
    return instant.astimezone(ZoneInfo(zone)).strftime("%a %Y-%m-%d %H:%M %Z")


def first_response_due(policy: Policy, received: datetime, severity: int = 1) -> datetime:
    """The first-response deadline the console shows for a case received at `received`."""
    clock = compute_clocks(policy, CaseHistory(received, severity), now=received)[
        ClockKind.FIRST_RESPONSE
    ]
    assert clock.due is not None, clock.explanation
    return clock.due


def due_after(hours: str, received: str, target: str, zone: str = DENVER, **options: Any) -> str:
    """Received at `received` (local to `zone`), first response `target`: when is it due?"""
    policy = make_policy(hours, zone=zone, first_response=target, **options)
    return show(first_response_due(policy, at(received, zone)), zone)


def hours(amount: float) -> timedelta:
    return timedelta(hours=amount)
