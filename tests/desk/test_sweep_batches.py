"""A backlog is swept in batches: many cases to a transaction, each with its events,
and the write lock free between batches, so another engineer's change gets in while
the sweep still has cases to go. (How long a batch holds the lock is a figure of
bench/cli_bench.py, not a test.)"""

from __future__ import annotations

import threading

import pytest

from deskterm.desk import cases, queries
from deskterm.desk import sweep as sweeping
from deskterm.desk.context import Desk
from deskterm.desk.sweep import sweep
from tests.desk.conftest import as_user
from tests.frozen import FrozenClock

BACKLOG = 12


def breached_backlog(desk: Desk, clock: FrozenClock) -> list[int]:
    """Sev 1 cases nobody answered, past their first-response deadline."""
    numbers = [
        cases.open_case(
            desk, organization="Acme", contact="Bob Admin", severity=1, subject=f"down {n}"
        ).number
        for n in range(BACKLOG)
    ]
    clock.advance(hours=2)
    return numbers


def breaches(desk: Desk, number: int) -> int:
    return [e["kind"] for e in queries.show_case(desk, number)["events"]].count("breach")


def test_one_batch_takes_many_cases_each_with_its_breach(
    desk: Desk, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    numbers = breached_backlog(desk, clock)
    monkeypatch.setattr(sweeping, "BATCH_SECONDS", 3600.0)
    batches: list[int] = []
    report = sweep(desk, on_batch=lambda swept, _held: batches.append(swept))
    assert batches == [BACKLOG]
    assert (report.cases, report.breaches) == (BACKLOG, BACKLOG)
    assert all(breaches(desk, number) == 1 for number in numbers)
    assert sweep(desk).cases == 0


def test_a_batch_with_no_time_left_still_sweeps_one_case(
    desk: Desk, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    breached_backlog(desk, clock)
    monkeypatch.setattr(sweeping, "BATCH_SECONDS", 0.0)
    batches: list[int] = []
    assert sweep(desk, on_batch=lambda swept, _held: batches.append(swept)).breaches == BACKLOG
    assert batches == [1] * BACKLOG


def test_another_engineers_change_is_written_between_two_batches(
    desk: Desk, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    numbers = breached_backlog(desk, clock)
    monkeypatch.setattr(sweeping, "BATCH_SECONDS", 0.0)  # one case a batch
    first_batch_done, note_written = threading.Event(), threading.Event()
    batches: list[int] = []

    def after_batch(swept: int, _held: float) -> None:
        batches.append(swept)
        if len(batches) == 1:
            first_batch_done.set()
            # The sweep goes on only once the note is in: if the sweep still held
            # the write lock here, the note would wait for it and this would hang.
            assert note_written.wait(timeout=60)

    sweeper = threading.Thread(target=sweep, args=(desk,), kwargs={"on_batch": after_batch})
    sweeper.start()
    assert first_batch_done.wait(timeout=60)
    bob = as_user(desk, "bob")
    noted = cases.note(bob, numbers[-1], "looking at the backlog")
    note_written.set()
    sweeper.join(timeout=120)
    assert not sweeper.is_alive()
    assert len(batches) == BACKLOG  # the note came in with cases still to sweep
    shown = queries.show_case(desk, numbers[-1])
    kinds = [event["kind"] for event in shown["events"]]
    assert kinds[-2:] == ["note", "breach"] and shown["version"] == noted.version + 1
