"""A demo case's stored clocks and outcomes: the SLA engine's own answer.

Every skeleton's history is replayed by deskterm.desk.deadlines (history_of,
clocks_of, plan, store_clocks) at the demo's "now", as the use cases do after every
change; deskterm.desk.transfer replays an imported case the same way. The settled
first response (deskterm.desk.outcomes) and the settled runs of the other clocks
(deskterm.desk.clock_outcomes.walk, as `db recount` finds them) come from the same
replay, once per skeleton.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from deskterm.desk import clock_outcomes, deadlines, outcomes
from deskterm.desk.demo.columns import CASE_INSTANTS, CLOCK_COLUMNS, EVENT_COLUMNS, EVENT_INSTANTS
from deskterm.desk.demo.history import epoch_seconds, from_epoch
from deskterm.sla import ClockKind, Policy


class _Row:
    """A case or event as plain attributes: every column of its row, instants as datetimes.

    The replay reads cases and events by attribute only; building SQLModel objects
    instead would cost a tenth of a millisecond each, most of the budget for
    100,000 cases.
    """

    def __init__(self, columns: dict[str, Any], instants: frozenset[str]) -> None:
        for name, value in columns.items():
            setattr(
                self,
                name,
                from_epoch(value) if name in instants and isinstance(value, int) else value,
            )


def replay_clocks(
    row: dict[str, Any],
    events: list[list[Any]],
    policy: Policy,
    now: datetime,
    version_of: deadlines.VersionOf | None = None,
) -> dict[str, Any]:
    """The stored clock columns of a case, as the desk computes them after every change
    (`version_of`: its earlier policy versions, for a case a version was applied to)."""
    return replay_case(row, events, policy, now, version_of, with_runs=False).clocks


@dataclass
class Replayed:
    """What one replay of a case's history gives."""

    clocks: dict[str, Any]  # the stored clock columns
    # The first-response outcome as the use cases store it ({} while that clock runs).
    first_response: dict[str, Any]
    # The settled runs of the update, resolution and next-response clocks
    # (deskterm.desk.clock_outcomes), in the order a recount stores them.
    runs: list[dict[str, Any]]


def replay_case(
    row: dict[str, Any],
    events: list[list[Any]],
    policy: Policy,
    now: datetime,
    version_of: deadlines.VersionOf | None = None,
    *,
    with_runs: bool = True,
) -> Replayed:
    """The stored clock columns of a case and its settled outcomes: one replay of its
    history for all (the other clocks' runs only `with_runs`; `version_of`: its earlier
    policy versions, for a case a version was applied to)."""
    case = _Row(row, CASE_INSTANTS)
    history = [
        _Row({"id": None, **dict(zip(EVENT_COLUMNS, event, strict=True))}, EVENT_INSTANTS)
        for event in events
    ]
    clocks = deadlines.clocks_of(case, history, policy, now, version_of)  # type: ignore[arg-type]  # _Row has a Case's columns as attributes, and the replay reads only those
    # Read before store_clocks writes the clock columns onto `case`.
    settled = outcomes.settled(policy, case, history, clocks[ClockKind.FIRST_RESPONSE]) or {}
    runs = clock_outcomes.walk(policy, case, history, now) if with_runs else []
    actions = deadlines.plan(case, history, policy, clocks)  # type: ignore[arg-type]  # _Row for a Case, read by attribute
    deadlines.store_clocks(case, clocks, actions)  # type: ignore[arg-type]  # _Row for a Case: sets the clock columns by attribute
    return Replayed({name: _compact(getattr(case, name)) for name in CLOCK_COLUMNS}, settled, runs)


def _compact(value: Any) -> Any:
    """A whole-second instant as epoch seconds (written faster), anything else as it is."""
    if isinstance(value, datetime) and value.microsecond == 0:
        return epoch_seconds(value)
    return value
