"""Counting the queue: exact when wanted, abandoned at once when no longer wanted."""

from __future__ import annotations

import pytest

from deskterm.desk import cases, queue
from deskterm.desk.context import Desk
from deskterm.desk.filters import parse_filter
from deskterm.desk.queue import Queue, QueueQuery


def open_some(desk: Desk, subjects: list[str]) -> None:
    for subject in subjects:
        cases.open_case(desk, organization="Acme", contact=None, severity=3, subject=subject)


def test_a_count_matches_the_filter(desk: Desk) -> None:
    open_some(desk, ["Login fails", "Slow login page", "Disk full"])
    query = QueueQuery(filter=parse_filter("login", "alice"), me="alice")
    assert Queue(desk).count(query, desk.now()) == 2
    assert Queue(desk).count(QueueQuery(me="alice"), desk.now()) == 3


def test_a_count_nobody_waits_for_stops(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    open_some(desk, [f"Case {n}" for n in range(30)])
    query = QueueQuery(filter=parse_filter("case", "alice"), me="alice")
    monkeypatch.setattr(queue, "PROGRESS_STEPS", 1)  # look at once, however small the table
    asked: list[bool] = []

    def stale() -> bool:
        asked.append(True)
        return True

    counted = Queue(desk).count(query, desk.now(), stale=stale)
    if desk.engine.dialect.name == "sqlite":
        assert counted is None and asked
    else:  # no progress handler: the count runs to its end
        assert counted == 30
    # The connection goes back to the pool without the handler: the next count is whole.
    assert Queue(desk).count(query, desk.now(), stale=lambda: False) == 30
    assert Queue(desk).count(query, desk.now()) == 30


def test_a_position_within_a_bound_counts_no_further(desk: Desk) -> None:
    """The queue follows a selected case that moved only as far as a bounded count
    reaches: at a million cases, an exact place deep down is a count of the rows
    above it (hundreds of milliseconds a change elsewhere)."""
    open_some(desk, [f"Case {n}" for n in range(30)])
    query = QueueQuery(me="alice")
    rows = Queue(desk).rows(query, desk.now(), 0, 30)
    deep = rows[20].number
    assert Queue(desk).position(query, desk.now(), deep) == 20
    assert Queue(desk).position(query, desk.now(), deep, within=25) == 20
    assert Queue(desk).position(query, desk.now(), deep, within=21) == 20
    assert Queue(desk).position(query, desk.now(), deep, within=20) is None
    assert Queue(desk).position(query, desk.now(), deep, within=5) is None
    assert Queue(desk).position(query, desk.now(), rows[0].number, within=1) == 0
