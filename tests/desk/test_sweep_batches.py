"""A backlog is swept in batches: many cases to a transaction, each with its events,
and the write lock free between batches, so another engineer's change gets in while
the sweep still has cases to go. (How long a batch holds the lock is a figure of
bench/cli_bench.py, not a test.)"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import SQLModel

from deskterm.desk import cases, demo, queries
from deskterm.desk import sweep as sweeping
from deskterm.desk.context import Desk
from deskterm.desk.sweep import sweep
from deskterm.store import search_index
from tests.desk.conftest import BACKENDS, MONDAY, as_user
from tests.frozen import FrozenClock
from tests.migrated import desk_maker

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
    assert [swept for swept in batches if swept] == [BACKLOG]
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
    assert [swept for swept in batches if swept] == [1] * BACKLOG


def automerge(connection: Any) -> Any:
    return connection.exec_driver_sql(
        "SELECT v FROM search_text_config WHERE k = 'automerge'"
    ).scalar()


def test_no_batch_merges_the_search_index_the_sweep_merges_it_between_batches(
    desk: Desk, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite's search index (FTS5) merges its segments inside whichever commit tips
    it, a batch's too: 100-300 ms of lock (bench/cli_bench.py). While the sweep runs it
    does not; the sweep merges it between batches, in steps of their own, and puts
    FTS5's default back after. The index stays whole."""
    if desk.engine.dialect.name != "sqlite":
        pytest.skip("FTS5 is SQLite's search index")
    numbers = breached_backlog(desk, clock)
    monkeypatch.setattr(sweeping, "BATCH_SECONDS", 0.0)  # one case a batch
    in_batches: list[Any] = []
    write = sweeping.write

    def writing(connection: Any, batch: Any) -> None:
        in_batches.append(automerge(connection))
        write(connection, batch)

    monkeypatch.setattr(sweeping, "write", writing)
    held: list[int] = []
    sweep(desk, on_batch=lambda swept, _held: held.append(swept))
    assert in_batches == [0] * BACKLOG
    # Before each batch a merge step (no cases), then the batch.
    assert held == [0, 1] * BACKLOG
    assert all(breaches(desk, number) == 1 for number in numbers)
    with desk.engine.connect() as connection:
        assert automerge(connection) == sweeping.FTS5_AUTOMERGE
        # Raises if the index does not hold exactly what its rows say.
        connection.exec_driver_sql(
            "INSERT INTO search_text(search_text, rank) VALUES ('integrity-check', 1)"
        )


def segments(connection: Any) -> int:
    """How many segments the search index (FTS5) holds, as far as it has written them."""
    block = connection.exec_driver_sql("SELECT block FROM search_text_data WHERE id = 10").scalar()
    return sum(len(pages) for _, pages in search_index.segment_levels(bytes(block)))


def test_a_batch_adds_its_events_to_the_search_index_as_one_segment(
    desk: Desk, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """FTS5 writes what it holds as a new segment at every statement that opens a
    savepoint once it is in the transaction (SQLite 3.40): a statement per event made
    a segment per event, and at a million cases the sixteenth segment of a level made
    one batch merge the whole index (14 s of lock, bench/cli_bench.py). A batch's
    events go in with one statement, so that FTS5 writes them at the commit, as one."""
    if desk.engine.dialect.name != "sqlite":
        pytest.skip("FTS5 is SQLite's search index")
    breached_backlog(desk, clock)
    monkeypatch.setattr(sweeping, "BATCH_SECONDS", 3600.0)  # the backlog in one batch
    added: list[int] = []
    write = sweeping.write

    def writing(connection: Any, batch: Any) -> None:
        before = segments(connection)
        write(connection, batch)
        connection.exec_driver_sql("SAVEPOINT after_the_batch")  # as any next statement
        connection.exec_driver_sql("RELEASE after_the_batch")
        added.append(segments(connection) - before)

    monkeypatch.setattr(sweeping, "write", writing)
    assert sweep(desk).breaches == BACKLOG
    assert added == [1]


def test_another_engineers_change_is_written_between_two_batches(
    desk: Desk, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    numbers = breached_backlog(desk, clock)
    monkeypatch.setattr(sweeping, "BATCH_SECONDS", 0.0)  # one case a batch
    first_batch_done, note_written = threading.Event(), threading.Event()
    batches: list[int] = []

    def after_batch(swept: int, _held: float) -> None:
        if not swept:  # the search index's merge step before a batch (SQLite)
            return
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


def test_a_case_changed_after_it_was_worked_out_is_swept_from_what_is_stored(
    desk: Desk, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    numbers = breached_backlog(desk, clock)
    owed_by = sweeping.owed_by
    bob = as_user(desk, "bob")
    noted: list[Any] = []

    def then_a_note(*args: Any) -> Any:
        found = owed_by(*args)  # worked out from the case as it was
        if not noted:  # and then, before the batch is written, bob writes to it
            noted.append(cases.note(bob, numbers[0], "on it"))
        return found

    monkeypatch.setattr(sweeping, "owed_by", then_a_note)
    report = sweep(desk)
    assert (report.cases, report.breaches) == (BACKLOG, BACKLOG)
    shown = queries.show_case(desk, numbers[0])
    kinds = [event["kind"] for event in shown["events"]]
    # The note is kept, the breach follows it once, and the version counts both.
    assert kinds[-2:] == ["note", "breach"] and kinds.count("breach") == 1
    assert shown["version"] == noted[0].version + 1
    assert all(breaches(desk, number) == 1 for number in numbers)


def test_two_sweeps_worked_out_from_the_same_read_record_each_breach_once(
    desk: Desk, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    numbers = breached_backlog(desk, clock)
    monkeypatch.setattr(sweeping, "BATCH_SECONDS", 3600.0)  # one read, one batch each
    owed_by = sweeping.owed_by
    both_read = threading.Barrier(2, timeout=60)

    def read_together(*args: Any) -> Any:
        found = owed_by(*args)
        both_read.wait()  # neither writes before both have worked the backlog out
        return found

    monkeypatch.setattr(sweeping, "owed_by", read_together)
    reports: list[sweeping.SweepReport] = []
    sweepers = [threading.Thread(target=lambda: reports.append(sweep(desk))) for _ in range(2)]
    for sweeper in sweepers:
        sweeper.start()
    for sweeper in sweepers:
        sweeper.join(timeout=120)
        assert not sweeper.is_alive()
    # The second found every case changed since its read, swept them again from what
    # was stored, and found nothing owed.
    assert sorted(report.breaches for report in reports) == [0, BACKLOG]
    assert all(breaches(desk, number) == 1 for number in numbers)


class Crash(Exception):
    """The sweep's process dies."""


def test_a_crash_in_a_batch_leaves_whole_batches_and_the_next_sweep_finishes(
    desk: Desk, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    numbers = breached_backlog(desk, clock)
    versions = [queries.show_case(desk, number)["version"] for number in numbers]
    monkeypatch.setattr(sweeping.Pace, "chunk", lambda _self: 4)
    monkeypatch.setattr(
        sweeping.Pace, "take", lambda _self, pending: [pending.popleft() for _ in range(4)]
    )
    write = sweeping.write
    batches: list[int] = []

    def crash_in_the_third(connection: Any, batch: Any) -> None:
        write(connection, batch)  # its cases, events and outcomes written, not committed
        batches.append(len(batch))
        if len(batches) == 3:
            raise Crash

    monkeypatch.setattr(sweeping, "write", crash_in_the_third)
    with pytest.raises(Crash):
        sweep(desk)
    assert batches == [4, 4, 4]
    assert [breaches(desk, number) for number in numbers] == [1] * 8 + [0] * 4
    assert [queries.show_case(desk, n)["version"] for n in numbers[8:]] == versions[8:]
    monkeypatch.undo()
    assert sweep(desk).breaches == 4
    assert all(breaches(desk, number) == 1 for number in numbers)
    assert sweep(desk).cases == 0


# --- the set-based sweep writes what the per-case sweep writes -------------------------

DEMO_CASES = 200
# Two weeks after the demo's instant: breaches of every clock, customers timed out,
# auto-close notices sent; two weeks later still, the noticed cases closed.
LATER = (MONDAY + timedelta(days=14, hours=5), MONDAY + timedelta(days=30, hours=5))
MakeDesk = Callable[[], Desk]


@pytest.fixture(params=BACKENDS)
def make_desk(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MakeDesk]:
    """Fresh, migrated databases (an SQLite file each, or a PostgreSQL schema each)."""
    with desk_maker(request.param, tmp_path, MONDAY) as make:
        yield make


# Columns that differ between two desks with the same content: the events' ids (the
# set-based sweep inserts a batch's events together), and the mails' random Message-ID.
UNCOMPARED = {"events": ("id",), "outbox": ("id", "event_id", "message_id")}


def dump(desk: Desk) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table but the compared-away columns: each case's events in order."""
    rows: dict[str, list[tuple[Any, ...]]] = {}
    with desk.engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            columns = [c for c in table.columns if c.name not in UNCOMPARED.get(table.name, ())]
            order = (
                [table.c.case_id, table.c.id]
                if table.name in UNCOMPARED
                else list(table.primary_key.columns)
            )
            rows[table.name] = [
                tuple(row) for row in connection.execute(select(*columns).order_by(*order))
            ]
    return rows


def at(desk: Desk, instant: datetime) -> Desk:
    return Desk(desk.engine, desk.policies, desk.actor, now=lambda: instant)


@pytest.mark.slow
def test_the_backlog_swept_in_sets_equals_the_case_by_case_sweep(
    make_desk: MakeDesk, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_by_case, in_sets = make_desk(), make_desk()
    for desk in (case_by_case, in_sets):
        demo.fill(desk, DEMO_CASES, seed=7)
    with monkeypatch.context() as patched:
        # Nothing worked out ahead: every case swept under its row lock from its events,
        # as each case was before the sweep worked in sets.
        patched.setattr(sweeping, "owed_by", lambda _desk, numbers, _now, _policies: numbers)
        one_by_one = [sweep(at(case_by_case, instant)) for instant in LATER]
    worked_out: list[int] = []
    owed_by = sweeping.owed_by

    def counting(*args: Any) -> Any:
        found = owed_by(*args)
        worked_out.extend(item.number for item in found if not isinstance(item, int))
        return found

    monkeypatch.setattr(sweeping, "owed_by", counting)
    assert [sweep(at(in_sets, instant)) for instant in LATER] == one_by_one
    assert one_by_one[0].breaches > 20 and one_by_one[0].customer_timeouts > 0
    assert one_by_one[0].notices > 0 and one_by_one[1].closed > 0
    assert len(worked_out) > (one_by_one[0].cases + one_by_one[1].cases) // 2
    assert dump(in_sets) == dump(case_by_case)


def test_merge_steps_take_on_small_merges_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """A step merges the segments the batches added; the merge that would rewrite a big
    part of the index (and delete its input in the same lock) is left to FTS5."""
    import sqlite3

    raw = sqlite3.connect(":memory:", isolation_level=None)
    raw.execute("CREATE VIRTUAL TABLE search_text USING fts5(body)")
    raw.execute("INSERT INTO search_text(search_text, rank) VALUES ('automerge', 0)")
    assert not sweeping._small_merge_next(raw)  # nothing indexed yet
    for n in range(sweeping.FTS5_AUTOMERGE):  # a segment a transaction, as a batch
        raw.execute("INSERT INTO search_text(body) VALUES (?)", (f"breach {n}",))
    levels = search_index.segment_levels(
        raw.execute("SELECT block FROM search_text_data WHERE id = 10").fetchone()[0]
    )
    assert levels == [(0, [1] * sweeping.FTS5_AUTOMERGE)]
    assert sweeping._small_merge_next(raw)
    monkeypatch.setattr(sweeping, "SMALL_MERGE_PAGES", sweeping.FTS5_AUTOMERGE - 1)
    assert not sweeping._small_merge_next(raw)
