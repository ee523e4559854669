"""Column types: instants are stored in UTC and always come back aware; text as typed."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC in Python; naive UTC text on SQLite (sorts as it should), timestamptz elsewhere."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: deskterm stores only aware instants")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


_ESCAPE = "\uffff"  # a Unicode noncharacter: never in real text, so the escape is cheap
# Bytes that were not UTF-8, as Python keeps them (surrogateescape: a command-line
# argument from a Latin-1 terminal, a file's name): UTF-8 cannot hold them.
_LONE_SURROGATE = re.compile("[\\ud800-\\udfff]")


class ExactText(TypeDecorator[str]):
    """Text stored exactly as typed, NUL included; for anything a person or a mail wrote.

    PostgreSQL refuses NUL in text; there (only) NUL is written as U+FFFF "0" and
    U+FFFF itself doubled, which reads back to exactly what was typed. A lone
    surrogate (an undecodable byte) is stored as U+FFFD on both, as mail decodes
    such bytes: neither database can store it, and refusing the whole text for
    one byte would lose the rest.
    """

    impl = String()
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if not value.isascii():
            value = _LONE_SURROGATE.sub("\ufffd", value)
        if dialect.name == "sqlite" or ("\x00" not in value and _ESCAPE not in value):
            return value
        return value.replace(_ESCAPE, _ESCAPE * 2).replace("\x00", _ESCAPE + "0")

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None or dialect.name == "sqlite" or _ESCAPE not in value:
            return value
        out, chars = [], iter(value)
        for char in chars:
            if char == _ESCAPE:
                following = next(chars, "")
                out.append("\x00" if following == "0" else following)
            else:
                out.append(char)
        return "".join(out)
