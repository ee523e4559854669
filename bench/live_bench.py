"""Console CPU per change made elsewhere (the live channel's cost), on a copy of a desk.

    .venv/bin/python bench/live_bench.py --db COPY.db [--changes 8] [--gap 2]

Starts `deskterm` on COPY.db in a pty (as queue_bench does), lets it settle,
measures its idle CPU over a window, then makes changes from this process (a
note by another user, one at a time, `--gap` seconds apart) and reports the
console's CPU per change (process tree utime+stime, less the idle rate over the
same time). Two kinds of change: to cases far down the queue (not on screen:
the usual change on a big desk) and to a case on screen. COPY.db is written to:
pass a copy. `--code DIR` runs the console from another checkout's `src` (to
measure a baseline). Not part of `make bench`: it needs a large desk copied by hand.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from queue_bench import (  # noqa: E402
    CASE_NUMBER,
    NOW,
    cpu_seconds,
    deskterm_command,
    environment,
    quit_program,
    start,
)


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--changes", type=int, default=8)
    parser.add_argument("--gap", type=float, default=2.0)
    parser.add_argument("--settle", type=float, default=8.0)
    parser.add_argument("--idle", type=float, default=10.0)
    parser.add_argument("--code", type=Path, help="another checkout whose src/ to run")
    args = parser.parse_args()

    os.environ["DESKTERM_NOW"] = NOW
    from deskterm import settings
    from deskterm.desk import cases
    from deskterm.desk.context import Desk
    from deskterm.sla.catalog import PolicyCatalog
    from deskterm.store.engine import database_url, make_engine

    *far, low, high = far_cases(args.db, args.changes)
    numbers = range(low, high + 1)
    home = Path(tempfile.mkdtemp(prefix="live-bench-"))
    env = environment(home, frozen=True)
    if args.code is not None:
        env["PYTHONPATH"] = str(args.code / "src")
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        command = [sys.executable, "-m", "deskterm"]
    else:
        command = deskterm_command()
    command += ["--db", str(args.db)]
    engine = make_engine(database_url(str(args.db)))
    desk = Desk(engine, PolicyCatalog([settings.packaged_policy_dir()]), "bob")
    seconds, term = start(command, env, numbers, 300.0)
    try:
        end = time.monotonic() + args.settle
        while time.monotonic() < end:
            term.poll(0.1)
        shown = [int(n) for line in term.text() for n in CASE_NUMBER.findall(line)]
        shown = [n for n in shown if n in numbers]
        cpu0, t0 = cpu_seconds(term.pid), time.monotonic()
        end = t0 + args.idle
        while time.monotonic() < end:
            term.poll(0.1)
        idle_rate = (cpu_seconds(term.pid) - cpu0) / (time.monotonic() - t0)

        def per_change(targets: list[int]) -> list[float]:
            costs = []
            for number in targets:
                before, t_before = cpu_seconds(term.pid), time.monotonic()
                cases.note(desk, number, "live_bench: a change made elsewhere")
                end = time.monotonic() + args.gap
                while time.monotonic() < end:
                    term.poll(0.05)
                spent = cpu_seconds(term.pid) - before
                costs.append(spent - idle_rate * (time.monotonic() - t_before))
            return costs

        not_shown = per_change(far[: args.changes])
        on_screen = per_change([shown[2]] * max(args.changes // 2, 2)) if len(shown) > 2 else []
    finally:
        quit_program(term)
        engine.dispose()

    def line(what: str, costs: list[float]) -> str:
        if not costs:
            return f"{what}: not measured"
        ms = sorted(c * 1000 for c in costs)
        return (
            f"{what}: median {statistics.median(ms):.0f} ms, "
            f"min {ms[0]:.0f}, max {ms[-1]:.0f} ms CPU per change ({len(ms)} changes)"
        )

    print(
        f"desk {args.db.name}; console from {args.code or 'this checkout'}; "
        f"start to rows {seconds:.1f} s; idle {idle_rate * 1000:.0f} ms CPU/s; "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print(line("change to a case far down the queue", not_shown))
    print(line("change to a case on screen", on_screen))


if __name__ == "__main__":
    main()
