"""The command line's start-up and the sweep of a backlog, on copies of the demo desks.

Start-up (wall and CPU seconds of the child process, median of `--repeats`, default 5):
`deskterm --help`, `case show N`, `case list --limit 20` and `policy due`, each beside
the floor measured in the same run: `python -c "import sqlalchemy"`. Targets (issue 18):
0.25 / 0.35 / 0.4 s wall on a quiet machine, and each at most 1.3x the floor. Their
output goes into a pipe; `case show` and `case list` are measured on a pseudo-terminal
too ("(terminal)"), where Rich prints them (deskterm.cli.plain prints into a pipe).

Sweep: the desk copied again, DESKTERM_NOW set just past the `sweep_at` of the
`--backlog`-th case (default 10,000), so that exactly that many cases are due; then
`deskterm.desk.sweep.sweep` in a process of its own, timed, with each batch's lock time
(from its BEGIN IMMEDIATE to its commit; on SQLite also the search index's merge steps
between batches, each a write transaction of its own), and beside it a writer of its own that writes
every 20 ms and times its waits for the lock (what another engineer's change waits).
The floor, in the same run: one plain UPDATE of the same rows, rolled back. Medians of
`--sweep-repeats` (default 3) fresh copies. Targets: 10 s, no batch over 100 ms.
`--pg URL` (repeatable): the same on a PostgreSQL database holding a demo desk (made
with `deskterm --db URL demo`), cloned for each run with CREATE DATABASE ... TEMPLATE
(so nobody may be connected to it) and dropped after; the template is never written.
A batch's lock there is its cases' row locks.

The desks are COPIES of demo desks (DESKTERM_NOW=2026-11-20T15:00:00Z, seed 7) at the
newest schema; the sweep writes to a further copy made here, in the copy's folder, and
removed after. Never point it at a shared original. The load average is printed beside
the figures: the machine may be shared. Writes bench/results/cli_bench.json
(cli_bench_pg.json when only --pg is given).

    .venv/bin/python bench/cli_bench.py COPY [COPY ...] [--no-sweep | --sweep-only] [--pg URL]
"""

from __future__ import annotations

import argparse
import compileall
import fcntl
import json
import os
import sqlite3
import statistics
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
NOW = "2026-11-20T15:00:00Z"
TARGETS = {"--help": 0.25, "case show": 0.35, "case list": 0.4}
RATIO_TARGET = 1.3
SWEEP_TARGET_S = 10.0
LOCK_TARGET_S = 0.100


def child(args: list[str], env: dict[str, str], terminal: bool = False) -> tuple[float, float]:
    """Wall and CPU seconds of one child process, its output into a pipe or, with
    `terminal`, a pseudo-terminal of 120x40 (what an engineer at a prompt sees: Rich
    prints there, deskterm.cli.plain only into a pipe or a file)."""
    started = time.perf_counter()
    if not terminal:
        process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        _, status, usage = os.wait4(process.pid, 0)
    else:
        leader, follower = os.openpty()
        fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        process = subprocess.Popen(
            args, stdout=follower, stderr=subprocess.PIPE, env={**env, "TERM": "xterm-256color"}
        )
        os.close(follower)
        drained = threading.Thread(target=_drain, args=(leader,), daemon=True)
        drained.start()
        _, status, usage = os.wait4(process.pid, 0)
        drained.join()
    wall = time.perf_counter() - started
    assert process.stderr is not None
    error = process.stderr.read()
    process.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(args)} failed: {error.decode(errors='replace')}")
    return wall, usage.ru_utime + usage.ru_stime


def _drain(leader: int) -> None:
    """Read the pseudo-terminal until its child is gone, as a terminal would."""
    try:
        while os.read(leader, 65536):
            pass
    except OSError:  # EIO: the child closed its end
        pass
    finally:
        os.close(leader)


def median_of(
    args: list[str], env: dict[str, str], repeats: int, terminal: bool = False
) -> dict[str, float]:
    runs = [child(args, env, terminal) for _ in range(repeats)]
    return {
        "wall_s": statistics.median(wall for wall, _ in runs),
        "cpu_s": statistics.median(cpu for _, cpu in runs),
    }


def deskterm() -> list[str]:
    return [sys.executable, "-m", "deskterm"]


def first_open_case(db: Path) -> int:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
        row = connection.execute(
            "SELECT number FROM cases WHERE status != 'closed' ORDER BY number LIMIT 1"
        ).fetchone()
    return int(row[0])


def start_up(db: Path, repeats: int) -> dict[str, Any]:
    # Byte-compiled first, as an installed wheel is: where PYTHONDONTWRITEBYTECODE is
    # set, each run would otherwise compile every module it imports from source.
    import deskterm as package

    compileall.compile_dir(Path(package.__file__).parent, quiet=1)
    # A cache of holiday dates of this bench's own (deskterm.sla.holiday_dates), filled
    # by one untimed run of each command: on a shared host, other installs of deskterm
    # rewrite the user's cache with their own `holidays` package's stamp.
    cache = db.with_name(f"{db.stem}.cli-bench-cache")
    env = {**os.environ, "DESKTERM_NOW": NOW, "XDG_CACHE_HOME": str(cache)}
    number = first_open_case(db)
    floor = median_of([sys.executable, "-c", "import sqlalchemy"], env, repeats)
    commands = {
        "--help": ["--help"],
        "case show": ["case", "show", str(number)],
        "case list": ["case", "list", "--limit", "20"],
        "policy due": ["policy", "due", "--policy", "p1-p6", "--severity", "1", "--received", NOW],
    }
    figures: dict[str, Any] = {"floor (import sqlalchemy)": floor}
    for args in commands.values():
        child([*deskterm(), "--db", str(db), *args], env)
    # case show and case list print without Rich into a pipe (deskterm.cli.plain):
    # measured on a terminal too.
    runs = [(name, args, False) for name, args in commands.items()] + [
        (f"{name} (terminal)", commands[name], True) for name in ("case show", "case list")
    ]
    for name, args, terminal in runs:
        measured = median_of([*deskterm(), "--db", str(db), *args], env, repeats, terminal)
        measured["ratio_wall"] = measured["wall_s"] / floor["wall_s"]
        measured["ratio_cpu"] = measured["cpu_s"] / floor["cpu_s"]
        if name.removesuffix(" (terminal)") in TARGETS:
            measured["target_wall_s"] = TARGETS[name.removesuffix(" (terminal)")]
        figures[name] = measured
    return figures


def due_instant(db: Path, backlog: int) -> str:
    """An instant just past the sweep_at of the `backlog`-th case to fall due."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
        row = connection.execute(
            "SELECT sweep_at FROM cases WHERE sweep_at IS NOT NULL "
            "ORDER BY sweep_at LIMIT 1 OFFSET ?",
            (backlog - 1,),
        ).fetchone()
    stamp = str(row[0]).replace(" ", "T")
    # SQLite keeps instants as naive UTC text with microseconds: one more is "past" it.
    seconds, _, micros = stamp.partition(".")
    return f"{seconds}.{int(micros or 0) + 1:06d}+00:00"


# A writer beside the sweep (another engineer's change): how long each of its write
# transactions waits for the lock while the sweep runs. It writes a row of its own
# (an UPDATE that changes nothing) every PROBE_EVERY seconds until told to stop.
PROBE = """
import sqlite3, sys, time, json, os
db, stop = sys.argv[1], sys.argv[2]
connection = sqlite3.connect(db, isolation_level=None, timeout=30)
connection.execute("PRAGMA busy_timeout=30000")
waits = []
while not os.path.exists(stop):
    started = time.perf_counter()
    connection.execute("BEGIN IMMEDIATE")
    waits.append(time.perf_counter() - started)
    connection.execute("UPDATE counters SET value = value WHERE name = 'case_number'")
    connection.execute("COMMIT")
    time.sleep(%(every)r)
print(json.dumps(waits))
"""
PROBE_EVERY = 0.02

SWEEP = (
    "import json, resource, sys, time\n"
    "from deskterm.opening import open_desk\n"
    "from deskterm.desk.sweep import sweep\n"
    "desk, _ = open_desk(sys.argv[1], 'bench')\n"
    "batches = []\n"
    "def cpu():\n"
    "    usage = resource.getrusage(resource.RUSAGE_SELF)\n"
    "    return usage.ru_utime + usage.ru_stime\n"
    "started, used = time.perf_counter(), cpu()\n"
    "report = sweep(desk, on_batch=lambda cases, held: batches.append((cases, held)))\n"
    "took, used = time.perf_counter() - started, cpu() - used\n"
    "print(json.dumps({'seconds': took, 'cpu_s': used, 'batches': batches,\n"
    "                  'summary': report.summary(),\n"
    "                  'cases': report.cases}))\n"
)


def floor_update(db: Path, now: str) -> float:
    """The floor: one plain UPDATE of the rows the sweep changes (version and sweep
    instant of every case due), in one transaction, rolled back."""
    stamp = now.replace("T", " ").removesuffix("+00:00")
    connection = sqlite3.connect(db, isolation_level=None)
    try:
        started = time.perf_counter()
        connection.execute("BEGIN IMMEDIATE")
        connection.execute(
            "UPDATE cases SET version = version + 1, sweep_at = NULL WHERE sweep_at < ?",
            (stamp,),
        )
        took = time.perf_counter() - started
        connection.execute("ROLLBACK")
    finally:
        connection.close()
    return took


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[int(share * (len(ordered) - 1))]


def sweep_once(db: Path, backlog: int) -> dict[str, Any]:
    copy = db.with_name(f"{db.stem}.sweep-bench.db")
    stop = Path(f"{copy}.stop")
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    now = due_instant(copy, backlog)
    try:
        floor = floor_update(copy, now)
        stop.unlink(missing_ok=True)
        probe = subprocess.Popen(
            [sys.executable, "-c", PROBE % {"every": PROBE_EVERY}, str(copy), str(stop)],
            stdout=subprocess.PIPE,
            text=True,
        )
        done = subprocess.run(
            [sys.executable, "-c", SWEEP, str(copy)],
            capture_output=True,
            text=True,
            env={**os.environ, "DESKTERM_NOW": now},
            check=True,
        )
        stop.touch()
        waits = json.loads(probe.communicate()[0])
    finally:
        for leftover in (copy, Path(f"{copy}-wal"), Path(f"{copy}-shm"), stop):
            leftover.unlink(missing_ok=True)
    return _figures(now, floor, json.loads(done.stdout.strip().splitlines()[-1]), waits)


def pg_sweep_once(template: str, backlog: int) -> dict[str, Any]:
    """As `sweep_once` on PostgreSQL: the desk database `template` cloned (CREATE
    DATABASE ... TEMPLATE; the template itself is never written), swept, dropped."""
    from sqlalchemy import create_engine, make_url, text

    url = make_url(template)
    copy_url = url.set(database=f"{url.database}_sweep_bench")
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{copy_url.database}"'))
        connection.execute(text(f'CREATE DATABASE "{copy_url.database}" TEMPLATE "{url.database}"'))
    engine = create_engine(copy_url)
    try:
        with engine.connect() as connection:
            due = connection.execute(
                text(
                    "SELECT sweep_at FROM cases WHERE sweep_at IS NOT NULL "
                    "ORDER BY sweep_at LIMIT 1 OFFSET :n"
                ),
                {"n": backlog - 1},
            ).scalar_one()
            connection.rollback()
            started = time.perf_counter()
            connection.execute(
                text(
                    "UPDATE cases SET version = version + 1, sweep_at = NULL WHERE sweep_at < :now"
                ),
                {"now": due + timedelta(microseconds=1)},
            )
            floor = time.perf_counter() - started
            connection.rollback()
        engine.dispose()
        now = (due + timedelta(microseconds=1)).isoformat()
        done = subprocess.run(
            [sys.executable, "-c", SWEEP, copy_url.render_as_string(hide_password=False)],
            capture_output=True,
            text=True,
            env={**os.environ, "DESKTERM_NOW": now},
            check=True,
        )
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{copy_url.database}"'))
        admin.dispose()
    return _figures(now, floor, json.loads(done.stdout.strip().splitlines()[-1]), None)


def _figures(
    now: str, floor: float, result: dict[str, Any], waits: list[float] | None
) -> dict[str, Any]:
    # Every write transaction of the sweep's: its batches, and on SQLite the search
    # index's merge steps between them (no cases; desk/sweep.py tidy_search).
    holds = [held for _, held in result["batches"]]
    batches = [(cases, held) for cases, held in result["batches"] if cases]
    steps = [held for cases, held in result["batches"] if not cases]
    figures = {
        "now": now,
        "seconds": result["seconds"],
        "cpu_s": result["cpu_s"],
        "floor_s": floor,
        "summary": result["summary"],
        "batches": len(batches),
        "merge_steps": len(steps),
        "cases_per_batch_median": statistics.median(cases for cases, _ in batches),
        "lock_median_s": statistics.median(holds),
        "lock_p99_s": percentile(holds, 0.99),
        "lock_longest_s": max(holds),
        "batch_lock_longest_s": max(held for _, held in batches),
        "merge_step_longest_s": max(steps, default=0.0),
    }
    if waits:
        figures["writer_waits"] = len(waits)
        figures["writer_wait_p99_s"] = percentile(waits, 0.99)
        figures["writer_wait_longest_s"] = max(waits)
    return figures


def sweep_backlog(once: Callable[[], dict[str, Any]], backlog: int, repeats: int) -> dict[str, Any]:
    """The sweep of `backlog` due cases, `repeats` times on fresh copies: medians."""
    runs = [once() for _ in range(repeats)]
    figures: dict[str, Any] = {
        "backlog": backlog,
        "repeats": repeats,
        "summary": runs[0]["summary"],
        "now": runs[0]["now"],
        "runs": runs,
        "target_s": SWEEP_TARGET_S,
        "lock_target_s": LOCK_TARGET_S,
    }
    for key in runs[0]:
        if key not in ("now", "summary"):
            figures[key] = statistics.median(run[key] for run in runs)
    figures["ratio_to_floor"] = figures["seconds"] / figures["floor_s"]
    return figures


def print_sweep(swept: dict[str, Any]) -> None:
    beside = (
        f"; a writer beside it waited p99 {swept['writer_wait_p99_s'] * 1000:.0f} ms, "
        f"longest {swept['writer_wait_longest_s'] * 1000:.0f} ms "
        f"({swept['writer_waits']:.0f} writes)"
        if "writer_waits" in swept
        else ""
    )
    print(
        f"  sweep of {swept['backlog']:,} due (median of {swept['repeats']}): "
        f"{swept['seconds']:.1f} s (target {SWEEP_TARGET_S:.0f} s; CPU "
        f"{swept['cpu_s']:.1f} s), floor (one plain UPDATE of the same rows) "
        f"{swept['floor_s']:.2f} s, {swept['ratio_to_floor']:.0f}x floor; "
        f"{swept['batches']:.0f} batches of {swept['cases_per_batch_median']:.0f} cases"
        f" and {swept['merge_steps']:.0f} search-index merge steps; "
        f"lock held median {swept['lock_median_s'] * 1000:.0f} ms, p99 "
        f"{swept['lock_p99_s'] * 1000:.0f} ms, longest "
        f"{swept['lock_longest_s'] * 1000:.0f} ms (target {LOCK_TARGET_S * 1000:.0f} ms; "
        f"longest batch {swept['batch_lock_longest_s'] * 1000:.0f} ms, longest step "
        f"{swept['merge_step_longest_s'] * 1000:.0f} ms)"
        f"{beside}"
    )
    print(f"    {swept['summary']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("desks", nargs="*", help="copies of demo desks (100k, 1M)")
    parser.add_argument(
        "--pg",
        action="append",
        default=[],
        help="a PostgreSQL database holding a demo desk, cloned for each sweep (never written)",
    )
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--backlog", type=int, default=10_000)
    parser.add_argument("--no-sweep", action="store_true")
    parser.add_argument("--sweep-only", action="store_true")
    parser.add_argument("--sweep-repeats", type=int, default=3)
    options = parser.parse_args()
    results: dict[str, Any] = {"load_before": os.getloadavg()}
    for name in options.desks:
        db = Path(name).resolve()
        figures: dict[str, Any] = {
            "start_up": {} if options.sweep_only else start_up(db, options.repeats)
        }
        if not options.no_sweep:
            figures["sweep"] = sweep_backlog(
                partial(sweep_once, db, options.backlog), options.backlog, options.sweep_repeats
            )
        results[str(db)] = figures
        print(f"{db.name} (load {' '.join(f'{x:.1f}' for x in os.getloadavg())})")
        for what, measured in figures["start_up"].items():
            ratio = f"  {measured['ratio_wall']:.2f}x floor" if "ratio_wall" in measured else ""
            target = (
                f"  (target {measured['target_wall_s']} s, {RATIO_TARGET}x)"
                if "target_wall_s" in measured
                else ""
            )
            print(
                f"  {what:28} wall {measured['wall_s']:.3f} s  cpu {measured['cpu_s']:.3f} s"
                f"{ratio}{target}"
            )
        if "sweep" in figures:
            print_sweep(figures["sweep"])
    for template in options.pg:
        swept = sweep_backlog(
            partial(pg_sweep_once, template, options.backlog),
            options.backlog,
            options.sweep_repeats,
        )
        results[template] = {"sweep": swept}
        print(f"PostgreSQL {template} (load {' '.join(f'{x:.1f}' for x in os.getloadavg())})")
        print_sweep(swept)
    results["load_after"] = os.getloadavg()
    RESULTS.mkdir(exist_ok=True)
    # PostgreSQL alone (make bench's PG_DESKS) keeps the SQLite desks' figures.
    name = "cli_bench.json" if options.desks else "cli_bench_pg.json"
    (RESULTS / name).write_text(json.dumps(results, indent=2, default=str) + "\n")


if __name__ == "__main__":
    main()
