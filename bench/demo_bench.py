"""`deskterm demo --cases 100000`: seconds for the whole command (the issue asks < 30 s).

Workload: `python -m deskterm --db FILE demo --cases N --seed 7` as a separate
process on a fresh SQLite file in a temporary directory, with DESKTERM_NOW frozen
(2026-11-23T16:00:00Z) and only the shipped policies. The time is wall clock for
the whole process: interpreter start, schema migration of the new file, building
the desk (every case's clocks replayed by the SLA engine) and the bulk inserts in
one transaction. The figure is the median of the runs, with min and max.

Baseline, measured in the same run: the use-case path, `desk.cases.open_case`
(one write transaction per case, its event and clock replay), on a sample of
cases, extrapolated to N. It writes only the opening of each case, no history,
so it is a lower bound of what the use cases would take for the same desk.

Run with `.venv/bin/python bench/demo_bench.py`. Prints the figures and writes
bench/results/demo_bench.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from deskterm import settings
from deskterm.desk import cases, directory
from deskterm.desk.context import Desk
from deskterm.sla.catalog import PolicyCatalog
from deskterm.store.engine import database_url, make_engine
from deskterm.store.migrate import upgrade

RESULTS = Path(__file__).resolve().parent / "results" / "demo_bench.json"
NOW = "2026-11-23T16:00:00Z"
TARGET_SECONDS = 30.0
SUMMARY = re.compile(
    r"wrote (\d+) organization\(s\), (\d+) contact\(s\), (\d+) case\(s\).* and (\d+) event\(s\)"
)


def environment(home: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("DESKTERM_")}
    env.update(
        DESKTERM_NOW=NOW,
        DESKTERM_USER="bench",
        XDG_CONFIG_HOME=str(home / "config"),  # no user or site policies: the shipped ones
        XDG_CONFIG_DIRS=str(home / "etc-xdg"),
        NO_COLOR="1",
    )
    return env


def run_demo(cases_count: int, seed: int, workdir: Path) -> dict[str, float | int]:
    database = workdir / "demo.db"
    command = [
        sys.executable,
        "-m",
        "deskterm",
        "--db",
        str(database),
        "demo",
        "--cases",
        str(cases_count),
        "--seed",
        str(seed),
    ]
    started = time.perf_counter()
    result = subprocess.run(command, env=environment(workdir), capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"deskterm demo failed ({result.returncode}): {result.stderr.strip()}")
    found = SUMMARY.search(result.stdout)
    if found is None:
        raise SystemExit(f"unexpected output: {result.stdout!r}")
    organizations, contacts, written, events = (int(group) for group in found.groups())
    size = sum(path.stat().st_size for path in workdir.glob("demo.db*"))
    return {
        "seconds": seconds,
        "organizations": organizations,
        "contacts": contacts,
        "cases": written,
        "events": events,
        "database_bytes": size,
    }


def use_case_baseline(sample: int, workdir: Path) -> float:
    """Seconds for `sample` cases opened one use case (one transaction) at a time."""
    now = datetime.fromisoformat(NOW.replace("Z", "+00:00")).astimezone(UTC)
    engine = make_engine(database_url(str(workdir / "baseline.db")))
    upgrade(engine, now)
    desk = Desk(engine, PolicyCatalog([settings.packaged_policy_dir()]), "bench", now=lambda: now)
    directory.add_organization(desk, "Baseline Corp", "premium-tier")
    started = time.perf_counter()
    for index in range(sample):
        cases.open_case(
            desk,
            organization="Baseline Corp",
            contact=None,
            severity=1 + index % 3,
            subject=f"Baseline case {index}",
        )
    seconds = time.perf_counter() - started
    engine.dispose()
    return seconds


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--baseline-sample", type=int, default=300)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    runs = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="deskterm-demo-bench-") as tmp:
            runs.append(run_demo(args.cases, args.seed, Path(tmp)))
    with tempfile.TemporaryDirectory(prefix="deskterm-demo-bench-") as tmp:
        baseline_seconds = use_case_baseline(args.baseline_sample, Path(tmp))

    seconds = [float(run["seconds"]) for run in runs]
    median = statistics.median(seconds)
    last = runs[-1]
    extrapolated = baseline_seconds / args.baseline_sample * args.cases
    results = {
        "benchmark": "deskterm demo, whole command",
        "workload": {
            "command": f"python -m deskterm --db FILE demo --cases {args.cases} --seed {args.seed}",
            "database": "a fresh SQLite file per run (WAL), in a temporary directory",
            "now": NOW,
            "runs": args.runs,
            "machine_cores": os.cpu_count(),
        },
        "written": {key: last[key] for key in ("organizations", "contacts", "cases", "events")},
        "database_mib": round(int(last["database_bytes"]) / 2**20, 1),
        "seconds": {
            "median": round(median, 2),
            "min": round(min(seconds), 2),
            "max": round(max(seconds), 2),
            "runs": [round(value, 2) for value in seconds],
        },
        "cases_per_second": round(args.cases / median),
        "baseline": {
            "what": "desk.cases.open_case, one transaction per case, no history",
            "cases": args.baseline_sample,
            "seconds": round(baseline_seconds, 2),
            "extrapolated_seconds_for_all_cases": round(extrapolated, 1),
        },
        "speedup_over_baseline": round(extrapolated / median, 1),
        "target_seconds": TARGET_SECONDS,
        "meets_target": median < TARGET_SECONDS,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }

    print("deskterm demo benchmark")
    print(f"  workload   {results['workload']['command']}, fresh SQLite file, {args.runs} runs")
    print(
        f"  wrote      {last['cases']:,} cases, {last['events']:,} events, "
        f"{last['organizations']} organizations, {last['contacts']} contacts "
        f"({results['database_mib']} MiB)"
    )
    print(
        f"  command    median {median:.2f} s   min {min(seconds):.2f} s   max {max(seconds):.2f} s   "
        f"(target < {TARGET_SECONDS:.0f} s: {'met' if median < TARGET_SECONDS else 'MISSED'})"
    )
    print(
        f"  baseline   open_case one at a time: {baseline_seconds:.2f} s for {args.baseline_sample} "
        f"cases, about {extrapolated:,.0f} s for {args.cases:,}"
    )
    print(f"  ratio      the demo is {extrapolated / median:.0f}x the use-case path")

    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"  written    {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
