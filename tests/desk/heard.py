"""Waiting to hear a change: at once on SQLite, when PostgreSQL delivers it.

A NOTIFY reaches the LISTENing connection some time after the writer's commit
returns (the listener's backend is signalled, then writes to its socket), so a
test that asks the feed once, right after a commit, races the server. These wait
on the condition instead, never on a fixed sleep.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from deskterm.store.changes import Changes, ChangeWatcher

# How long a test waits for what it expects to hear: generous, since a loaded
# machine is slow, not wrong (a wait on a condition ends as soon as it holds).
HEARD = 10.0


def within(seconds: float, condition: Callable[[], bool], step: float = 0.05) -> bool:
    """True as soon as `condition()` holds, False if it still does not after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


def heard_next(watcher: ChangeWatcher) -> Changes | None:
    """The next change heard: at once on SQLite, as soon as it is delivered on PostgreSQL."""
    found: list[Changes] = []

    def arrived() -> bool:
        change = watcher.poll()
        if change is not None:
            found.append(change)
        return bool(found)

    within(HEARD, arrived)
    return found[0] if found else None
