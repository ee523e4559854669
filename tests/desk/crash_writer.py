"""A writer for the crash test: real use cases on a shared SQLite file until killed.

Run as `python -m tests.desk.crash_writer DB LOG ACTOR SEED`. After a use case has
returned, it appends `number version kind` to LOG and fsyncs: a line in LOG is a
change the desk acknowledged.
"""

from __future__ import annotations

import os
import random
import sys

from sqlalchemy.orm import configure_mappers

from deskterm import settings
from deskterm.desk import cases
from deskterm.desk.context import Desk
from deskterm.desk.errors import DeskError
from deskterm.sla import Status
from deskterm.sla.catalog import PolicyCatalog
from deskterm.store.engine import database_url, make_engine

FIRST, COUNT = 40100, 20  # the cases the test opened
STATUSES = [status.value for status in Status if status is not Status.NEW]
# Loaded once in the fork server (see test_crashes.py): a forked writer starts on
# its first change at once instead of parsing policies and building its ORM mappings.
POLICIES = PolicyCatalog(settings.policy_dirs())
POLICIES.get("business-hours-3")
configure_mappers()


def one_change(desk: Desk, chooser: random.Random) -> tuple[int, int, str] | None:
    number = chooser.randrange(FIRST, FIRST + COUNT)
    what = chooser.choice(("reply", "note", "move", "take", "severity"))
    try:
        if what == "reply":
            return number, cases.reply(desk, number, "on it").version, "reply"
        if what == "note":
            return number, cases.note(desk, number, "checked the logs").version, "note"
        if what == "move":
            case = cases.move(desk, number, chooser.choice(STATUSES))
            return number, case.version, "status"
        if what == "take":
            return number, cases.take(desk, number).version, "assign"
        case = cases.change_severity(desk, number, chooser.randint(1, 3), "customer says so")
        return number, case.version, "severity"
    except DeskError:  # a move not allowed from here, the same severity, already mine
        return None


def main(database: str, log: str, actor: str, seed: str) -> None:
    desk = Desk(make_engine(database_url(database)), POLICIES, actor)
    chooser = random.Random(seed)
    with open(log, "a", encoding="utf-8") as acknowledged:
        while True:
            done = one_change(desk, chooser)
            if done is not None:
                acknowledged.write(" ".join(map(str, done)) + "\n")
                acknowledged.flush()
                os.fsync(acknowledged.fileno())


if __name__ == "__main__":
    main(*sys.argv[1:])
