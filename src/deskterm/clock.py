"""The one source of "now" (architecture invariant 1).

`DESKTERM_NOW` (ISO 8601 with an offset) freezes the clock for tests, demos and
snapshots; otherwise it is the wall clock, always as an aware UTC instant.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

from deskterm.instants import parse_instant


def now() -> datetime:
    frozen = os.environ.get("DESKTERM_NOW")
    if frozen:
        return parse_instant(frozen).astimezone(UTC)
    return datetime.now(UTC)
