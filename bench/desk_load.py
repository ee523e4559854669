"""Many engineers on one desk: OS processes doing random real use cases on the same
few cases at once (reply, note, move, take, severity change), each with the
version it read, as the console does.

Used by tests/desk/test_load.py (8 processes x 200 changes, both backends: nothing
lost, nothing doubled, conflicts reported as Conflict) and bench/desk_bench.py
(writes per second at 1, 4 and 8 processes). The workers are OS processes forked
from one that imported deskterm once (multiprocessing's forkserver): eight of them
each importing it cost the test about 3 s of CPU per backend before any use case.
Each makes its own engine, says it is ready, waits until all are (so that all start
together), then hands back what it did and what the desk answered.
"""

from __future__ import annotations

import multiprocessing
import random
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from deskterm import settings
from deskterm.desk import cases, directory
from deskterm.desk.context import Desk
from deskterm.desk.errors import Conflict, DeskError
from deskterm.desk.workflow import allowed_moves
from deskterm.models import Case, Event
from deskterm.sla import Status
from deskterm.sla.catalog import PolicyCatalog
from deskterm.store.engine import make_engine, reading

KINDS = ("reply", "note", "move", "take", "severity")


def desk_at(url: str, actor: str) -> Desk:
    return Desk(make_engine(url), PolicyCatalog(settings.policy_dirs()), actor)


def set_up(url: str, count: int) -> list[int]:
    """An organization and `count` cases to fight over (the schema must exist)."""
    desk = desk_at(url, "setup")
    directory.add_organization(desk, "Loadtest", "standard-tier")
    numbers = [
        cases.open_case(
            desk, organization="Loadtest", contact=None, severity=2, subject=f"Shared {i}"
        ).number
        for i in range(count)
    ]
    desk.engine.dispose()
    return numbers


def _one(desk: Desk, rng: random.Random, number: int, tag: str) -> tuple[str, str, int | None]:
    """One use case on what was just read; (kind, outcome, the version it made)."""
    with reading(desk.engine) as session:
        case = session.scalars(select(Case).where(Case.number == number)).one()
    version, status, severity = case.version, Status(case.status), case.severity
    kind = rng.choice(KINDS)
    if kind == "reply":
        done = cases.reply(desk, number, f"reply {tag}", expected_version=version)
    elif kind == "note":
        done = cases.note(desk, number, f"note {tag}", expected_version=version)
    elif kind == "move":
        targets = [s for s in allowed_moves(status) if s is not Status.CLOSED]
        target = rng.choice(targets) if targets else Status.OPEN
        done = cases.move(desk, number, target, expected_version=version)
    elif kind == "take":
        done = cases.take(desk, number, expected_version=version)
    else:
        levels = [n for n in desk.policy(case.policy).severities if n != severity]
        done = cases.change_severity(
            desk, number, rng.choice(levels), f"severity {tag}", expected_version=version
        )
    return kind, "ok", done.version


def work(url: str, seed: int, ops: int, numbers: list[int]) -> dict[str, Any]:
    """`ops` use cases as user `worker<seed>`; every answer recorded."""
    actor = f"worker{seed}"
    desk = desk_at(url, actor)
    rng = random.Random(seed)
    acknowledged: list[list[Any]] = []
    outcomes: Counter[str] = Counter()
    errors: list[str] = []
    for i in range(ops):
        number = rng.choice(numbers)
        try:
            kind, _, version = _one(desk, rng, number, f"{actor}-{i}")
        except Conflict:
            outcomes["conflict"] += 1
            continue
        except DeskError:
            outcomes["refused"] += 1  # e.g. taking a case one holds already
            continue
        except Exception as error:  # noqa: BLE001 - exactly what the test must not see
            outcomes["error"] += 1
            errors.append(f"{type(error).__name__}: {str(error).splitlines()[0]}")
            continue
        outcomes["ok"] += 1
        acknowledged.append([number, version, kind])
    desk.engine.dispose()
    return {"actor": actor, "acknowledged": acknowledged, "outcomes": outcomes, "errors": errors}


@dataclass
class Run:
    results: list[dict[str, Any]]
    seconds: float  # from "go" to the last worker's answer

    @property
    def acknowledged(self) -> int:
        return sum(len(r["acknowledged"]) for r in self.results)

    def total(self, outcome: str) -> int:
        return sum(r["outcomes"].get(outcome, 0) for r in self.results)


def run_workers(
    url: str, numbers: list[int], processes: int, ops: int, timeout: float = 300
) -> Run:
    """`processes` OS processes at once, `ops` use cases each."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])  # when this process starts its server
    ready = context.Barrier(processes + 1, timeout=timeout)
    answers: Any = context.Queue()
    workers = [
        context.Process(target=_worker, args=(url, seed, ops, numbers, ready, answers))
        for seed in range(1, processes + 1)
    ]
    for worker in workers:
        worker.start()
    try:
        ready.wait()  # every one connected
        started = time.monotonic()
        results = [answers.get(timeout=timeout) for _ in workers]
        seconds = time.monotonic() - started
        for worker in workers:
            worker.join(timeout)
            if worker.exitcode != 0:
                raise RuntimeError(f"a worker failed (exit {worker.exitcode})")
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.kill()
                worker.join()
    return Run(results, seconds)


def _worker(url: str, seed: int, ops: int, numbers: list[int], ready: Any, answers: Any) -> None:
    desk_at(url, "probe").engine.dispose()  # connected once before the others start
    ready.wait()
    answers.put(work(url, seed, ops, numbers))


def audit(url: str, run: Run) -> list[str]:
    """What went wrong, if anything: lost or doubled changes, wrong versions, errors."""
    problems = [f"{r['actor']}: {e}" for r in run.results for e in r["errors"]]
    acked: Counter[tuple[int, int]] = Counter()
    by_actor: dict[tuple[int, int], str] = {}
    for result in run.results:
        for number, version, _kind in result["acknowledged"]:
            acked[(number, version)] += 1
            by_actor[(number, version)] = result["actor"]
    problems += [
        f"case {n} version {v} acknowledged {k} times" for (n, v), k in acked.items() if k > 1
    ]
    engine = make_engine(url)
    with reading(engine) as session:
        stored = session.execute(
            select(Case.number, Event.version, Event.actor)
            .join(Event, Event.case_id == Case.id)
            .where(Event.version > 1)
        ).all()
        versions = {n: v for n, v in session.execute(select(Case.number, Case.version))}
    engine.dispose()
    events: Counter[tuple[int, int]] = Counter((n, v) for n, v, _ in stored)
    actors = {(n, v): a for n, v, a in stored}
    for key in acked:
        if events[key] != 1:
            problems.append(f"case {key[0]} version {key[1]}: {events[key]} events, not 1")
        elif actors[key] != by_actor[key]:
            problems.append(f"case {key[0]} version {key[1]}: written by {actors[key]}")
    for key, count in events.items():
        if key not in acked:
            problems.append(f"case {key[0]} version {key[1]}: {count} event(s) nobody was told of")
    changes = Counter(number for number, _ in acked)
    for number, version in versions.items():
        if version != 1 + changes[number]:
            problems.append(f"case {number}: version {version}, {changes[number]} changes")
    return problems
