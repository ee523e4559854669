"""Writes per second on one desk shared by 1, 4 and 8 OS processes, SQLite and PostgreSQL.

Workload (bench/desk_load.py): each process does random real use cases (reply, note,
move, take, severity change) on the same three cases, each with the version it read,
as the console does; a change that lost the race is a Conflict, not a write. The
total is fixed (`--changes`, default 400, split between the processes) so the cases'
histories, which every change replays, are as long in every run.

Reported per backend and number of processes: acknowledged writes per second and
attempts per second (writes + conflicts + refusals), median of `--repeats` runs
(default 3), timed from "go" (every process imported and connected) to the last
answer. PostgreSQL is DESKTERM_TEST_PG (or the local server at 127.0.0.1:5432,
database test), each run in a fresh schema it drops afterwards. Writes
bench/results/desk_bench.json. Run with `.venv/bin/python bench/desk_bench.py`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import desk_load
from deskterm.store.engine import database_url, make_engine
from deskterm.store.migrate import upgrade

RESULTS = Path(__file__).resolve().parent / "results"
LOCAL_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@contextmanager
def fresh_desk(backend: str) -> Iterator[str]:
    now = datetime.now(UTC)
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            url = database_url(str(Path(folder) / "desk.db"))
            engine = make_engine(url)
            upgrade(engine, now)
            engine.dispose()
            yield url
        return
    base = os.environ.get("DESKTERM_TEST_PG") or LOCAL_PG
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = make_engine(base)
    with admin.begin() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in base else "?"
    url = f"{base}{separator}options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    try:
        upgrade(engine, now)
        engine.dispose()
        yield url
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


def pg_reachable() -> bool:
    try:
        engine = make_engine(os.environ.get("DESKTERM_TEST_PG") or LOCAL_PG)
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:  # noqa: BLE001 - no server: SQLite only
        return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=400)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--processes", default="1,4,8")
    args = parser.parse_args()
    backends = ["sqlite"] + (["postgresql"] if pg_reachable() else [])
    report: dict[str, object] = {
        "changes_per_run": args.changes,
        "repeats": args.repeats,
        "cpus": os.cpu_count(),
        "load_average_at_start": os.getloadavg()[0],
        "results": [],
    }
    for backend in backends:
        for processes in (int(p) for p in args.processes.split(",")):
            writes, attempts, problems = [], [], []
            for _ in range(args.repeats):
                with fresh_desk(backend) as url:
                    numbers = desk_load.set_up(url, 3)
                    run = desk_load.run_workers(url, numbers, processes, args.changes // processes)
                    problems += desk_load.audit(url, run)
                tried = sum(run.total(o) for o in ("ok", "conflict", "refused", "error"))
                writes.append(run.acknowledged / run.seconds)
                attempts.append(tried / run.seconds)
            row = {
                "backend": backend,
                "processes": processes,
                "writes_per_second_median": round(statistics.median(writes), 1),
                "writes_per_second_runs": [round(w, 1) for w in writes],
                "attempts_per_second_median": round(statistics.median(attempts), 1),
                "problems": problems[:5],
            }
            report["results"].append(row)  # type: ignore[attr-defined]
            print(
                f"{backend:10} {processes} process(es): {row['writes_per_second_median']:7.1f} "
                f"writes/s (runs {row['writes_per_second_runs']}), "
                f"{row['attempts_per_second_median']:7.1f} attempts/s"
                + (f"  PROBLEMS: {problems[:2]}" if problems else ""),
                flush=True,
            )
    report["load_average_at_end"] = os.getloadavg()[0]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "desk_bench.json").write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
