"""A clock the test moves by hand: what `Desk.now` reads in tests."""

from __future__ import annotations

from datetime import datetime, timedelta


class FrozenClock:
    def __init__(self, start: datetime) -> None:
        self.instant = start

    def __call__(self) -> datetime:
        return self.instant

    def advance(self, **delta: float) -> datetime:
        self.instant += timedelta(**delta)
        return self.instant
