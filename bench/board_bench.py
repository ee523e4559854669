"""The breach board left running on a wall screen: does it stay flat in memory and CPU?

Workload: a demo desk made by `deskterm --db FILE demo --cases N` (100,000 by default,
`--cases`), made at the real time so that deadlines fall due while the board runs
(the clock is not frozen: countdowns tick and cases breach as they would on a wall).
`deskterm --db FILE board --readonly` runs in a 160x48 pseudo-terminal read through
pyte (bench/ptyterm.py), with its own HOME and DESKTERM_USER=bench, untouched for
`--seconds` (3600 by default). Nothing else writes to the database; the board still
polls for changes twice a second, repaints its countdowns every second and reloads
its counts every half minute.

Figures: after the first full board and a settling time (`--settle`, 60 s, while the
first reloads warm the caches), the resident memory (VmRSS of the process and its
descendants, /proc) and CPU time (utime+stime) are sampled every `--sample-every`
seconds (60). Reported: RSS at the start and end of the window, its growth (the
median of the last five samples minus the median of the first five, so one sample
caught in the middle of a reload does not decide), its peak, and CPU time over the
window as a share of one core. Targets (issue 7): growth under 5 MB, CPU under 3%.

Run with `.venv/bin/python bench/board_bench.py` (`--seconds 600` for a shorter run,
`--db FILE` to reuse a desk). Prints the figures and writes them, with every sample,
to bench/results/board_bench.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ptyterm import Terminal, TerminalError
from queue_bench import cpu_seconds, deskterm_command, environment, rss_bytes

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
RESULTS_FILE = RESULTS / "board_bench.json"
COLS, ROWS = 160, 48
MB = 1024 * 1024
TARGET_RSS_GROWTH = 5 * MB
TARGET_CPU = 0.03


def make_desk(path: Path, cases: int, home: Path) -> None:
    env = environment(home, frozen=False)
    command = [*deskterm_command(), "--db", str(path), "demo", "--cases", str(cases)]
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)


def board_shown(term: Terminal) -> bool:
    text = "\n".join(term.text())
    return "Next to breach" in text and "open " in text and "#" in text


def run(args: argparse.Namespace) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="board-bench-"))
    home = work / "home"
    home.mkdir()
    try:
        if args.db:
            db = work / "desk.db"
            shutil.copyfile(args.db, db)
        else:
            db = work / "desk.db"
            print(f"making a demo desk of {args.cases} cases ...", flush=True)
            make_desk(db, args.cases, home)
        command = [*deskterm_command(), "--db", str(db), "board", "--readonly"]
        term = Terminal(command, COLS, ROWS, environment(home, frozen=False))
        try:
            started = time.perf_counter()
            term.read_until(board_shown, args.start_timeout)
            shown = time.perf_counter() - started
            settle_end = time.monotonic() + args.settle
            while time.monotonic() < settle_end:
                term.poll(0.25)
            samples: list[dict[str, float]] = []
            t0, cpu0 = time.perf_counter(), cpu_seconds(term.pid)
            next_sample = t0
            end = t0 + args.seconds
            while True:
                now = time.perf_counter()
                if now >= next_sample or now >= end:
                    samples.append(
                        {
                            "seconds": now - t0,
                            "rss_bytes": rss_bytes(term.pid),
                            "cpu_seconds": cpu_seconds(term.pid) - cpu0,
                        }
                    )
                    if now >= end:
                        break
                    next_sample += args.sample_every
                if not term.alive:
                    raise SystemExit("the board exited during the run:\n" + "\n".join(term.text()))
                term.poll(min(0.25, max(0.0, min(next_sample, end) - now)))
            screen_at_end = term.text()
        finally:
            if term.alive:
                term.send("q")
                term.wait(3.0)
            term.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    window = samples[-1]["seconds"]
    rss = [s["rss_bytes"] for s in samples]
    head, tail = rss[:5], rss[-5:]
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.node()} {platform.machine()}, {platform.python_version()}",
        "cases": args.cases if not args.db else None,
        "terminal": f"{COLS}x{ROWS}",
        "seconds_to_board": shown,
        "settle_seconds": args.settle,
        "seconds_measured": window,
        "rss_start_bytes": rss[0],
        "rss_end_bytes": rss[-1],
        "rss_peak_bytes": max(rss),
        "rss_growth_bytes": statistics.median(tail) - statistics.median(head),
        "cpu_seconds": samples[-1]["cpu_seconds"],
        "cpu_share_of_one_core": samples[-1]["cpu_seconds"] / window if window else None,
        "samples": samples,
        "screen_at_end": screen_at_end,
    }


def report(result: dict[str, Any]) -> list[str]:
    growth, cpu = result["rss_growth_bytes"], result["cpu_share_of_one_core"]
    return [
        f"board bench: {result['cases']} cases, {result['terminal']}, "
        f"idle {result['seconds_measured']:.0f} s after {result['settle_seconds']:g} s settling",
        f"  first board      {result['seconds_to_board']:.2f} s",
        f"  RSS start / end  {result['rss_start_bytes'] / MB:.1f} / {result['rss_end_bytes'] / MB:.1f} MB"
        f" (peak {result['rss_peak_bytes'] / MB:.1f} MB)",
        f"  RSS growth       {growth / MB:+.2f} MB  (target < 5 MB: "
        f"{'met' if growth < TARGET_RSS_GROWTH else 'MISSED'})",
        f"  CPU              {cpu:.2%} of one core  (target < 3%: "
        f"{'met' if cpu < TARGET_CPU else 'MISSED'})",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3600)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--db", help="copy this database instead of making a demo desk")
    parser.add_argument("--settle", type=float, default=60)
    parser.add_argument("--sample-every", type=float, default=60)
    parser.add_argument("--start-timeout", type=float, default=60)
    args = parser.parse_args()
    try:
        result = run(args)
    except TerminalError as error:
        print(f"board bench: the board never showed: {error}", file=sys.stderr)
        return 1
    RESULTS.mkdir(exist_ok=True)
    RESULTS_FILE.write_text(json.dumps(result, indent=2))
    print("\n".join(report(result)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
