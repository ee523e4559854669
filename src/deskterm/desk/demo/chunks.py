"""The demo's rows a chunk at a time, made in this process or in a second one.

Making a case (drawing it, hashing its events) is Python; putting its values in the
driver's form and writing them is the writer's. With a million cases each takes
minutes, so on a machine with two cores a forked child makes the chunks while this
process writes the ones before (deskterm.desk.demo.fill). The child starts with a
copy of everything, the random generator included, and draws exactly what this
process would have drawn: the same seed gives the same desk either way. It never
touches the database connection it inherits.
"""

from __future__ import annotations

import multiprocessing
import os
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from deskterm.desk.errors import DeskError

# From this many cases a second process is worth its start (a fork and a pipe).
SECOND_PROCESS_FROM = 20_000


@dataclass
class Chunk:
    """Some cases with all their rows, table by table (deskterm.store.bulk_insert
    puts them in the driver's form)."""

    made: int  # cases made so far, this chunk's included
    cases: list[Any] = field(default_factory=list)
    events: list[Any] = field(default_factory=list)
    first_responses: list[Any] = field(default_factory=list)
    runs: list[Any] = field(default_factory=list)
    states: list[Any] = field(default_factory=list)  # sla_first_response_states


def worth_a_second_process(cases: int) -> bool:
    return (
        cases >= SECOND_PROCESS_FROM
        and (os.cpu_count() or 1) > 1
        and "fork" in multiprocessing.get_all_start_methods()
    )


def in_second_process(chunks: Iterator[Chunk]) -> Iterator[Chunk]:
    """The chunks of `chunks` (not started yet), made by a forked child as fast as
    this process takes them (the pipe holds a few at most)."""
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)

    def make() -> None:
        receiver.close()
        try:
            for chunk in chunks:
                sender.send(chunk)
            sender.send(None)
        except BaseException:  # noqa: BLE001 - told to the writer, which stops the demo
            sender.send(traceback.format_exc())
        finally:
            sender.close()

    child = context.Process(target=make, name="deskterm-demo-maker", daemon=True)
    child.start()
    sender.close()
    try:
        while True:
            try:
                item = receiver.recv()
            except EOFError:
                raise DeskError("the demo's second process stopped without a word") from None
            if item is None:
                return
            if isinstance(item, str):
                raise DeskError(f"the demo's second process failed:\n{item}")
            yield item
    finally:
        receiver.close()
        if child.is_alive():
            child.terminate()
        child.join()
