"""The desk's figures at 100k and 1M cases: header and board counts, the 30-day report,
the 8-hour handoff, and (with `--live`) a console's cost per change made elsewhere,
each beside a floor measured in the same run, and the growth from the first desk
to the second.

Figures (CPU seconds of this process, median of `--repeats`, default 5):

- header counts (`Queue.counts`), board counts (`board.standing` + `board.counts`),
  engineers' load: what a console pays for counts on a change. Floor: one plain
  `SELECT count(*) FROM cases WHERE status != 'closed'` (the walk they replaced).
- `report` for 30 days (2026-10-21 to 2026-11-19), from stored outcomes (and its
  median wall time, `report_30d_wall`); with
  `--replay` also the replay it replaced (minutes at 100k: once). Target at 1M: 2 s.
- `handoff --since 8h`. Target at 1M: 0.5 s.
- with `--live` (bench/live_bench.py, each program `--runs` times in a pty): the
  queue's start to its header counts and CPU per change elsewhere (a note, an
  assignment, a reply), the case screen's CPU per change elsewhere, the board's
  start to a full board and CPU per change, beside a bare Textual app hearing the
  same changes (its start, its CPU per change). Targets at 1M: 1 s, 20 ms. The
  desk is written to (notes): a copy, always.

The desk is a COPY of a demo desk (DESKTERM_NOW=2026-11-20T15:00:00Z, seed 7)
already at the newest schema: `sqlite3 /work/desks/100k.db ".backup COPY"` then
`deskterm --db COPY db upgrade` (the migration stores the SLA outcomes). Never
point it at a shared original. The load average is printed with the figures: the
machine may be shared. Writes bench/results/figures_bench.json.

    .venv/bin/python bench/figures_bench.py COPY [COPY_1M] [--replay]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

from deskterm import settings
from deskterm.desk import board, handoff, reports
from deskterm.desk.context import Desk
from deskterm.desk.queue import Queue
from deskterm.sla.catalog import PolicyCatalog
from deskterm.store.engine import database_url, make_engine

RESULTS = Path(__file__).resolve().parent / "results"
NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
START = reports.parse_day("2026-10-21")
END = reports.parse_day("2026-11-19", end=True)
KINDS = ("note", "assign", "reply")  # the changes made elsewhere (--live)


def cpu(action: Callable[[], Any], repeats: int) -> float:
    runs = []
    for _ in range(repeats):
        started = time.process_time()
        action()
        runs.append(time.process_time() - started)
    return statistics.median(runs)


def measure(path: str, repeats: int, replay: bool, report: bool = True) -> dict[str, float]:
    desk = Desk(
        make_engine(database_url(path)),
        PolicyCatalog(settings.policy_dirs()),
        "bench",
        now=lambda: NOW,
    )

    def floor() -> None:
        with desk.engine.connect() as connection:
            connection.execute(text("SELECT count(*) FROM cases WHERE status != 'closed'"))

    floor()  # warm the page cache for every figure alike
    figures = {
        "floor_plain_count": cpu(floor, repeats),
        "header_counts": cpu(lambda: Queue(desk).counts(NOW), repeats),
        "board_counts": cpu(lambda: board.counts(desk, NOW), repeats),
        "board_load": cpu(lambda: board.load(desk, NOW), repeats),
    }
    figures["handoff_8h"] = cpu(lambda: handoff.handoff(desk, timedelta(hours=8), NOW), repeats)
    if report:
        walls: list[float] = []

        def one_report() -> None:
            started = time.perf_counter()
            reports.report(desk, START, END)
            walls.append(time.perf_counter() - started)

        figures["report_30d"] = cpu(one_report, max(3, repeats // 2))
        figures["report_30d_wall"] = statistics.median(walls)
    if replay:
        figures["report_30d_replayed"] = cpu(lambda: reports.replayed_report(desk, START, END), 1)
    desk.engine.dispose()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("desks", nargs="+", help="copies of the 100k (and 1M) demo desks")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--replay", action="store_true")
    parser.add_argument(
        "--counts-only", action="store_true", help="no report (a desk without stored outcomes)"
    )
    parser.add_argument("--live", action="store_true", help="also the consoles in a pty")
    parser.add_argument("--runs", type=int, default=3, help="runs of each console (--live)")
    args = parser.parse_args()
    load = os.getloadavg()
    print(f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} cores")
    found: dict[str, dict[str, float]] = {}
    for path in args.desks:
        figures = found[path] = measure(path, args.repeats, args.replay, not args.counts_only)
        floor = figures["floor_plain_count"]
        print(path)
        for name, seconds in figures.items():
            what = "wall" if name.endswith("_wall") else "CPU "
            print(
                f"  {name:<22} {seconds * 1000:9.1f} ms {what} ({seconds / floor:6.2f}x the floor)"
            )
    if len(found) == 2:
        small, large = found.values()
        for name in sorted(small.keys() & large.keys()):
            print(f"growth first -> second desk, {name}: {large[name] / small[name]:.1f}x")
    live: dict[str, Any] = {}
    if args.live:
        live = run_live(args)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "figures_bench.json").write_text(
        json.dumps({"load": load, "figures": found, "live": live}, indent=2) + "\n",
        encoding="utf-8",
    )


def run_live(args: argparse.Namespace) -> dict[str, Any]:
    """bench/live_bench.py on each desk, and the growth of each figure between them."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import live_bench

    live: dict[str, Any] = {}
    for path in args.desks:
        # A note moves no figure; an assignment moves the counters and the board's load;
        # a reply moves the case's deadlines (the deadline counts are read again).
        for kind in KINDS:
            options = argparse.Namespace(
                changes=8, gap=2.0, settle=6.0, idle=8.0, runs=args.runs, kind=kind
            )
            started = os.getloadavg()[0]
            live[f"{path} {kind}"] = live_bench.measure(Path(path), options)
            print(
                f"{path}: live, a {kind} elsewhere, medians of {args.runs} run(s), load average "
                f"{started:.1f} before, {os.getloadavg()[0]:.1f} after"
            )
            print("\n".join(live_bench.lines(live[f"{path} {kind}"])))
    if len(args.desks) == 2:
        for kind in KINDS:
            small, large = (live[f"{path} {kind}"] for path in args.desks)
            for program, figures in small.items():
                for key, value in figures.items():
                    other = large[program].get(key)
                    if value and other is not None:
                        print(
                            f"growth first -> second desk, a {kind}, {program} {key}: "
                            f"{other / value:.1f}x"
                        )
    return live


if __name__ == "__main__":
    main()
