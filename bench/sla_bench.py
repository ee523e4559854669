"""SLA engine throughput: `8h` deadlines per second on an office calendar with holidays.

Workload: the shipped standard-tier policy's `office` calendar (Mon-Fri 09:00-17:00,
America/Denver, US-CO holidays); received instants drawn uniformly (fixed seed) from
2026-01-01 to 2027-12-31 UTC; one `BusinessCalendar.add(received, 8h)` per deadline,
in one process (one core). Each run times the whole list; the figure is the median
of the runs, with min and max.

Baseline, measured in the same run: a naive implementation that walks local days
from the received instant, building each day's open hours with zoneinfo and
looking holidays up as it goes (no precomputed timeline), on a smaller sample. It
must agree with the engine on every instant of that sample; the ratio is engine
median / baseline.

The deadline an m/h clock uses is `BusinessCalendar.due` (`add`, moved past a close
to the next opening). It is timed against main's tree in the same run (`--against`,
default `main`: its `src` exported with `git archive` into a temporary directory and
timed in a subprocess on the same instants); a drop of more than 10% is reported as
a regression (exit 1).

Run with `make bench`. Prints the figures and writes bench/results/sla_bench.json.
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

import holidays as holidays_lib

from deskterm.sla import BusinessCalendar, load_policy

ROOT = Path(__file__).resolve().parents[1]
POLICY_FILE = ROOT / "data" / "policies" / "standard-tier.toml"
RESULTS = Path(__file__).resolve().parent / "results" / "sla_bench.json"
TARGET = timedelta(hours=8)
TARGET_RATE = 100_000  # deadlines per second, from the issue
FIRST = datetime(2026, 1, 1, tzinfo=UTC)
LAST = datetime(2028, 1, 1, tzinfo=UTC)


class NaiveCalendar:
    """The obvious day-by-day walk, for comparison: no caches, no timeline."""

    def __init__(self, calendar: BusinessCalendar) -> None:
        self.zone = calendar.zone
        self.weekly = calendar.weekly
        self.closed = calendar.closed
        country, _, subdivision = (calendar.holidays_spec or "").partition("-")
        self.holidays = (
            holidays_lib.country_holidays(country, subdiv=subdivision or None) if country else {}
        )

    def _wall(self, day: date, minute: int) -> datetime:
        day += timedelta(days=minute // 1440)
        minute %= 1440
        local = datetime.combine(day, clock_time(minute // 60, minute % 60), self.zone)
        # In UTC: Python subtracts two datetimes of one zone by wall clock, ignoring DST.
        return local.astimezone(UTC)

    def add(self, start: datetime, amount: timedelta) -> datetime:
        left = amount
        start = start.astimezone(UTC)
        day = start.astimezone(self.zone).date() - timedelta(days=1)
        while True:
            if day not in self.closed and day not in self.holidays:
                for first_minute, last_minute in self.weekly[day.weekday()]:
                    opens = max(self._wall(day, first_minute), start)
                    closes = self._wall(day, last_minute)
                    if closes <= opens:
                        continue
                    if closes - opens >= left:
                        return opens + left
                    left -= closes - opens
            day += timedelta(days=1)


def random_instants(count: int, seed: int) -> list[datetime]:
    rng = random.Random(seed)
    low, high = int(FIRST.timestamp()), int(LAST.timestamp())
    return [
        datetime.fromtimestamp(rng.randrange(low, high), UTC)
        + timedelta(microseconds=rng.randrange(1_000_000))
        for _ in range(count)
    ]


def rate(add: Callable[[datetime, timedelta], datetime], instants: Sequence[datetime]) -> float:
    """Deadlines per second for one pass over `instants`."""
    gc.collect()
    started = time.perf_counter()
    for received in instants:
        add(received, TARGET)
    return len(instants) / (time.perf_counter() - started)


# Times the tree under `src` (argv[1]) on the instants of a JSON file (argv[2], epoch
# microseconds): its deadline function is `due` where it has one, else `add`.
_OTHER_TREE = """
import gc, json, statistics, sys, time
from datetime import UTC, datetime, timedelta
sys.path.insert(0, sys.argv[1])
from deskterm.sla import load_policy
from pathlib import Path
calendar = load_policy(Path(sys.argv[3])).calendars["office"]
deadline = getattr(calendar, "due", calendar.add)
epoch = datetime(1970, 1, 1, tzinfo=UTC)
instants = [epoch + timedelta(microseconds=m) for m in json.loads(Path(sys.argv[2]).read_text())]
deadline(instants[0], timedelta(hours=8))
rates = []
for _ in range(int(sys.argv[4])):
    gc.collect()
    started = time.perf_counter()
    for received in instants:
        deadline(received, timedelta(hours=8))
    rates.append(len(instants) / (time.perf_counter() - started))
print(json.dumps(rates))
"""
MAX_DROP = 0.10


def other_tree_rates(ref: str, instants: Sequence[datetime], runs: int) -> list[float] | None:
    """Deadlines per second of `ref`'s tree on the same instants, or None without git."""
    with tempfile.TemporaryDirectory(prefix="sla-bench-") as temporary:
        folder = Path(temporary)
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", ref, "src"], capture_output=True, check=False
        )
        if archive.returncode != 0:
            return None
        subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
        epoch = datetime(1970, 1, 1, tzinfo=UTC)
        micros = [(instant - epoch) // timedelta(microseconds=1) for instant in instants]
        (folder / "instants.json").write_text(json.dumps(micros))
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                _OTHER_TREE,
                str(folder / "src"),
                str(folder / "instants.json"),
                str(POLICY_FILE),
                str(runs),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        return [float(rate) for rate in json.loads(done.stdout)]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--deadlines", type=int, default=100_000, help="deadlines per run")
    parser.add_argument("--baseline-sample", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--against", default="main", help="git ref whose tree is the baseline")
    args = parser.parse_args(argv)

    calendar = load_policy(POLICY_FILE).calendars["office"]
    instants = random_instants(args.deadlines, args.seed)
    sample = instants[: args.baseline_sample]

    # The first deadline builds the calendar's timeline (three years of open intervals).
    started = time.perf_counter()
    calendar.add(instants[0], TARGET)
    first_deadline_ms = (time.perf_counter() - started) * 1000

    naive = NaiveCalendar(calendar)
    disagreements = [
        received
        for received in sample
        if naive.add(received, TARGET) != calendar.add(received, TARGET)
    ]

    rates = [rate(calendar.due, instants) for _ in range(args.runs)]
    baseline_rates = [rate(naive.add, sample) for _ in range(3)]
    median = statistics.median(rates)
    baseline = statistics.median(baseline_rates)
    against = other_tree_rates(args.against, instants, args.runs)
    against_median = statistics.median(against) if against else None
    change = median / against_median - 1 if against_median else None

    results = {
        "benchmark": "sla deadlines per second",
        "workload": {
            "calendar": f"{POLICY_FILE.relative_to(ROOT)} [calendars.office]: "
            f"{calendar.describe_hours()}",
            "target": "8h",
            "received": "uniform random instants, 2026-01-01 to 2027-12-31 UTC",
            "seed": args.seed,
            "deadlines_per_run": args.deadlines,
            "runs": args.runs,
            "process": "one Python process, one core",
        },
        "deadlines_per_second": {
            "median": round(median),
            "min": round(min(rates)),
            "max": round(max(rates)),
            "runs": [round(r) for r in rates],
        },
        "first_deadline_ms": round(first_deadline_ms, 2),
        "baseline": {
            "what": "naive day-by-day walk with zoneinfo and holiday lookups, no timeline",
            "deadlines": len(sample),
            "runs": len(baseline_rates),
            "deadlines_per_second": round(baseline),
            "agrees_with_engine": not disagreements,
        },
        "speedup_over_baseline": round(median / baseline, 1),
        "against_tree": {
            "ref": args.against,
            "deadlines_per_second": round(against_median) if against_median else None,
            "change": round(change, 3) if change is not None else None,
            "max_drop": MAX_DROP,
        },
        "target_deadlines_per_second": TARGET_RATE,
        "meets_target": median >= TARGET_RATE,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }

    print("SLA engine benchmark")
    print(f"  workload   8h deadlines on {results['workload']['calendar']}")
    print(
        f"             {args.deadlines:,} random received instants in 2026-2027 "
        f"(seed {args.seed}), {args.runs} runs, one core"
    )
    print(
        f"  engine     median {median:,.0f}/s   min {min(rates):,.0f}/s   "
        f"max {max(rates):,.0f}/s   "
        f"(target {TARGET_RATE:,}/s: {'met' if median >= TARGET_RATE else 'MISSED'})"
    )
    print(f"  first      {first_deadline_ms:.1f} ms for the first deadline (builds the timeline)")
    print(
        f"  baseline   {baseline:,.0f}/s naive day walk on {len(sample):,} of the instants "
        f"(median of {len(baseline_rates)} runs)"
    )
    print(f"  ratio      engine is {median / baseline:.1f}x the baseline")
    if against_median is not None and change is not None:
        print(
            f"  {args.against:<10} {against_median:,.0f}/s on the same instants: this tree "
            f"{change:+.1%} ({'ok' if change >= -MAX_DROP else 'REGRESSION'}, at most "
            f"-{MAX_DROP:.0%})"
        )
    else:
        print(f"  {args.against:<10} not measured (no git ref {args.against!r})")

    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"  written    {args.output}")

    if disagreements:
        # Not a timing problem: the engine and the obvious walk give different deadlines.
        print(
            f"ERROR: engine and baseline disagree on {len(disagreements)} instants, "
            f"first {disagreements[0].isoformat()}",
            file=sys.stderr,
        )
        return 1
    if change is not None and change < -MAX_DROP:
        print(f"ERROR: {change:+.1%} deadlines per second against {args.against}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
