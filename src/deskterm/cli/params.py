"""The command line's typed values, parsed before a command runs: whole numbers a
database column can hold, case numbers as users write them, paths that are not
empty. Each parser refuses with a message the root command prints in one line.

Every parameter of the command tree that is not text or a flag uses one of these
(tests/cli/test_bad_input.py checks it): an int typed straight into a query would
overflow the database's integer and end in a traceback.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import typer

from deskterm.desk import limits
from deskterm.desk.errors import DeskError
from deskterm.instants import InstantError, parse_instant

MAX_DEMO_CASES = 1_000_000
MAX_PORT = 65_535


def whole_number(least: int, most: int = limits.MAX_INTEGER) -> Callable[[str], int]:
    """A parser of whole numbers from `least` to `most`."""

    def parse(text: str | int) -> int:
        text = str(text)  # a default is parsed too, and may be given as a number
        cleaned = text.strip().replace("_", "")
        digits = cleaned.removeprefix("-").removeprefix("+")
        if not (digits.isascii() and digits.isdigit()):
            raise typer.BadParameter(f"{limits.quoted(text)} is not a whole number")
        too_long = len(digits.lstrip("0")) > len(str(limits.MAX_INTEGER))
        value = None if too_long else int(cleaned)
        if value is not None and least <= value <= most:
            return value
        shown = cleaned if len(cleaned) <= limits.QUOTE_WIDTH else limits.quoted(cleaned)
        if most != limits.MAX_INTEGER:
            raise typer.BadParameter(f"{shown} is not a number from {least} to {most}")
        if value is not None and value < least:
            raise typer.BadParameter(f"{shown} is too small: {least} or more")
        raise typer.BadParameter(f"{shown} is too large")

    parse.__name__ = f"whole_number_{least}_{most}"
    return parse


positive = whole_number(1)  # ids, versions, counts
any_seed = whole_number(-limits.MAX_INTEGER)
demo_cases = whole_number(1, MAX_DEMO_CASES)
port = whole_number(1, MAX_PORT)
search_limit = whole_number(1, 1000)  # each hit is read whole for its snippet


def case_number(text: str) -> int:
    """`40100`, `#40100` or `Incident# 40100`."""
    try:
        return limits.case_number(text)
    except DeskError as error:
        raise typer.BadParameter(str(error)) from None


def path(text: str) -> Path:
    """A file or directory path as typed (`~` is the user's home); not empty."""
    if not text.strip():
        raise typer.BadParameter("the path is empty: name a file")
    if "\x00" in text:
        raise typer.BadParameter(f"{limits.quoted(text)} is not a path (it holds a NUL byte)")
    return Path(text).expanduser()


def severity(text: str) -> int:
    """A severity level: `1`, `Sev 1` or `P1` (which levels exist is the policy's say)."""
    try:
        return limits.parse_severity(text)
    except DeskError as error:
        raise typer.BadParameter(str(error)) from None


def first_day(text: str) -> datetime:
    """A report's first day (a UTC day: its start) or an instant."""
    from deskterm.desk import reports  # the report's module only for the report

    try:
        return reports.parse_day(text)
    except DeskError as error:
        raise typer.BadParameter(str(error)) from None


def last_day(text: str) -> datetime:
    """A report's last day, included (the start of the next UTC day), or an instant."""
    from deskterm.desk import reports

    try:
        return reports.parse_day(text, end=True)
    except DeskError as error:
        raise typer.BadParameter(str(error)) from None


def span(text: str) -> timedelta:
    """How far back a handoff looks: `8h`, `90m`, `2d`."""
    from deskterm.desk import handoff  # the handoff's module only for the handoff

    try:
        return handoff.parse_span(text)
    except DeskError as error:
        raise typer.BadParameter(str(error)) from None


def instant(text: str) -> datetime:
    """ISO 8601 with a UTC offset: deskterm does not guess a zone."""
    try:
        return parse_instant(text)
    except InstantError as error:
        raise typer.BadParameter(str(error)) from None


def status_name(text: str) -> str:
    """A status as the queue's filter takes it: its name or a prefix (`waiting`)."""
    from deskterm.desk.filters import match_status

    try:
        return match_status(text).value
    except DeskError as error:
        raise typer.BadParameter(str(error)) from None


def assignment(text: str) -> str:
    """`NAME=VALUE` (a template placeholder's value): the name is checked where it is used."""
    if "=" not in text or not text.partition("=")[0].strip():
        raise typer.BadParameter(f"{text!r} is not NAME=VALUE")
    return text


PARSERS = (
    assignment,
    positive,
    search_limit,
    status_name,
    any_seed,
    demo_cases,
    port,
    case_number,
    path,
    severity,
    instant,
    first_day,
    last_day,
    span,
)
