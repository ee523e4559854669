"""The desk's standing counts, kept by the database itself.

One row per (status, severity, assignee) with the number of cases in it. Triggers
on `cases` (migration 0005_desk_figures) add and subtract in the same transaction
as every insert and every change of status, severity or assignee, whichever code
made it: the header and the board read a few dozen rows instead of counting a
million. `deskterm doctor` compares them with a recount (deskterm.desk.counts).
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from deskterm.models.types import ExactText, UTCDateTime


class DeskCount(SQLModel, table=True):
    __tablename__ = "desk_counts"

    status: str = Field(primary_key=True)
    severity: int = Field(primary_key=True)
    assignee: str = Field(primary_key=True, sa_type=ExactText)  # "" for nobody
    cases: int = 0


class PromiseCount(SQLModel, table=True):
    """Open cases per engineer whose support promise (`cases.promise_due`) falls due
    in each UTC hour, kept by triggers on `cases` in the same transaction as every
    change (migration 0016_live_cost). What is breached at an instant is then the
    sum of the hours before its own, plus an index range count within that hour
    (deskterm.desk.counts.breached): the header and the board read a thousand rows at
    most, not every breached case of the desk. An hour whose count falls to zero is
    deleted, so the table holds the hours that hold a promise."""

    __tablename__ = "promise_counts"

    assignee: str = Field(primary_key=True, sa_type=ExactText)  # "" for nobody
    hour: datetime = Field(primary_key=True, sa_type=UTCDateTime)
    cases: int = 0
