"""The rows the demo writes: which columns, in which order, and an event while it is built.

A case is a dict of its columns; an event is a list in EVENT_COLUMNS order with its
instant in epoch seconds (deskterm.desk.demo.history), indexed by the names below.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table

from deskterm.models import (
    Case,
    Counter,
    Event,
    EventKind,
    SlaClockOutcome,
    SlaFirstResponseState,
    SlaOutcome,
)
from deskterm.models.columns import STORED_CLOCK_FIELDS
from deskterm.models.tables import table_of
from deskterm.models.types import UTCDateTime

CASE_TABLE: Table = table_of(Case)
EVENT_TABLE: Table = table_of(Event)
COUNTER_TABLE: Table = table_of(Counter)
CASE_COLUMNS = tuple(column.name for column in CASE_TABLE.columns)
# An event as built: every column but its id and its hash (added when it is written).
EVENT_COLUMNS = tuple(
    column.name for column in EVENT_TABLE.columns if column.name not in ("id", "hash")
)
OUTCOME_TABLE: Table = table_of(SlaOutcome)
OUTCOME_COLUMNS = tuple(column.name for column in OUTCOME_TABLE.columns)
CLOCK_OUTCOME_TABLE: Table = table_of(SlaClockOutcome)
CLOCK_OUTCOME_COLUMNS = tuple(column.name for column in CLOCK_OUTCOME_TABLE.columns)
CLOCK_COLUMNS = STORED_CLOCK_FIELDS
STATE_TABLE: Table = table_of(SlaFirstResponseState)
STATE_COLUMNS = tuple(column.name for column in STATE_TABLE.columns)
# An event while it is built: a list in EVENT_COLUMNS order, instants in epoch seconds.
CASE_ID, VERSION, AT, ACTOR, KIND, FIELD, OLD, NEW, TEXT = range(len(EVENT_COLUMNS))
assert EVENT_COLUMNS == (
    "case_id",
    "version",
    "at",
    "actor",
    "kind",
    "field",
    "old_value",
    "new_value",
    "text",
), EVENT_COLUMNS


def new_event(
    at: int,
    kind: EventKind,
    field_name: str | None = None,
    old: str | None = None,
    new: str | None = None,
    text: str | None = None,
) -> list[Any]:
    return [0, 0, at, None, kind.value, field_name, old, new, text]


def _instant_columns(table: Table) -> frozenset[str]:
    return frozenset(
        column.name for column in table.columns if isinstance(column.type, UTCDateTime)
    )


CASE_INSTANTS = _instant_columns(CASE_TABLE)
EVENT_INSTANTS = _instant_columns(EVENT_TABLE)
OUTCOME_INSTANTS = _instant_columns(OUTCOME_TABLE)
CLOCK_OUTCOME_INSTANTS = _instant_columns(CLOCK_OUTCOME_TABLE)
STATE_INSTANTS = _instant_columns(STATE_TABLE)
