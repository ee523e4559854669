"""The desk's standing counts, kept by the database itself.

One row per (status, severity, assignee) with the number of cases in it. Triggers
on `cases` (migration 0005_desk_figures) add and subtract in the same transaction
as every insert and every change of status, severity or assignee, whichever code
made it: the header and the board read a few dozen rows instead of counting a
million. `deskterm doctor` compares them with a recount (deskterm.desk.counts).
"""

from __future__ import annotations

from sqlmodel import Field, SQLModel

from deskterm.models.types import ExactText


class DeskCount(SQLModel, table=True):
    __tablename__ = "desk_counts"

    status: str = Field(primary_key=True)
    severity: int = Field(primary_key=True)
    assignee: str = Field(primary_key=True, sa_type=ExactText)  # "" for nobody
    cases: int = 0
