"""Search targets (issue 21) on a copy of a demo desk: index build, query and keystroke
latency, the cost of a write, database size.

    python bench/search_bench.py [--desk /work/desks/100k.db] [--work DIR] [--skip-build]
    python bench/search_bench.py --db URL (a desk already indexed, PostgreSQL or a copy
        of an SQLite one: the query and keystroke figures only)

The desk is copied (the demo desks are shared and read-only); the copy is upgraded,
which builds the index with progress, or indexed again as by `deskterm db reindex`
where it has an index already. Latencies are medians and p95 of warm runs;
the machine is shared, so the load average is printed beside them, and on a
PostgreSQL server of this machine the CPU its backends spent (read from /proc).
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

from alembic import command

from deskterm import settings
from deskterm.desk import cases, search
from deskterm.desk.context import Desk
from deskterm.desk.filters import parse_filter
from deskterm.desk.queue import Queue, QueueQuery
from deskterm.sla.catalog import PolicyCatalog
from deskterm.store import migrate, search_index
from deskterm.store.engine import database_url, make_engine
from deskterm.store.migrate import upgrade

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
TWO_WORDS = [
    "patch windows", "server logs", "customer update", "timeout error", "login failed",
    "disk full", "certificate expired", "memory leak", "slow report", "license key",
]  # fmt: skip
KEYSTROKES = ["sev:1", "sev:1 status:open", "breached", "@unassigned", "due<2h"]
# Words in a few hundred cases of the demo desks (seed 7): the queue starts from their
# cases, whatever filter token comes with them.
RARE = ["quorum", "copiers", "subsidiary", "relays", "collectors"]
WRITES = 100
BODY = ("The patch is rolled out; please check the server logs again. " * 40)[:2048]


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.1f}/{five:.1f} on {os.cpu_count()} cores"


def written() -> int:
    """Bytes this process has written so far, the WAL's and its checkpoints' included
    (Linux; 0 elsewhere)."""
    try:
        with open("/proc/self/io") as io:
            return next(int(line.split()[1]) for line in io if line.startswith("wchar:"))
    except (OSError, StopIteration):
        return 0


class ServerCpu:
    """CPU time of the PostgreSQL backends serving this database, read from the
    kernel's /proc (the server on this machine; 0 elsewhere): on a shared machine the
    wall clock mostly measures the wait for a core, this what a query costs."""

    def __init__(self, desk: Desk) -> None:
        self.pids: list[int] = []
        if desk.engine.dialect.name == "postgresql":
            with desk.engine.connect() as connection:
                found = connection.exec_driver_sql(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                )
                self.pids = [int(pid) for pid in found.scalars()]

    def spent(self) -> float:
        total = 0
        for pid in self.pids:
            try:
                with open(f"/proc/{pid}/schedstat") as stat:
                    total += int(stat.read().split()[0])  # nanoseconds on a core
            except (OSError, ValueError, IndexError):
                pass
        return total / 1e9


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"median {statistics.median(ordered) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms"


def copy(source: Path, target: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as src, sqlite3.connect(target) as dst:
        src.backup(dst)


def desk_on(path: Path | str) -> Desk:
    engine = make_engine(path if isinstance(path, str) else database_url(str(path)))
    return Desk(engine, PolicyCatalog(settings.policy_dirs()), "bench", now=lambda: NOW)


def write_cost(desk: Desk, numbers: list[int]) -> list[float]:
    """CPU time of each reply (SQLite works in this process): the machine's load, which
    stretches the wall clock several times over, does not count."""
    spent = []
    for number in numbers:
        started = time.process_time()
        cases.reply(desk, number, BODY)
        spent.append(time.process_time() - started)
    return spent


def index_share(path: Path) -> str:
    """The index's pages (FTS5's tables) against all the pages in use."""
    with sqlite3.connect(path) as connection:
        try:
            index, whole = connection.execute(
                "SELECT sum(CASE WHEN name LIKE 'search_text%' THEN pgsize ELSE 0 END), "
                "sum(pgsize) FROM dbstat"
            ).fetchone()
        except sqlite3.OperationalError:  # no dbstat in this build of SQLite
            return "index share unknown (no dbstat)"
    return f"index {index / 2**20:.0f} MiB of {whole / 2**20:.0f} MiB in use ({index / whole:.0%})"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--desk", default="/work/desks/100k.db")
    parser.add_argument("--work", default="/tmp/search-bench")
    parser.add_argument("--skip-build", action="store_true")
    parser.add_argument("--db", help="a database URL: measure the queries on it as it is")
    arguments = parser.parse_args()
    if arguments.db:
        print(f"desk {arguments.db.rpartition('@')[2]}; {load()}")
        desk = desk_on(arguments.db)
        queries(desk, "SQLite" if desk.engine.dialect.name == "sqlite" else "PostgreSQL")
        return
    work = Path(arguments.work)
    work.mkdir(parents=True, exist_ok=True)
    source = Path(arguments.desk)
    indexed = work / "indexed.db"
    plain = work / "plain.db"  # the same desk without a search index
    print(f"desk {source} ({source.stat().st_size / 2**20:.0f} MiB); {load()}")
    if not arguments.skip_build or not indexed.exists():
        copy(source, plain)
        copy(source, indexed)
        engine = make_engine(database_url(str(indexed)))
        indexed_already = search_index.has_index(engine)
        started, cpu, wrote = time.perf_counter(), time.process_time(), written()
        upgrade(engine, NOW)  # the migration, then the build with its progress bar
        if indexed_already:  # (the demo desks are made at the newest schema)
            search_index.reset(engine)
            migrate.build_search_index(engine)
        built, cpu = time.perf_counter() - started, time.process_time() - cpu
        wrote = written() - wrote
        engine.dispose()
        with sqlite3.connect(indexed) as connection:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        print(
            f"index build: {built:.0f} s wall, {cpu:.0f} s CPU, {wrote / 2**30:.1f} GiB "
            f"written ({load()}); {index_share(indexed)}"
        )
        engine = make_engine(database_url(str(plain)))
        command.upgrade(migrate._config(engine), "head")  # the schema, not the build
        with engine.begin() as connection:
            search_index.drop(connection)
        engine.dispose()
    desk = desk_on(indexed)
    with desk.engine.connect() as connection:
        state = search_index.backlog(connection)
    assert state is not None and state.empty, "the index is not built"
    queries(desk, "SQLite")
    write_costs(desk, plain)


def queries(desk: Desk, backend: str) -> None:
    # Two-word queries, first page (20 newest), warm: each query once to warm, then 5x.
    samples, cpu, served = [], time.process_time(), []
    server = ServerCpu(desk)  # (the pool's one connection, after a first query)
    for query in TWO_WORDS:
        search.search(desk, query)
        server = server if server.pids or backend == "SQLite" else ServerCpu(desk)
        for _ in range(5):
            started, serving = time.perf_counter(), server.spent()
            search.search(desk, query)
            samples.append(time.perf_counter() - started)
            served.append(server.spent() - serving)
    cpu = (time.process_time() - cpu) / (len(TWO_WORDS) * 6)
    print(
        f"two-word query, first page, warm ({backend}): {percentiles(samples)} "
        f"(CPU {cpu * 1000:.1f} ms a query); {load()}"
    )
    if server.pids:
        print(f"  the server's CPU a two-word query: {percentiles(served)}")

    # A filter keystroke in the queue with a search active: the first window of rows,
    # after the search's first page (which finds the cases it matches).
    # As the screen does: the first page, then (a pause in typing) the count, which
    # finds the matching cases once; then filter tokens typed.
    samples, firsts, counted, spent, served = [], [], [], [], []
    server = ServerCpu(desk)  # the connections open now
    for words in TWO_WORDS[:5]:
        queue = Queue(desk)
        searched = QueueQuery(filter=parse_filter(words, "bench"), me="bench")
        started = time.perf_counter()
        queue.rows(searched, NOW, 0, 50)
        firsts.append(time.perf_counter() - started)
        started = time.perf_counter()
        queue.count(searched, NOW)
        counted.append(time.perf_counter() - started)
        for tokens in KEYSTROKES:
            query = QueueQuery(filter=parse_filter(f"{words} {tokens}", "bench"), me="bench")
            started, cpu, serving = time.perf_counter(), time.process_time(), server.spent()
            queue.rows(query, NOW, 0, 50)
            samples.append(time.perf_counter() - started)
            spent.append(time.process_time() - cpu)
            served.append(server.spent() - serving)
    print(f"queue, the search's first page (50 rows): {percentiles(firsts)}; {load()}")
    print(f"queue, the search's count (in the background): {percentiles(counted)}; {load()}")
    print(
        f"queue keystroke with a search active (50 rows): {percentiles(samples)}; "
        f"CPU {percentiles(spent)}; {load()}"
    )
    if server.pids:
        print(f"  the server's CPU a keystroke: {percentiles(served)}")
    # The same with a rare word: its few cases, then a filter token with an index of
    # its own (status:, sev:, @user), which the database would rather walk.
    samples = []
    for word in RARE:
        queue = Queue(desk)
        searched = QueueQuery(filter=parse_filter(word, "bench"), me="bench")
        queue.rows(searched, NOW, 0, 50)
        queue.count(searched, NOW)
        for tokens in ("status:open", "status:waiting", "sev:1", "@unassigned", "breached"):
            query = QueueQuery(filter=parse_filter(f"{word} {tokens}", "bench"), me="bench")
            queue.rows(query, NOW, 0, 50)
            for _ in range(3):
                started = time.perf_counter()
                queue.rows(query, NOW, 0, 50)
                samples.append(time.perf_counter() - started)
    print(f"queue keystroke, a rare word and a token (50 rows): {percentiles(samples)}; {load()}")


def write_costs(desk: Desk, plain: Path) -> None:
    """The cost of a reply with a 2 KB body, with and without the index (same cases)."""
    chooser = random.Random(7)
    with desk.engine.connect() as connection:
        top = connection.exec_driver_sql("SELECT max(number) FROM cases").scalar_one()
    numbers = [chooser.randint(40100, top) for _ in range(WRITES)]
    without = desk_on(plain)
    spent_plain, spent_indexed = [], []
    for number in numbers:  # interleaved: the machine's load falls on both alike
        spent_plain += write_cost(without, [number])
        spent_indexed += write_cost(desk, [number])
    a, b = statistics.median(spent_plain), statistics.median(spent_indexed)
    print(
        f"reply with a 2 KB body, CPU: {a * 1000:.1f} ms without the index, {b * 1000:.1f} ms "
        f"with it (medians of {WRITES}): {(b - a) / a:+.0%}; {load()}"
    )


if __name__ == "__main__":
    main()
