"""`policy diff` on a demo desk: a holiday added and Sev 2's first response halved.

For each policy of the issue 22 measurement (business-hours-3, standard-tier): the
open cases, how many move, and the seconds `policy_impact.impact` takes (CPU of this
process and wall clock, median of `--repeats`, default 3), beside the replay of every
open case under both policies that it replaced (`--full`, once: minutes at 100k).
Target (issue 22): under 10 s wall at 100,000 cases on an unloaded machine; the load
average is printed with the figures, since the machine may be shared.

The desk is a COPY of a demo desk (DESKTERM_NOW=2026-11-20T15:00:00Z, seed 7) at the
newest schema: `sqlite3 /work/desks/100k.db ".backup COPY"` then `deskterm --db COPY
db upgrade` (the migration stores the policies as version 1). It only reads. Writes
bench/results/policy_bench.json.

    .venv/bin/python bench/policy_bench.py COPY [--repeats N] [--full]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlmodel import col, select

from deskterm import settings
from deskterm.desk import deadlines, policy_impact
from deskterm.desk.context import Desk
from deskterm.models import Case, Event
from deskterm.sla import Policy, Status, compute_clocks, next_due, parse_policy
from deskterm.sla.catalog import PolicyCatalog
from deskterm.store.engine import database_url, make_engine, reading

RESULTS = Path(__file__).resolve().parent / "results"
NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
EDITS = {  # policy -> (its Sev 2 first response, halved)
    "business-hours-3": ('first_response = "24h"', 'first_response = "12h"'),
    "standard-tier": ('first_response = "8h"', 'first_response = "4h"'),
}
HOLIDAY = "2026-11-27"


def edited(policy: Policy) -> Policy:
    before, after = EDITS[policy.name]
    head, _, tail = policy.text.partition("[severity.2]")
    head = head.replace("[calendars.office]\n", f'[calendars.office]\nclosed = ["{HOLIDAY}"]\n', 1)
    return parse_policy(head + "[severity.2]" + tail.replace(before, after, 1), "edited.toml")


def full_replay(desk: Desk, current: Policy, new: Policy) -> tuple[int, int]:
    """What `policy diff` did before: every open case replayed under both policies."""
    with reading(desk.engine) as session:
        cases = list(
            session.exec(
                select(Case).where(Case.policy == current.name, Case.status != Status.CLOSED.value)
            )
        )
        events: dict[int, list[Event]] = defaultdict(list)
        ids = [case.id for case in cases]
        for start in range(0, len(ids), 5000):
            for event in session.exec(
                select(Event)
                .where(col(Event.case_id).in_(ids[start : start + 5000]))
                .order_by(col(Event.id))
            ):
                events[event.case_id].append(event)
    moved = 0
    for case in cases:
        history = deadlines.history_of(case, events[case.id])
        if next_due(compute_clocks(current, history, NOW)) != next_due(
            compute_clocks(new, history, NOW)
        ):
            moved += 1
    return len(cases), moved


def measure(path: str, repeats: int, full: bool) -> dict[str, Any]:
    desk = Desk(
        make_engine(database_url(path)),
        PolicyCatalog(settings.policy_dirs()),
        "bench",
        now=lambda: NOW,
    )
    figures: dict[str, Any] = {}
    for name in EDITS:
        current = desk.policy(name)
        new = edited(current)
        cpu, wall = [], []
        for _ in range(repeats):
            started_cpu, started_wall = time.process_time(), time.perf_counter()
            found = policy_impact.impact(desk, current, new)
            cpu.append(time.process_time() - started_cpu)
            wall.append(time.perf_counter() - started_wall)
        figures[name] = {
            "open_cases": found.open_cases,
            "moved": len(found.moves),
            "impact_cpu_s": round(statistics.median(cpu), 2),
            "impact_wall_s": round(statistics.median(wall), 2),
        }
        if full:
            started_cpu = time.process_time()
            open_cases, moved = full_replay(desk, current, new)
            figures[name]["full_replay_cpu_s"] = round(time.process_time() - started_cpu, 2)
            assert (open_cases, moved) == (found.open_cases, len(found.moves)), name
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("desk", help="a COPY of a demo desk at the newest schema")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--full", action="store_true", help="also the full replay, once")
    options = parser.parse_args()
    figures = {
        "desk": options.desk,
        "load_average": os.getloadavg(),
        "policies": measure(options.desk, options.repeats, options.full),
    }
    print(json.dumps(figures, indent=2))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "policy_bench.json").write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
