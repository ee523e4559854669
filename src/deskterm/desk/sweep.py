"""The sweep: what time alone makes happen to cases.

It records breaches as events, lowers the severity of a case whose customer did
not answer in time (when the policy says so), sends the auto-close notice and
then closes. What is owed is derived from each case's events (deadlines.plan),
so a second run, or a run in another process at the same moment, finds the work
done.

A backlog (a desk nobody swept over a weekend: thousands of breaches) is swept
without holding the write lock for the replays: the cases whose stored `sweep_at`
has passed (one range read of its index) are read about a batch at a time (their
rows, events and settled first responses, a query each) and what each owes is
worked out outside any write transaction (desk/sweep_owed.py). Then one write
transaction locks that batch's cases in case-number order, checks each is still at
the version and newest event it was worked out from, and writes the unchanged ones
with a statement per table: their events, case rows and outcome rows, so a crash
leaves whole batches. A case someone changed since is not overwritten but swept
again under its row lock from what is stored now (the per-case path,
`_sweep_case`), as is a case that owes a mail (the auto-close notice). A batch
takes as many cases as the batches before it wrote in `BATCH_SECONDS` (`Pace`):
other engineers' changes and the console wait about one batch for their turn,
however long the backlog. The order is the same in every process, so two sweeps
on PostgreSQL wait for each other's row locks rather than deadlock. On SQLite the
search index is merged between batches, not inside them (`tidy_search`): its
merges, not the sweep's own writes, made the longest batches.
"""

from __future__ import annotations

import sqlite3
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, select

from deskterm.desk.cases import Change, change_in, events_of, refresh
from deskterm.desk.context import SYSTEM_ACTOR, Desk
from deskterm.desk.sweep_owed import Owed, owed_by, unchanged, write
from deskterm.desk.sweep_rules import SweepReport, catch_up
from deskterm.models import Case
from deskterm.models.tables import table_of
from deskterm.sla import Policy
from deskterm.store.engine import snapshot, writing
from deskterm.store.search_index import segment_levels

__all__ = ["BATCH_SECONDS", "SweepReport", "sweep"]

# A batch takes cases until it is expected to hold the write lock this long, its
# commit included (at the rates the batches before it ran): the rest of the 100 ms
# a change may wait is left for a loaded host's scheduling (bench/cli_bench.py).
BATCH_SECONDS = 0.04
# At most this many cases are read and worked out at once, outside the write lock.
MOST_AT_ONCE = 500
# Pages of the search index one merge step writes (`tidy_search`): a few ms of lock,
# as FTS5 counts its own merge work (64 pages a unit).
SEARCH_MERGE_PAGES = 64
# The largest merge a step takes on (`_small_merge_next`), in pages of its input.
SMALL_MERGE_PAGES = 2048
# FTS5's own default for merging as it writes (its 'automerge' setting), which the
# sweep turns off while it runs and puts back after: deskterm never sets another.
FTS5_AUTOMERGE = 4

# Told of each batch once committed: its cases and how long its transaction held the lock.
BatchListener = Callable[[int, float], None]


def sweep(desk: Desk, on_batch: BatchListener | None = None) -> SweepReport:
    now = desk.now()
    system = replace(desk, actor=SYSTEM_ACTOR, now=lambda: now)
    c = table_of(Case).c
    with snapshot(desk.engine) as connection:
        # Sorted here, not by the database: asked for them in number order, SQLite walks
        # the whole table by its number index to spare itself sorting the few due cases
        # (tests/desk/test_sweep_plan.py).
        numbers = sorted(connection.execute(select(c.number).where(c.sweep_at < now)).scalars())
    report = SweepReport()
    if not numbers:  # nothing due: nothing written, not even the search index's setting
        return report
    with own_writer(desk.engine) as writer:
        _sweep_all(system, writer, numbers, now, report, on_batch)
    return report


def _sweep_all(
    system: Desk,
    writer: Engine | Connection,
    numbers: list[int],
    now: datetime,
    report: SweepReport,
    on_batch: BatchListener | None,
) -> None:
    policies: dict[tuple[str, int | None], Policy] = {}
    pace = Pace()
    free_until = 0.0
    tidy = True
    left = deque(numbers)
    pending: deque[Owed | int] = deque()
    while left or pending:
        if not pending:
            # About one batch's worth: reading and working it out leaves the lock free
            # between two batches (longer than a batch holds it, as replays cost more
            # than writes), so the sweep seldom has to wait on purpose.
            chunk = [left.popleft() for _ in range(min(len(left), pace.chunk()))]
            pending.extend(owed_by(system, chunk, now, policies))
        batch = pace.take(pending)
        if tidy and isinstance(writer, Connection):
            # The search index's merging, in steps of its own before the batch: left
            # to the batch's commit, it is done there all at once (see `tidy_search`).
            _wait(free_until)
            tidy, held = tidy_search(writer)
            free_until = time.perf_counter() + held
            if on_batch is not None:
                on_batch(0, held)
        _wait(free_until)
        with writing(writer) as session:
            connection = session.connection()  # BEGIN IMMEDIATE on SQLite: the lock
            started = time.perf_counter()
            ready = unchanged(connection, batch)
            checked = time.perf_counter()
            fast = [o for o in batch if not isinstance(o, int) and o.number in ready]
            write(connection, fast)
            wrote = time.perf_counter()
            for owed in fast:
                report.add(owed.report)
            # Changed since it was read, or it owes a mail: from what is stored.
            slow = [
                o if isinstance(o, int) else o.number
                for o in batch
                if isinstance(o, int) or o.number not in ready
            ]
            for number in slow:
                with change_in(session, system, number) as change:
                    if _sweep_case(change, now, report):
                        report.cases += 1
            slowed = time.perf_counter()
        ended = time.perf_counter()
        held = ended - started
        pace.learn(
            (checked - started) + (ended - slowed),
            len(fast),
            wrote - checked,
            len(slow),
            slowed - wrote,
        )
        if on_batch is not None:
            on_batch(len(batch), held)
        if isinstance(writer, Connection):
            free_until = time.perf_counter() + held
            checkpoint(writer)
            # Each commit added a segment to the search index (SQLite's FTS5).
            tidy = True


def _wait(free_until: float) -> None:
    """SQLite lets a waiting writer in only when its busy handler polls (every few to
    100 ms), not when the lock is freed: the lock stays free as long as the sweep last
    held it, or the sweep would take it again first."""
    left = free_until - time.perf_counter()
    if left > 0:
        time.sleep(left)


@contextmanager
def own_writer(engine: Engine) -> Iterator[Engine | Connection]:
    """What the batches write through: on SQLite a connection of the sweep's own that
    leaves the WAL's checkpoint (copying the committed pages into the database file,
    which SQLite does inside the commit of whoever passes 1000 pages, after freeing
    the lock) to `checkpoint`, between batches, and the search index's merging to
    `tidy_search` (FTS5's automerge off until the sweep ends; a sweep killed before
    leaves it off, and the index merging only when a level piles up 16 segments, until
    the next sweep ends); on PostgreSQL the engine."""
    if engine.dialect.name != "sqlite":
        yield engine
        return
    with engine.connect() as connection:
        raw = _raw(connection)
        before = raw.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
        raw.execute("PRAGMA wal_autocheckpoint=0")
        _search_setting(raw, "automerge", 0)
        try:
            yield connection
        finally:
            try:
                _search_setting(raw, "automerge", FTS5_AUTOMERGE)
                raw.execute(f"PRAGMA wal_autocheckpoint={int(before)}")
            except sqlite3.Error:
                # The file went away mid-sweep (the error the sweep raises says so):
                # this connection is not given back to the pool without its checkpoints.
                connection.invalidate()


def checkpoint(connection: Connection) -> None:
    """Copy what the WAL holds into the database file as far as readers allow (PASSIVE:
    it waits for nobody and holds no write lock), outside any transaction. Only an
    economy: if it fails, the next batch's write says why."""
    with suppress(sqlite3.Error):
        _raw(connection).execute("PRAGMA wal_checkpoint(PASSIVE)")


def tidy_search(connection: Connection) -> tuple[bool, float]:
    """One bounded step of the search index's merging (SQLite's FTS5), in a write
    transaction of its own, between two batches: whether there was anything to merge,
    and how long it held the lock.

    Each commit that indexes text (the trigger on `events`, store/search_index.py)
    adds a segment to the index. Left to itself, FTS5 merges inside the commit that
    tips it: every 64 pages written, 64 pages a level of the merge in progress, and a
    whole level at once when 16 segments pile up on it; in a batch that was 20-200 ms
    more of lock at 100k cases (the search index a demo builds in bulk is mid-merge),
    on a few batches in ten (bench/cli_bench.py). So the sweep turns that off while it
    runs (`own_writer`) and merges here instead, SEARCH_MERGE_PAGES at a time, lower
    levels first (FTS5 takes the level with the most segments, four at least, before
    going on with a merge in progress), when that merge is a small one
    (`_small_merge_next`): the segments the batches add do not pile up, and no batch
    merges. What the index holds is the same; only its layout is."""
    raw = _raw(connection)
    started = time.perf_counter()
    try:
        if not _small_merge_next(raw):
            return False, time.perf_counter() - started
        before = raw.total_changes
        _write(
            raw,
            "INSERT INTO search_text(search_text, rank) VALUES ('merge', ?)",
            SEARCH_MERGE_PAGES,
        )
    except (sqlite3.Error, IndexError):
        # Only an economy (no search index here, a structure record this code does
        # not read, or the disk is failing): the next batch's write says why if it
        # matters.
        return False, time.perf_counter() - started
    # Nothing was left to merge when the step changed no more than its own row.
    return raw.total_changes - before > 1, time.perf_counter() - started


def _small_merge_next(raw: Any) -> bool:
    """Whether the merge FTS5 would go on with next (the level with the most
    segments, four at least, below the first level with a merge in progress; else
    that merge) rewrites at most SMALL_MERGE_PAGES: the step that ends a merge also
    deletes its input in the same transaction, 250-350 ms of lock for the 20,000-page
    segments of a 1M desk. A big merge waits for FTS5's own merging after the sweep;
    the small segments each batch adds are merged before they pile up. Reads the
    index's structure record (deskterm.store.search_index.segment_levels)."""
    row = raw.execute("SELECT block FROM search_text_data WHERE id = 10").fetchone()
    if row is None:
        return False
    levels = segment_levels(bytes(row[0]))
    best: tuple[int, int] | None = None  # (segments, pages)
    for merging, pages in levels:
        if merging:
            if best is None or merging > best[0]:
                best = (merging, sum(pages[:merging]))
            break
        if best is None or len(pages) > best[0]:
            best = (len(pages), sum(pages))
    return best is not None and best[0] >= FTS5_AUTOMERGE and best[1] <= SMALL_MERGE_PAGES


def _search_setting(raw: Any, name: str, value: int) -> None:
    """Set one of the search index's FTS5 settings (kept in the database, so read by
    every connection from its next transaction on). Only an economy: without a search
    index, or when the write fails, the sweep goes on as it would."""
    with suppress(sqlite3.Error):
        _write(raw, "INSERT INTO search_text(search_text, rank) VALUES (?, ?)", name, value)


def _write(raw: Any, statement: str, *parameters: object) -> None:
    """One statement in a write transaction of its own, on the sweep's raw connection
    (outside any transaction of SQLAlchemy's, as `checkpoint`)."""
    raw.execute("BEGIN IMMEDIATE")
    try:
        raw.execute(statement, parameters)
    except BaseException:
        raw.execute("ROLLBACK")
        raise
    raw.execute("COMMIT")


def _raw(connection: Connection) -> Any:
    raw = connection.connection.dbapi_connection
    if raw is None:
        raise RuntimeError("the sweep's connection is closed")
    return raw


class Pace:
    """How many cases the next batch takes: as many as fit in BATCH_SECONDS at the
    rates the batches before ran (at least one). A batch costs a part that hardly
    depends on its size (the lock's check, the commit) and a part per case: a case
    worked out ahead, or one swept under its row lock."""

    def __init__(self) -> None:
        # Until measured, a guess on the slow side: the first batch pays for what the
        # connection has not cached yet (its pages, the search index's settings), and
        # a guess on the fast side made it the longest of a sweep (bench/cli_bench.py).
        self.each = 0.003  # seconds per worked-out case, until measured
        self.slow = 0.01  # seconds per case swept under its row lock
        self.batch = 0.005  # seconds of a batch whatever its size

    def chunk(self) -> int:
        """How many cases to work out at once: what the next batch will take."""
        room = max(0.0, BATCH_SECONDS - self.batch)
        return max(1, min(MOST_AT_ONCE, int(room / self.each)))

    def take(self, pending: deque[Owed | int]) -> list[Owed | int]:
        batch: list[Owed | int] = []
        spent = self.batch
        while pending:
            cost = self.slow if isinstance(pending[0], int) else self.each
            if batch and spent + cost > BATCH_SECONDS:
                break
            batch.append(pending.popleft())
            spent += cost
        return batch

    def learn(self, batch: float, fast: int, fast_s: float, slow: int, slow_s: float) -> None:
        self.batch = _average(self.batch, batch)
        if fast:
            self.each = _average(self.each, fast_s / fast)
        if slow:
            self.slow = _average(self.slow, slow_s / slow)


def _average(guess: float, measured: float) -> float:
    """Half the last guess, half the new measure: a batch slowed by another process
    taking the CPU or the disk moves the pace, but does not set it."""
    return (guess + measured) / 2


def _sweep_case(change: Change, now: datetime, report: SweepReport) -> bool:
    """One case under its row lock, from its stored events."""
    version_of = change.desk.versions_of(change.case.policy)
    events, clocks, did_something, settled = catch_up(
        change,
        events_of(change.session, change.case),
        now,
        report,
        change.session.flush,
        version_of,
    )
    if settled:
        # What the change stores on leaving: replayed after its last event, at `now`.
        change.replayed = events, clocks
    if not did_something:
        # A stale sweep instant (a policy file edited since, say): store the fresh one
        # so the case is not picked up again; the cached deadlines are not a change.
        refresh(change.session, change.case, change.policy, now, change.replayed, version_of)
    return did_something
