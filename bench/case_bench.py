"""Opening a case from the queue: enter to a painted case screen, 10,000 events against 10.

Workload: a database made by `deskterm demo --cases 2000 --seed 7` (DESKTERM_NOW frozen
at 2026-11-23T16:00:00Z) in which the first case of the queue gets 10,000 more notes
(written straight into the events table: the use case would replay the history once per
note) and the second case keeps its few events (the baseline, same run). The real
`deskterm` runs in a 120x40 pseudo-terminal read through pyte (bench/ptyterm.py).

Measured: from writing `enter` on the queue row to the first moment the screen shows the
case's header (`Incident# N  subject`) and its timeline tab counting every event
(`Timeline 10008`): the case is read, its clocks replayed and its timeline laid out and
painted. Then esc back to the queue, and again: `--opens` times per case (default 10),
alternating the two cases. Also: `G` then `g` in the open timeline (bottom to top of
10,000 events), key to repaint.

Target (issue 5): first paint under 300 ms for the 10,000-event case. Writes
bench/results/case_bench.json. Run with `.venv/bin/python bench/case_bench.py`.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ptyterm import KEYS, Terminal

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
NOW = "2026-11-23T16:00:00Z"
COLS, ROWS = 120, 40
EVENTS = 10_000
TARGET_S = 0.300
QUIET_MS = 15.0


def deskterm() -> str:
    beside = Path(sys.executable).with_name("deskterm")
    return str(beside) if beside.exists() else "deskterm"


def environment(home: Path) -> dict[str, str]:
    drop = ("DESKTERM_", "TEXTUAL", "NO_COLOR", "COLORTERM", "FORCE_COLOR")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_DATA_HOME=str(home / "data"),
        XDG_STATE_HOME=str(home / "state"),
        XDG_CONFIG_DIRS=str(home / "etc-xdg"),
        DESKTERM_USER="bench",
        DESKTERM_NOW=NOW,
        TERM="xterm-256color",
        LANG="C.UTF-8",
        LC_ALL="C.UTF-8",
    )
    return env


def make_database(path: Path, env: dict[str, str]) -> tuple[int, int, int, int]:
    """The demo desk with a long first case: (long case, its events, short case, its events)."""
    subprocess.run(
        [deskterm(), "--db", str(path), "demo", "--cases", "2000", "--seed", "7"],
        env=env,
        check=True,
        capture_output=True,
    )
    with sqlite3.connect(path) as db:
        (first_id, first, version), (_, second, _) = db.execute(
            "SELECT id, number, version FROM cases WHERE status != 'closed' "
            "ORDER BY queue_due, number LIMIT 2"
        ).fetchall()
        at = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
        db.executemany(
            "INSERT INTO events (case_id, version, at, actor, kind, text) VALUES (?, ?, ?, ?, ?, ?)",
            [
                (
                    first_id,
                    version,
                    at.isoformat(),
                    "bench",
                    "note",
                    f"note number {i}: " + "x" * 60,
                )
                for i in range(EVENTS)
            ],
        )
        counts = dict(
            db.execute(
                "SELECT c.number, count(*) FROM events e JOIN cases c ON c.id = e.case_id "
                "WHERE c.number IN (?, ?) GROUP BY c.number",
                (first, second),
            ).fetchall()
        )
    return first, counts[first], second, counts[second]


def open_case(term: Terminal, number: int, events: int, timeout: float = 10.0) -> float:
    """Seconds from `enter` to the case's header and full timeline count on screen."""
    term.wait_quiet(30, timeout=2.0)
    header, tab = f"Incident# {number}  ", f"Timeline {events}"
    sent = time.perf_counter()
    term.send(KEYS["enter"])
    shown = term.read_until(lambda t: header in (text := t.screen_text()) and tab in text, timeout)
    return shown - sent


def key(term: Terminal, keys: str, expect: str, timeout: float = 10.0) -> float:
    term.wait_quiet(30, timeout=2.0)
    sent = time.perf_counter()
    term.send(keys)
    return term.read_until_text(expect, timeout) - sent


def back(term: Terminal) -> None:
    term.send(KEYS["esc"])
    term.read_until(lambda t: "Incident# " not in t.screen_text(), 10.0)


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"median_s": statistics.median(values), "p95_s": p95, "max_s": max(values)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opens", type=int, default=10)
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="case-bench-") as folder:
        home = Path(folder)
        env = environment(home)
        path = home / "desk.db"
        long_case, long_events, short_case, short_events = make_database(path, env)
        print(
            f"case_bench: case {long_case} with {long_events} events, case {short_case} "
            f"with {short_events}; {COLS}x{ROWS} pty; {args.opens} opens each",
            flush=True,
        )
        long_opens: list[float] = []
        short_opens: list[float] = []
        scrolls: list[float] = []
        with Terminal([deskterm(), "--db", str(path)], COLS, ROWS, env) as term:
            term.read_until_text(str(long_case), 30.0)
            for _ in range(args.opens):
                long_opens.append(open_case(term, long_case, long_events))
                scrolls.append(key(term, "g", "opened the case"))
                scrolls.append(key(term, "G", f"note number {EVENTS - 1}"))
                back(term)
                term.send("j")
                short_opens.append(open_case(term, short_case, short_events))
                back(term)
                term.send("k")
            term.send("q")
    result: dict[str, Any] = {
        "benchmark": "case_bench",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "workload": {"events": long_events, "baseline_events": short_events, "opens": args.opens},
        "open_10k_events": summary(long_opens),
        "open_baseline": summary(short_opens),
        "timeline_g_G": summary(scrolls),
        "samples": {"long": long_opens, "short": short_opens, "scroll": scrolls},
        "target_s": TARGET_S,
    }
    long_median = result["open_10k_events"]["median_s"]
    short_median = result["open_baseline"]["median_s"]
    print(f"{'figure':<44}{'median':>10}{'p95':>10}")
    for label, key_name in (
        (f"enter to painted case, {long_events} events", "open_10k_events"),
        (f"enter to painted case, {short_events} events (baseline)", "open_baseline"),
        ("g / G in the 10,000-event timeline", "timeline_g_G"),
    ):
        figures = result[key_name]
        print(f"{label:<44}{figures['median_s'] * 1000:>8.1f}ms{figures['p95_s'] * 1000:>8.1f}ms")
    verdict = "met" if result["open_10k_events"]["p95_s"] <= TARGET_S else "MISSED"
    print(
        f"ratio 10k/baseline (medians): {long_median / short_median:.2f}x; "
        f"target p95 <= {TARGET_S * 1000:.0f} ms: {verdict}"
    )
    (RESULTS / "case_bench.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {RESULTS / 'case_bench.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
