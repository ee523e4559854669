"""One clock: frozen by DESKTERM_NOW, or started there and running."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from deskterm import clock


def test_deskterm_now_freezes_the_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DESKTERM_NOW", "2026-11-20T09:00:00-07:00")
    first = clock.now()
    time.sleep(0.01)
    assert first == clock.now() == datetime(2026, 11, 20, 16, 0, tzinfo=UTC)


def test_a_running_clock_starts_at_deskterm_now_and_moves(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DESKTERM_NOW", "2026-11-20T16:00:00Z")
    monkeypatch.setenv("DESKTERM_CLOCK", "running")
    first = clock.now()
    time.sleep(0.02)
    second = clock.now()
    assert datetime(2026, 11, 20, 16, 0, tzinfo=UTC) <= first < second


def test_without_deskterm_now_it_is_the_wall_clock_in_utc() -> None:
    assert clock.now().tzinfo is UTC
