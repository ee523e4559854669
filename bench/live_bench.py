"""Console CPU per change made elsewhere (the live channel's cost), on a copy of a desk.

    .venv/bin/python bench/live_bench.py --db COPY.db [--changes 8] [--gap 2] [--runs 3]

Starts a program on COPY.db in a pty (as queue_bench does), lets it settle,
measures its idle CPU over a window, then makes changes from this process (`--kind`:
a note, an assignment, or a reply, which moves the case's deadlines; by another user,
one at a time, `--gap` seconds apart) and reports the program's CPU per change
(process tree utime+stime, less the idle rate over the same time). The kernel counts
that CPU in ticks of 10 ms, so one change's cost reads as a multiple of 10 ms: a run's
figure is the CPU of all its changes together divided by their number (a 17 ms change
read 10, 20 or 30 ms each time, and a median of three such readings is one of those).
Four programs, each `--runs` times (medians of the runs reported; `--programs` picks
some):

- the console's queue: start to a screen of rows, start to the header's counts,
  CPU per change to a case far down the queue (not on screen: the usual change on
  a big desk) and to a case on screen;
- the case screen (enter on the queue's first row, the queue beneath it): CPU per
  change to a far case and to the case shown;
- the breach board (`board --readonly`): start to a full board (its counts shown),
  CPU per change;
- the floor: a bare Textual app that hears the same changes (bench/bare_app.py):
  start to first paint, CPU per change.

COPY.db is written to: pass a copy. `--code DIR` runs the console from another
checkout's `src` (to measure a baseline). bench/figures_bench.py runs it per desk
with `--live` (make bench, where DESKS are given).
"""

from __future__ import annotations

import argparse
import os
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ptyterm import Terminal  # noqa: E402
from queue_bench import (  # noqa: E402
    CASE_NUMBER,
    COLS,
    ROWS,
    cpu_seconds,
    deskterm_command,
    environment,
    quit_program,
    start,
)

HERE = Path(__file__).resolve().parent
# The demo desks' own time (bench/figures_bench.py): later, the console's first sweep (a
# minute after it starts) would find days of breaches to record and be measured as the
# changes' cost.
NOW = "2026-11-20T15:00:00Z"
HEADER_COUNTS = re.compile(r"open \d+ +breached \d+")
BOARD_COUNTS = re.compile(r"open \d+ +\(")


def far_cases(path: Path, count: int) -> list[int]:
    """Open cases due last: far below any screen of rows."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = connection.execute(
            "SELECT number FROM cases WHERE status != 'closed' "
            "ORDER BY queue_due DESC, number DESC LIMIT ?",
            (count,),
        ).fetchall()
        low, high = connection.execute("SELECT min(number), max(number) FROM cases").fetchone()
    finally:
        connection.close()
    return [number for (number,) in rows] + [low, high]


class Session:
    """One program in a pty, and notes written to the desk from this process."""

    def __init__(self, db: Path, code: Path | None = None) -> None:
        os.environ["DESKTERM_NOW"] = NOW
        from deskterm import settings
        from deskterm.desk.context import Desk
        from deskterm.sla.catalog import PolicyCatalog
        from deskterm.store.engine import database_url, make_engine

        self.db = db
        self.home = Path(tempfile.mkdtemp(prefix="live-bench-"))
        self.env = environment(self.home, frozen=True)
        self.env["DESKTERM_NOW"] = NOW
        self.console = deskterm_command()
        if code is not None:
            self.env["PYTHONPATH"] = str(code / "src")
            self.env["PYTHONDONTWRITEBYTECODE"] = "1"
            self.console = [sys.executable, "-m", "deskterm"]
        self.engine = make_engine(database_url(str(db)))
        self.desk = Desk(self.engine, PolicyCatalog([settings.packaged_policy_dir()]), "bob")
        self.turn = 0
        self._swept()

    def _swept(self) -> None:
        """The backlog a demo desk leaves (breaches its history never recorded) swept
        before measuring, as a team's desk is, swept every minute: left, the console's
        first sweep records it during the changes and its CPU reads as theirs."""
        from deskterm.desk.sweep import sweep

        began = time.monotonic()
        report = sweep(self.desk)
        print(
            f"swept the copy first: {report.cases} case(s) in {time.monotonic() - began:.1f} s",
            file=sys.stderr,
        )

    def change(self, number: int, kind: str = "note") -> None:
        """A note (moves no figure), an assignment (moves the counters and the board's
        per-engineer load), or a reply (stops a response clock: moves the case's stored
        deadlines, so the deadline counts are read again)."""
        from deskterm.desk import cases
        from deskterm.desk.errors import DeskError

        if kind == "reply":
            cases.reply(self.desk, number, "live_bench: a reply sent elsewhere")
        elif kind == "assign":
            self.turn += 1
            engineer = ("asha", "bruno")[self.turn % 2]
            try:
                cases.assign(self.desk, number, engineer)
            except DeskError as refused:  # already theirs (an earlier run): the other one
                if "already assigned" not in str(refused):
                    raise
                cases.assign(self.desk, number, "bruno" if engineer == "asha" else "asha")
        else:
            cases.note(self.desk, number, "live_bench: a change made elsewhere")

    def close(self) -> None:
        self.engine.dispose()


def _settle(term: Terminal, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        term.poll(0.1)


def _idle_rate(term: Terminal, seconds: float) -> float:
    cpu0, t0 = cpu_seconds(term.pid), time.monotonic()
    _settle(term, seconds)
    return (cpu_seconds(term.pid) - cpu0) / (time.monotonic() - t0)


def _per_change(
    session: Session, term: Terminal, targets: list[int], gap: float, idle_rate: float, kind: str
) -> list[float]:
    costs = []
    for number in targets:
        before, t_before = cpu_seconds(term.pid), time.monotonic()
        session.change(number, kind)
        _settle(term, gap)
        spent = cpu_seconds(term.pid) - before
        costs.append(spent - idle_rate * (time.monotonic() - t_before))
    return costs


def queue_run(session: Session, args: argparse.Namespace) -> dict[str, Any]:
    *far, low, high = far_cases(session.db, args.changes)
    numbers = range(low, high + 1)
    seconds, term = start([*session.console, "--db", str(session.db)], session.env, numbers, 300.0)
    try:
        # The rows may come before the header's counts: the later of the two is the start.
        counted = term.read_until_text(HEADER_COUNTS, 60.0) - term.started_at
        _settle(term, args.settle)
        shown = [int(n) for line in term.text() for n in CASE_NUMBER.findall(line)]
        shown = [n for n in shown if n in numbers]
        idle = _idle_rate(term, args.idle)
        far_costs = _per_change(session, term, far[: args.changes], args.gap, idle, args.kind)
        screen_costs = (
            _per_change(session, term, [shown[2]] * args.changes, args.gap, idle, args.kind)
            if len(shown) > 2
            else []
        )
    finally:
        quit_program(term)
    return {
        "start_to_rows_s": seconds,
        "start_to_header_counts_s": counted,
        "idle_cpu_per_s": idle,
        "cpu_per_change_far_s": statistics.fmean(far_costs),
        "cpu_per_change_on_screen_s": statistics.fmean(screen_costs) if screen_costs else None,
    }


def _started(
    command: list[str], env: dict[str, str], shown: re.Pattern[str]
) -> tuple[float, Terminal]:
    term = Terminal(command, COLS, ROWS, env)
    try:
        seconds = term.read_until_text(shown, 300.0) - term.started_at
    except Exception:
        term.close()
        raise
    return seconds, term


def _changes_only(
    session: Session, args: argparse.Namespace, command: list[str], shown: re.Pattern[str]
) -> dict[str, Any]:
    *far, _, _ = far_cases(session.db, args.changes)
    seconds, term = _started(command, session.env, shown)
    try:
        _settle(term, args.settle)
        idle = _idle_rate(term, args.idle)
        costs = _per_change(session, term, far[: args.changes], args.gap, idle, args.kind)
    finally:
        quit_program(term)
    return {
        "start_to_full_s": seconds,
        "idle_cpu_per_s": idle,
        "cpu_per_change_s": statistics.fmean(costs),
    }


CASE_HEADER = re.compile(r"Incident# (\d+)  ")


def case_run(session: Session, args: argparse.Namespace) -> dict[str, Any]:
    """The case screen over the queue (enter on the first row): changes to far cases
    (the queue beneath hears them too), then as many to the case shown. The first of
    those lays the screen out once (the line "Changed by others" appears: about 20 ms
    more than the others at 120x40); the figure is the mean of them all."""
    *far, low, high = far_cases(session.db, args.changes)
    numbers = range(low, high + 1)
    _, term = start([*session.console, "--db", str(session.db)], session.env, numbers, 300.0)
    try:
        term.read_until_text(HEADER_COUNTS, 60.0)
        _settle(term, 1.0)
        sent = time.monotonic()
        term.send("enter")
        term.read_until_text(CASE_HEADER, 60.0)
        opened = time.monotonic() - sent
        found = CASE_HEADER.search(term.screen_text())
        assert found is not None
        shown = int(found.group(1))
        _settle(term, args.settle)
        idle = _idle_rate(term, args.idle)
        far_costs = _per_change(session, term, far[: args.changes], args.gap, idle, args.kind)
        own_costs = _per_change(session, term, [shown] * args.changes, args.gap, idle, args.kind)
    finally:
        if term.alive:
            term.send("escape")
            _settle(term, 0.5)
        quit_program(term)
    return {
        "enter_to_case_s": opened,
        "idle_cpu_per_s": idle,
        "cpu_per_change_far_s": statistics.fmean(far_costs),
        "cpu_per_change_on_screen_s": statistics.fmean(own_costs),
    }


def board_run(session: Session, args: argparse.Namespace) -> dict[str, Any]:
    command = [*session.console, "--db", str(session.db), "board", "--readonly"]
    return _changes_only(session, args, command, BOARD_COUNTS)


def bare_run(session: Session, args: argparse.Namespace) -> dict[str, Any]:
    command = [sys.executable, str(HERE / "bare_app.py"), "--db", str(session.db)]
    return _changes_only(session, args, command, re.compile("ready"))


PROGRAMS: dict[str, Callable[[Session, argparse.Namespace], dict[str, Any]]] = {
    "queue": queue_run,
    "case screen": case_run,
    "board": board_run,
    "bare app (floor)": bare_run,
}


def measure(db: Path, args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    """Each program `args.runs` times on `db`: the median of each figure."""
    session = Session(db, getattr(args, "code", None))
    found: dict[str, dict[str, Any]] = {}
    try:
        chosen = set(getattr(args, "programs", PROGRAMS)) | {"bare app (floor)"}
        for name, run in PROGRAMS.items():
            if name not in chosen:
                continue
            runs = [run(session, args) for _ in range(args.runs)]
            found[name] = {
                key: (
                    statistics.median(r[key] for r in runs)
                    if all(r[key] is not None for r in runs)
                    else None
                )
                for key in runs[0]
            }
    finally:
        session.close()
    return found


def lines(found: dict[str, dict[str, Any]]) -> list[str]:
    """Each figure beside the bare app's (the floor), and its target."""
    floor = found["bare app (floor)"]
    targets = {
        "start_to_header_counts_s": 1.0,
        "start_to_full_s": 1.0,
        "cpu_per_change_far_s": 0.020,
        "cpu_per_change_on_screen_s": 0.020,
        "cpu_per_change_s": 0.020,
    }
    floors = {
        "start_to_rows_s": floor["start_to_full_s"],
        "start_to_header_counts_s": floor["start_to_full_s"],
        "start_to_full_s": floor["start_to_full_s"],
        "cpu_per_change_far_s": floor["cpu_per_change_s"],
        "cpu_per_change_on_screen_s": floor["cpu_per_change_s"],
        "cpu_per_change_s": floor["cpu_per_change_s"],
        "idle_cpu_per_s": floor["idle_cpu_per_s"],
    }
    out = []
    for program, figures in found.items():
        for key, value in figures.items():
            if value is None:
                out.append(f"  {program:<17} {key:<28} not measured")
                continue
            shown = (
                f"{value * 1000:9.1f} ms"
                if key != "idle_cpu_per_s"
                else f"{value * 1000:6.1f} ms/s"
            )
            base = floors.get(key)
            ratio = (
                f"({value / base:6.2f}x the bare app)"
                if base and program != "bare app (floor)"
                else ""
            )
            target = targets.get(key)
            verdict = (
                ""
                if target is None or program == "bare app (floor)"
                else (f" target {target * 1000:.0f} ms: {'met' if value <= target else 'MISSED'}")
            )
            out.append(f"  {program:<17} {key:<28} {shown} {ratio}{verdict}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--changes", type=int, default=8)
    parser.add_argument("--gap", type=float, default=2.0)
    parser.add_argument("--settle", type=float, default=8.0)
    parser.add_argument("--idle", type=float, default=10.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--kind",
        choices=("note", "assign", "reply"),
        default="note",
        help="the change made elsewhere",
    )
    parser.add_argument(
        "--programs",
        nargs="+",
        choices=tuple(PROGRAMS),
        default=tuple(PROGRAMS),
        help="which programs to measure (the bare app always: it is the floor)",
    )
    parser.add_argument("--code", type=Path, help="another checkout whose src/ to run")
    args = parser.parse_args()
    load = os.getloadavg()
    found = measure(args.db, args)
    print(
        f"desk {args.db.name}; console from {args.code or 'this checkout'}; "
        f"load average {load[0]:.1f} before, {os.getloadavg()[0]:.1f} after; medians of "
        f"{args.runs} run(s), CPU per change ({args.kind}) less the idle rate"
    )
    print("\n".join(lines(found)))


if __name__ == "__main__":
    main()
