"""Memory habits of a long-running console."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while many small acyclic objects are built.

    Building tens of thousands of rows or events triggers collections that walk the
    whole heap again and again, finding nothing: the objects hold no cycles.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
