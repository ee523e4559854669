"""The one source of "now" (docs/architecture.md, invariant 1).

`DESKTERM_NOW` (ISO 8601 with an offset) freezes the clock for tests, demos and
snapshots; with `DESKTERM_CLOCK=running` as well, the clock starts at that
instant and runs (a demo desk replayed live, benchmarks of ticking countdowns).
Otherwise it is the wall clock. Always an aware UTC instant.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta

from deskterm.instants import parse_instant

_STARTED = time.monotonic()


def now() -> datetime:
    frozen = os.environ.get("DESKTERM_NOW")
    if frozen:
        instant = parse_instant(frozen).astimezone(UTC)
        if os.environ.get("DESKTERM_CLOCK") == "running":
            return instant + timedelta(seconds=time.monotonic() - _STARTED)
        return instant
    return datetime.now(UTC)
