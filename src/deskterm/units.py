"""Sizes and plain spans of time: how deskterm reads and writes them, in one place.

Sizes count in powers of 1024 (`20 MB` is 20 x 1024 x 1024 bytes), as the size
settings do. Spans are whole minutes written `90m`, `8h`, `2d` (24-hour days of
the wall clock, not business days: those are the SLA's, deskterm.sla.duration).
"""

from __future__ import annotations

from datetime import timedelta

from deskterm.errors import UserError

KB = 1024
MB = 1024**2
GB = 1024**3
_SIZE_UNITS = {"": 1, "B": 1, "K": KB, "M": MB, "G": GB, "T": 1024**4}
# Minutes in one of each unit a span may be written in.
SPAN_MINUTES = {"m": 1, "min": 1, "h": 60, "d": 24 * 60}


class SizeError(UserError, ValueError):
    """Text that is not a size."""


def human_size(size: int) -> str:
    """`512 bytes`, `1.2 KB`, `20 MB`: powers of 1024, as the size settings count."""
    if size < 1024:
        return "1 byte" if size == 1 else f"{size} bytes"
    value = float(size)
    for unit in ("KB", "MB", "GB", "TB"):
        value /= 1024
        if round(value, 1) < 1024 or unit == "TB":
            break
    shown = f"{value:.1f}".removesuffix(".0")
    return f"{shown} {unit}"


def parse_size(text: str) -> int:
    """`20MB`, `500 KB`, `1.5GB`, `1G`, `20MiB` or a plain number of bytes (1 KB = 1024 bytes)."""
    cleaned = text.strip().upper().replace(" ", "").replace("_", "")
    unit = cleaned.lstrip("0123456789.")
    number = cleaned[: len(cleaned) - len(unit)]
    unit = unit.removesuffix("IB").removesuffix("B") if unit not in ("", "B") else unit
    try:
        scale = _SIZE_UNITS[unit]
        amount = float(number) if "." in number else int(number)
    except (KeyError, ValueError):
        raise SizeError(
            f"{text!r} is not a size (e.g. 20MB, 500KB, 1GB or a number of bytes)"
        ) from None
    size = int(amount * scale)
    if size < 1:
        raise SizeError(f"{text!r} is not a size above zero (e.g. 20MB)")
    return size


def format_hours_minutes(amount: timedelta) -> str:
    """`1h 30m`, `8h`, `45m`, `0m` (rounded down to the minute), signed."""
    sign = "-" if amount < timedelta(0) else ""
    minutes = int(abs(amount) // timedelta(minutes=1))
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return f"{sign}{hours}h {minutes:02d}m"
    if hours:
        return f"{sign}{hours}h"
    return f"{sign}{minutes}m"
